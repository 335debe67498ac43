"""One event loop per instance, shared by every invocation, driven by the runtime's own threads.

FC's Python runtime calls every handler synchronously, one invocation per
instance on FC 3.0's built-in runtimes (FC 2.0's instance concurrency, and
``fcsdk serve --concurrency``, run several at once in threads of one process).
An ``async def`` handler therefore needs a loop to run on, and it must be
*one* loop for the whole instance: an async client (``httpx.AsyncClient``,
a database pool) made at startup is bound to the loop that made it, and
fails ("attached to a different loop") anywhere else.

The design, chosen from measurements (µs per call of a coroutine that
returns at once, CPython 3.11 / 3.12, on the loaded 2-core development
machine, so read them as proportions):

* a loop in a background thread, ``run_coroutine_threadsafe``: 111 / 51;
* the same with a bare lock instead of ``concurrent.futures``: 39 / 29;
* ``asyncio.run`` per call (a new loop each time, so no shared client): 107 / 93;
* the calling thread runs the shared loop (``run_until_complete``): 7.6 / 7.4;
* the calling thread runs the new task's first step at once: 4 / 1.3;
  1.8 on 3.11 once the step is taken without a ``Handle`` and without a
  method call per invocation (the task itself is about 1 of those µs).

A background loop thread costs a thread hop each way (two wake-ups, through
the loop's self-pipe and a condition variable): 4 to 15 times the cost of
letting the calling thread run the shared loop itself. So there is no loop
thread. Whichever runtime thread finds the loop idle becomes its *driver*:
it starts its coroutine as a task whose first step runs at once (3.12's
``eager_start``; on 3.10/3.11 the loop runs the step the task schedules
straight away), so a coroutine that never waits on I/O finishes without a
loop turn; then it runs the loop until its own task is done. A thread that
arrives while another drives hands its coroutine to the loop
(``call_soon_threadsafe``) and waits; the driver runs it along with its
own. When the driver's task is done it leaves, and a waiting thread whose
task is still pending takes over. Every task therefore runs on the same
loop, in its caller's ``contextvars`` (the request id, the current
invocation), and no thread is left waiting on a loop nobody runs.

Between invocations nobody drives the loop: tasks left running (the ASGI
lifespan task, a connection pool's timers) pause until the next invocation,
as they would while FC freezes the instance anyway.

One invocation cannot end another's: a coroutine's ``sys.exit()`` reaches
the thread that called it, not the thread driving the loop when it ran
(which drives on), and ``loop.stop()`` from a coroutine raises
:class:`RuntimeError` in that coroutine.

Calling a sync-wrapped handler from inside a coroutine on this loop would
wait on itself; it raises :class:`RuntimeError` instead. Called from a thread
that runs some other loop (a test under pytest-asyncio, say), the call runs
in a short-lived helper thread so that the two loops never meet.

This module imports :mod:`asyncio`; nothing imports it until the first async
handler, route or hook is decorated.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import sys
import threading
from asyncio import events
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import socket

__all__ = ["get_loop", "run"]

T = TypeVar("T")

_EAGER = sys.version_info >= (3, 12)
_Task = asyncio.Task
_get_ident = threading.get_ident
_get_running_loop = events._get_running_loop
_set_running_loop = events._set_running_loop


class _SharedLoop(asyncio.SelectorEventLoop):
    """The instance's loop; a driver can run a new task's first step before any loop turn.

    On 3.10/3.11 ``Task.__init__`` schedules the task's first step with
    ``call_soon``; :func:`run` shadows that method with :attr:`_capture` (an
    instance attribute, only while the task is made, so the loop's own hot
    paths keep their C speed), takes the step from :attr:`_first` and runs
    it at once: what 3.12's ``eager_start`` does.
    """

    _closed: bool  # BaseEventLoop's own state, read and set here without a method call
    _thread_id: int | None
    _ssock: socket.socket | None  # the wake-up socket pair (None once the loop is closed)
    _csock: socket.socket | None

    def __init__(self) -> None:
        super().__init__()
        first: list[Any] = []  # the step Task() schedules, and its context (3.10/3.11)

        def capture(callback: Any, *args: Any, context: Any = None) -> None:
            # Task.__init__ ignores what call_soon returns: no Handle is needed.
            first.append(callback)
            first.append(context)

        self._first = first
        self._capture = capture

    def stop(self) -> None:
        """Stop the loop: refused to a task, which would stop every invocation's tasks.

        Raises:
            RuntimeError: called from a coroutine running on this loop.
        """
        if asyncio.current_task(self) is not None:
            raise RuntimeError(
                "a coroutine cannot stop fcsdk's shared event loop: it runs every invocation "
                "of this instance (return from the coroutine instead)"
            )
        super().stop()

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        """Report an error, but not a task's ``SystemExit`` or ``KeyboardInterrupt``: it was raised.

        A task's step raises these on, out of the loop's run (or out of the first
        step, run at once), and :func:`run` hands them to the task's caller. The
        task, garbage at last, would still say "Task exception was never retrieved".
        """
        if isinstance(context.get("exception"), (SystemExit, KeyboardInterrupt)) and isinstance(
            context.get("future"), asyncio.Task
        ):
            return
        super().call_exception_handler(context)


_driver = threading.Lock()  # held by the thread running the loop
_guard = threading.Lock()  # guards _waiters
_waiters: list[_Waiter] = []  # threads whose coroutine was handed to the loop, oldest first
_loop: list[_SharedLoop] = []


class _Waiter:
    """A thread waiting for its task; woken when the task is done or the loop needs a driver."""

    __slots__ = ("finished", "task", "wake")

    def __init__(self, finished: asyncio.Future[None]) -> None:
        self.finished = finished
        self.task: asyncio.Task[Any] | None = None
        self.wake = threading.Event()


def get_loop() -> asyncio.AbstractEventLoop:
    """The instance's shared loop, made on first use (and again after ``fork`` or ``close``)."""
    return _current()


