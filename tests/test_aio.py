"""Tests for fcsdk/_aio.py: one shared event loop driven by the calling threads."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import time

import pytest

from fcsdk import _aio

REQUEST = contextvars.ContextVar[str]("REQUEST")


async def echo_later(value: int, delay: float = 0.0) -> int:
    await asyncio.sleep(delay)
    return value


async def loop_of() -> asyncio.AbstractEventLoop:
    await asyncio.sleep(0)
    return asyncio.get_running_loop()


class TestRun:
    def test_returns_the_result(self) -> None:
        """A coroutine that awaits I/O-like sleeps runs to its end and returns its value."""
        assert _aio.run(echo_later(7, 0.001)) == 7

    def test_a_coroutine_that_never_waits_needs_no_loop_turn(self) -> None:
        """A coroutine that returns at once is done as soon as it starts."""

        async def quick() -> str:
            return "done"

        assert _aio.run(quick()) == "done"

    def test_exceptions_propagate_unchanged(self) -> None:
        """The coroutine's own exception reaches the caller, before and after its first await."""

        async def early() -> None:
            raise KeyError("early")

        async def late() -> None:
            await asyncio.sleep(0)
            raise ValueError("late")

        with pytest.raises(KeyError, match="early"):
            _aio.run(early())
        with pytest.raises(ValueError, match="late"):
            _aio.run(late())

    def test_current_task_is_set(self) -> None:
        """Code that asks for its task (anyio, sniffio) finds one, even in the first step."""

        async def task_name() -> bool:
            return asyncio.current_task() is not None

        assert _aio.run(task_name()) is True

    def test_every_call_uses_the_same_loop(self) -> None:
        """Two calls, from two threads, see one loop: the instance's."""
        first = _aio.run(loop_of())
        seen: list[asyncio.AbstractEventLoop] = []
        thread = threading.Thread(target=lambda: seen.append(_aio.run(loop_of())))
        thread.start()
        thread.join()
        assert seen == [first]
        assert first is _aio.get_loop()

    def test_context_variables_are_the_callers(self) -> None:
        """The coroutine sees the calling thread's context variables."""

        async def read() -> str:
            await asyncio.sleep(0)
            return REQUEST.get()

        token = REQUEST.set("req-1")
        try:
            assert _aio.run(read()) == "req-1"
        finally:
            REQUEST.reset(token)

    def test_a_refused_argument_leaves_the_loop_intact(self) -> None:
        """Something that is not a coroutine is a TypeError, and the loop keeps working."""
        with pytest.raises(TypeError):
            _aio.run(object())  # type: ignore[arg-type]
        assert "call_soon" not in vars(_aio.get_loop())
        assert _aio.run(echo_later(4, 0.001)) == 4

    def test_a_closed_loop_is_replaced(self) -> None:
        """If someone closes the shared loop, the next call makes a new one."""
        old = _aio.get_loop()
        old.close()
        assert _aio.run(echo_later(3)) == 3
        assert _aio.get_loop() is not old


class TestTimeout:
    def test_a_coroutine_past_its_timeout_is_cancelled(self) -> None:
        """run(timeout=) cancels a coroutine still waiting and raises TimeoutError."""
        cancelled: list[bool] = []

        async def hang() -> None:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        with pytest.raises(TimeoutError, match=r"within 0\.05 s"):
            _aio.run(hang(), timeout=0.05)
        assert cancelled == [True]
        assert _aio.run(echo_later(2, 0.001), timeout=5) == 2

    def test_a_waiting_threads_timeout_applies_too(self) -> None:
        """A call handed to another thread's loop is cancelled at its own timeout."""
        release = threading.Event()
        started = threading.Event()

        async def long() -> str:
            started.set()
            while not release.is_set():
                await asyncio.sleep(0.005)
            return "long"

        outcome: list[str] = []
        driver = threading.Thread(target=lambda: outcome.append(_aio.run(long())))
        driver.start()
        started.wait(5)
        try:
            with pytest.raises(TimeoutError):
                _aio.run(echo_later(1, 3600), timeout=0.05)
            assert _aio.run(echo_later(3, 0.001), timeout=5) == 3
        finally:
            release.set()
            driver.join(10)
        assert outcome == ["long"]

    def test_a_cancellation_that_is_not_the_timeout_propagates(self) -> None:
        """A coroutine cancelled by itself raises CancelledError, not TimeoutError."""

        async def cancel_self() -> None:
            task = asyncio.current_task()
            assert task is not None
            task.cancel()
            await asyncio.sleep(0)

        with pytest.raises(asyncio.CancelledError):
            _aio.run(cancel_self(), timeout=5)


