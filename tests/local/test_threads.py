"""Tests for fcsdk/_local/threads.py: reused threads, never a queue behind a busy one."""

from __future__ import annotations

import contextvars
import itertools
import threading
import time
from collections.abc import Callable

from fcsdk._local.threads import Alarm, ThreadPool, Watchdog, _Jobs

MARK: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="fresh")


def named(name: str) -> list[threading.Thread]:
    """The live threads called ``name``."""
    return [t for t in threading.enumerate() if t.name == name]


class CountingPool(ThreadPool):
    """A pool that tells, under a condition, how each thread decided after its job."""

    def __init__(self, name: str, *, idle: int) -> None:
        super().__init__(name, idle=idle)
        self.decided = threading.Condition()
        self.parked = 0
        self.ended = 0

    def _park(self, jobs: _Jobs) -> bool:
        parked = super()._park(jobs)
        with self.decided:
            if parked:
                self.parked += 1
            else:
                self.ended += 1
            self.decided.notify_all()
        return parked

    def wait_decisions(self, count: int) -> None:
        """Wait (bounded) until ``count`` threads have parked or ended since the last reset."""
        with self.decided:
            assert self.decided.wait_for(lambda: self.parked + self.ended >= count, 10), (
                f"only {self.parked + self.ended} of {count} threads finished their job"
            )


class TestThreadPool:
    def test_a_job_never_waits_for_a_busy_thread(self) -> None:
        """A second job starts while the first still runs (a new thread, not a queue)."""
        pool = ThreadPool("test-busy", idle=1)
        release, second_ran = threading.Event(), threading.Event()
        pool.submit(lambda: release.wait(10))
        pool.submit(second_ran.set)
        assert second_ran.wait(10)
        release.set()
        pool.close()

    def test_jobs_run_in_named_daemon_threads(self) -> None:
        """A job runs in a daemon thread named after the pool, even when submitted from a
        thread that is not a daemon (here the test's own), so it never holds the process."""
        assert not threading.current_thread().daemon
        pool = ThreadPool("test-daemon", idle=1)
        seen: list[tuple[str, bool]] = []
        ran = threading.Event()

        def job() -> None:
            seen.append((threading.current_thread().name, threading.current_thread().daemon))
            ran.set()

        pool.submit(job)
        assert ran.wait(10)
        pool.close()
        assert seen == [("test-daemon", True)]

    def test_threads_are_reused_up_to_idle_and_contexts_are_fresh(self) -> None:
        """Sequential jobs share one thread; each sees a fresh context; close ends the waiting."""
        pool = CountingPool("test-reuse", idle=1)
        seen: list[tuple[str, int]] = []
        for n in range(5):

            def job(n: int = n) -> None:
                seen.append((MARK.get(), threading.get_ident()))
                MARK.set(f"job {n}")

            pool.submit(job)
            pool.wait_decisions(n + 1)  # the thread is back to waiting before the next job
        assert [mark for mark, _ in seen] == ["fresh"] * 5
        assert len({ident for _, ident in seen}) == 1
        threads = named("test-reuse")
        pool.close()
        for thread in threads:
            thread.join(10)
        assert named("test-reuse") == []

    def test_no_more_than_idle_threads_wait(self) -> None:
        """Of five threads freed at once, ``idle`` (two) wait for jobs and the others end."""
        pool = CountingPool("test-idle-bound", idle=2)
        barrier = threading.Barrier(6, timeout=10)
        for _ in range(5):
            pool.submit(barrier.wait)  # five jobs at once: five threads
        barrier.wait()
        pool.wait_decisions(5)
        assert (pool.parked, pool.ended) == (2, 3)
        assert len(pool._waiting) == 2
        pool.close()


