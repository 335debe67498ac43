"""``process_batch``: run a function once per record of a batch push, however often FC re-pushes it.

Batch triggers (Kafka, RocketMQ, MNS queue, RabbitMQ, DTS) retry the whole push
when the handler fails. ``process_batch`` claims every record's key in one
round trip (a pipeline on Redis), skips the records an earlier push completed,
runs the others in order, records each one as soon as it is done, and raises
one :class:`~fcsdk.exceptions.IdempotencyBatchError` naming the records that
failed. Let it escape the handler: FC pushes the batch again, and only the
failed records run then.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from datetime import timedelta
from typing import Any, TypeVar, overload

from fcsdk.exceptions import IdempotencyBatchError, IdempotencyError, IdempotencyStoreError
from fcsdk.idempotency._core import Guard, KeySource, _returns, default_namespace
from fcsdk.idempotency._store import Claim, IdempotencyStore

__all__ = ["aprocess_batch", "process_batch"]

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("fcsdk.idempotency")


class _NotRun(IdempotencyError):
    """A record left alone because an earlier one failed (``stop_at_first_failure``)."""


class _Plan:
    """The per-record bookkeeping of one batch: keys, claims, results, failures."""

    def __init__(self, guard: Guard, records: list[Any]) -> None:
        self.guard = guard
        self.records = records
        self.keys: list[str | None] = []
        self.payloads: list[str | None] = []
        self.first: dict[str, int] = {}  # key -> index of its first record
        self.results: dict[int, Any] = {}
        self.failures: dict[int, tuple[str, BaseException]] = {}
        self.claims: dict[int, Claim] = {}
        for index, record in enumerate(records):
            try:
                key = guard.key_hash(record)
                payload = guard.payload_hash(record)
            except IdempotencyError as exc:
                self.keys.append(None)
                self.payloads.append(None)
                self.failures[index] = ("", exc)
                continue
            self.keys.append(key)
            self.payloads.append(payload)
            self.first.setdefault(key, index)

    def claim_items(self, ttl_ms: int) -> list[tuple[str, Any, int]]:
        guard = self.guard
        return [(key, guard.new_claim(self.payloads[i]), ttl_ms) for key, i in self.first.items()]

    def take(self, claims: list[Claim]) -> None:
        try:
            pairs = list(zip(self.first.values(), claims, strict=True))
        except ValueError:
            raise IdempotencyStoreError(
                f"the idempotency store answered {len(claims)} claims for "
                f"{len(self.first)} keys; no record ran"
            ) from None
        for index, claim in pairs:
            self.claims[index] = claim

    def settled(self, index: int) -> Claim | None:
        """Settle a record that needs no run; return its claim when it must run."""
        key = self.keys[index]
        if key is None:
            return None  # its key error is recorded already
        first = self.first[key]
        if first != index:  # a duplicate inside the batch follows its first record
            if first in self.failures:
                self.failures[index] = (key, self.failures[first][1])
            else:
                self.results[index] = self.results[first]
            return None
        claim = self.claims[index]
        if claim.won:
            return claim
        try:
            done, answer = self.guard.found(key, self.payloads[index], claim.record)
        except IdempotencyError as exc:
            self.failures[index] = (key, exc)
            return None
        if done:
            self.results[index] = answer
        else:
            self.failures[index] = (key, self.guard.in_progress(key, claim.record))
        return None

    def unrun(self, after: int) -> list[tuple[int, str, Claim]]:
        """The won claims of records after ``after``, marked as not run; the records after it
        that need no run are settled as usual (a result or a failure for every record)."""
        left = []
        for index in range(after + 1, len(self.records)):
            key, claim = self.keys[index], self.claims.get(index)
            if key is None or claim is None or not claim.won:
                self.settled(index)
                continue
            left.append((index, key, claim))
            self.failures[index] = (key, _NotRun("not run: an earlier record failed", key_hash=key))
        return left

    def outcome(self) -> list[Any]:
        if self.failures:
            failures = [(i, key, error) for i, (key, error) in sorted(self.failures.items())]
            shown = ", ".join(f"#{i} ({type(e).__name__}: {e})" for i, _, e in failures[:5])
            more = f" and {len(failures) - 5} more" if len(failures) > 5 else ""
            log.warning(
                "idempotency batch: %d of %d records failed: %s%s",
                len(failures),
                len(self.records),
                shown,
                more,
            )
            raise IdempotencyBatchError(
                f"{len(failures)} of {len(self.records)} records failed: {shown}{more}",
                failures=failures,
                results=self.results,
            )
        return [self.results[i] for i in range(len(self.records))]


def _guard(
    store: IdempotencyStore,
    fn: Callable[..., Any],
    *,
    key: KeySource,
    expires_after: timedelta | float,
    in_progress_expires_after: timedelta | float | None,
    validate_payload: bool | KeySource,
    namespace: str | None,
) -> Guard:
    return Guard(
        store,
        key=key,
        expires_after=expires_after,
        in_progress_expires_after=in_progress_expires_after,
        validate_payload=validate_payload,
        wait=None,
        namespace=namespace or default_namespace(fn),
        returns=_returns(fn),
    )


@overload
def process_batch(
    store: IdempotencyStore,
    records: Iterable[T],
    fn: Callable[[T], Coroutine[Any, Any, R]],
    *,
    key: KeySource,
    expires_after: timedelta | float = ...,
    in_progress_expires_after: timedelta | float | None = ...,
    validate_payload: bool | KeySource = ...,
    namespace: str | None = ...,
    stop_at_first_failure: bool = ...,
) -> list[R]: ...
@overload
def process_batch(
    store: IdempotencyStore,
    records: Iterable[T],
    fn: Callable[[T], R],
    *,
    key: KeySource,
    expires_after: timedelta | float = ...,
    in_progress_expires_after: timedelta | float | None = ...,
    validate_payload: bool | KeySource = ...,
    namespace: str | None = ...,
    stop_at_first_failure: bool = ...,
) -> list[R]: ...
def process_batch(
    store: IdempotencyStore,
    records: Iterable[T],
    fn: Callable[[T], Any],
    *,
    key: KeySource,
    expires_after: timedelta | float = timedelta(days=1),
    in_progress_expires_after: timedelta | float | None = None,
    validate_payload: bool | KeySource = False,
    namespace: str | None = None,
    stop_at_first_failure: bool = False,
) -> list[Any]:
    """Run ``fn`` once per record; records done in an earlier push answer from the store.

    Every record's key is claimed in one round trip; ``fn`` then runs on the
    claimed records in batch order, and each result is stored as soon as the
    record is done. Records whose key appears twice in the batch run once.
    ``fn`` may be ``async def`` (it runs on the instance's shared loop; in an
    async handler use :func:`aprocess_batch`).

    Args:
        store: the idempotency store.
        records: the batch (``list[KafkaEvent[Order]]``, say).
        fn: what to do with one record.
        key: a function of a record or a dotted field path (``"data.key"``).
        expires_after: how long a done record is skipped (a day by default:
            batch triggers retry for up to a day).
        in_progress_expires_after: how long a claim blocks other pushes; the
            invocation's deadline by default.
        validate_payload: as for :func:`~fcsdk.idempotency.idempotent`.
        namespace: hashed with each key; ``fn``'s module and name (after the FC
            function's name on FC) by default.
        stop_at_first_failure: stop at the first failed record (ordered
            streams) instead of running the rest; their claims are released.

    Returns:
        One result per record, in batch order (a skipped record's stored result).

    Raises:
        IdempotencyBatchError: records failed; ``failures`` lists them (index,
            key hash, error) and ``results`` holds the others' results.
        IdempotencyStoreError: the claims failed; no record ran.
    """
    guard = _guard(
        store,
        fn,
        key=key,
        expires_after=expires_after,
        in_progress_expires_after=in_progress_expires_after,
        validate_payload=validate_payload,
        namespace=namespace,
    )
    if inspect.iscoroutinefunction(fn):
        from fcsdk._aio import run as run_async

        run_one: Callable[[T], Any] = lambda record: run_async(fn(record))  # noqa: E731
    else:
        run_one = fn
    plan = _Plan(guard, list(records))
    if plan.first:
        items = plan.claim_items(guard.deadline_ms(()))
        try:
            claims = store.claim_many(items)
        except IdempotencyError:
            raise
        except Exception as exc:
            raise IdempotencyStoreError(f"the idempotency store failed: {exc!r}") from exc
        plan.take(claims)
    for index, record in enumerate(plan.records):
        claim = plan.settled(index)
        if claim is None:
            continue
        key_hash = plan.keys[index] or ""
        try:
            result = run_one(record)
        except Exception as exc:
            guard.release_claim(key_hash, claim)
            plan.failures[index] = (key_hash, exc)
            if stop_at_first_failure:
                for _, left_key, left in plan.unrun(index):
                    guard.release_claim(left_key, left)
                break
            continue
        except BaseException:
            guard.release_claim(key_hash, claim)
            for _, left_key, left in plan.unrun(index):
                guard.release_claim(left_key, left)
            raise
        completed, error = guard.completed(key_hash, claim, result)
        try:
            kept = store.complete(key_hash, claim, completed, guard.expires_ms)
        except Exception as exc:
            log.error("idempotency key %s: the result could not be stored: %s", key_hash, exc)
        else:
            guard.log_completion(key_hash, kept, completed)
        if error is not None:
            plan.failures[index] = (key_hash, error)
        else:
            plan.results[index] = result
    return plan.outcome()


@overload
async def aprocess_batch(
    store: IdempotencyStore,
    records: Iterable[T],
    fn: Callable[[T], Awaitable[R]],
    *,
    key: KeySource,
    expires_after: timedelta | float = ...,
    in_progress_expires_after: timedelta | float | None = ...,
    validate_payload: bool | KeySource = ...,
    namespace: str | None = ...,
    stop_at_first_failure: bool = ...,
) -> list[R]: ...
@overload
async def aprocess_batch(
    store: IdempotencyStore,
    records: Iterable[T],
    fn: Callable[[T], R],
    *,
    key: KeySource,
    expires_after: timedelta | float = ...,
    in_progress_expires_after: timedelta | float | None = ...,
    validate_payload: bool | KeySource = ...,
    namespace: str | None = ...,
    stop_at_first_failure: bool = ...,
) -> list[R]: ...
async def aprocess_batch(
    store: IdempotencyStore,
    records: Iterable[T],
    fn: Callable[[T], Any],
    *,
    key: KeySource,
    expires_after: timedelta | float = timedelta(days=1),
    in_progress_expires_after: timedelta | float | None = None,
    validate_payload: bool | KeySource = False,
    namespace: str | None = None,
    stop_at_first_failure: bool = False,
) -> list[Any]:
    """:func:`process_batch` for ``async def`` handlers, on the store's async client.

    ``fn`` may be sync or ``async def``; records run one after the other, in order.
    """
    guard = _guard(
        store,
        fn,
        key=key,
        expires_after=expires_after,
        in_progress_expires_after=in_progress_expires_after,
        validate_payload=validate_payload,
        namespace=namespace,
    )
    plan = _Plan(guard, list(records))
    if plan.first:
        items = plan.claim_items(guard.deadline_ms(()))
        try:
            claims = await store.aclaim_many(items)
        except IdempotencyError:
            raise
        except Exception as exc:
            raise IdempotencyStoreError(f"the idempotency store failed: {exc!r}") from exc
        plan.take(claims)

    async def release(key_hash: str, claim: Claim) -> None:
        try:
            await store.arelease(key_hash, claim)
        except Exception as exc:
            log.error("idempotency key %s: the claim could not be released: %s", key_hash, exc)

    for index, record in enumerate(plan.records):
        claim = plan.settled(index)
        if claim is None:
            continue
        key_hash = plan.keys[index] or ""
        try:
            result = fn(record)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            await release(key_hash, claim)
            plan.failures[index] = (key_hash, exc)
            if stop_at_first_failure:
                for _, left_key, left in plan.unrun(index):
                    await release(left_key, left)
                break
            continue
        except BaseException:
            await release(key_hash, claim)
            for _, left_key, left in plan.unrun(index):
                await release(left_key, left)
            raise
        completed, error = guard.completed(key_hash, claim, result)
        try:
            kept = await store.acomplete(key_hash, claim, completed, guard.expires_ms)
        except Exception as exc:
            log.error("idempotency key %s: the result could not be stored: %s", key_hash, exc)
        else:
            guard.log_completion(key_hash, kept, completed)
        if error is not None:
            plan.failures[index] = (key_hash, error)
        else:
            plan.results[index] = result
    return plan.outcome()
