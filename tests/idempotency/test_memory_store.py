"""MemoryStore: the store protocol within one process (tests, local runs), and import costs."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import fcsdk as fc
from fcsdk.idempotency import MemoryStore
from fcsdk.idempotency._store import Claim, Record
from fcsdk.testing import fake_context


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TestMemoryStore:
    def test_claims_complete_and_release_with_fences(self) -> None:
        """One winner; only the claim's owner completes or releases it."""
        store = MemoryStore()
        mine = store.claim("k", Record("in_progress", fence="a"), 1000)
        theirs = store.claim("k", Record("in_progress", fence="b"), 1000)
        assert (mine.won, theirs.won, theirs.record.fence) == (True, False, "a")
        stale = Claim(True, Record("in_progress", fence="b"))  # a claim that lost the key
        assert store.release("k", stale) is False
        assert store.complete("k", stale, Record("completed", fence="b"), 1000) is False
        assert store.complete("k", mine, Record("completed", fence="a", result=b"1"), 1000)
        assert store.release("k", mine) is False  # completed: not a claim any more
        record = store.get("k")
        assert record is not None
        assert record.result == b"1"
        store.clear()
        assert store.get("k") is None

    def test_records_expire(self) -> None:
        """An in-progress record stops being live at its deadline; the next claim wins."""
        clock = Clock()
        store = MemoryStore(clock=clock)
        first = store.claim("k", Record("in_progress", fence="a"), 2000)
        clock.now += 1.5
        assert store.get("k").ttl_ms == 500  # type: ignore[union-attr]
        clock.now += 0.5
        assert store.get("k") is None
        assert store.claim("k", Record("in_progress", fence="b"), 2000).won
        assert store.release("k", first) is False
        clock.now += 5  # b expired too, and nobody came: b's late result is kept
        second = Claim(True, Record("in_progress", fence="b"))
        assert store.complete("k", second, Record("completed", fence="b"), 2000)

    def test_under_a_handler(self) -> None:
        """A handler on MemoryStore runs once per key."""
        store = MemoryStore()
        runs: list[str] = []

        @fc.handler
        @fc.idempotent(store, key="id")
        def main(event: dict[str, Any], context: fc.FCContext) -> str:
            runs.append(event["id"])
            return "ok"

        for _ in range(3):
            assert main(b'{"id": "x"}', fake_context()) == "ok"
        assert runs == ["x"]


class TestImportCost:
    def test_import_fcsdk_loads_no_idempotency(self) -> None:
        """import fcsdk loads neither fcsdk.idempotency nor redis; fc.idempotent loads no redis."""
        code = (
            "import sys, json, fcsdk as fc\n"
            "before = sorted(m for m in sys.modules if m.startswith(('fcsdk.idempotency', "
            "'redis', 'oss2')))\n"
            "fc.idempotent\n"
            "from fcsdk.idempotency import RedisStore, OSSStore, process_batch\n"
            "after = sorted(m for m in sys.modules if m.startswith(('redis', 'oss2', 'asyncio')))\n"
            "print(json.dumps([before, after]))\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        ).stdout
        before, after = json.loads(out)
        assert before == []
        assert after == []
        assert "idempotent" in fc.__all__
