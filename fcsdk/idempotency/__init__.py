"""Idempotency: retried events and re-pushed batches run once (``fc.idempotent``, batches).

FC delivers at least once: asynchronous invocations retry, batch triggers push
the whole batch again. ``@fc.idempotent(store, key=...)`` runs a function once
per key and answers repeats from the store; :func:`process_batch` does the
same per record of a batch. Records live in Redis / Tair
(:class:`RedisStore`), in OSS (:class:`OSSStore`), in memory for tests
(:class:`MemoryStore`) or in a store of your own (:class:`IdempotencyStore`).
See the "Idempotency" guide.

Neither ``redis`` nor ``oss2`` is imported before a store is made, and
``import fcsdk`` does not import this package.
"""

from fcsdk.idempotency._batch import aprocess_batch, process_batch
from fcsdk.idempotency._core import KeySource, idempotent
from fcsdk.idempotency._memory import MemoryStore
from fcsdk.idempotency._oss import OSSStore
from fcsdk.idempotency._redis import RedisStore
from fcsdk.idempotency._store import Claim, IdempotencyStore, Record

__all__ = [
    "Claim",
    "IdempotencyStore",
    "KeySource",
    "MemoryStore",
    "OSSStore",
    "Record",
    "RedisStore",
    "aprocess_batch",
    "idempotent",
    "process_batch",
]
