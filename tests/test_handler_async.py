"""Tests for async def under @fc.handler and the lifecycle hooks (fcsdk/handler.py)."""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import BaseModel

import fcsdk as fc
from benchmarks._loopback import EchoServer
from fcsdk import _invocation
from fcsdk.testing import fake_context, invoke


class Order(BaseModel):
    order_id: str
    amount: int


class Receipt(BaseModel):
    order_id: str
    accepted: bool
    request_id: str = ""


ORDER = b'{"order_id": "A1", "amount": 3}'


@fc.handler
async def main(event: Order, context: fc.FCContext) -> Receipt:
    await asyncio.sleep(0)
    return Receipt(order_id=event.order_id, accepted=event.amount > 0)


class TestAsyncHandler:
    def test_the_result_is_the_awaited_value_encoded(self) -> None:
        """An async def handler answers the JSON of what its coroutine returns."""
        assert main(ORDER, fake_context()) == b'{"order_id":"A1","accepted":true,"request_id":""}'

    def test_it_stays_a_plain_function(self) -> None:
        """The decorated object is a sync callable; the async function is its __wrapped__."""
        assert not inspect.iscoroutinefunction(main)
        assert inspect.iscoroutinefunction(main.__wrapped__)
        assert main.__name__ == "main"
        assert main.event_model is Order

    def test_without_a_context_parameter(self) -> None:
        """A one-parameter async handler gets the event only."""

        @fc.handler(event_model=dict[str, int])
        async def total(event: dict[str, int]) -> int:
            return sum(event.values())

        assert total(b'{"a": 1, "b": 2}', fake_context()) == b"3"

    @pytest.mark.parametrize("with_context", [True, False])
    def test_log_event_logs_before_the_coroutine_runs(
        self, with_context: bool, caplog: pytest.LogCaptureFixture
    ) -> None:
        """log_event=True logs the (redacted) event of an async handler, with or without context."""
        seen: list[str] = []

        async def with_ctx(event: dict[str, str], context: fc.FCContext) -> str:
            seen.append(context.request_id)
            return "ok"

        async def without(event: dict[str, str]) -> str:
            seen.append("-")
            return "ok"

        handler = fc.handler(event_model=dict[str, str], log_event=True)(
            with_ctx if with_context else without
        )
        with caplog.at_level(logging.INFO, logger="fcsdk"):
            assert handler(b'{"password": "p"}', fake_context(request_id="r-1")) == "ok"
        assert seen == (["r-1"] if with_context else ["-"])
        assert any(r.getMessage() == 'event: {"password": "***"}' for r in caplog.records)

    def test_decode_errors_come_before_the_coroutine(self) -> None:
        """A bad event raises EventDecodeError without creating a coroutine."""
        with pytest.raises(fc.EventDecodeError, match="amount"):
            main(b'{"order_id": "A1"}', fake_context())

    def test_exceptions_from_the_coroutine_propagate(self) -> None:
        """An exception raised after an await escapes the handler as the runtime expects."""

        @fc.handler
        async def fails(event: bytes) -> None:
            await asyncio.sleep(0)
            raise ValueError("no stock")

        with pytest.raises(ValueError, match="no stock"):
            invoke(fails, b"x")

    def test_invoke_runs_it(self) -> None:
        """fcsdk.testing.invoke calls an async handler like any other."""
        assert json.loads(invoke(main, {"order_id": "B2", "amount": 0}))["accepted"] is False

    def test_the_invocation_is_current_inside(self) -> None:
        """Inside the coroutine the invocation (and so fc.logger's request id) is the caller's."""

        @fc.handler
        async def who(event: bytes, context: fc.FCContext) -> str:
            await asyncio.sleep(0)
            current = _invocation.current()
            assert current is not None
            return str(current[0].request_id)

        assert who(b"", fake_context(request_id="req-async-1")) == "req-async-1"

    def test_fc_logger_carries_the_request_id(self, caplog: pytest.LogCaptureFixture) -> None:
        """A record logged through fc.logger after an await names the invocation's request id."""

        @fc.handler
        async def logs(event: bytes) -> None:
            await asyncio.sleep(0)
            fc.logger.info("working")

        with caplog.at_level(logging.INFO, logger="fcsdk"):
            logs(b"", fake_context(request_id="req-log-7"))
        ids = [getattr(r, "request_id", None) for r in caplog.records if r.message == "working"]
        assert ids == ["req-log-7"]

    def test_an_async_callable_object_and_a_partial(self) -> None:
        """An object with async __call__ and a partial of an async function are detected too."""

        class Doubler:
            async def __call__(self, event: bytes) -> bytes:
                return event * 2

        async def prefixed(prefix: bytes, event: bytes) -> bytes:
            return prefix + event

        assert fc.handler(event_model=bytes)(Doubler())(b"ab", None) == b"abab"
        assert fc.handler(event_model=bytes)(functools.partial(prefixed, b">"))(b"x") == b">x"

    def test_a_partial_of_an_async_callable_object(self) -> None:
        """A partial over an object with async __call__ is awaited, not returned as a coroutine."""

        class Prefixer:
            async def __call__(self, prefix: bytes, event: bytes) -> bytes:
                return prefix + event

        handler = fc.handler(event_model=bytes)(functools.partial(Prefixer(), b">"))
        assert handler(b"x") == b">x"


