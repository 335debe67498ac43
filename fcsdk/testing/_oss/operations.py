"""The OSS operations LocalOSSServer implements, one method each.

Routing follows OSS: the method, whether the path names a bucket and a key,
and the sub-resource parameters (``?uploads``, ``?append`` ...) pick the
operation. Anything else answers ``NotImplemented``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from fcsdk.testing._oss import xml
from fcsdk.testing._oss.errors import OSSError, not_implemented
from fcsdk.testing._oss.server import Request, Response, http_date
from fcsdk.testing._oss.signing import V1_SUBRESOURCES
from fcsdk.testing._oss.storage import (
    Blob,
    BlobWriter,
    ObjectMeta,
    Part,
    Store,
    Upload,
    content_md5,
    multipart_etag,
    new_upload_id,
    quoted_md5,
    updated,
)

__all__ = ["Operations"]

Handler = Callable[[Request], Response]

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_KEPT_HEADERS = (
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
)
_RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}
_LIST_PARAMS = frozenset(
    {
        "prefix",
        "marker",
        "delimiter",
        "max-keys",
        "encoding-type",
        "list-type",
        "continuation-token",
        "start-after",
        "fetch-owner",
    }
)
_MIN_PART = 100 * 1024
_MAX_KEY_BYTES = 1023


def _int_param(args: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    text = args.get(name, "")
    if text == "":
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise OSSError(
            400,
            "InvalidArgument",
            f"{name} must be an integer from {low} to {high}.",
            ArgumentName=name,
            ArgumentValue=text,
        )
    return int(text)


def _subresources(request: Request) -> frozenset[str]:
    """The parameters that select an operation (OSS's sub-resources and list parameters)."""
    names = {k for k, _ in request.params}
    return frozenset(n for n in names if n in V1_SUBRESOURCES and not n.startswith("response-")) - {
        "security-token"
    }


def _strip_etag(etag: str) -> str:
    return etag.strip().strip('"').upper()


class Operations:
    """Routes requests to operations over a :class:`Store`."""

    def __init__(self, store: Store, region: str) -> None:
        self.store = store
        self.region = region

    # -- routing ---------------------------------------------------------------------------

    def route(self, request: Request) -> tuple[str, Handler]:
        """Return the operation's name and handler for ``request``."""
        method = request.method
        subs = _subresources(request)
        if not request.bucket:
            if method == "GET" and not subs:
                return "ListBuckets", self.list_buckets
            return "Unknown", self._unknown
        if _BUCKET_NAME.fullmatch(request.bucket) is None:
            raise OSSError(
                400,
                "InvalidBucketName",
                "The specified bucket is not valid.",
                bucket=request.bucket,
            )
        if not request.key:
            return self._route_bucket(method, subs)
        self._check_key(request.key)
        return self._route_object(request, method, subs)

    def _route_bucket(self, method: str, subs: frozenset[str]) -> tuple[str, Handler]:
        table: dict[tuple[str, frozenset[str]], tuple[str, Handler]] = {
            ("PUT", frozenset()): ("PutBucket", self.create_bucket),
            ("DELETE", frozenset()): ("DeleteBucket", self.delete_bucket),
            ("GET", frozenset()): ("ListObjects", self.list_objects),
            ("GET", frozenset({"continuation-token"})): ("ListObjects", self.list_objects),
            ("GET", frozenset({"bucketInfo"})): ("GetBucketInfo", self.bucket_info),
            ("GET", frozenset({"location"})): ("GetBucketLocation", self.bucket_location),
            ("POST", frozenset({"delete"})): ("DeleteMultipleObjects", self.delete_objects),
        }
        return table.get((method, subs), ("Unknown", self._unknown))

    def _route_object(
        self, request: Request, method: str, subs: frozenset[str]
    ) -> tuple[str, Handler]:
        table: dict[tuple[str, frozenset[str]], tuple[str, Handler]] = {
            ("GET", frozenset()): ("GetObject", self.get_object),
            ("HEAD", frozenset()): ("HeadObject", self.head_object),
            ("HEAD", frozenset({"objectMeta"})): ("GetObjectMeta", self.object_meta),
            ("DELETE", frozenset()): ("DeleteObject", self.delete_object),
            ("POST", frozenset({"append", "position"})): ("AppendObject", self.append_object),
            ("POST", frozenset({"uploads"})): ("InitiateMultipartUpload", self.initiate_upload),
            ("PUT", frozenset({"partNumber", "uploadId"})): ("UploadPart", self.upload_part),
            ("POST", frozenset({"uploadId"})): ("CompleteMultipartUpload", self.complete_upload),
            ("DELETE", frozenset({"uploadId"})): ("AbortMultipartUpload", self.abort_upload),
            ("GET", frozenset({"uploadId"})): ("ListParts", self.list_parts),
        }
        if method == "PUT" and not subs:
            if "x-oss-copy-source" in request.headers:
                return "CopyObject", self.copy_object
            return "PutObject", self.put_object
        if (method, subs) == ("PUT", frozenset({"partNumber", "uploadId"})) and (
            "x-oss-copy-source" in request.headers
        ):
            return "UploadPartCopy", self._unknown
        return table.get((method, subs), ("Unknown", self._unknown))

    @staticmethod
    def _check_key(key: str) -> None:
        if len(key.encode("utf-8")) > _MAX_KEY_BYTES or key.startswith(("/", "\\")):
            raise OSSError(
                400,
                "InvalidObjectName",
                "The object name must be 1 to 1023 bytes of UTF-8 and must not start with "
                "'/' or '\\'.",
            )

    @staticmethod
    def _unknown(request: Request) -> Response:
        what = sorted({k for k, _ in request.params} - {"security-token"})
        described = f"{request.method} {'?' + '&'.join(what) if what else ''}".strip()
        target = "an object" if request.key else "a bucket" if request.bucket else "the service"
        raise not_implemented(f"{described} on {target}")

    # -- service and buckets -----------------------------------------------------------------

    def list_buckets(self, request: Request) -> Response:
        """ListBuckets (GetService)."""
        args = request.args
        prefix = args.get("prefix", "")
        marker = args.get("marker", "")
        max_keys = _int_param(args, "max-keys", 100, 1, 1000)
        with self.store.lock:
            names = sorted(
                (b.name, b.created)
                for b in self.store.buckets.values()
                if b.name.startswith(prefix) and b.name > marker
            )
        page = names[:max_keys]
        body = xml.list_buckets(
            page,
            prefix=prefix,
            marker=marker,
            max_keys=max_keys,
            truncated=len(names) > max_keys,
            region=self.region,
        )
        return Response.xml(body)

    def create_bucket(self, request: Request) -> Response:
        """PutBucket."""
        body = request.body.read_all()
        if body.strip():
            xml.parse_root(body, "CreateBucketConfiguration")
        self.store.create_bucket(request.bucket)
        return Response(200, {"Location": f"/{request.bucket}"})

    def delete_bucket(self, request: Request) -> Response:
        """DeleteBucket."""
        self.store.delete_bucket(request.bucket)
        return Response(204)

    def bucket_info(self, request: Request) -> Response:
        """GetBucketInfo."""
        with self.store.lock:
            bucket = self.store.bucket(request.bucket)
        return Response.xml(xml.bucket_info(bucket.name, bucket.created, self.region))

    def bucket_location(self, request: Request) -> Response:
        """GetBucketLocation."""
        with self.store.lock:
            self.store.bucket(request.bucket)
        return Response.xml(xml.location(self.region))

    def list_objects(self, request: Request) -> Response:
        """ListObjects (v1) and ListObjectsV2 (``list-type=2``)."""
        args = request.args
        version = 2 if args.get("list-type") == "2" else 1
        prefix = args.get("prefix", "")
        delimiter = args.get("delimiter", "")
        max_keys = _int_param(args, "max-keys", 100, 0, 1000)
        if version == 2:
            token = args.get("continuation-token", "")
            marker = _decode_token(token) if token else args.get("start-after", "")
        else:
            marker = args.get("marker", "")
        with self.store.lock:
            objects = self.store.bucket(request.bucket).objects
            keys = sorted(k for k in objects if k.startswith(prefix) and k > marker)
            metas = {k: objects[k][0] for k in keys}
        contents: list[ObjectMeta] = []
        prefixes: list[str] = []
        truncated = False
        last = ""
        for key in keys:
            common = None
            if delimiter:
                index = key.find(delimiter, len(prefix))
                if index >= 0:
                    common = key[: index + len(delimiter)]
                    if common <= marker or (prefixes and prefixes[-1] == common):
                        continue
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            if common is not None:
                prefixes.append(common)
                last = common
            else:
                contents.append(metas[key])
                last = key
        body = xml.list_objects(
            version=version,
            bucket=request.bucket,
            params=args,
            contents=contents,
            prefixes=prefixes,
            truncated=truncated,
            next_marker=last if version == 1 else _encode_token(last),
            max_keys=max_keys,
            fetch_owner=args.get("fetch-owner") == "true",
        )
        return Response.xml(body)

    def delete_objects(self, request: Request) -> Response:
        """DeleteMultipleObjects."""
        body = request.body.read_all()
        self._check_md5(request, hashlib.md5(body))
        keys, quiet = xml.parse_delete(body)
        with self.store.lock:
            self.store.bucket(request.bucket)
        for key in keys:
            self.store.delete(request.bucket, key)
        url = request.args.get("encoding-type") == "url"
        return Response.xml(xml.delete_result([] if quiet else keys, url=url))

    # -- objects ----------------------------------------------------------------------------

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
        if request.headers.get("x-oss-forbid-overwrite", "").lower() == "true":
            with self.store.lock:
                exists = request.key in self.store.bucket(request.bucket).objects
            if exists:
                raise OSSError(409, "FileAlreadyExists", "The object you specified already exists.")

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
        self._store(request.bucket, meta, blob)
        return Response(
            200,
            {
                "ETag": meta.etag,
                "Content-MD5": content_md5(writer.md5),
                "x-oss-hash-crc64ecma": str(meta.crc64),
            },
        )

    def _store(self, bucket: str, meta: ObjectMeta, blob: Blob) -> None:
        try:
            self.store.put(bucket, meta, blob)
        except OSSError:  # the bucket went away meanwhile
            blob.discard()
            raise

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
        meta, blob = self.store.get(source_bucket, source_key)
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
        self._store(request.bucket, new_meta, self.store.copy_blob(request.bucket, blob))
        return Response.xml(
            xml.copy_result(new_meta.etag, now),
            headers={"ETag": new_meta.etag, "x-oss-hash-crc64ecma": str(new_meta.crc64)},
        )

    def append_object(self, request: Request) -> Response:
        """AppendObject (``?append&position=N``)."""
        position = _int_param(request.args, "position", -1, 0, 2**63)
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
        etag = _strip_etag(meta.etag)
        if_match = request.headers.get("if-match")
        if if_match is not None and _strip_etag(if_match) not in (etag, "*"):
            raise OSSError(
                412,
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold.",
                Condition="If-Match",
            )
        if_none = request.headers.get("if-none-match")
        if if_none is not None and _strip_etag(if_none) in (etag, "*"):
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
        meta, blob = self.store.get(request.bucket, request.key)
        self._check_conditions(request, meta)
        headers = self._object_headers(meta)
        for param, header in _RESPONSE_OVERRIDES.items():
            value = request.args.get(param)
            if value is not None:
                headers[header] = value
        byte_range = _parse_range(request.headers.get("range", ""), meta.size)
        if byte_range is None:
            return Response(200, headers, blob.read(), meta.size)
        start, end = byte_range
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{meta.size}"
        return Response(206, headers, blob.read(start, end), end - start)

    def delete_object(self, request: Request) -> Response:
        """DeleteObject (204 whether or not it existed, as OSS does)."""
        self.store.delete(request.bucket, request.key)
        return Response(204)

    # -- multipart ---------------------------------------------------------------------------

    def initiate_upload(self, request: Request) -> Response:
        """InitiateMultipartUpload."""
        self._check_overwrite(request)
        content_type, user_meta, kept = self._meta_from_headers(request)
        upload = Upload(
            upload_id=new_upload_id(),
            key=request.key,
            initiated=time.time(),
            content_type=content_type,
            user_meta=user_meta,
            headers=kept,
        )
        with self.store.lock:
            self.store.bucket(request.bucket).uploads[upload.upload_id] = upload
        url = request.args.get("encoding-type") == "url"
        return Response.xml(
            xml.initiate_upload(request.bucket, xml.encode_key(request.key, url), upload.upload_id)
        )

    def _upload(self, request: Request) -> Upload:
        upload_id = request.args.get("uploadId", "")
        with self.store.lock:
            upload = self.store.bucket(request.bucket).uploads.get(upload_id)
        if upload is None or upload.key != request.key:
            raise OSSError(
                404,
                "NoSuchUpload",
                "The specified upload does not exist. The upload ID may be invalid, or the "
                "upload may have been aborted or completed.",
                upload_id=upload_id,
            )
        return upload

    def upload_part(self, request: Request) -> Response:
        """UploadPart."""
        number = _int_param(request.args, "partNumber", 0, 1, 10000)
        upload = self._upload(request)
        writer = self._receive(request)
        part = Part(
            number=number,
            etag=quoted_md5(writer.md5),
            md5=writer.md5.digest(),
            size=writer.size,
            crc64=writer.crc64,
            last_modified=time.time(),
            blob=writer.finish(),
        )
        with self.store.lock:
            old = upload.parts.get(number)
            upload.parts[number] = part
        if old is not None:
            old.blob.discard()
        return Response(
            200,
            {
                "ETag": part.etag,
                "Content-MD5": base64.b64encode(part.md5).decode("ascii"),
                "x-oss-hash-crc64ecma": str(part.crc64),
            },
        )

    def complete_upload(self, request: Request) -> Response:
        """CompleteMultipartUpload (also ``x-oss-complete-all: yes`` with no body)."""
        upload = self._upload(request)
        body = request.body.read_all()
        with self.store.lock:
            available = dict(upload.parts)
        if request.headers.get("x-oss-complete-all", "").lower() == "yes":
            if body.strip():
                raise OSSError(
                    400,
                    "InvalidArgument",
                    "With x-oss-complete-all: yes the body must be empty.",
                    ArgumentName="x-oss-complete-all",
                )
            chosen = [available[n] for n in sorted(available)]
        else:
            chosen = self._chosen_parts(xml.parse_complete_upload(body), available)
        if not chosen:
            raise OSSError(
                400, "InvalidPart", "One or more of the specified parts could not be found."
            )
        for part in chosen[:-1]:
            if part.size < _MIN_PART:
                raise OSSError(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size "
                    "(every part but the last must be at least 100 KB).",
                    PartNumber=str(part.number),
                )
        writer = self.store.writer(request.bucket, size_hint=sum(p.size for p in chosen))
        for part in chosen:
            for chunk in part.blob.read():
                writer.write(chunk)
        meta = ObjectMeta(
            key=request.key,
            size=writer.size,
            etag=multipart_etag(p.md5 for p in chosen),
            crc64=writer.crc64,
            content_type=upload.content_type,
            last_modified=time.time(),
            object_type="Multipart",
            user_meta=upload.user_meta,
            headers=upload.headers,
        )
        with self.store.lock:
            bucket = self.store.bucket(request.bucket)
            if bucket.uploads.pop(upload.upload_id, None) is None:
                writer.abort()
                raise OSSError(
                    404,
                    "NoSuchUpload",
                    "The specified upload does not exist.",
                    upload_id=upload.upload_id,
                )
        self._store(request.bucket, meta, writer.finish())
        for part in upload.parts.values():
            part.blob.discard()
        url = request.args.get("encoding-type") == "url"
        location = f"http://{request.bucket}.oss-{self.region}.aliyuncs.com/{request.key}"
        return Response.xml(
            xml.complete_upload(
                request.bucket, xml.encode_key(request.key, url), meta.etag, location
            ),
            headers={"ETag": meta.etag, "x-oss-hash-crc64ecma": str(meta.crc64)},
        )

    @staticmethod
    def _chosen_parts(wanted: list[tuple[int, str]], available: dict[int, Part]) -> list[Part]:
        numbers = [number for number, _ in wanted]
        if any(a >= b for a, b in itertools.pairwise(numbers)):
            raise OSSError(
                400,
                "InvalidPartOrder",
                "The list of parts was not in ascending order. The parts list must be "
                "specified in order by part number.",
            )
        chosen: list[Part] = []
        for number, etag in wanted:
            part = available.get(number)
            if part is None or _strip_etag(part.etag) != _strip_etag(etag):
                raise OSSError(
                    400,
                    "InvalidPart",
                    "One or more of the specified parts could not be found or the specified "
                    "entity tag might not have matched the part's entity tag.",
                    PartNumber=str(number),
                    ETag=etag,
                )
            chosen.append(part)
        return chosen

    def abort_upload(self, request: Request) -> Response:
        """AbortMultipartUpload."""
        upload = self._upload(request)
        with self.store.lock:
            self.store.bucket(request.bucket).uploads.pop(upload.upload_id, None)
        for part in upload.parts.values():
            part.blob.discard()
        return Response(204)

    def list_parts(self, request: Request) -> Response:
        """ListParts."""
        upload = self._upload(request)
        args = request.args
        marker = _int_param(args, "part-number-marker", 0, 0, 10000)
        max_parts = _int_param(args, "max-parts", 1000, 1, 1000)
        with self.store.lock:
            parts = sorted(
                (p for p in upload.parts.values() if p.number > marker), key=lambda p: p.number
            )
        page = parts[:max_parts]
        return Response.xml(
            xml.list_parts(
                bucket=request.bucket,
                key=request.key,
                upload_id=upload.upload_id,
                marker=marker,
                parts=page,
                max_parts=max_parts,
                truncated=len(parts) > max_parts,
            )
        )


def _title(header: str) -> str:
    return "-".join(word.capitalize() for word in header.split("-"))


def _unquote_key(text: str) -> str:
    return unquote(text)


def _encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii") if key else ""


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError):
        raise OSSError(
            400,
            "InvalidArgument",
            "The continuation token provided is incorrect.",
            ArgumentName="continuation-token",
            ArgumentValue=token,
        ) from None


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(start, end)`` (end exclusive) for a valid single range, else ``None`` (whole object).

    As OSS does by default, a malformed range is ignored; a range that starts
    past the end is ``InvalidRange`` (416).
    """
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header)
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
