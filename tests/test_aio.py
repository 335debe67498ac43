"""Tests for fcsdk/_aio.py: one shared event loop driven by the calling threads."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import logging
import os
import select
import selectors
import signal
import sys
import threading
import warnings
import weakref
from collections.abc import Callable
from typing import Any

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
        thread.join(10)
        assert not thread.is_alive(), "the second thread's call never returned"
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

    def test_the_loop_is_running_during_the_first_step(self) -> None:
        """In the step run at once, before any loop turn, the loop says it is running."""

        async def running() -> bool:
            return asyncio.get_running_loop().is_running()

        assert _aio.run(running()) is True

    def test_the_first_step_runs_before_callbacks_already_queued(self) -> None:
        """A coroutine's first step runs at once, ahead of a callback queued on the idle loop."""
        loop = _aio.get_loop()
        seen: list[str] = []
        loop.call_soon_threadsafe(seen.append, "callback")

        async def first() -> list[str]:
            return list(seen)

        assert _aio.run(first()) == []
        assert _aio.run(echo_later(1, 0.001)) == 1  # the next loop turn runs the callback
        assert seen == ["callback"]

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
        loop = _aio.get_loop()
        release: asyncio.Future[str] = loop.create_future()
        started = threading.Event()

        async def long() -> str:
            started.set()
            return await release

        outcome: list[str] = []
        driver = threading.Thread(target=lambda: outcome.append(_aio.run(long())))
        driver.start()
        try:
            assert started.wait(10)
            with pytest.raises(TimeoutError, match=r"^the coroutine did not finish within 0\.05 s"):
                _aio.run(echo_later(1, 3600), timeout=0.05)
            assert _aio.run(echo_later(3, 0.001), timeout=10) == 3
        finally:
            loop.call_soon_threadsafe(release.set_result, "long")
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

    def test_a_call_done_before_its_timeout_leaves_nothing_behind(self) -> None:
        """A call that ends in time cancels its timer: nothing keeps its result alive after it."""

        class Result:
            pass

        async def make() -> Result:
            await asyncio.sleep(0)  # the timer is armed: the call waits
            return Result()

        driven = weakref.ref(_aio.run(make(), timeout=3600))
        innocent, handed = _beside_a_long_call(
            lambda: weakref.ref(_aio.run(make(), timeout=3600))  # run by another thread's loop
        )
        gc.collect()
        assert innocent == "fine"
        assert driven() is None
        assert handed() is None


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
        loop = _aio.get_loop()
        long_started: asyncio.Future[None] = loop.create_future()
        release: asyncio.Future[int] = loop.create_future()
        short_started = threading.Event()
        results: dict[str, int] = {}

        async def short() -> int:
            short_started.set()
            await long_started  # the long call's task now runs on this thread's loop
            return 1

        async def long() -> int:
            long_started.set_result(None)
            return await release  # resolved only after the short call's driver left

        def long_call() -> None:
            assert short_started.wait(10)
            results["long"] = _aio.run(long())

        other = threading.Thread(target=long_call)
        other.start()
        try:
            results["short"] = _aio.run(short())
            assert "long" not in results  # the long call outlives the first driver
        finally:
            loop.call_soon_threadsafe(release.set_result, 2)
            other.join(10)
        assert not other.is_alive(), "nobody took over driving the loop"
        assert results == {"short": 1, "long": 2}

    def test_a_waiting_thread_is_finished_by_the_driver(self) -> None:
        """A quick call made while another thread drives a long one returns without waiting."""
        loop = _aio.get_loop()
        release: asyncio.Future[str] = loop.create_future()
        started = threading.Event()

        async def long() -> str:
            started.set()
            return await release

        outcome: list[str] = []
        driver = threading.Thread(target=lambda: outcome.append(_aio.run(long())))
        driver.start()
        try:
            assert started.wait(10)
            assert _aio.run(echo_later(5, 0.001), timeout=10) == 5  # fails, never hangs
            assert not outcome  # served by the driver, still busy with the long call
        finally:
            loop.call_soon_threadsafe(release.set_result, "long")
            driver.join(10)
        assert outcome == ["long"]


