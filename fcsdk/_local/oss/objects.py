"""Object operations: put, get (with ranges), head, meta, delete, copy, append."""

from __future__ import annotations

import hashlib
import re
import time
from urllib.parse import unquote

from fcsdk._local.oss import xml
from fcsdk._local.oss.common import OperationBase, int_param, strip_etag
from fcsdk._local.oss.errors import OSSError, not_implemented
from fcsdk._local.oss.server import Request, Response, http_date
from fcsdk._local.oss.storage import Blob, ObjectMeta, content_md5, quoted_md5, updated

__all__ = ["ObjectOperations"]

_RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}

_HEADER_VALUE = re.compile(rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?")
"""What HTTP/1.1 (and h11, which sends the answer) allows as a header field's value."""


class ObjectOperations(OperationBase):
    """The operations on single objects."""

    def put_object(self, request: Request) -> Response:
        """PutObject."""
        self._check_overwrite(request)
        writer = self._receive(request)
        blob = writer.finish()
        content_type, user_meta, kept = self._meta_from_headers(request)
        meta = ObjectMeta(
            key=request.key,
            size=writer.size,
            etag=quoted_md5(writer.md5),
            crc64=writer.crc64,
            content_type=content_type,
            last_modified=time.time(),
            user_meta=user_meta,
            headers=kept,
        )
        self._store(request.bucket, meta, blob, request)
        return Response(
            200,
            {
                "ETag": meta.etag,
                "Content-MD5": content_md5(writer.md5),
                "x-oss-hash-crc64ecma": str(meta.crc64),
            },
        )

    def copy_object(self, request: Request) -> Response:
        """CopyObject (``x-oss-copy-source``), with ``x-oss-metadata-directive``."""
        source = request.headers["x-oss-copy-source"]
        if "?" in source:
            raise not_implemented("copying a version of an object (versionId)")
        source_bucket, _, source_key = source.lstrip("/").partition("/")
        source_key = _unquote_key(source_key)
        if not source_key:
            raise OSSError(
                400,
                "InvalidArgument",
                "x-oss-copy-source must be /<bucket>/<key>.",
                ArgumentName="x-oss-copy-source",
                ArgumentValue=source,
            )
        directive = request.headers.get("x-oss-metadata-directive", "COPY").upper()
        if directive not in ("COPY", "REPLACE"):
            raise OSSError(
                400,
                "InvalidArgument",
                "x-oss-metadata-directive must be COPY or REPLACE.",
                ArgumentName="x-oss-metadata-directive",
                ArgumentValue=directive,
            )
        if (source_bucket, source_key) == (request.bucket, request.key) and directive == "COPY":
            raise OSSError(
                400,
                "InvalidArgument",
                "Copying an object onto itself needs x-oss-metadata-directive: REPLACE.",
                ArgumentName="x-oss-metadata-directive",
            )
        with self.store.lock:
            self.store.bucket(request.bucket)
        self._check_overwrite(request)
        meta, held = self.store.open(source_bucket, source_key)
        try:
            copied = self.store.copy_blob(request.bucket, held)
        finally:
            held.close()
        now = time.time()
        if directive == "REPLACE":
            content_type, user_meta, kept = self._meta_from_headers(request)
            new_meta = updated(
                meta,
                key=request.key,
                content_type=content_type,
                user_meta=user_meta,
                headers=kept,
                last_modified=now,
            )
        else:
            new_meta = updated(meta, key=request.key, last_modified=now)
        if new_meta.object_type == "Appendable":
            new_meta = updated(new_meta, object_type="Normal")
        self._store(request.bucket, new_meta, copied, request)
        return Response.xml(
            xml.copy_result(new_meta.etag, now),
            headers={"ETag": new_meta.etag, "x-oss-hash-crc64ecma": str(new_meta.crc64)},
        )

    def append_object(self, request: Request) -> Response:
        """AppendObject (``?append&position=N``)."""
        position = int_param(request.args, "position", -1, 0, 2**63)
        if position < 0:
            raise OSSError(400, "InvalidArgument", "position is required.", ArgumentName="position")
        with self.store.lock:
            existing = self.store.bucket(request.bucket).objects.get(request.key)
        self._check_append(existing, position)
        writer = self._receive(request, crc=existing[0].crc64 if existing else 0)
        with self.store.lock:
            existing = self.store.bucket(request.bucket).objects.get(request.key)
            try:
                self._check_append(existing, position)
            except OSSError:
                writer.abort()
                raise
            now = time.time()
            if existing is None:
                content_type, user_meta, kept = self._meta_from_headers(request)
                meta = ObjectMeta(
                    key=request.key,
                    size=writer.size,
                    etag=quoted_md5(writer.md5),
                    crc64=writer.crc64,
                    content_type=content_type,
                    last_modified=now,
                    object_type="Appendable",
                    user_meta=user_meta,
                    headers=kept,
                )
                blob = writer.finish()
            else:
                old_meta, old_blob = existing
                chained = hashlib.md5(old_meta.etag.encode() + writer.md5.digest())
                meta = updated(
                    old_meta,
                    size=old_meta.size + writer.size,
                    etag=quoted_md5(chained),
                    crc64=writer.crc64,
                    last_modified=now,
                )
                blob = self.store.append_blob(request.bucket, old_blob, writer)
            self.store.put(request.bucket, meta, blob)
        return Response(
            200,
            {
                "ETag": meta.etag,
                "x-oss-next-append-position": str(meta.size),
                "x-oss-hash-crc64ecma": str(meta.crc64),
            },
        )

    @staticmethod
    def _check_append(existing: tuple[ObjectMeta, Blob] | None, position: int) -> None:
        if existing is not None and existing[0].object_type != "Appendable":
            raise OSSError(
                409,
                "ObjectNotAppendable",
                "The object is not appendable.",
            )
        size = existing[0].size if existing is not None else 0
        if position != size:
            raise OSSError(
                409,
                "PositionNotEqualToLength",
                "Position is not equal to file length.",
                headers={"x-oss-next-append-position": str(size)},
            )

    def _object_headers(self, meta: ObjectMeta) -> dict[str, str]:
        headers = {
            "Content-Type": meta.content_type,
            "ETag": meta.etag,
            "Last-Modified": http_date(meta.last_modified),
            "Accept-Ranges": "bytes",
            "x-oss-object-type": meta.object_type,
            "x-oss-storage-class": meta.storage_class,
            "x-oss-hash-crc64ecma": str(meta.crc64),
        }
        if meta.object_type == "Appendable":
            headers["x-oss-next-append-position"] = str(meta.size)
        headers.update({_title(k): v for k, v in meta.headers.items()})
        headers.update(meta.user_meta)
        return headers

    @staticmethod
    def _check_conditions(request: Request, meta: ObjectMeta) -> None:
        etag = strip_etag(meta.etag)
        if_match = request.headers.get("if-match")
        if if_match is not None and strip_etag(if_match) not in (etag, "*"):
            raise OSSError(
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold.",
                Condition="If-Match",
            )
        if_none = request.headers.get("if-none-match")
        if if_none is not None and strip_etag(if_none) in (etag, "*"):
            raise OSSError(304, "NotModified", "Not Modified.")

    def head_object(self, request: Request) -> Response:
        """HeadObject."""
        meta, _ = self.store.get(request.bucket, request.key)
        self._check_conditions(request, meta)
        return Response(200, self._object_headers(meta), b"", meta.size)

    def object_meta(self, request: Request) -> Response:
        """GetObjectMeta (``HEAD ?objectMeta``)."""
        meta, _ = self.store.get(request.bucket, request.key)
        headers = {
            "ETag": meta.etag,
            "Last-Modified": http_date(meta.last_modified),
            "x-oss-last-access-time": http_date(meta.last_modified),
            "x-oss-hash-crc64ecma": str(meta.crc64),
        }
        return Response(200, headers, b"", meta.size)

    def get_object(self, request: Request) -> Response:
        """GetObject, with ``Range`` and the ``response-*`` overrides."""
        # The lookup and the hold on the data are one step: a DELETE or PUT landing
        # after it cannot take the data away from this answer.
        meta, blob = self.store.open(request.bucket, request.key)
        try:
            self._check_conditions(request, meta)
            headers = self._object_headers(meta)
            for param, header in _RESPONSE_OVERRIDES.items():
                value = request.args.get(param)
                if value is not None:
                    headers[header] = _header_value(param, value)
            byte_range = _parse_range(request.headers.get("range", ""), meta.size)
        except BaseException:
            blob.close()
            raise
        if byte_range is None:
            return Response(200, headers, blob.read(), meta.size)
        start, end = byte_range
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{meta.size}"
        return Response(206, headers, blob.read(start, end), end - start)

    def delete_object(self, request: Request) -> Response:
        """DeleteObject (204 whether or not it existed, as OSS does)."""
        self.store.delete(request.bucket, request.key)
        return Response(204)


def _header_value(param: str, value: str) -> str:
    """A ``response-*`` override's value, refused (400) when no header could carry it.

    A value outside Latin-1 (``€``), with a control character (CR, LF, NUL) or with
    space at either end cannot be sent as a header value: refused here, it is a
    clear error, rather than an answer the server fails to send.
    """
    try:
        sendable = _HEADER_VALUE.fullmatch(value.encode("latin-1")) is not None
    except UnicodeEncodeError:
        sendable = False
    if not sendable:
        raise OSSError(
            400,
            "InvalidArgument",
            f"The {param} parameter cannot be sent as a header value.",
            ArgumentName=param,
            ArgumentValue=value,
        )
    return value


def _title(header: str) -> str:
    return "-".join(word.capitalize() for word in header.split("-"))


def _unquote_key(text: str) -> str:
    return unquote(text)


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(start, end)`` (end exclusive) for a valid single range, else ``None`` (whole object).

    As OSS does by default, a malformed range is ignored; a range that starts
    past the end is ``InvalidRange`` (416).
    """
    match = re.fullmatch(r"\s*bytes=(\d{0,18})-(\d{0,18})\s*", header, re.ASCII)
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":
        length = int(last)
        if length == 0:
            return None
        return max(size - length, 0), size
    start = int(first)
    end = size if last == "" else int(last) + 1
    if last != "" and end <= start:
        return None
    if start >= size:
        raise OSSError(
            416,
            "InvalidRange",
            "The requested range cannot be satisfied.",
            headers={"Content-Range": f"bytes */{size}"},
        )
    return start, min(end, size)
