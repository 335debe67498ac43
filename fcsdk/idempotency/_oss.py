"""The OSS store: create-only claims (``x-oss-forbid-overwrite``) in numbered generations.

OSS has one atomic primitive: a PutObject with ``x-oss-forbid-overwrite: true``
creates the object or answers 409 ``FileAlreadyExists``. It has no compare and
swap (PutObject refuses ``If-Match``), so a record is never overwritten by
anyone but the call that created it. A key's records are generations,
``<prefix><key hash>/<generation>``, and the newest generation is the live one:

- **claim**: list the key's generations and read the newest. Live (in
  progress before its deadline, or completed before it expires): that is the
  answer. None, or expired: create the next number, create-only. Of any number
  of callers who saw the same newest generation, exactly one creates the next:
  the others get 409 and look again. A caller always creates *above* the newest
  it saw, never into a gap below it, so a deleted old generation is never
  created again behind a live one.
- **expiry** is judged on OSS's own clock: the record's ``Last-Modified`` plus
  its lifetime against the ``Date`` of the response that read it, with one
  second for ``Last-Modified``'s rounding, so no caller's clock matters and a
  record is never judged expired early.
- **complete** / **release**: the creator overwrites / deletes its own
  generation. A newer generation exists only if the creator's deadline passed,
  and readers always take the newest, so a late creator changes nothing live.

Versioned buckets ignore ``x-oss-forbid-overwrite``: a claim whose answer
carries ``x-oss-version-id`` is refused with an ``IdempotencyStoreError``.

Requests are signed with the current invocation's own STS credentials
(:meth:`fcsdk.FCContext.oss_bucket`); ``oss2`` is imported on first use.
"""

from __future__ import annotations

import contextlib
import email.utils
from collections.abc import Callable
from typing import Any

from fcsdk import _invocation
from fcsdk.exceptions import IdempotencyError, IdempotencyStoreError
from fcsdk.idempotency._store import Claim, IdempotencyStore, Record, decode_record, encode_record
from fcsdk.oss import validate_bucket_name

__all__ = ["OSSStore"]

_FORBID = {"x-oss-forbid-overwrite": "true"}
_ATTEMPTS = 16