def _beside_a_long_call(quitter: Callable[[], Any]) -> tuple[str, Any]:
    """Run ``quitter()`` in this thread while another thread drives the loop with a long call.

    Returns what the long call ended with and what ``quitter()`` returned or raised.
    """
    loop = _aio.get_loop()
    driving = threading.Event()
    release: asyncio.Future[str] = loop.create_future()

    async def innocent() -> str:
        driving.set()
        return await release

    ended: list[str] = []

    def long_call() -> None:
        try:
            ended.append(_aio.run(innocent()))
        except BaseException as exc:  # what the innocent call got instead of its result
            ended.append(repr(exc))

    driver = threading.Thread(target=long_call)
    driver.start()
    try:
        assert driving.wait(10)
        try:
            outcome: Any = quitter()
        except BaseException as exc:
            outcome = exc
    finally:

        def finish() -> None:
            if not release.done():
                release.set_result("fine")

        loop.call_soon_threadsafe(finish)
        driver.join(10)
    assert not driver.is_alive()
    return ended[0], outcome


class TestContainment:
    def test_sys_exit_reaches_only_its_own_caller(self) -> None:
        """A coroutine's sys.exit() raises SystemExit in its caller; the driving call goes on."""

        async def quit_() -> None:
            await asyncio.sleep(0)  # now on the loop the other thread drives
            sys.exit("fatal")

        innocent, outcome = _beside_a_long_call(lambda: _aio.run(quit_()))
        assert innocent == "fine"
        assert isinstance(outcome, SystemExit)
        assert outcome.code == "fatal"
        assert _aio.run(echo_later(3, 0.001)) == 3

    def test_keyboard_interrupt_from_a_task_reaches_only_its_caller(self) -> None:
        """A KeyboardInterrupt raised by a coroutine is its caller's, not the driver's."""

        async def interrupt() -> None:
            await asyncio.sleep(0)
            raise KeyboardInterrupt

        innocent, outcome = _beside_a_long_call(lambda: _aio.run(interrupt()))
        assert innocent == "fine"
        assert isinstance(outcome, KeyboardInterrupt)

    def test_loop_stop_from_a_coroutine_fails_that_coroutine(self) -> None:
        """loop.stop() in a coroutine raises RuntimeError there; the driving call goes on."""

        async def stop() -> str:
            await asyncio.sleep(0)
            asyncio.get_running_loop().stop()
            return "stopped"

        innocent, outcome = _beside_a_long_call(lambda: _aio.run(stop()))
        assert innocent == "fine"
        assert isinstance(outcome, RuntimeError)
        assert str(outcome) == (
            "a coroutine cannot stop fcsdk's shared event loop: it runs every invocation "
            "of this instance (return from the coroutine instead)"
        )

    def test_loop_stop_outside_a_coroutine_ends_only_a_loop_run(self) -> None:
        """loop.stop() from plain synchronous code is allowed; the next call still completes."""
        _aio.get_loop().stop()
        assert _aio.run(echo_later(8, 0.001)) == 8

    def test_a_sys_exit_beside_threads_still_handing_over(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A task's sys.exit() reaches its caller even while older waiters' tasks are not done.

        One older waiter has handed its coroutine over but the loop has not made its task
        yet; another's task is pending. The driving call and both waiters end normally.
        """
        loop = _aio.get_loop()
        handing = threading.Event()
        go = threading.Event()
        pending_started = threading.Event()
        gate: asyncio.Future[str] = loop.create_future()
        real = loop.call_soon_threadsafe

        def held(callback: Any, *args: Any, context: Any = None) -> Any:
            if threading.current_thread().name == "late":  # paused after joining the waiters
                handing.set()
                assert go.wait(10)
            return real(callback, *args, context=context)

        async def pending() -> str:
            pending_started.set()
            return await gate

        async def quit_() -> None:
            await asyncio.sleep(0)
            sys.exit("fatal")

        results: dict[str, object] = {}

        def call(name: str, coro: Callable[[], Any]) -> None:
            try:
                results[name] = _aio.run(coro())
            except BaseException as exc:
                results[name] = repr(exc)

        threads = [
            threading.Thread(target=call, args=("late", lambda: echo_later(7)), name="late"),
            threading.Thread(target=call, args=("pending", pending), name="pending"),
        ]

        def quitter() -> Any:
            monkeypatch.setattr(loop, "call_soon_threadsafe", held)
            try:
                threads[0].start()
                assert handing.wait(10)
                threads[1].start()
                assert pending_started.wait(10)
                return _aio.run(quit_())
            finally:
                monkeypatch.undo()
                go.set()
                real(gate.set_result, "pending")

        try:
            innocent, outcome = _beside_a_long_call(quitter)
        finally:
            go.set()
            for thread in threads:
                thread.join(10)
        assert innocent == "fine"
        assert isinstance(outcome, SystemExit)
        assert outcome.code == "fatal"
        assert results == {"late": 7, "pending": "pending"}

    def test_an_interrupt_that_is_no_tasks_ends_the_driving_call(self) -> None:
        """A KeyboardInterrupt from a plain callback (Ctrl-C while driving) ends the driving call.

        The interrupted call's task stays on the loop and ends when the loop next runs.
        """
        tasks: list[asyncio.Task[str]] = []

        def interrupt() -> None:
            raise KeyboardInterrupt

        async def interrupted() -> str:
            task = asyncio.current_task()
            assert task is not None
            tasks.append(task)
            asyncio.get_running_loop().call_soon(interrupt)
            await asyncio.sleep(0)  # the interrupt runs before this task's next step
            return "drove on"

        async def finish() -> str:
            return await tasks[0]

        with pytest.raises(KeyboardInterrupt):
            _aio.run(interrupted())
        assert _aio.run(finish()) == "drove on"

    def test_the_drivers_own_runtime_error_after_a_wait_is_raised(self) -> None:
        """A RuntimeError the driving call's coroutine raises after a wait reaches that call."""
        loop = _aio.get_loop()

        async def fails() -> None:
            await asyncio.sleep(0)
            raise RuntimeError("its own")

        outcome: list[BaseException] = []

        def call() -> None:
            try:
                _aio.run(fails())
            except BaseException as exc:
                outcome.append(exc)

        def escape() -> None:
            raise SystemExit("freed by the test")

        thread = threading.Thread(target=call, daemon=True)
        thread.start()
        thread.join(10)
        stuck = thread.is_alive()
        if stuck:  # a SystemExit from a callback ends any drive: free the thread, then fail
            loop.call_soon_threadsafe(escape)
            thread.join(10)
        assert not stuck, "the driving call never returned"
        assert len(outcome) == 1
        assert isinstance(outcome[0], RuntimeError)
        assert str(outcome[0]) == "its own"

    def test_a_stop_scheduled_as_a_callback_does_not_end_the_driver(self) -> None:
        """A loop.stop() run as a plain callback only ends a loop run: the driver drives on."""

        async def schedule_stop() -> str:
            loop = asyncio.get_running_loop()
            loop.call_soon(loop.stop)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            return "returned"

        innocent, outcome = _beside_a_long_call(lambda: _aio.run(schedule_stop()))
        assert innocent == "fine"
        assert outcome == "returned"

    def test_the_drivers_own_sys_exit_is_its_own(self) -> None:
        """A driving call's own sys.exit(), before or after a wait, still reaches it."""

        async def early() -> None:
            sys.exit(2)

        async def late() -> None:
            await asyncio.sleep(0)
            sys.exit(3)

        for coro, code in ((early, 2), (late, 3)):
            with pytest.raises(SystemExit) as caught:
                _aio.run(coro())
            assert caught.value.code == code
        assert _aio.run(echo_later(4, 0.001)) == 4

    def test_a_raised_sys_exit_is_not_logged_again_when_its_task_goes(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A first step's sys.exit() or Ctrl-C reaches its caller and is not logged later.

        A background task's unretrieved error is still logged when the task goes.
        """

        async def quits(exc_type: type[BaseException]) -> None:
            raise exc_type

        async def background_fails() -> None:
            raise LookupError("lost")

        async def leave_one() -> None:
            asyncio.get_running_loop().create_task(background_fails())
            await asyncio.sleep(0)  # it fails in this turn, and nobody awaits it
            await asyncio.sleep(0)

        with caplog.at_level(logging.ERROR, logger="asyncio"):
            for exc_type in (SystemExit, KeyboardInterrupt):
                with pytest.raises(exc_type):
                    _aio.run(quits(exc_type))
            _aio.run(leave_one())
            gc.collect()
        logged = [r.exc_info[0] if r.exc_info else r.getMessage() for r in caplog.records]
        assert logged == [LookupError]


class TestContextVariables:
    def test_a_value_set_before_the_first_await_is_the_tasks_own(self) -> None:
        """A variable a coroutine sets in its first step stays in its task, not in the caller."""

        async def sets() -> str:
            REQUEST.set("inner")  # before any await: the step the caller's thread runs
            return REQUEST.get()

        async def sets_then_waits() -> str:
            REQUEST.set("inner-late")
            await asyncio.sleep(0)
            return REQUEST.get()

        token = REQUEST.set("outer")
        try:
            assert _aio.run(sets()) == "inner"
            assert REQUEST.get() == "outer"
            assert _aio.run(sets_then_waits()) == "inner-late"
            assert REQUEST.get() == "outer"
        finally:
            REQUEST.reset(token)

    def test_a_waiting_threads_task_keeps_its_values_too(self) -> None:
        """A coroutine handed to another thread's loop sets its variables in its own task."""

        async def sets() -> str:
            REQUEST.set("handed")
            return REQUEST.get()

        token = REQUEST.set("caller")
        try:
            innocent, outcome = _beside_a_long_call(lambda: (_aio.run(sets()), REQUEST.get()))
        finally:
            REQUEST.reset(token)
        assert innocent == "fine"
        assert outcome == ("handed", "caller")


class _Traced(threading.Event):
    """An Event that says when a thread starts waiting on it, and can hold it after waking."""

    def __init__(self, waiting: threading.Semaphore, hold: threading.Event | None) -> None:
        super().__init__()
        self.waiting = waiting
        self.hold = hold

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.release()
        woken = super().wait(timeout)
        if self.hold is not None:
            assert self.hold.wait(10)
        return woken


class TestHandOn:
    def test_pass_on_wakes_the_first_waiter_still_pending(self) -> None:
        """The driver role goes to the oldest waiter whose task is pending, not a finished one."""
        loop = _aio.get_loop()
        done, pending = loop.create_future(), loop.create_future()
        done.set_result(None)
        first, second = _aio._Waiter(done), _aio._Waiter(pending)
        with _aio._guard:
            _aio._waiters[:0] = [first, second]
        try:
            _aio._pass_on()
        finally:
            with _aio._guard:
                _aio._waiters.remove(first)
                _aio._waiters.remove(second)
        assert not first.wake.is_set()
        assert second.wake.is_set()

    def test_a_woken_waiter_whose_task_is_done_hands_the_role_on(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A waiter woken to drive whose task is already done wakes the next pending one."""
        loop = _aio.get_loop()
        waiting = threading.Semaphore(0)
        hold = threading.Event()
        waiters: dict[str, Any] = {}

        class Waiter(_aio._Waiter):
            def __init__(self, finished: asyncio.Future[None]) -> None:
                super().__init__(finished)
                name = threading.current_thread().name
                self.wake = _Traced(waiting, hold if name == "first" else None)
                waiters[name] = self

        monkeypatch.setattr(_aio, "_Waiter", Waiter)
        second_release: asyncio.Future[str] = loop.create_future()

        async def quick() -> str:
            await asyncio.sleep(0)
            return "first"

        async def slow() -> str:
            return await second_release

        results: dict[str, str] = {}
        threads = [
            threading.Thread(target=lambda: results.update(first=_aio.run(quick())), name="first"),
            threading.Thread(target=lambda: results.update(second=_aio.run(slow())), name="second"),
        ]
        assert _aio._driver.acquire(timeout=10)  # this thread is the driver now
        try:
            for thread in threads:
                thread.start()
            for _ in threads:
                assert waiting.acquire(timeout=10)  # both handed their coroutine over
            # Drive until the first waiter's task is done (that wakes it, held in wait()).
            loop.run_until_complete(waiters["first"].finished)
        finally:
            _aio._driver.release()  # leaves without passing on: the first was chosen already
        hold.set()  # the first waiter wakes, finds its task done, and must hand on
        threads[0].join(10)
        loop.call_soon_threadsafe(second_release.set_result, "second")
        threads[1].join(10)
        stuck = threads[1].is_alive()
        if stuck:  # free the thread the test left waiting, then fail
            waiters["second"].wake.set()
            threads[1].join(10)
        assert not stuck, "the pending waiter was never woken to drive"
        assert results == {"first": "first", "second": "second"}


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
        assert message == (
            "a sync fcsdk handler was called from inside fcsdk's event loop, where it "
            "would wait on itself: await the async function (its __wrapped__) instead"
        )

    def test_a_caller_running_its_own_loop_is_served(self) -> None:
        """Called from a thread running another loop, the coroutine still runs on the shared one."""

        async def outer() -> tuple[int, bool]:
            value = _aio.run(echo_later(9, 0.001))
            return value, asyncio.get_running_loop() is not _aio.get_loop()

        assert asyncio.run(outer()) == (9, True)

    def test_a_caller_running_its_own_loop_keeps_its_timeout(self) -> None:
        """Through the helper thread, run(timeout=) still cancels a coroutine past its timeout."""

        async def outer() -> str:
            try:
                return str(_aio.run(echo_later(1, 10), timeout=0.05))  # 10 s: never a hang
            except TimeoutError as exc:
                return str(exc)

        assert asyncio.run(outer()) == (
            "the coroutine did not finish within 0.05 s and was cancelled"
        )

    def test_the_helper_thread_is_named(self) -> None:
        """The helper thread's name, seen in logs and tracebacks, says whose thread it is."""

        async def thread_name() -> str:
            return threading.current_thread().name

        async def outer() -> str:
            return _aio.run(thread_name())

        assert asyncio.run(outer()) == "fcsdk-async-call"

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


def _in_child(body: Callable[[], bytes], seconds: float = 10.0) -> bytes:
    """Fork; run ``body`` in the child (killed after ``seconds``); return what it reported.

    An exception in an at-fork hook (Python prints it and goes on) is the child's report.
    """
    read, write = os.pipe()
    unraisable: list[Any] = []
    hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append  # the child's at-fork hooks report here
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # 3.12: fork with threads
            pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            code = 1
            try:
                signal.alarm(int(seconds))  # never a stuck child, whatever happens
                failed = [f"at fork: {u.exc_value!r}" for u in unraisable]
                os.write(write, "; ".join(failed).encode() if failed else body())
                code = 0
            finally:
                os._exit(code)
    finally:
        sys.unraisablehook = hook
    os.close(write)
    report = b""
    try:
        ready, _, _ = select.select([read], [], [], seconds)
        report = os.read(read, 4096) if ready else b""
    finally:
        os.close(read)
        if not report:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert report, f"the forked child did not answer within {seconds} s"
    return report


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _woken_from_another_thread(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether a thread driving ``loop`` hears ``call_soon_threadsafe`` from this one."""
    driving = threading.Event()
    release: asyncio.Future[str] = loop.create_future()

    async def wait() -> str:
        fired: list[bool] = []
        timer = loop.call_later(5, fired.append, True)  # ends a deaf loop's wait
        driving.set()
        try:
            heard = await release
        finally:
            timer.cancel()
        return "only when its timer fired" if fired else heard

    outcome: list[str] = []
    driver = threading.Thread(target=lambda: outcome.append(_aio.run(wait())))
    driver.start()
    assert driving.wait(10)
    assert _waits_in_select(driver)  # so only the wake-up socket can tell it
    loop.call_soon_threadsafe(release.set_result, "heard")
    driver.join(10)
    return outcome == ["heard"]


def _waits_in_select(thread: threading.Thread, seconds: float = 5.0) -> bool:
    """Wait (bounded) until ``thread`` is blocked in its loop's selector; whether it got there."""
    pause = threading.Event()
    for _ in range(int(seconds / 0.01)):
        frame = sys._current_frames().get(thread.ident or 0)
        while frame is not None:
            if frame.f_code.co_name == "select" and "selectors" in frame.f_code.co_filename:
                return True
            frame = frame.f_back
        pause.wait(0.01)
    return False


class TestFork:
    def test_a_forked_child_gets_its_own_loop(self, forked: None) -> None:
        """After fork, the child runs coroutines on a fresh loop, and the parent's still works."""
        parent_loop = _aio.run(loop_of())

        def child() -> bytes:
            fresh = _aio.run(loop_of()) is not parent_loop
            return b"ok" if fresh and _aio.run(echo_later(4, 0.001)) == 4 else b"no"

        assert _in_child(child) == b"ok"
        assert _aio.run(echo_later(6)) == 6
        assert _aio.get_loop() is parent_loop
        # The child shares the parent's epoll instance: had it unregistered the loop's
        # wake-up socket, the parent's loop would be deaf to other threads.
        assert _woken_from_another_thread(parent_loop)

    def test_a_fork_while_another_thread_drives(self, forked: None) -> None:
        """A child forked while a thread of the parent holds the driver role can drive its own."""
        loop = _aio.get_loop()
        driving = threading.Event()
        release: asyncio.Future[str] = loop.create_future()

        async def long() -> str:
            driving.set()
            return await release

        outcome: list[str] = []
        driver = threading.Thread(target=lambda: outcome.append(_aio.run(long())))
        driver.start()
        try:
            assert driving.wait(10)
            assert _aio._driver.locked()

            def child() -> bytes:
                return b"ok" if _aio.run(echo_later(5, 0.001)) == 5 else b"no"

            assert _in_child(child) == b"ok"
        finally:
            loop.call_soon_threadsafe(release.set_result, "long")
            driver.join(10)
        assert outcome == ["long"]

    def test_the_child_closes_its_copies_of_the_loops_descriptors(self, forked: None) -> None:
        """A forked child closes its copies of the parent loop's descriptors, and that loop."""
        loop = _aio._current()
        assert _aio.run(echo_later(1, 0.001)) == 1
        assert loop._ssock is not None
        assert loop._csock is not None
        epoll = loop._selector._selector  # type: ignore[attr-defined]
        fds = [loop._ssock.fileno(), loop._csock.fileno(), epoll.fileno()]

        def child() -> bytes:
            still_open = [fd for fd in fds if _is_open(fd)]  # before the child opens any
            closed = loop.is_closed() is True
            fresh = _aio.get_loop() is not loop
            if not still_open and closed and fresh:
                return b"ok"
            return f"open: {still_open}, closed: {closed}, fresh: {fresh}".encode()

        assert _in_child(child) == b"ok"
        assert _aio.get_loop() is loop
        assert _woken_from_another_thread(loop)  # the parent's descriptors are intact

    def test_a_fork_after_the_loop_was_closed(self, forked: None) -> None:
        """A child forked while the shared loop is closed (nobody has run since) gets a new one."""
        old = _aio.get_loop()
        old.close()

        def child() -> bytes:
            fine = _aio.run(echo_later(5, 0.001)) == 5 and _aio.get_loop() is not old
            return b"ok" if fine and old.is_closed() else b"no"

        assert _in_child(child) == b"ok"
        assert _aio.run(echo_later(6, 0.001)) == 6

    @pytest.mark.parametrize("selector", ["PollSelector", "SelectSelector"])
    def test_a_fork_where_there_is_no_epoll(
        self, forked: None, monkeypatch: pytest.MonkeyPatch, selector: str
    ) -> None:
        """With poll() or select() as the loop's selector, a forked child gets its own loop too."""
        if not hasattr(selectors, selector):  # pragma: no cover - poll() is POSIX only
            pytest.skip(f"no {selector}")
        monkeypatch.setattr(selectors, "DefaultSelector", getattr(selectors, selector))
        _aio.get_loop().close()
        parent_loop = _aio.run(loop_of())  # made with that selector
        try:

            def child() -> bytes:
                fresh = _aio.run(loop_of()) is not parent_loop
                return b"ok" if fresh and parent_loop.is_closed() else b"no"

            assert _in_child(child) == b"ok"
            assert _aio.run(loop_of()) is parent_loop
        finally:
            parent_loop.close()  # the next call makes a loop with the default selector

    def test_a_forked_child_serves_calls_from_two_threads(self, forked: None) -> None:
        """In a forked child, a call made while another thread drives is run by that driver."""

        def child() -> bytes:
            innocent, outcome = _beside_a_long_call(lambda: _aio.run(echo_later(5, 0.001)))
            return b"ok" if (innocent, outcome) == ("fine", 5) else repr(outcome).encode()

        assert _in_child(child, 20) == b"ok"
