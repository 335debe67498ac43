"""fc.idempotent on a real redis-server: run once, typed replays, releases, twins, deadlines."""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.exceptions import (
    ConfigurationError,
    IdempotencyError,
    IdempotencyInProgressError,
    IdempotencyKeyError,
    IdempotencyPayloadMismatchError,
    IdempotencyResultTooLargeError,
    IdempotencyStoreError,
)
from fcsdk.idempotency import RedisStore, idempotent
from fcsdk.testing import fake_context
from tests.idempotency.conftest import free_port


class Order(BaseModel):
    order_id: str
    amount: int


@dataclass
class Point:
    x: int


class Receipt(BaseModel):
    order_id: str
    charged: int
    run: int


def order(order_id: str = "A1", amount: int = 5) -> bytes:
    return Order(order_id=order_id, amount=amount).model_dump_json().encode()


class TestRunsOnce:
    def test_repeat_is_answered_from_the_store_typed(self, store: RedisStore, context: Any) -> None:
        """A repeat returns the first call's result, decoded into the return type, without a run."""
        runs: list[str] = []
        seen: list[Any] = []

        @fc.idempotent(store, key=lambda e: e.order_id)
        def charge(event: Order, ctx: fc.FCContext) -> Receipt:
            runs.append(event.order_id)
            return Receipt(order_id=event.order_id, charged=event.amount, run=len(runs))

        @fc.handler
        def main(event: Order, ctx: fc.FCContext) -> Receipt:
            receipt = charge(event, ctx)
            seen.append(receipt)
            return receipt

        first = main(order(), context)
        second = main(order(), fake_context())
        assert first == second == b'{"order_id":"A1","charged":5,"run":1}'
        assert runs == ["A1"]
        assert type(seen[1]) is Receipt
        assert seen[1] == seen[0]

    def test_under_fc_handler_the_event_model_is_the_users(
        self, store: RedisStore, context: Any
    ) -> None:
        """@fc.handler over @fc.idempotent decodes into the user's model and passes the context."""
        contexts: list[Any] = []

        @fc.handler
        @fc.idempotent(store, key="order_id")
        def main(event: Order, context: fc.FCContext) -> dict[str, int]:
            contexts.append(context)
            return {"amount": event.amount}

        assert main.event_model is Order
        assert main(order(amount=7), context) == b'{"amount":7}'
        assert isinstance(contexts[0], fc.FCContext)

    def test_one_parameter_handler_gets_no_context(self, store: RedisStore, context: Any) -> None:
        """An idempotent handler that takes the event alone is called with the event alone."""

        @fc.handler
        @fc.idempotent(store, key="order_id")
        def main(event: Order) -> str:
            return f"ok {event.order_id}"

        assert main(order("B2"), context) == "ok B2"
        assert main(order("B2"), context) == "ok B2"

    def test_async_def(self, store: RedisStore, context: Any) -> None:
        """An async def function runs once on redis.asyncio; the repeat is typed."""
        runs: list[int] = []

        @fc.handler
        @fc.idempotent(store, key=lambda e: e.order_id)
        async def main(event: Order, context: fc.FCContext) -> Receipt:
            runs.append(1)
            return Receipt(order_id=event.order_id, charged=event.amount, run=len(runs))

        assert main(order(), context) == main(order(), context)
        assert runs == [1]

    def test_inner_function_with_keywords(self, store: RedisStore, context: Any) -> None:
        """Any function: the key comes from the first argument; other arguments pass through."""
        runs: list[tuple[str, int]] = []

        @idempotent(store, key="customer", in_progress_expires_after=timedelta(seconds=30))
        def send_mail(message: dict[str, str], *, retries: int = 1) -> bytes:
            runs.append((message["customer"], retries))
            return b"\x00sent"

        assert send_mail({"customer": "c1"}, retries=3) == b"\x00sent"
        assert send_mail({"customer": "c1"}, retries=9) == b"\x00sent"
        assert runs == [("c1", 3)]

    def test_results_of_every_kind_come_back_as_they_were(self, store: RedisStore) -> None:
        """bytes, str, None, lists and dataclasses come back equal and of the same type."""

        values: dict[str, Any] = {
            "bytes": b"\xff\x00", "str": "h\u00e9", "none": None, "list": [1, "a"], "dc": Point(3)
        }  # fmt: skip

        @idempotent(store, key=lambda name: name, in_progress_expires_after=30)
        def produce(name: str) -> Any:
            return values[name]

        @idempotent(store, key=lambda name: name, in_progress_expires_after=30)
        def point(name: str) -> Point:
            return Point(3)

        for name, value in values.items():
            produce(name)
            again = produce(name)
            if name != "dc":
                assert again == value
                assert type(again) is type(value)
        point("p")
        assert point("p") == Point(3)

    def test_the_key_is_hashed_with_the_namespace(
        self, store: RedisStore, redis_client: Any, context: Any
    ) -> None:
        """The store's key is sha256(namespace, key), never the raw key."""

        @idempotent(store, key="order_id", namespace="orders")
        def charge(event: Order, ctx: Any) -> int:
            return 1

        charge(Order(order_id="secret-order", amount=1), context)
        (name,) = redis_client.keys(store.prefix + "*")
        expected = hashlib.sha256(b"orders\0ssecret-order").hexdigest()
        assert name.decode() == store.prefix + expected
        assert b"secret-order" not in redis_client.get(name)

    def test_two_functions_do_not_share_records(self, store: RedisStore, context: Any) -> None:
        """The same key in two functions runs each of them."""

        @idempotent(store, key="order_id")
        def one(event: Order, ctx: Any) -> str:
            return "one"

        @idempotent(store, key="order_id")
        def two(event: Order, ctx: Any) -> str:
            return "two"

        event = Order(order_id="same", amount=1)
        assert (one(event, context), two(event, context)) == ("one", "two")