def _current() -> _SharedLoop:
    if _loop and not _loop[0].is_closed():
        return _loop[0]
    loop = _SharedLoop()
    _loop[:] = [loop]
    return loop


def _forget_after_fork() -> None:
    # A forked child has no driver, whatever the parent had.
    global _driver, _guard  # noqa: PLW0603  # locks held by parent threads stay held
    for loop in _loop:
        _abandon(loop)
    _loop.clear()
    _driver = threading.Lock()
    _guard = threading.Lock()
    _waiters.clear()


def _abandon(loop: _SharedLoop) -> None:
    """Close a forked child's copies of the parent's loop descriptors, and nothing more.

    ``loop.close()`` would unregister the loop's wake-up socket from its epoll
    instance, which the child shares with the parent: the parent's loop would
    then never hear ``call_soon_threadsafe`` again.
    """
    for sock in (loop._ssock, loop._csock):
        if sock is not None:
            sock.close()  # this process's descriptor only
    poller = getattr(loop._selector, "_selector", None)  # type: ignore[attr-defined]
    if poller is not None and hasattr(poller, "close"):
        poller.close()
    loop._closed = True  # nothing left to close, at garbage collection either


os.register_at_fork(after_in_child=_forget_after_fork)


def run(coro: Coroutine[Any, Any, T], *, timeout: float | None = None) -> T:
    """Run ``coro`` to completion on the shared loop from a synchronous caller; return its result.

    Exceptions raised by the coroutine propagate unchanged. With ``timeout``,
    a coroutine still running after that many seconds is cancelled (the
    timer is only armed when it waits at all).

    Raises:
        TimeoutError: the coroutine ran past ``timeout`` and was cancelled.
        RuntimeError: called from inside a coroutine running on the shared loop
            (``await`` the async function instead).
    """
    loop = _loop[0] if _loop else _current()
    running = _get_running_loop()
    if running is not None or loop._closed:
        if running is None:
            loop = _current()
        elif running is loop:
            coro.close()
            raise RuntimeError(
                "a sync fcsdk handler was called from inside fcsdk's event loop, where it "
                "would wait on itself: await the async function (its __wrapped__) instead"
            )
        else:
            return _in_helper_thread(coro, timeout)
    driver = _driver
    if driver.acquire(False):
        try:
            # The task's first step runs now, in this thread: a coroutine that never
            # waits on I/O is then done without a loop turn. Meanwhile the loop is
            # running, as run_forever marks it (its thread id set: is_running() is
            # true, get_running_loop() finds it); no other thread touches it, as
            # this one holds the driver lock.
            loop._thread_id = _get_ident()
            _set_running_loop(loop)
            try:
                if _EAGER:
                    task = _Task(coro, loop=loop, eager_start=True)  # type: ignore[call-arg, unused-ignore]
                else:
                    attributes = loop.__dict__
                    attributes["call_soon"] = loop._capture
                    try:
                        task = _Task(coro, loop=loop)
                    finally:
                        del attributes["call_soon"]
                    first = loop._first
                    context = first.pop()
                    context.run(first.pop())
            finally:
                _set_running_loop(None)
                loop._thread_id = None
            if not task.done():
                expired = _arm(loop, task, timeout)
                try:
                    _drive(loop, task)
                except asyncio.CancelledError:
                    _raise_if_expired(expired, timeout)
                    raise
                finally:
                    _disarm(expired)
        finally:
            driver.release()
            if _waiters:
                _pass_on()
        return task.result()
    return _follow(loop, coro, timeout)


