"""A pool of reused threads for the local runtime: a job gets a thread of its own at once.

Unlike :class:`concurrent.futures.ThreadPoolExecutor` the pool has no size
limit and no queue: a job never waits for a busy thread (an invocation that
runs long, or a slow client, holds only its own), and a thread that finishes
waits for the next job instead of ending, up to ``idle`` waiting threads.
Starting a thread per job was measurable under load (an eighth of
``fcsdk serve``'s time without keep-alive). Each job runs in a fresh
:mod:`contextvars` context, as it would in a new thread.

Example:
    >>> import threading
    >>> pool = ThreadPool("doc-pool", idle=2)
    >>> done = threading.Event()
    >>> pool.submit(done.set)
    >>> done.wait(5)
    True
    >>> pool.close()
"""

from __future__ import annotations

import contextvars
import queue
import threading
import time
from collections.abc import Callable

__all__ = ["Alarm", "ThreadPool", "Watchdog"]

_Jobs = queue.SimpleQueue[Callable[[], object] | None]


class ThreadPool:
    """Daemon threads named ``name`` that run jobs and then wait, ``idle`` of them at most."""

    def __init__(self, name: str, *, idle: int) -> None:
        self.name = name
        self.idle = idle
        self._lock = threading.Lock()
        self._waiting: list[_Jobs] = []
        self._closed = False

    def submit(self, job: Callable[[], object]) -> None:
        """Run ``job`` in a waiting thread, or in a new one when none is waiting."""
        with self._lock:
            jobs = self._waiting.pop() if self._waiting else None
        if jobs is None:
            jobs = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(jobs,), name=self.name, daemon=True).start()
        jobs.put(job)

    def _serve(self, jobs: _Jobs) -> None:
        while (job := jobs.get()) is not None:
            contextvars.Context().run(job)
            if not self._park(jobs):
                return

    def _park(self, jobs: _Jobs) -> bool:
        """After a job: wait for the next one (True), or end when ``idle`` threads wait."""
        with self._lock:
            if self._closed or len(self._waiting) >= self.idle:
                return False
            self._waiting.append(jobs)
            return True

    def close(self) -> None:
        """Let the waiting threads end; a running job's thread ends after its job."""
        with self._lock:
            self._closed = True
            waiting, self._waiting = self._waiting, []
        for jobs in waiting:
            jobs.put(None)


class Alarm:
    """A callback due at a time, unless cancelled first (see :class:`Watchdog`)."""

    __slots__ = ("callback", "dog", "when")

    def __init__(self, dog: Watchdog, when: float, callback: Callable[[], object]) -> None:
        self.dog = dog
        self.when = when
        self.callback = callback

    def cancel(self) -> None:
        """Do not run the callback (it may already be running: the caller settles that)."""
        self.dog._alarms.pop(self, None)  # one dict operation: atomic, no lock


class Watchdog:
    """One daemon thread that starts each :class:`Alarm`'s callback when it is due.

    The alarms waiting are few (one per invocation in flight), so the thread looks at
    all of them when it wakes, and sleeps until the earliest; an alarm cancelled in
    time is dropped at once, with what its callback holds. A callback runs in a
    thread of a :class:`ThreadPool` of its own, so a slow one delays no other.

    Example:
        >>> import threading
        >>> dog = Watchdog("doc-watchdog")
        >>> rang = threading.Event()
        >>> _ = dog.schedule(0.01, rang.set); dog.schedule(0.01, print).cancel()
        >>> rang.wait(5)
        True
    """

    def __init__(self, name: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.clock = clock
        """Where the time comes from (seconds, monotonic); a test may give its own."""
        self._cond = threading.Condition(threading.Lock())
        self._alarms: dict[Alarm, None] = {}
        self._wake_at = float("inf")
        self._thread: threading.Thread | None = None
        self._callbacks = ThreadPool(f"{name}-callback", idle=1)

    def schedule(self, delay: float, callback: Callable[[], object]) -> Alarm:
        """Run ``callback`` in ``delay`` seconds, unless the returned alarm is cancelled."""
        alarm = Alarm(self, self.clock() + delay, callback)
        with self._cond:
            self._alarms[alarm] = None
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name=self.name, daemon=True)
                self._thread.start()
            elif alarm.when < self._wake_at:  # due before the thread wakes: wake it
                self._cond.notify()
        return alarm

    def _watch(self) -> None:
        alarms = self._alarms
        with self._cond:
            while True:
                now = self.clock()
                wake_at = float("inf")
                for alarm in list(alarms):
                    if alarm.when <= now:
                        if alarms.pop(alarm, 0) is None:  # not cancelled meanwhile
                            self._callbacks.submit(alarm.callback)
                    else:
                        wake_at = min(wake_at, alarm.when)
                self._wake_at = wake_at
                self._sleep(None if wake_at == float("inf") else wake_at - now)

    def _sleep(self, seconds: float | None) -> None:
        """Wait (the condition held) ``seconds``, or until an earlier alarm is scheduled."""
        self._cond.wait(seconds)