class TestFailures:
    def test_an_exception_releases_the_key(
        self, store: RedisStore, redis_client: Any, context: Any
    ) -> None:
        """A raising call leaves no record, so the retry runs."""
        attempts: list[int] = []

        @fc.handler
        @fc.idempotent(store, key="order_id")
        def main(event: Order, context: fc.FCContext) -> int:
            attempts.append(1)
            if len(attempts) == 1:
                raise RuntimeError("card declined")
            return len(attempts)

        with pytest.raises(RuntimeError, match="card declined"):
            main(order(), context)
        assert redis_client.keys(store.prefix + "*") == []
        assert main(order(), context) == b"2"
        assert main(order(), context) == b"2"

    def test_payload_mismatch(self, store: RedisStore, context: Any) -> None:
        """The same key with another payload is refused with a 422 error naming the key hash."""

        @fc.handler
        @fc.idempotent(store, key="order_id", validate_payload=True)
        def main(event: Order, context: fc.FCContext) -> int:
            return event.amount

        assert main(order(amount=5), context) == b"5"
        assert main(order(amount=5), context) == b"5"
        with pytest.raises(IdempotencyPayloadMismatchError) as info:
            main(order(amount=6), context)
        assert info.value.status == 422
        assert len(info.value.key_hash) == 64

    def test_payload_validation_on_a_part(self, store: RedisStore, context: Any) -> None:
        """validate_payload as a path compares that field only."""

        @fc.idempotent(store, key="order_id", validate_payload="amount")
        def charge(event: dict[str, Any], ctx: Any) -> int:
            return int(event["amount"])

        assert charge({"order_id": "x", "amount": 1, "note": "a"}, context) == 1
        assert charge({"order_id": "x", "amount": 1, "note": "b"}, context) == 1
        with pytest.raises(IdempotencyPayloadMismatchError):
            charge({"order_id": "x", "amount": 2}, context)

    def test_no_key(self, store: RedisStore, context: Any) -> None:
        """An event without a key is a 400 IdempotencyKeyError, and nothing runs."""
        runs: list[int] = []

        @fc.idempotent(store, key="data.key")
        def work(event: dict[str, Any], ctx: Any) -> None:
            runs.append(1)

        events: list[dict[str, Any]] = [{}, {"data": {}}, {"data": {"key": ""}}, {"data": None}]
        for event in events:
            with pytest.raises(IdempotencyKeyError) as info:
                work(event, context)
            assert info.value.status == 400
        assert runs == []

    def test_the_store_down(self, context: Any) -> None:
        """A store that cannot be reached raises IdempotencyStoreError; the function never runs."""
        runs: list[int] = []
        down = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0")

        @fc.handler
        @fc.idempotent(down, key="order_id")
        def main(event: Order, context: fc.FCContext) -> None:
            runs.append(1)

        with pytest.raises(IdempotencyStoreError, match="Redis idempotency store failed") as info:
            main(order(), context)
        assert runs == []
        assert isinstance(info.value, IdempotencyError)

    def test_the_store_down_async(self, context: Any) -> None:
        """The same on the async client."""
        runs: list[int] = []
        down = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0")

        @fc.handler
        @fc.idempotent(down, key="order_id")
        async def main(event: Order, context: fc.FCContext) -> None:
            runs.append(1)

        with pytest.raises(IdempotencyStoreError):
            main(order(), context)
        down.close()
        assert runs == []

    def test_result_too_large(self, redis_server: Any, context: Any) -> None:
        """A result past the store's limit raises a clear error; the function never runs again."""
        small = RedisStore.from_url(redis_server.url, prefix="small:", max_record_bytes=1024)
        runs: list[int] = []

        @fc.handler
        @fc.idempotent(small, key="order_id")
        def main(event: Order, context: fc.FCContext) -> str:
            runs.append(1)
            return "x" * 4000

        for _ in range(2):
            with pytest.raises(IdempotencyResultTooLargeError, match="4000 bytes") as info:
                main(order("big"), context)
            assert (info.value.size, info.value.limit) == (4000, 1024)
        assert runs == [1]

    def test_unencodable_result(self, store: RedisStore, context: Any) -> None:
        """A result that cannot be encoded is an error, and the function is not run again."""
        runs: list[int] = []

        @fc.idempotent(store, key="order_id")
        def main(event: Order, context: Any) -> object:
            runs.append(1)
            return object()

        with pytest.raises(fc.ResultEncodeError):
            main(Order(order_id="set", amount=1), context)
        with pytest.raises(IdempotencyError, match=r"could not be kept .*builtins\.object"):
            main(Order(order_id="set", amount=1), context)
        assert runs == [1]

    def test_bad_options(self, store: RedisStore) -> None:
        """Wrong options fail when decorating, with a ConfigurationError."""
        with pytest.raises(ConfigurationError, match="expires_after"):
            idempotent(store, key="a", expires_after=0)
        with pytest.raises(ConfigurationError, match="IdempotencyStore"):
            idempotent(object(), key="a")(lambda e: e)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="no positional parameter"):
            idempotent(store, key="a")(lambda: None)
        with pytest.raises(ConfigurationError, match="dotted field path"):
            idempotent(store, key="a..b")(lambda e: e)