def _arm(
    loop: asyncio.AbstractEventLoop,
    task: asyncio.Task[Any],
    timeout: float | None,
    state: list[Any] | None = None,
) -> list[Any]:
    """Cancel ``task`` after ``timeout`` s; ``state`` gets the timer, then ``True`` if it fired."""
    if state is None:
        state = []
    if timeout is None:
        return state

    def expire() -> None:
        state.append(True)
        task.cancel()

    state.append(loop.call_later(timeout, expire))
    return state


def _disarm(state: list[Any]) -> None:
    if state:
        state[0].cancel()


def _raise_if_expired(state: list[Any], timeout: float | None) -> None:
    if len(state) > 1:
        raise TimeoutError(f"the coroutine did not finish within {timeout} s and was cancelled")


def _drive(loop: _SharedLoop, future: asyncio.Future[Any]) -> None:
    """Run the loop until ``future`` is done, whatever another invocation's task does.

    A task that raises ``SystemExit`` or ``KeyboardInterrupt`` (``sys.exit()``
    in a handler) ends the loop's run in whichever thread drives it; when it
    is a waiting thread's task, that thread gets the exception from its task,
    and this one drives on. A ``loop.stop()`` from a plain callback ends the
    run early: this one drives on too. The driver's own task, and an
    interrupt that is no task's (Ctrl-C in the driving thread), end it.
    """
    while True:
        try:
            loop.run_until_complete(future)
        except (SystemExit, KeyboardInterrupt) as exc:
            if future.done() or not _raised_by_a_waiter(exc):
                raise
        except RuntimeError:
            if future.done() or loop.is_closed():
                raise
            # "Event loop stopped before Future completed": someone stopped it.
        else:
            return


def _raised_by_a_waiter(exc: BaseException) -> bool:
    """Whether ``exc`` is the outcome of a waiting thread's task (that thread will raise it)."""
    with _guard:
        return any(
            w.task is not None
            and w.task.done()
            and not w.task.cancelled()
            and w.task.exception() is exc
            for w in _waiters
        )


def _release() -> None:
    _driver.release()
    if _waiters:
        _pass_on()


def _pass_on() -> None:
    """Wake one waiting thread whose task is still pending, to drive the loop (one, not all)."""
    with _guard:
        for waiter in _waiters:
            if not waiter.finished.done():
                waiter.wake.set()
                return


def _follow(loop: _SharedLoop, coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
    """Hand ``coro`` to the loop another thread drives; take over driving if it leaves first."""
    context = contextvars.copy_context()
    waiter = _Waiter(loop.create_future())  # resolved in the loop when the task is done
    tasks: list[asyncio.Task[T]] = []
    expired: list[Any] = []

    def on_done(_: object) -> None:
        _disarm(expired)
        waiter.finished.set_result(None)
        waiter.wake.set()

    def begin() -> None:
        task = context.run(loop.create_task, coro)
        waiter.task = task
        tasks.append(task)
        _arm(loop, task, timeout, expired)
        task.add_done_callback(on_done)

    with _guard:
        _waiters.append(waiter)
    drove = False
    try:
        loop.call_soon_threadsafe(begin)
        while not waiter.finished.done():
            if _driver.acquire(blocking=False):
                drove = True
                try:
                    _drive(loop, waiter.finished)
                finally:
                    _release()
                break
            waiter.wake.wait()
            waiter.wake.clear()
    finally:
        with _guard:
            _waiters.remove(waiter)
        if not drove and _waiters and not _driver.locked():
            _pass_on()  # this thread may have been woken to drive: hand that on
    if tasks[0].cancelled():
        _raise_if_expired(expired, timeout)
    return tasks[0].result()


def _in_helper_thread(coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
    """Run ``coro`` through :func:`run` in a new thread (the caller runs a loop of its own)."""
    outcome: list[Any] = []
    context = contextvars.copy_context()

    def target() -> None:
        try:
            outcome.append((True, context.run(run, coro, timeout=timeout)))
        except BaseException as exc:  # handed back to the caller's thread
            outcome.append((False, exc))

    thread = threading.Thread(target=target, name="fcsdk-async-call")
    thread.start()
    thread.join()
    ok, value = outcome[0]
    if ok:
        return value  # type: ignore[no-any-return]
    raise value
