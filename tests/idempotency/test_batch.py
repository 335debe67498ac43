"""process_batch / aprocess_batch on a real redis-server, with the Kafka trigger's real batches."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.events import KafkaEvent
from fcsdk.exceptions import (
    IdempotencyBatchError,
    IdempotencyInProgressError,
    IdempotencyKeyError,
    IdempotencyStoreError,
)
from fcsdk.idempotency import RedisStore, aprocess_batch, process_batch
from fcsdk.idempotency._store import Record
from fcsdk.testing import fake_context
from fcsdk.testing.events import kafka_batch
from tests.idempotency.conftest import free_port


class Order(BaseModel):
    order_id: str
    amount: int


def push(count: int, offset: int = 0) -> bytes:
    """A Kafka push of ``count`` orders, offsets from ``offset``."""
    values = [{"order_id": f"o{offset + i}", "amount": offset + i} for i in range(count)]
    return kafka_batch(values=values, offset=offset)


def offset_key(record: KafkaEvent[Order]) -> tuple[str, int, int]:
    return (record.data.topic, record.data.partition, record.data.offset)


class TestProcessBatch:
    def test_a_failed_record_alone_runs_again(self, store: RedisStore) -> None:
        """Record 37 of 100 fails: the error names it; the re-push runs record 37 only."""
        charged: list[int] = []
        broken = {37}

        def charge(record: KafkaEvent[Order]) -> int:
            if record.data.offset in broken:
                raise RuntimeError("card declined")
            charged.append(record.data.offset)
            return record.data.value.amount * 2

        @fc.handler
        def on_batch(batch: list[KafkaEvent[Order]], context: fc.FCContext) -> list[int]:
            return process_batch(store, batch, charge, key=offset_key)

        with pytest.raises(IdempotencyBatchError) as info:
            on_batch(push(100), fake_context())
        assert info.value.failed_indexes == [37]
        assert "#37 (RuntimeError: card declined)" in str(info.value)
        assert len(info.value.failures[0][1]) == 64
        assert len(info.value.results) == 99
        assert sorted(charged) == [i for i in range(100) if i != 37]
        broken.clear()
        answer = json.loads(on_batch(push(100), fake_context()))
        assert answer == [i * 2 for i in range(100)]
        assert charged.count(37) == 1
        assert len(charged) == 100

    def test_a_record_twice_in_a_batch_runs_once(self, store: RedisStore) -> None:
        """Duplicates inside one push share the first one's run and result."""
        runs: list[str] = []

        def work(order: dict[str, str]) -> str:
            runs.append(order["id"])
            return order["id"].upper()

        with _in_invocation():
            results = process_batch(store, [{"id": "a"}, {"id": "b"}, {"id": "a"}], work, key="id")
        assert results == ["A", "B", "A"]
        assert runs == ["a", "b"]

    def test_a_duplicate_of_a_failed_record_fails(self, store: RedisStore) -> None:
        """A duplicate follows its first record's failure."""

        def work(order: dict[str, Any]) -> str:
            raise ValueError("no")

        with _in_invocation(), pytest.raises(IdempotencyBatchError) as info:
            process_batch(store, [{"id": "a"}, {"id": "a"}], work, key="id")
        assert info.value.failed_indexes == [0, 1]

    def test_records_without_a_key_fail_alone(self, store: RedisStore) -> None:
        """A record without a key fails with IdempotencyKeyError; the others run."""
        with _in_invocation(), pytest.raises(IdempotencyBatchError) as info:
            process_batch(store, [{"id": "a"}, {}], lambda r: 1, key="id")
        assert info.value.failed_indexes == [1]
        assert isinstance(info.value.failures[0][2], IdempotencyKeyError)
        assert info.value.results == {0: 1}

    def test_stop_at_the_first_failure(self, store: RedisStore) -> None:
        """stop_at_first_failure leaves the later records unrun and their claims released."""
        runs: list[int] = []

        def work(n: int) -> int:
            runs.append(n)
            if n == 1:
                raise RuntimeError("stop")
            return n

        with _in_invocation(), pytest.raises(IdempotencyBatchError) as info:
            process_batch(store, [0, 1, 2, 3], work, key=lambda n: n, stop_at_first_failure=True)
        assert info.value.failed_indexes == [1, 2, 3]
        assert runs == [0, 1]
        with _in_invocation():
            assert process_batch(store, [0, 1, 2, 3], lambda n: n * 10, key=lambda n: n) == [
                0,
                10,
                20,
                30,
            ]

    def test_a_record_in_progress_elsewhere_fails(self, store: RedisStore) -> None:
        """A record another push holds now is a failure of this push (it runs on the re-push)."""
        with _in_invocation():
            guard_key = _key_of(store, "n", lambda n: n, 5)
            store.claim(guard_key, Record("in_progress", fence="other"), 60_000)
            with pytest.raises(IdempotencyBatchError) as info:
                process_batch(store, [4, 5], lambda n: n, key=lambda n: n, namespace="n")
        assert info.value.failed_indexes == [1]
        assert isinstance(info.value.failures[0][2], IdempotencyInProgressError)

    def test_results_come_back_typed(self, store: RedisStore) -> None:
        """A skipped record's stored result is decoded into fn's return type."""

        def price(order: Order) -> Order:
            return Order(order_id=order.order_id, amount=order.amount + 1)

        orders = [Order(order_id="x", amount=1)]
        with _in_invocation():
            first = process_batch(store, orders, price, key="order_id")
            again = process_batch(store, orders, price, key="order_id")
        assert again == first
        assert type(again[0]) is Order

    def test_async_fn_in_a_sync_handler(self, store: RedisStore) -> None:
        """An async def fn runs on the shared loop from process_batch."""

        async def work(n: int) -> int:
            await asyncio.sleep(0)
            return n + 1

        with _in_invocation():
            assert process_batch(store, [1, 2], work, key=lambda n: n) == [2, 3]

    def test_the_store_down_runs_nothing(self) -> None:
        """A store that cannot be reached raises IdempotencyStoreError before any record runs."""
        down = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0")
        runs: list[int] = []
        with _in_invocation(), pytest.raises(IdempotencyStoreError):
            process_batch(down, [1, 2], runs.append, key=lambda n: n)
        assert runs == []

    def test_empty_batch(self, store: RedisStore) -> None:
        """An empty batch touches nothing and returns []."""
        assert process_batch(store, [], lambda r: r, key="id") == []