class TestDeadline:
    def test_in_progress_lives_until_the_function_timeout(
        self, store: RedisStore, redis_client: Any
    ) -> None:
        """While it runs, the record's TTL is the function's timeout from the context."""
        ttls: list[int] = []

        @fc.handler
        @fc.idempotent(store, key="order_id")
        def main(event: Order, context: fc.FCContext) -> None:
            (name,) = redis_client.keys(store.prefix + "*")
            ttls.append(redis_client.pttl(name))

        main(order(), fake_context(timeout=7))
        assert 6000 < ttls[0] <= 7000

    def test_the_current_invocation_gives_the_deadline(
        self, store: RedisStore, redis_client: Any
    ) -> None:
        """An inner function without a context argument takes the current invocation's."""
        ttls: list[int] = []

        @idempotent(store, key=lambda text: text)
        def inner(text: str) -> None:
            (name,) = redis_client.keys(store.prefix + "*")
            ttls.append(redis_client.pttl(name))

        @fc.handler
        def main(event: str) -> None:
            inner(event)

        main(b"hello", fake_context(timeout=3))
        assert 2000 < ttls[0] <= 3000

    def test_a_given_in_progress_expiry_wins(self, store: RedisStore, redis_client: Any) -> None:
        """in_progress_expires_after overrides the function's timeout."""
        ttls: list[int] = []

        @fc.handler
        @fc.idempotent(store, key="order_id", in_progress_expires_after=timedelta(seconds=2))
        def main(event: Order, context: fc.FCContext) -> None:
            (name,) = redis_client.keys(store.prefix + "*")
            ttls.append(redis_client.pttl(name))

        main(order(), fake_context(timeout=600))
        assert 1000 < ttls[0] <= 2000

    @pytest.mark.parametrize("timeout", [0, None])
    def test_never_no_deadline(self, store: RedisStore, timeout: int | None) -> None:
        """Without a deadline (no invocation, a timeout of 0) the call fails: none is unbounded."""
        runs: list[int] = []

        @idempotent(store, key=lambda text: text)
        def inner(text: str) -> None:
            runs.append(1)

        with pytest.raises(ConfigurationError, match="in_progress_expires_after"):
            inner("x")
        ctx: Any = fake_context()
        ctx.function.timeout = timeout

        @fc.handler
        def main(event: str, context: fc.FCContext) -> None:
            inner(event)

        with pytest.raises(ConfigurationError, match="no invocation deadline"):
            main(b"x", ctx)
        assert runs == []

    def test_completed_records_expire_after(self, store: RedisStore, redis_client: Any) -> None:
        """A completed record lives for expires_after."""

        @idempotent(
            store, key=lambda t: t, expires_after=timedelta(minutes=5), in_progress_expires_after=9
        )
        def work(text: str) -> int:
            return 1

        work("x")
        (name,) = redis_client.keys(store.prefix + "*")
        assert 290_000 < redis_client.pttl(name) <= 300_000


