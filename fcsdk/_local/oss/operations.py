"""The OSS operations LocalOSSServer implements, one method each.

Routing follows OSS: the method, whether the path names a bucket and a key,
and the sub-resource parameters (``?uploads``, ``?append`` ...) pick the
operation. Anything else answers ``NotImplemented``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

from fcsdk._local.oss import xml
from fcsdk._local.oss.common import int_param
from fcsdk._local.oss.errors import OSSError, not_implemented
from fcsdk._local.oss.multipart import MultipartOperations
from fcsdk._local.oss.objects import ObjectOperations
from fcsdk._local.oss.server import Request, Response
from fcsdk._local.oss.signing import V1_SUBRESOURCES
from fcsdk._local.oss.storage import ObjectMeta

__all__ = ["Operations"]

Handler = Callable[[Request], Response]

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_MAX_KEY_BYTES = 1023


def _subresources(request: Request) -> frozenset[str]:
    """The parameters that select an operation (OSS's sub-resources and list parameters)."""
    names = {k for k, _ in request.params}
    return frozenset(n for n in names if n in V1_SUBRESOURCES and not n.startswith("response-")) - {
        "security-token"
    }


class Operations(ObjectOperations, MultipartOperations):
    """Routes requests to the operations, over a :class:`~fcsdk._local.oss.storage.Store`."""

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
            ("GET", frozenset({"uploads"})): ("ListMultipartUploads", self.list_uploads),
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
        max_keys = int_param(args, "max-keys", 100, 1, 1000)
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
        max_keys = int_param(args, "max-keys", 100, 0, 1000)
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


_TOKEN = re.compile(r"[A-Za-z0-9_-]+={0,2}", re.ASCII)


def _encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii") if key else ""


def _decode_token(token: str) -> str:
    """The key a token this server gave names; anything else is ``InvalidArgument``."""
    try:
        # strict: base64's decoder would drop characters outside its alphabet
        if not _TOKEN.fullmatch(token):
            raise ValueError(token)
        key = base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
        if _encode_token(key) != token:
            raise ValueError(token)
        return key
    except (ValueError, UnicodeError):
        raise OSSError(
            400,
            "InvalidArgument",
            "The continuation token provided is incorrect.",
            ArgumentName="continuation-token",
            ArgumentValue=token,
        ) from None
