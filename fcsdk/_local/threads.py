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
from collections.abc import Callable

__all__ = ["ThreadPool"]

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
            with self._lock:
                if self._closed or len(self._waiting) >= self.idle:
                    return
                self._waiting.append(jobs)

    def close(self) -> None:
        """Let the waiting threads end; a running job's thread ends after its job."""
        with self._lock:
            self._closed = True
            waiting, self._waiting = self._waiting, []
        for jobs in waiting:
            jobs.put(None)
