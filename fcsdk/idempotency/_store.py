"""The store interface: what an idempotency store must do, and the records it keeps.

A store keeps one record per key hash. Four operations make the protocol:

- ``claim``: create an *in progress* record if no live record exists, atomically
  (one winner among any number of racing callers); otherwise hand back the live
  record. The in-progress record must stop being live after ``ttl_ms`` (the
  invocation's deadline), so that a killed execution never blocks retries.
- ``complete``: replace the caller's own claim by the *completed* record, only if
  the claim is still the caller's (a fencing check, not a read then a write).
- ``release``: delete the caller's own claim (the function raised), same check.
- ``get``: read the live record (waiting for a twin).

Stores raise :class:`~fcsdk.exceptions.IdempotencyStoreError` when they fail.
The async methods run the sync ones in a worker thread unless a store has a
native async client (:class:`~fcsdk.idempotency.RedisStore` has).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar

from fcsdk.exceptions import IdempotencyStoreError

__all__ = ["Claim", "IdempotencyStore", "Record", "decode_record", "encode_record"]

Status = Literal["in_progress", "completed"]
ResultKind = Literal["json", "bytes", "str", "response", "dropped"]

_MAGIC = b"fcsdk-idem1 "
_T = TypeVar("_T")


@dataclass(frozen=True)
class Record:
    """One key's record, as a store keeps it.

    Attributes:
        status: ``"in_progress"`` (a call runs under this key) or ``"completed"``.
        fence: a random token unique to the claim that wrote the record; a
            store compares it before it completes or releases a claim.
        payload_hash: the payload's hash (``validate_payload``), else ``None``.
        result: the completed call's encoded result.
        kind: how ``result`` was encoded (``"json"``, ``"bytes"``, ``"str"``,
            ``"response"``; ``"dropped"`` when it was too large to keep).
        ttl_ms: how long the record has left to live, when the store knows.
        lifetime_ms: the lifetime written with the record (stores that judge
            expiry themselves, as the OSS store does), else ``None``.
    """

    status: Status
    fence: str = ""
    payload_hash: str | None = None
    result: bytes = b""
    kind: ResultKind = "json"
    ttl_ms: int | None = None
    lifetime_ms: int | None = None

    def with_ttl(self, ttl_ms: int | None) -> Record:
        """This record with ``ttl_ms`` set (what a store read says is left)."""
        return replace(self, ttl_ms=ttl_ms)


def encode_record(record: Record, *, lifetime_ms: int | None = None) -> bytes:
    """Serialise a record: a magic prefix, a one-line JSON header, then the raw result bytes.

    ``lifetime_ms`` is written into the header for stores that judge expiry
    themselves (OSS); Redis expires keys on its own and leaves it out.
    """
    # Formatted by hand (every value is a hex token, a kind name or a number): this runs
    # twice per invocation, and json.dumps costs more than the rest of the record.
    parts = ['{"s":"p"' if record.status == "in_progress" else '{"s":"c"']
    if record.fence:
        parts.append(f',"f":"{_token(record.fence)}"')
    if record.payload_hash is not None:
        parts.append(f',"h":"{_token(record.payload_hash)}"')
    if record.status == "completed":
        parts.append(f',"k":"{record.kind}"')
    if lifetime_ms is not None:
        parts.append(f',"t":{int(lifetime_ms)}')
    parts.append("}\n")
    return _MAGIC + "".join(parts).encode() + record.result


def _token(value: str) -> str:
    """A fence or hash as it goes into the header: JSON-escaped unless it is plain."""
    if value.isalnum() and value.isascii():
        return value
    return json.dumps(value)[1:-1]


def decode_record(data: bytes, *, ttl_ms: int | None = None) -> Record:
    """Read a record written by :func:`encode_record`.

    Raises:
        IdempotencyStoreError: the data is not a record (another program wrote the key).
    """
    if not data.startswith(_MAGIC):
        raise IdempotencyStoreError(
            "the store holds something that is not an idempotency record under this key "
            "(another program writes under the same prefix?)"
        )
    line, _, result = data[len(_MAGIC) :].partition(b"\n")
    try:
        header = json.loads(line)
        status: Status = "in_progress" if header["s"] == "p" else "completed"
        return Record(
            status=status,
            fence=str(header.get("f", "")),
            payload_hash=header.get("h"),
            result=result,
            kind=header.get("k", "json"),
            ttl_ms=ttl_ms,
            lifetime_ms=header.get("t"),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise IdempotencyStoreError(f"a damaged idempotency record: {exc}") from None


@dataclass(frozen=True)
class Claim:
    """What :meth:`IdempotencyStore.claim` answers.

    Attributes:
        won: whether this caller now holds the key (its function must run).
        record: the caller's own in-progress record when ``won``, else the
            live record found (in progress or completed).
        handle: whatever the store needs later to complete or release this
            claim (the OSS store's generation); opaque to callers.
    """

    won: bool
    record: Record
    handle: Any = None


class IdempotencyStore(ABC):
    """The interface of an idempotency store; implement the four sync methods.

    ``max_record_bytes`` is the largest record the store keeps; results that
    would pass it are refused before they are written.
    """

    max_record_bytes: int = 1024 * 1024

    @abstractmethod
    def claim(self, key: str, record: Record, ttl_ms: int) -> Claim:
        """Create ``record`` (in progress) under ``key``, live for ``ttl_ms``, if none is live.

        Atomic: of any number of racing callers exactly one wins. A record
        whose time is up counts as absent.
        """

    def claim_many(self, items: Sequence[tuple[str, Record, int]]) -> list[Claim]:
        """Claim several keys; stores override this to do it in one round trip."""
        return [self.claim(key, record, ttl_ms) for key, record, ttl_ms in items]

    @abstractmethod
    def complete(self, key: str, claim: Claim, record: Record, ttl_ms: int) -> bool:
        """Replace the caller's claim by the completed ``record``, live for ``ttl_ms``.

        Returns ``False`` (and changes nothing) when the claim is no longer
        the caller's: its deadline passed and another call took the key. When
        the key is empty (the claim expired, nobody took it) the result is kept.
        """

    @abstractmethod
    def release(self, key: str, claim: Claim) -> bool:
        """Delete the caller's claim if it is still the caller's; returns whether it did."""

    @abstractmethod
    def get(self, key: str) -> Record | None:
        """Return the live record under ``key``, or ``None``."""

    # -- async: a worker thread by default (it keeps the context variables) -----------------

    async def aclaim(self, key: str, record: Record, ttl_ms: int) -> Claim:
        """Async :meth:`claim`."""
        return await _to_thread(self.claim, key, record, ttl_ms)

    async def aclaim_many(self, items: Sequence[tuple[str, Record, int]]) -> list[Claim]:
        """Async :meth:`claim_many`."""
        return await _to_thread(self.claim_many, items)

    async def acomplete(self, key: str, claim: Claim, record: Record, ttl_ms: int) -> bool:
        """Async :meth:`complete`."""
        return await _to_thread(self.complete, key, claim, record, ttl_ms)

    async def arelease(self, key: str, claim: Claim) -> bool:
        """Async :meth:`release`."""
        return await _to_thread(self.release, key, claim)

    async def aget(self, key: str) -> Record | None:
        """Async :meth:`get`."""
        return await _to_thread(self.get, key)


async def _to_thread(func: Callable[..., _T], *args: Any) -> _T:
    import asyncio  # not at import: a sync-only function never loads asyncio

    return await asyncio.to_thread(func, *args)
