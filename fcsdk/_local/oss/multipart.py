"""Multipart upload operations: initiate, upload part, complete, abort, list parts."""

from __future__ import annotations

import base64
import itertools
import time

from fcsdk._local.oss import xml
from fcsdk._local.oss.common import OperationBase, int_param, strip_etag
from fcsdk._local.oss.errors import OSSError
from fcsdk._local.oss.server import Request, Response
from fcsdk._local.oss.storage import (
    ObjectMeta,
    Part,
    Upload,
    multipart_etag,
    new_upload_id,
    quoted_md5,
)

__all__ = ["MultipartOperations"]

_MIN_PART = 100 * 1024


class MultipartOperations(OperationBase):
    """The multipart upload operations (what ``oss2.resumable_upload`` uses)."""

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
        number = int_param(request.args, "partNumber", 0, 1, 10000)
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
        self._check_overwrite(request)
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
        held = []
        try:
            with self.store.lock:  # held now: a part uploaded again meanwhile keeps its data
                for part in chosen:
                    held.append(part.blob.open())
            for blob in held:
                for chunk in blob.read():
                    writer.write(chunk)
        except OSSError:  # a part's data went away: the upload was aborted meanwhile
            for blob in held:
                blob.close()
            writer.abort()
            raise OSSError(
                404,
                "NoSuchUpload",
                "The specified upload does not exist.",
                upload_id=upload.upload_id,
            ) from None
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
        self._store(request.bucket, meta, writer.finish(), request)
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
            if part is None or strip_etag(part.etag) != strip_etag(etag):
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
        marker = int_param(args, "part-number-marker", 0, 0, 10000)
        max_parts = int_param(args, "max-parts", 1000, 1, 1000)
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

    def list_uploads(self, request: Request) -> Response:
        """ListMultipartUploads (``GET /bucket?uploads``), ordered by key then upload id."""
        args = request.args
        prefix = args.get("prefix", "")
        delimiter = args.get("delimiter", "")
        key_marker = args.get("key-marker", "")
        id_marker = args.get("upload-id-marker", "") if key_marker else ""
        max_uploads = int_param(args, "max-uploads", 1000, 1, 1000)
        with self.store.lock:
            uploads = sorted(
                (u.key, u.upload_id, u.initiated)
                for u in self.store.bucket(request.bucket).uploads.values()
                if u.key.startswith(prefix)
                and (u.key > key_marker or (u.key == key_marker and u.upload_id > id_marker))
            )
        entries: list[tuple[str, str, float]] = []
        prefixes: list[str] = []
        truncated = False
        next_key = next_id = ""
        for key, upload_id, initiated in uploads:
            common = None
            if delimiter:
                index = key.find(delimiter, len(prefix))
                if index >= 0:
                    common = key[: index + len(delimiter)]
                    if common <= key_marker or (prefixes and prefixes[-1] == common):
                        continue
            if len(entries) + len(prefixes) >= max_uploads:
                truncated = True
                break
            if common is not None:
                prefixes.append(common)
                next_key, next_id = common, ""
            else:
                entries.append((key, upload_id, initiated))
                next_key, next_id = key, upload_id
        body = xml.list_uploads(
            bucket=request.bucket,
            params=args,
            uploads=entries,
            prefixes=prefixes,
            truncated=truncated,
            next_key=next_key,
            next_upload_id=next_id,
            max_uploads=max_uploads,
        )
        return Response.xml(body)
