"""Edge cases: a store of one's own that fails, async twins, odd keys, results and contexts."""

from __future__ import annotations

import asyncio
import logging
import sys
from types import SimpleNamespace
from typing import Any

import pytest

import fcsdk as fc
from fcsdk.exceptions import (
    ConfigurationError,
    IdempotencyBatchError,
    IdempotencyInProgressError,
    IdempotencyKeyError,
    IdempotencyPayloadMismatchError,
    IdempotencyResultTooLargeError,
    IdempotencyStoreError,
    ResultEncodeError,
)
from fcsdk.idempotency import MemoryStore, aprocess_batch, idempotent, process_batch
from fcsdk.idempotency._store import Claim, Record
from fcsdk.testing import fake_context


class FlakyStore(MemoryStore):
    """A store of one's own whose named methods fail as a network client would."""

    def __init__(self, *failing: str, max_record_bytes: int = 1024 * 1024) -> None:
        super().__init__()
        self.failing = set(failing)
        self.max_record_bytes = max_record_bytes

    def _maybe_fail(self, name: str) -> None:
        if name in self.failing:
            raise ConnectionError(f"{name}: connection reset")

    def claim(self, key: str, record: Record, ttl_ms: int) -> Claim:
        self._maybe_fail("claim")
        return super().claim(key, record, ttl_ms)

    def claim_many(self, items: Any) -> list[Claim]:
        self._maybe_fail("claim")
        return super().claim_many(items)

    def complete(self, key: str, claim: Claim, record: Record, ttl_ms: int) -> bool:
        self._maybe_fail("complete")
        return super().complete(key, claim, record, ttl_ms)

    def release(self, key: str, claim: Claim) -> bool:
        self._maybe_fail("release")
        return super().release(key, claim)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class TestAStoreOfOnesOwnFails:
    @pytest.mark.parametrize("is_async", [False, True])
    def test_a_failing_claim_runs_nothing(self, is_async: bool) -> None:
        """Any exception from a store's claim is an IdempotencyStoreError; nothing runs."""
        runs: list[int] = []
        store = FlakyStore("claim")

        if is_async:

            @idempotent(store, key=lambda n: n, in_progress_expires_after=5)
            async def work(n: int) -> int:
                runs.append(n)
                return n

            with pytest.raises(IdempotencyStoreError, match="connection reset"):
                run(work(1))
        else:

            @idempotent(store, key=lambda n: n, in_progress_expires_after=5)
            def work_sync(n: int) -> int:
                runs.append(n)
                return n

            with pytest.raises(IdempotencyStoreError, match="connection reset"):
                work_sync(1)
        assert runs == []

    @pytest.mark.parametrize("is_async", [False, True])
    def test_a_failing_completion_still_answers(
        self, is_async: bool, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The function ran: its result is returned, and the lost record is logged as an error."""
        store = FlakyStore("complete")

        async def awork(n: int) -> int:
            return n * 2

        def work(n: int) -> int:
            return n * 2

        guarded: Any = idempotent(store, key=lambda n: n, in_progress_expires_after=5)(
            awork if is_async else work
        )
        with caplog.at_level(logging.ERROR, logger="fcsdk.idempotency"):
            assert (run(guarded(4)) if is_async else guarded(4)) == 8
        assert "the result could not be stored: complete: connection reset" in caplog.text

    @pytest.mark.parametrize("is_async", [False, True])
    def test_a_failing_release_keeps_the_functions_error(
        self, is_async: bool, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The function's own exception propagates; the failed release is logged."""
        store = FlakyStore("release")

        async def awork(n: int) -> int:
            raise LookupError("the function's error")

        def work(n: int) -> int:
            raise LookupError("the function's error")

        guarded: Any = idempotent(store, key=lambda n: n, in_progress_expires_after=5)(
            awork if is_async else work
        )
        call = (lambda: run(guarded(1))) if is_async else (lambda: guarded(1))
        with (
            caplog.at_level(logging.ERROR, logger="fcsdk.idempotency"),
            pytest.raises(LookupError, match="function's error"),
        ):
            call()
        assert "the claim could not be released: release: connection reset" in caplog.text

    def test_a_late_completion_is_logged(self, caplog: pytest.LogCaptureFixture) -> None:
        """A call whose claim was taken over meanwhile logs that its result was not stored."""
        store = MemoryStore()

        @idempotent(store, key=lambda n: n, in_progress_expires_after=5)
        def work(n: int) -> int:
            store.clear()  # its deadline passed and the record went away
            store.claim(work.idempotency.key_hash(n), Record("in_progress", fence="next"), 5000)  # type: ignore[attr-defined]
            return n

        with caplog.at_level(logging.WARNING, logger="fcsdk.idempotency"):
            assert work(3) == 3
        assert "ran past its deadline and another call took the key" in caplog.text


class HeldStore(MemoryStore):
    """A twin holds the key; the first read while waiting lets it finish (or fail)."""

    def __init__(self, outcome: str) -> None:
        super().__init__()
        self.outcome = outcome
        self.twin: Claim | None = None

    def hold(self, key: str) -> None:
        self.twin = self.claim(key, Record("in_progress", fence="twin"), 60_000)

    def get(self, key: str) -> Record | None:
        assert self.twin is not None
        if self.outcome == "completes":
            done = Record("completed", fence="twin", result=b"41")
            self.complete(key, self.twin, done, 60_000)
        elif self.outcome == "fails":
            self.release(key, self.twin)
        return super().get(key)


class TestAsyncTwins:
    def _work(self, store: MemoryStore, wait: float) -> Any:
        @idempotent(store, key=lambda n: n, wait=wait, in_progress_expires_after=60)
        async def work(n: int) -> int:
            return n

        return work

    def test_waiting_gets_the_twins_answer(self) -> None:
        """An async waiter returns the twin's stored result once it completes."""
        store = HeldStore("completes")
        work = self._work(store, wait=5)
        store.hold(work.idempotency.key_hash(1))
        assert run(work(1)) == 41

    def test_waiting_runs_when_the_twin_fails(self) -> None:
        """An async waiter runs the function when the twin released the key."""
        store = HeldStore("fails")
        work = self._work(store, wait=5)
        store.hold(work.idempotency.key_hash(1))
        assert run(work(1)) == 1

    def test_the_wait_runs_out(self) -> None:
        """A twin still running when the wait ends: IdempotencyInProgressError."""
        store = HeldStore("runs on")
        work = self._work(store, wait=0.01)
        store.hold(work.idempotency.key_hash(1))
        with pytest.raises(IdempotencyInProgressError):
            run(work(1))

    def test_sync_wait_gets_the_answer(self) -> None:
        """The same for a sync function."""
        store = HeldStore("completes")

        @idempotent(store, key=lambda n: n, wait=5, in_progress_expires_after=60)
        def work(n: int) -> int:
            return n

        store.hold(work.idempotency.key_hash(1))  # type: ignore[attr-defined]
        assert work(1) == 41


class TestOddInputs:
    def test_key_functions_that_raise(self) -> None:
        """A key function raising KeyError / AttributeError is an IdempotencyKeyError."""

        @idempotent(MemoryStore(), key=lambda e: e["missing"], in_progress_expires_after=5)
        def work(event: dict[str, str]) -> None: ...

        with pytest.raises(IdempotencyKeyError, match="KeyError"):
            work({})

    def test_a_key_that_cannot_be_hashed(self) -> None:
        """A key value pydantic cannot serialise is a ConfigurationError naming its type."""

        @idempotent(MemoryStore(), key=lambda e: object(), in_progress_expires_after=5)
        def work(event: str) -> None: ...

        with pytest.raises(ConfigurationError, match="cannot hash a object"):
            work("x")

    def test_bad_key_and_expiry_options(self) -> None:
        """A key that is neither a function nor a path, or no expires_after, fails at once."""
        with pytest.raises(ConfigurationError, match="function of the event"):
            idempotent(MemoryStore(), key=3)(lambda e: e)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="expires_after is required"):
            idempotent(MemoryStore(), key="a", expires_after=None)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="cannot read the parameters"):
            idempotent(MemoryStore(), key="a")(object())  # type: ignore[arg-type]

    def test_a_streaming_response_is_not_kept(self) -> None:
        """A StreamingResponse cannot be stored: ResultEncodeError, then the repeat's error."""
        from fcsdk.web import StreamingResponse

        @idempotent(MemoryStore(), key=lambda e: e, in_progress_expires_after=5)
        def stream(event: str) -> StreamingResponse:
            return StreamingResponse(iter([b"a"]))

        with pytest.raises(ResultEncodeError, match="StreamingResponse"):
            stream("x")

    def test_an_unresolvable_return_annotation(self, caplog: pytest.LogCaptureFixture) -> None:
        """A return annotation that does not resolve: replays are plain JSON, with a warning."""

        @idempotent(MemoryStore(), key=lambda e: e, in_progress_expires_after=5)
        def work(event: str) -> NotDefinedAnywhere:  # type: ignore[name-defined]  # noqa: F821
            return {"a": 1}

        work("x")
        with caplog.at_level(logging.WARNING, logger="fcsdk.idempotency"):
            assert work("x") == {"a": 1}
        assert "does not resolve" in caplog.text

    def test_a_runtime_context_with_a_text_timeout(self) -> None:
        """A runtime context whose timeout is text ("30") still gives the deadline."""
        store = MemoryStore()
        context = SimpleNamespace(request_id="r-1", function=SimpleNamespace(timeout="30"))

        @idempotent(store, key=lambda e: e)
        def work(event: str, ctx: Any) -> str:
            return event

        assert work("x", context) == "x"
        record = store.get(work.idempotency.key_hash("x"))  # type: ignore[attr-defined]
        assert record is not None

    def test_a_dict_context_reads_its_function(self) -> None:
        """A context built from a dict (no runtime object) gives its timeout too."""
        store = MemoryStore()
        ctx = fc.FCContext.from_runtime({"requestId": "r", "function": {"timeout": 9}})

        @idempotent(store, key=lambda e: e)
        def work(event: str, context: fc.FCContext) -> str:
            return event

        assert work("y", ctx) == "y"

    def test_async_one_parameter_function(self) -> None:
        """An async def function of the event alone, under @fc.handler."""
        runs: list[int] = []

        @fc.handler
        @idempotent(MemoryStore(), key="id")
        async def main(event: dict[str, str]) -> str:
            runs.append(1)
            return event["id"]

        assert main(b'{"id": "q"}', fake_context()) == main(b'{"id": "q"}', fake_context()) == "q"
        assert runs == [1]


