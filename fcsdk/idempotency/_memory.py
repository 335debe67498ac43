"""MemoryStore: records in this process's memory, for tests and local runs.

It keeps the store protocol exactly (one winner per claim, fenced completion
and release, in-progress records that expire at their deadline) but only
within one process: an FC function has many instances, so deploy with
:class:`~fcsdk.idempotency.RedisStore` or :class:`~fcsdk.idempotency.OSSStore`.
It is also the shortest example of a store of your own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fcsdk.idempotency._store import Claim, IdempotencyStore, Record

__all__ = ["MemoryStore"]


class MemoryStore(IdempotencyStore):
    """Idempotency records in a dict, behind a lock; for tests and local runs only.

    Args:
        clock: seconds, monotonic (``time.monotonic``); tests may pass their own
            to expire records without waiting.

    Example:
        >>> store = MemoryStore()
        >>> store.claim("k", Record("in_progress", fence="a"), 1000).won
        True
        >>> store.claim("k", Record("in_progress", fence="b"), 1000).won
        False
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._records: dict[str, tuple[Record, float]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _live(self, key: str) -> Record | None:
        found = self._records.get(key)
        if found is None:
            return None
        record, expires = found
        left = expires - self._clock()
        if left <= 0:
            del self._records[key]
            return None
        return record.with_ttl(int(left * 1000))

    def claim(self, key: str, record: Record, ttl_ms: int) -> Claim:
        """Create the record unless a live one is there (under the lock: one winner)."""
        with self._lock:
            live = self._live(key)
            if live is not None:
                return Claim(False, live)
            self._records[key] = (record, self._clock() + ttl_ms / 1000)
            return Claim(True, record)

    def complete(self, key: str, claim: Claim, record: Record, ttl_ms: int) -> bool:
        """Replace the caller's own claim (same fence), or an empty key, by the completed record."""
        with self._lock:
            live = self._live(key)
            if live is not None and (
                live.fence != claim.record.fence or live.status != "in_progress"
            ):
                return False
            # Absent: the claim expired and nobody took the key since; the work is done.
            self._records[key] = (record, self._clock() + ttl_ms / 1000)
            return True

    def release(self, key: str, claim: Claim) -> bool:
        """Delete the caller's own claim."""
        with self._lock:
            live = self._live(key)
            if live is None or live.fence != claim.record.fence or live.status != "in_progress":
                return False
            del self._records[key]
            return True

    def get(self, key: str) -> Record | None:
        """The live record, or ``None``."""
        with self._lock:
            return self._live(key)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()