class TestAsyncBatch:
    def test_aprocess_batch(self, store: RedisStore) -> None:
        """aprocess_batch in an async handler: one pipeline, failed records named, re-push."""
        broken = {2}
        runs: list[int] = []

        async def work(record: KafkaEvent[Order]) -> int:
            if record.data.offset in broken:
                raise RuntimeError("down")
            runs.append(record.data.offset)
            return record.data.offset

        @fc.handler
        async def on_batch(batch: list[KafkaEvent[Order]], context: fc.FCContext) -> list[int]:
            try:
                return await aprocess_batch(store, batch, work, key=offset_key)
            finally:
                await store.aclose()

        with pytest.raises(IdempotencyBatchError) as info:
            on_batch(push(5), fake_context())
        assert info.value.failed_indexes == [2]
        broken.clear()
        assert json.loads(on_batch(push(5), fake_context())) == [0, 1, 2, 3, 4]
        assert sorted(runs) == [0, 1, 2, 3, 4]

    def test_aprocess_batch_stop_and_sync_fn(self, store: RedisStore) -> None:
        """A sync fn works too; stop_at_first_failure releases the rest."""

        def work(n: int) -> int:
            if n == 0:
                raise RuntimeError("first")
            return n

        async def scenario() -> Any:
            try:
                with pytest.raises(IdempotencyBatchError) as info:
                    await aprocess_batch(
                        store, [0, 1], work, key=lambda n: n, stop_at_first_failure=True
                    )
                again = await aprocess_batch(store, [1], work, key=lambda n: n)
                return info.value.failed_indexes, again
            finally:
                await store.aclose()

        with _in_invocation():
            assert asyncio.run(scenario()) == ([0, 1], [1])


class _in_invocation:
    """Make a fake context the current invocation (what @fc.handler does)."""

    def __enter__(self) -> None:
        from fcsdk import _invocation

        self.token = _invocation.enter(fc.FCContext.from_runtime(fake_context(timeout=30)))

    def __exit__(self, *exc: object) -> None:
        from fcsdk import _invocation

        _invocation.leave(self.token)


def _key_of(store: RedisStore, namespace: str, key: Any, value: Any) -> str:
    from fcsdk.idempotency._core import Guard

    guard = Guard(
        store,
        key=key,
        expires_after=60,
        in_progress_expires_after=None,
        validate_payload=False,
        wait=None,
        namespace=namespace,
        returns=lambda: Any,
    )
    return guard.key_hash(value)
