"""Tests for fcsdk/_local/threads.py: reused threads, never a queue behind a busy one."""

from __future__ import annotations

import contextvars
import threading

from fcsdk._local.threads import ThreadPool, Watchdog

MARK: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="fresh")


def named(name: str) -> list[threading.Thread]:
    """The live threads called ``name``."""
    return [t for t in threading.enumerate() if t.name == name]


def test_a_job_never_waits_for_a_busy_thread() -> None:
    """A second job starts while the first still runs (a new thread, not a queue)."""
    pool = ThreadPool("test-busy", idle=1)
    release, second_ran = threading.Event(), threading.Event()
    pool.submit(lambda: release.wait(10))
    pool.submit(second_ran.set)
    assert second_ran.wait(10)
    release.set()
    pool.close()


def test_threads_are_reused_up_to_idle_and_contexts_are_fresh() -> None:
    """Sequential jobs share one thread; each sees a fresh context; close ends the waiting."""
    pool = ThreadPool("test-reuse", idle=1)
    seen: list[tuple[str, int]] = []
    for n in range(5):
        done = threading.Event()

        def job(n: int = n, done: threading.Event = done) -> None:
            seen.append((MARK.get(), threading.get_ident()))
            MARK.set(f"job {n}")
            done.set()

        pool.submit(job)
        assert done.wait(10)
        for _ in range(100):  # the thread goes back to waiting just after its job
            if pool._waiting:
                break
            threading.Event().wait(0.01)
    assert [mark for mark, _ in seen] == ["fresh"] * 5
    assert len({ident for _, ident in seen}) == 1
    threads = named("test-reuse")
    pool.close()
    for thread in threads:
        thread.join(10)
    assert named("test-reuse") == []


def test_the_watchdog_rings_in_order_and_skips_the_cancelled() -> None:
    """Alarms ring by their time, not their order of scheduling; a cancelled one never rings."""
    dog = Watchdog("test-watchdog")
    rang: list[str] = []
    done = threading.Event()

    def late() -> None:
        rang.append("late")
        done.set()

    dog.schedule(0.3, late)
    dog.schedule(0.05, lambda: rang.append("early"))  # earlier than the one waited for
    dog.schedule(0.1, lambda: rang.append("cancelled")).cancel()
    assert done.wait(10)
    threading.Event().wait(0.05)
    assert rang == ["early", "late"]


def test_a_cancelled_alarm_is_dropped_at_once() -> None:
    """Thousands of alarms cancelled long before they are due hold nothing afterwards."""
    dog = Watchdog("test-watchdog-drop")
    for _ in range(5000):
        dog.schedule(60, lambda: None).cancel()
    assert dog._alarms == {}
    rang = threading.Event()
    dog.schedule(0.01, rang.set)
    assert rang.wait(10)