class TestConcurrency:
    def test_sixteen_threads_keep_their_own_context(self) -> None:
        """16 threads x 50 calls with waits: every result and context variable is the caller's."""
        errors: list[object] = []

        async def work(expected: str) -> str:
            await asyncio.sleep(0.0005)
            seen = REQUEST.get()
            await asyncio.sleep(0)
            return seen if seen == expected else f"{seen} != {expected}"

        def worker(n: int) -> None:
            for i in range(50):
                rid = f"{n}-{i}"
                REQUEST.set(rid)
                got = _aio.run(work(rid))
                if got != rid:
                    errors.append(got)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not any(thread.is_alive() for thread in threads)
        assert errors == []

    def test_a_waiting_thread_takes_over_when_the_driver_leaves(self) -> None:
        """A short call driving the loop returns first; a long one handed to it still finishes."""
        results: dict[str, int] = {}
        started = threading.Event()

        async def short() -> int:
            started.set()
            await asyncio.sleep(0.05)
            return 1

        def long_call() -> None:
            started.wait(5)
            results["long"] = _aio.run(echo_later(2, 0.2))

        other = threading.Thread(target=long_call)
        other.start()
        results["short"] = _aio.run(short())
        done_at = time.monotonic()
        other.join(10)
        assert results == {"short": 1, "long": 2}
        assert time.monotonic() - done_at > 0.05  # the long one outlived the first driver

    def test_a_waiting_thread_is_finished_by_the_driver(self) -> None:
        """A quick call made while another thread drives a long one returns without waiting."""
        release = threading.Event()
        started = threading.Event()

        async def long() -> str:
            started.set()
            while not release.is_set():
                await asyncio.sleep(0.005)
            return "long"

        outcome: list[str] = []
        driver = threading.Thread(target=lambda: outcome.append(_aio.run(long())))
        driver.start()
        started.wait(5)
        assert _aio.run(echo_later(5, 0.001)) == 5
        release.set()
        driver.join(10)
        assert outcome == ["long"]


class TestCallers:
    def test_a_call_from_inside_the_loop_is_refused(self) -> None:
        """A sync wrapper called from a coroutine on the shared loop raises instead of hanging."""

        async def nested() -> object:
            inner = echo_later(1)
            try:
                return _aio.run(inner)
            except RuntimeError as exc:
                return str(exc)

        message = _aio.run(nested())
        assert isinstance(message, str)
        assert "await the async function" in message

    def test_a_caller_running_its_own_loop_is_served(self) -> None:
        """Called from a thread running another loop, the coroutine still runs on the shared one."""

        async def outer() -> tuple[int, bool]:
            value = _aio.run(echo_later(9, 0.001))
            return value, asyncio.get_running_loop() is not _aio.get_loop()

        assert asyncio.run(outer()) == (9, True)

    def test_helper_thread_hands_back_exceptions(self) -> None:
        """An exception raised on the helper thread's path reaches the caller's loop."""

        async def fails() -> None:
            raise LookupError("inner")

        async def outer() -> None:
            _aio.run(fails())

        with pytest.raises(LookupError, match="inner"):
            asyncio.run(outer())


@pytest.fixture
def forked() -> None:
    if not hasattr(os, "fork"):  # pragma: no cover - POSIX only
        pytest.skip("no fork")


class TestFork:
    def test_a_forked_child_gets_its_own_loop(self, forked: None) -> None:
        """After fork, the child runs coroutines on a fresh loop (the parent's driver is gone)."""
        _aio.run(echo_later(1))
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            try:
                ok = _aio.run(echo_later(4, 0.001)) == 4
                os.write(write, b"ok" if ok else b"no")
            finally:
                os._exit(0)
        os.close(write)
        _, status = os.waitpid(pid, 0)
        assert os.read(read, 2) == b"ok"
        os.close(read)
        assert status == 0
        _aio._forget_after_fork()  # what the child ran, measured here for coverage
        assert _aio.run(echo_later(6)) == 6