class OSSStore(IdempotencyStore):
    """Idempotency records as OSS objects, signed with each invocation's credentials.

    Args:
        bucket_name: the bucket (it must not have versioning enabled).
        prefix: the key prefix of the records (give it a lifecycle rule that
            deletes objects after a few days: old generations stay behind).
        endpoint, region, auth_version: as for :meth:`fcsdk.FCContext.oss_bucket`.
        max_record_bytes: the largest record written (32 MiB by default).

    Example:
        >>> store = OSSStore("my-bucket", prefix="idempotency/")
        >>> store.bucket_name, store.prefix
        ('my-bucket', 'idempotency/')
    """

    def __init__(
        self,
        bucket_name: str,
        *,
        prefix: str = "idempotency/",
        endpoint: str | None = None,
        region: str | None = None,
        auth_version: str = "v4",
        max_record_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self.bucket_name = validate_bucket_name(bucket_name)
        self.prefix = prefix
        self.max_record_bytes = max_record_bytes
        self._options: dict[str, Any] = {
            "endpoint": endpoint,
            "region": region,
            "auth_version": auth_version,
        }

    def __repr__(self) -> str:
        return f"OSSStore({self.bucket_name!r}, prefix={self.prefix!r})"

    def _bucket(self) -> Any:
        """The bucket, signed with the current invocation's credentials."""
        from fcsdk.context import FCContext

        current = _invocation.current()
        if current is None or current[0] is None:
            raise IdempotencyStoreError(
                "OSSStore signs with the invocation's credentials: use it inside an FC "
                "invocation (@fc.handler, an HTTP handler)"
            )
        try:
            return FCContext.from_runtime(current[0]).oss_bucket(self.bucket_name, **self._options)
        except Exception as exc:
            raise IdempotencyStoreError(f"the OSS idempotency store cannot sign: {exc}") from exc

    def _name(self, key: str, generation: int) -> str:
        return f"{self.prefix}{key}/{generation:010d}"

    def _call(self, what: Callable[[], Any]) -> Any:
        try:
            return what()
        except IdempotencyError:
            raise
        except Exception as exc:
            status = getattr(exc, "status", None)
            detail = getattr(exc, "details", None) or exc
            raise IdempotencyStoreError(
                f"the OSS idempotency store failed (status {status}): {detail}"
            ) from exc

    def _create(self, bucket: Any, name: str, data: bytes) -> bool:
        """Create-only PutObject; ``False`` when the object exists already."""
        import oss2

        try:
            answer = bucket.put_object(name, data, headers=_FORBID)
        except oss2.exceptions.ServerError as exc:
            if exc.status == 409 and exc.code == "FileAlreadyExists":
                return False
            raise
        if getattr(answer, "versionid", None):
            raise IdempotencyStoreError(
                f"bucket {self.bucket_name!r} has versioning enabled, where OSS ignores "
                "x-oss-forbid-overwrite: OSSStore cannot guarantee one run per key there; "
                "use a bucket without versioning"
            )
        return True

    def _newest(self, bucket: Any, key: str) -> tuple[int, Record | None, bool] | None:
        """The newest generation: ``(number, record, expired)``; ``(-1, None, True)`` when
        there is none; ``None`` when it vanished between the listing and the read."""
        import oss2

        names = [
            info.key
            for info in oss2.ObjectIteratorV2(bucket, prefix=f"{self.prefix}{key}/")
            if info.key.rsplit("/", 1)[-1].isdigit()
        ]
        if not names:
            return -1, None, True
        name = max(names)
        try:
            answer = bucket.get_object(name)
            data = answer.read()
        except oss2.exceptions.NoSuchKey:
            return None  # released meanwhile: look again
        record = decode_record(data)
        now = _http_time(answer.headers.get("Date"))
        written = _http_time(answer.headers.get("Last-Modified"))
        lifetime = (record.lifetime_ms or 0) / 1000
        left = written + 1 + lifetime - now
        generation = int(name.rsplit("/", 1)[-1])
        return generation, record.with_ttl(max(0, int(left * 1000))), left <= 0

    def claim(self, key: str, record: Record, ttl_ms: int) -> Claim:
        """Create the generation above the newest, create-only; or answer the live newest."""
        bucket = self._bucket()
        data = encode_record(record, lifetime_ms=ttl_ms)
        for _ in range(_ATTEMPTS):
            newest = self._call(lambda: self._newest(bucket, key))
            if newest is None:
                continue
            generation, found, expired = newest
            if found is not None and not expired:
                return Claim(False, found)
            name = self._name(key, generation + 1)
            if self._call(lambda: self._create(bucket, name, data)):  # noqa: B023
                return Claim(True, record, handle=(bucket, generation + 1))
        raise IdempotencyStoreError(
            f"could not claim idempotency key {key} in {_ATTEMPTS} attempts (heavy contention)",
            key_hash=key,
        )

    def complete(self, key: str, claim: Claim, record: Record, ttl_ms: int) -> bool:
        """Overwrite the caller's own generation with the completed record."""
        bucket, generation = claim.handle
        data = encode_record(record, lifetime_ms=ttl_ms)
        self._call(lambda: bucket.put_object(self._name(key, generation), data))
        if generation:  # the expired generations before it serve nobody now
            older = [self._name(key, g) for g in range(max(0, generation - 100), generation)]
            with contextlib.suppress(Exception):  # best effort: a lifecycle rule cleans up too
                bucket.batch_delete_objects(older)
        return True

    def release(self, key: str, claim: Claim) -> bool:
        """Delete the caller's own generation."""
        bucket, generation = claim.handle
        self._call(lambda: bucket.delete_object(self._name(key, generation)))
        return True

    def get(self, key: str) -> Record | None:
        """The newest generation's record, if it is live."""
        bucket = self._bucket()
        newest: tuple[int, Record | None, bool] | None = self._call(
            lambda: self._newest(bucket, key)
        )
        if newest is None or newest[2]:
            return None
        return newest[1]


def _http_time(value: str | None) -> float:
    if not value:
        raise IdempotencyStoreError("OSS answered without a Date or Last-Modified header")
    return email.utils.parsedate_to_datetime(value).timestamp()