class TestTwins:
    def _hold(
        self, store: RedisStore, **options: Any
    ) -> tuple[Any, threading.Event, threading.Event, list[int]]:
        started, release = threading.Event(), threading.Event()
        runs: list[int] = []

        @fc.handler
        @fc.idempotent(store, key="order_id", **options)
        def main(event: Order, context: fc.FCContext) -> int:
            runs.append(1)
            started.set()
            assert release.wait(10)
            return len(runs)

        return main, started, release, runs

    def test_a_twin_in_progress_is_refused_at_once(self, store: RedisStore) -> None:
        """While a call runs, its twin gets a 409 IdempotencyInProgressError with Retry-After."""
        main, started, release, runs = self._hold(store)
        first = threading.Thread(target=main, args=(order(), fake_context(timeout=30)))
        first.start()
        try:
            assert started.wait(10)
            with pytest.raises(IdempotencyInProgressError) as info:
                main(order(), fake_context(timeout=30))
            assert info.value.status == 409
            assert 20 <= info.value.retry_after <= 30
            assert 20 <= int(info.value.headers["Retry-After"]) <= 30
        finally:
            release.set()
            first.join(10)
        assert runs == [1]

    def test_waiting_for_a_twin_gets_its_result(self, store: RedisStore) -> None:
        """With wait=, the twin's result is returned once it completes; the function runs once."""
        main, started, release, runs = self._hold(store, wait=timedelta(seconds=20))
        first = threading.Thread(target=main, args=(order(), fake_context(timeout=30)))
        first.start()
        answers: list[Any] = []
        try:
            assert started.wait(10)
            second = threading.Thread(
                target=lambda: answers.append(main(order(), fake_context(timeout=30)))
            )
            second.start()
            release.set()
            second.join(20)
        finally:
            release.set()
            first.join(10)
        assert answers == [b"1"]
        assert runs == [1]

    def test_waiting_for_a_twin_that_fails_runs_it(self, store: RedisStore) -> None:
        """A waiting twin runs the function itself when the first call raised."""
        started, release = threading.Event(), threading.Event()
        runs: list[int] = []

        @fc.handler
        @fc.idempotent(store, key="order_id", wait=20)
        def main(event: Order, context: fc.FCContext) -> int:
            runs.append(1)
            if len(runs) == 1:
                started.set()
                assert release.wait(10)
                raise RuntimeError("first fails")
            return len(runs)

        errors: list[BaseException] = []

        def first_call() -> None:
            try:
                main(order(), fake_context(timeout=30))
            except RuntimeError as exc:
                errors.append(exc)

        first = threading.Thread(target=first_call)
        first.start()
        answers: list[Any] = []
        try:
            assert started.wait(10)
            second = threading.Thread(
                target=lambda: answers.append(main(order(), fake_context(timeout=30)))
            )
            second.start()
            release.set()
            second.join(20)
        finally:
            release.set()
            first.join(10)
        assert answers == [b"2"]
        assert len(errors) == 1

    def test_wait_runs_out(self, store: RedisStore) -> None:
        """A wait that passes without the twin finishing raises IdempotencyInProgressError."""
        main, started, release, _ = self._hold(store, wait=0.2)
        first = threading.Thread(target=main, args=(order(), fake_context(timeout=30)))
        first.start()
        try:
            assert started.wait(10)
            with pytest.raises(IdempotencyInProgressError):
                main(order(), fake_context(timeout=30))
        finally:
            release.set()
            first.join(10)


class TestLogging:
    def test_lines_say_the_hash_and_the_decision(
        self, store: RedisStore, context: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Each decision is logged with the key's hash, never the key itself."""

        @fc.idempotent(store, key="order_id")
        def charge(event: Order, ctx: Any) -> int:
            return 1

        with caplog.at_level(logging.INFO, logger="fcsdk.idempotency"):
            charge(Order(order_id="secret-7", amount=1), context)
            charge(Order(order_id="secret-7", amount=1), context)
        key = charge.idempotency.key_hash(Order(order_id="secret-7", amount=1))  # type: ignore[attr-defined]
        messages = [r.getMessage() for r in caplog.records]
        assert messages == [
            f"idempotency key {key}: claimed; running",
            f"idempotency key {key}: completed; result stored",
            f"idempotency key {key}: completed before; answered from the store",
        ]
        assert "secret-7" not in caplog.text