class TestNotAwaited:
    def test_a_sync_function_returning_a_coroutine_is_a_clear_error(self) -> None:
        """A lambda around an async function fails with a message that says what to do."""

        async def real(event: bytes, context: object) -> str:
            return "never"

        def wrapper(event: bytes, context: object) -> object:
            return real(event, context)

        handler = fc.handler(event_model=bytes)(wrapper)
        with pytest.raises(fc.ResultEncodeError, match=r"returned a coroutine .*async def"):
            handler(b"", fake_context())


class TestAsyncHooks:
    def test_async_hooks_share_the_handlers_loop(self) -> None:
        """A queue made in an async initializer serves later invocations; pre_stop sees it."""
        made: dict[str, Any] = {}

        @fc.initializer
        async def init(context: fc.FCContext) -> None:
            made["loop"] = asyncio.get_running_loop()
            made["queue"] = asyncio.Queue()

        @fc.handler
        async def use(event: bytes) -> bytes:
            queue: asyncio.Queue[bytes] = made["queue"]
            await queue.put(event)
            assert asyncio.get_running_loop() is made["loop"]
            return await queue.get()

        @fc.pre_stop
        async def stop(context: fc.FCContext) -> None:
            made["stopped"] = made["queue"].empty()

        init(fake_context())
        assert use(b"ping", fake_context()) == b"ping"
        stop(fake_context())
        assert made["stopped"] is True
        assert repr(init).startswith("<fcsdk initializer ")

    def test_pre_freeze_may_be_async(self) -> None:
        """@fc.pre_freeze runs an async function to its end."""
        ran: list[str] = []

        @fc.pre_freeze
        async def freeze(context: fc.FCContext) -> None:
            await asyncio.sleep(0)
            ran.append(context.request_id)

        freeze(fake_context(request_id="r-freeze"))
        assert ran == ["r-freeze"]


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    with EchoServer() as server:
        yield server


class TestSharedClient:
    def test_sixteen_threads_share_one_async_client(self, echo: EchoServer) -> None:
        """16 threads x 25 invocations await one httpx.AsyncClient: no errors, no cross-talk."""
        state: dict[str, httpx.AsyncClient] = {}

        @fc.initializer
        async def init(context: fc.FCContext) -> None:
            state["client"] = httpx.AsyncClient(base_url=echo.base)

        @fc.handler
        async def call(event: bytes, context: fc.FCContext) -> str:
            reply = await state["client"].get("/", headers={"x-request-id": context.request_id})
            mine = fc.logging.current_context()
            assert mine is not None
            return f"{reply.text}|{mine.request_id}"

        @fc.pre_stop
        async def stop(context: fc.FCContext) -> None:
            await state["client"].aclose()

        init(fake_context())
        errors: list[str] = []

        def worker(n: int) -> None:
            for i in range(25):
                rid = f"1-{n:04x}-{i:08x}"
                try:
                    got = call(b"", fake_context(request_id=rid))
                except Exception as exc:  # collected and asserted below
                    errors.append(repr(exc))
                    continue
                if got != f"{rid}|{rid}":
                    errors.append(f"{rid}: {got!r}")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        stop(fake_context())
        assert errors == []