class FakeClock:
    """A clock the test moves; the watchdog's sleeps end only when it is poked."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SteppedWatchdog(Watchdog):
    """A watchdog on a :class:`FakeClock` that records each sleep it takes."""

    def __init__(self, name: str, clock: FakeClock) -> None:
        super().__init__(name, clock=clock)
        self.sleeps: list[float | None] = []
        self.slept = threading.Condition(self._cond._lock)  # type: ignore[attr-defined]

    def _sleep(self, seconds: float | None) -> None:
        self.sleeps.append(seconds)
        self.slept.notify_all()
        self._cond.wait()  # no real timeout: time passes when the test moves the clock

    def advance(self, to: float) -> None:
        """Move the clock to ``to`` and wake the watchdog to look at its alarms."""
        with self._cond:
            self.clock.now = to  # type: ignore[attr-defined]
            self._cond.notify()

    def wait_sleep(self, seconds: float | None) -> None:
        """Wait (bounded) until the watchdog goes to sleep for ``seconds``."""
        with self._cond:
            assert self.slept.wait_for(lambda: self.sleeps[-1:] == [seconds], 10), (
                f"the watchdog slept {self.sleeps}, never {seconds}"
            )


def ringer(rang: list[str], name: str, done: threading.Event) -> Callable[[], None]:
    """A callback that records ``name`` and sets ``done``."""

    def ring() -> None:
        rang.append(name)
        done.set()

    return ring


class TestWatchdog:
    def test_alarms_ring_in_time_order_and_an_earlier_one_wakes_it(self) -> None:
        """An alarm due before the one slept for wakes the watchdog; cancelled ones never ring."""
        clock = FakeClock()
        dog = SteppedWatchdog("test-watchdog", clock)
        rang: list[str] = []
        early, late = threading.Event(), threading.Event()
        dog.schedule(0.5, ringer(rang, "late", late))
        dog.wait_sleep(0.5)
        dog.schedule(0.25, ringer(rang, "early", early))  # earlier than the one slept for
        dog.wait_sleep(0.25)
        dog.schedule(0.375, lambda: rang.append("cancelled")).cancel()
        dog.advance(0.375)
        assert early.wait(10)
        dog.wait_sleep(0.125)  # (times in binary fractions: exact differences)
        assert rang == ["early"]
        dog.advance(0.5)
        assert late.wait(10)
        dog.wait_sleep(None)
        assert rang == ["early", "late"]

    def test_a_cancelled_alarm_is_dropped_at_once(self) -> None:
        """Thousands of alarms cancelled long before they are due hold nothing afterwards."""
        dog = Watchdog("test-watchdog-drop")
        for _ in range(5000):
            dog.schedule(60, lambda: None).cancel()
        assert dog._alarms == {}
        rang = threading.Event()
        dog.schedule(0.01, rang.set)
        assert rang.wait(10)


RUNS = itertools.count()


class CancellingTime(float):
    """An alarm's due time whose comparison cancels the alarm: a cancel racing the scan."""

    alarm: Alarm | None = None

    def __le__(self, other: object) -> bool:
        if self.alarm is not None:
            self.alarm.cancel()
        return float(self) <= other  # type: ignore[operator]


class TestWatchdogDetails:
    def test_threads_are_named(self) -> None:
        """The watchdog's thread carries its name, its callbacks' threads name-callback."""
        name = f"test-watchdog-names-{next(RUNS)}"  # unique: watchdog threads never end
        dog = Watchdog(name)
        seen: list[str] = []
        rang = threading.Event()

        def ring() -> None:
            seen.append(threading.current_thread().name)
            rang.set()

        dog.schedule(0, ring)
        assert rang.wait(10)
        assert seen == [f"{name}-callback"]
        assert len(named(name)) == 1

    def test_one_callback_thread_waits_after_a_burst(self) -> None:
        """Of three callbacks run at once, one thread stays for the next; the others end."""
        name = f"test-watchdog-burst-{next(RUNS)}-callback"
        dog = Watchdog(name.removesuffix("-callback"))
        barrier = threading.Barrier(4, timeout=10)
        for _ in range(3):
            dog.schedule(0, barrier.wait)
        barrier.wait()
        deadline = time.monotonic() + 10
        while len(named(name)) > 1 and time.monotonic() < deadline:
            for thread in named(name):
                thread.join(0.05)  # the ending ones end; the waiting one times out
        assert len(named(name)) == 1

    def test_an_alarm_cancelled_during_the_scan_does_not_ring(self) -> None:
        """An alarm cancelled after the watchdog listed it, before it fired, never rings."""
        clock = FakeClock()
        dog = SteppedWatchdog("test-watchdog-race", clock)
        cancelled_rang, later_rang = threading.Event(), threading.Event()
        alarm = dog.schedule(0.25, cancelled_rang.set)
        dog.wait_sleep(0.25)
        with dog._cond:
            due = CancellingTime(alarm.when)
            due.alarm = alarm
            alarm.when = due
        dog.advance(0.5)
        dog.wait_sleep(None)
        dog.schedule(0.25, later_rang.set)  # the watchdog still works afterwards
        dog.wait_sleep(0.25)
        dog.advance(0.75)
        assert later_rang.wait(10)
        assert not cancelled_rang.is_set()
