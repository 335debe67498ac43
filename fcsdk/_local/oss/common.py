"""What the OSS operations share: the store, receiving bodies, request metadata."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fcsdk._local.oss.errors import OSSError, is_number
from fcsdk._local.oss.server import Request
from fcsdk._local.oss.storage import Blob, BlobWriter, ObjectMeta, Store

__all__ = ["OperationBase", "int_param", "strip_etag"]

_KEPT_HEADERS = (
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
)


def int_param(args: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter in ``[low, high]``, or ``InvalidArgument``."""
    text = args.get(name, "")
    if text == "":
        return default
    if not is_number(text) or not low <= int(text) <= high:
        raise OSSError(
            400,
            "InvalidArgument",
            f"{name} must be an integer from {low} to {high}.",
            ArgumentName=name,
            ArgumentValue=text,
        )
    return int(text)


def strip_etag(etag: str) -> str:
    """An ETag without quotes, upper-case, for comparisons."""
    return etag.strip().strip('"').upper()


class OperationBase:
    """The store and region, and the helpers every operation group uses."""

    def __init__(self, store: Store, region: str) -> None:
        self.store = store
        self.region = region

    def _receive(self, request: Request, *, crc: int = 0) -> BlobWriter:
        """Stream the request body into a new blob of the bucket."""
        if not request.body.present:
            raise OSSError(
                411, "MissingContentLength", "You must provide the Content-Length HTTP header."
            )
        with self.store.lock:
            self.store.bucket(request.bucket)
        writer = self.store.writer(request.bucket, size_hint=request.body.length, crc=crc)
        try:
            for chunk in request.body.chunks():
                writer.write(chunk)
            self._check_md5(request, writer.md5)
        except BaseException:
            writer.abort()
            raise
        return writer

    @staticmethod
    def _check_md5(request: Request, md5: Any) -> None:
        given = request.headers.get("content-md5")
        if given is None:
            return
        try:
            expected = base64.b64decode(given, validate=True)
        except (binascii.Error, ValueError):
            expected = b""
        if expected != md5.digest():
            raise OSSError(
                400,
                "InvalidDigest",
                "The Content-MD5 you specified did not match what was received.",
            )

    @staticmethod
    def _meta_from_headers(request: Request) -> tuple[str, dict[str, str], dict[str, str]]:
        headers = request.headers
        content_type = headers.get("content-type") or "application/octet-stream"
        user_meta = {k: v for k, v in headers.items() if k.startswith("x-oss-meta-")}
        kept = {k: headers[k] for k in _KEPT_HEADERS if k in headers}
        return content_type, user_meta, kept

    def _check_overwrite(self, request: Request) -> None:
        value = request.headers.get("x-oss-forbid-overwrite", "").lower()
        if value not in ("", "true", "false"):
            raise OSSError(
                400,
                "InvalidArgument",
                "x-oss-forbid-overwrite must be true or false.",
                ArgumentName="x-oss-forbid-overwrite",
                ArgumentValue=value,
            )
        if value == "true":
            with self.store.lock:
                exists = request.key in self.store.bucket(request.bucket).objects
            if exists:
                raise OSSError(
                    409,
                    "FileAlreadyExists",
                    "The object you specified already exists and can not be overwritten.",
                )

    def _store(
        self, bucket: str, meta: ObjectMeta, blob: Blob, request: Request | None = None
    ) -> None:
        try:
            # With the request, x-oss-forbid-overwrite is checked again under the lock the
            # put takes: of two racing create-only writes, exactly one succeeds.
            with self.store.lock:
                if request is not None:
                    self._check_overwrite(request)
                self.store.put(bucket, meta, blob)
        except OSSError:  # the bucket went away meanwhile, or the object came to exist
            blob.discard()
            raise