def _in_invocation() -> Any:
    from contextlib import contextmanager

    from fcsdk import _invocation

    @contextmanager
    def entered() -> Any:
        token = _invocation.enter(fc.FCContext.from_runtime(fake_context(timeout=30)))
        try:
            yield
        finally:
            _invocation.leave(token)

    return entered()


class TestNamespaces:
    def test_the_fc_function_name_joins_the_namespace(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On FC, two functions deployed from the same code keep apart; a list is a key too."""
        store = MemoryStore()
        runs: list[str] = []

        def make() -> Any:
            @idempotent(store, key=lambda e: e, in_progress_expires_after=5)
            def work(event: list[int]) -> str:
                runs.append("run")
                return "done"

            return work

        local = make()
        monkeypatch.setenv("FC_FUNCTION_NAME", "orders-staging")
        staging = make()
        monkeypatch.setenv("FC_FUNCTION_NAME", "orders-prod")
        prod = make()
        for work in (local, staging, prod, prod):
            assert work([1, 2]) == "done"
        assert runs == ["run", "run", "run"]
        assert prod.idempotency.namespace.startswith(b"orders-prod:")


class TestBatchEdges:
    @pytest.mark.parametrize("is_async", [False, True])
    def test_failing_claims(self, is_async: bool) -> None:
        """A store whose claims fail: IdempotencyStoreError, no record runs."""
        runs: list[int] = []
        store = FlakyStore("claim")
        if is_async:
            call = lambda: run(aprocess_batch(store, [1], runs.append, key=lambda n: n))  # noqa: E731
        else:
            call = lambda: process_batch(store, [1], runs.append, key=lambda n: n)  # noqa: E731
        with _in_invocation(), pytest.raises(IdempotencyStoreError):
            call()
        assert runs == []

    @pytest.mark.parametrize("is_async", [False, True])
    def test_failing_completions_keep_the_results(
        self, is_async: bool, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Records ran: their results come back, the lost records are logged."""
        store = FlakyStore("complete")
        with _in_invocation(), caplog.at_level(logging.ERROR, logger="fcsdk.idempotency"):
            if is_async:
                out = run(aprocess_batch(store, [1, 2], lambda n: -n, key=lambda n: n))
            else:
                out = process_batch(store, [1, 2], lambda n: -n, key=lambda n: n)
        assert out == [-1, -2]
        assert caplog.text.count("the result could not be stored") == 2

    @pytest.mark.parametrize("is_async", [False, True])
    def test_an_interrupt_releases_every_claim(self, is_async: bool) -> None:
        """KeyboardInterrupt in a record releases its claim and the later ones, then propagates."""
        store = FlakyStore("release") if is_async else MemoryStore()

        def work(n: int) -> int:
            if n == 1:
                raise KeyboardInterrupt
            return n

        batch = [0, 1, 2]
        if is_async:
            call = lambda: run(aprocess_batch(store, batch, work, key=lambda n: n, namespace="n"))  # noqa: E731
        else:
            call = lambda: process_batch(store, batch, work, key=lambda n: n, namespace="n")  # noqa: E731
        with _in_invocation(), pytest.raises(KeyboardInterrupt):
            call()
        store.failing = set() if isinstance(store, FlakyStore) else None  # type: ignore[attr-defined]
        if not is_async:
            with _in_invocation():
                again = process_batch(
                    store, [0, 1, 2], lambda n: n + 10, key=lambda n: n, namespace="n"
                )
                assert again == [
                    0,
                    11,
                    12,
                ]

    def test_payload_mismatch_and_too_large_records_fail_alone(self) -> None:
        """A reused key with another payload, and a result too large, fail their records only."""
        store = FlakyStore(max_record_bytes=300)
        with _in_invocation():
            process_batch(
                store, [{"id": "a", "v": 1}], lambda r: "x", key="id", validate_payload=True
            )
            with pytest.raises(IdempotencyBatchError) as info:
                process_batch(
                    store,
                    [{"id": "a", "v": 2}, {"id": "b", "v": 1}, {"id": "c", "v": 1}],
                    lambda r: "y" * (500 if r["id"] == "c" else 1),
                    key="id",
                    validate_payload=True,
                )
        errors = {index: type(error) for index, _, error in info.value.failures}
        assert errors == {0: IdempotencyPayloadMismatchError, 2: IdempotencyResultTooLargeError}
        assert info.value.results == {1: "y"}

    def test_async_result_too_large(self) -> None:
        """aprocess_batch reports a result too large as that record's failure."""
        store = FlakyStore(max_record_bytes=300)
        with _in_invocation(), pytest.raises(IdempotencyBatchError) as info:
            run(aprocess_batch(store, ["x"], lambda r: "z" * 500, key=lambda r: r))
        assert isinstance(info.value.failures[0][2], IdempotencyResultTooLargeError)
        assert "and" not in str(info.value).split(":")[0]

    def test_many_failures_are_summarised(self) -> None:
        """The message names the first five failures and counts the rest."""

        def fail(n: int) -> None:
            raise ValueError(n)

        with _in_invocation(), pytest.raises(IdempotencyBatchError, match="and 2 more"):
            process_batch(MemoryStore(), range(7), fail, key=lambda n: n)


class TestMissingRedis:
    def test_redis_not_installed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without the redis package, RedisStore.from_url says which extra to install."""
        from fcsdk.idempotency import RedisStore

        monkeypatch.setitem(sys.modules, "redis", None)
        with pytest.raises(ConfigurationError, match=r"fcsdk\[redis\]"):
            RedisStore.from_url("redis://127.0.0.1:1/0")
