"""Races across processes on a real redis-server: each key's function runs exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import IO, Any

import pytest

from fcsdk.exceptions import IdempotencyInProgressError
from fcsdk.idempotency import RedisStore
from fcsdk.testing import fake_context
from tests.idempotency import race_worker

WORKER = Path(race_worker.__file__)
ROOT = WORKER.parents[2]


def start(mode: str, url: str, prefix: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(WORKER), mode, url, prefix],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def stop(worker: subprocess.Popen[str]) -> None:
    """Kill the worker if it still runs, reap it and close its pipes."""
    worker.kill()
    worker.wait(10)
    for pipe in (worker.stdin, worker.stdout):
        if pipe is not None:
            pipe.close()


def read_line(stream: IO[str], timeout: float) -> str:
    """The next line of ``stream``, or an assertion error after ``timeout`` seconds."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    assert lines, f"no line from the worker in {timeout} s"
    return lines[0].strip()


@pytest.mark.slow
class TestRaces:
    def test_two_processes_by_16_threads_run_each_key_once(
        self, redis_server: Any, redis_client: Any
    ) -> None:
        """2 processes x 16 threads fire the same 200 keys at once: each function runs once."""
        prefix = f"race-{uuid.uuid4().hex[:6]}:"
        workers = [start("race", redis_server.url, prefix) for _ in range(2)]
        try:
            for worker in workers:
                assert worker.stdout is not None
                assert read_line(worker.stdout, 30) == "ready"
            redis_client.rpush(f"{prefix}go", *range(2 * race_worker.THREADS))
            outputs = [worker.communicate(timeout=120)[0] for worker in workers]
        finally:
            for worker in workers:
                stop(worker)
        runs = [
            int(redis_client.get(f"{prefix}runs:key-{n}") or 0) for n in range(race_worker.KEYS)
        ]
        assert runs == [1] * race_worker.KEYS
        for output in outputs:
            answers = json.loads(output)
            assert len(answers) == race_worker.KEYS
            assert all(values == [1] for values in answers.values())

    def test_kill_9_mid_run_then_the_retry_after_the_deadline_runs_once(
        self, redis_server: Any, redis_client: Any
    ) -> None:
        """A call killed with SIGKILL blocks its retries until its deadline only; then one run."""
        prefix = f"kill-{uuid.uuid4().hex[:6]}:"
        worker = start("hang", redis_server.url, prefix)
        try:
            assert worker.stdout is not None
            assert read_line(worker.stdout, 30) == "started"
            os.kill(worker.pid, signal.SIGKILL)
            assert worker.wait(10) == -signal.SIGKILL
        finally:
            stop(worker)
        store = RedisStore.from_url(redis_server.url, prefix=prefix)
        try:
            at_once = race_worker.make_handler(store, redis_client)
            with pytest.raises(IdempotencyInProgressError):
                at_once(b'{"k": "kill"}', fake_context(timeout=2))
            # The retry waits (at most 10 s) for the dead call's record to expire at its
            # deadline (2 s after its claim), then runs the function once.
            retry = race_worker.make_handler(store, redis_client, wait=10)
            assert retry(b'{"k": "kill"}', fake_context(timeout=2)) == b"2"
            assert retry(b'{"k": "kill"}', fake_context(timeout=2)) == b"2"
            assert at_once(b'{"k": "kill"}', fake_context(timeout=2)) == b"2"
            assert int(redis_client.get(f"{prefix}runs:kill")) == 2  # the killed run, the retry
        finally:
            store.close()
