"""OSS's XML bodies: the documents the server writes and the few it reads."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from fcsdk._local.oss.errors import OSSError, is_number

__all__ = [
    "error_document",
    "iso_time",
    "parse_complete_upload",
    "parse_delete",
    "parse_root",
    "render",
]

OWNER_ID = "1234567890123456"

_XML_DECL = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def iso_time(timestamp: float) -> str:
    """``2026-11-23T08:00:00.000Z``, the form OSS uses in XML (always ``.000``, as OSS)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(timestamp))


def http_time(timestamp: float) -> str:
    """``Mon, 23 Nov 2026 08:00:00 GMT``, the form of HTTP headers."""
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(timestamp))


def _add(parent: ET.Element, tag: str, text: Any = None) -> ET.Element:
    child = ET.SubElement(parent, tag)
    if text is not None:
        child.text = str(text)
    return child


def render(root: ET.Element) -> bytes:
    """Serialize a document with OSS's XML declaration."""
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return _XML_DECL + document


def error_document(error: OSSError, request_id: str, host_id: str) -> bytes:
    """The ``<Error>`` document for ``error``, with ``RequestId`` and ``HostId``."""
    root = ET.Element("Error")
    _add(root, "Code", error.code)
    _add(root, "Message", error.message)
    _add(root, "RequestId", request_id)
    _add(root, "HostId", host_id)
    for tag, value in error.extra.items():
        _add(root, tag, value)
    _add(root, "EC", "0000-00000000")
    return render(root)


def encode_key(key: str, url: bool) -> str:
    """A key as it goes into a listing: url-encoded when asked (``encoding-type=url``)."""
    return quote(key, safe="/") if url else key


def list_buckets(
    buckets: Sequence[tuple[str, float]],
    *,
    prefix: str,
    marker: str,
    max_keys: int,
    truncated: bool,
    region: str,
) -> bytes:
    """``ListAllMyBucketsResult``."""
    root = ET.Element("ListAllMyBucketsResult")
    if prefix:
        _add(root, "Prefix", prefix)
    if marker:
        _add(root, "Marker", marker)
    _add(root, "MaxKeys", max_keys)
    _add(root, "IsTruncated", str(truncated).lower())
    if truncated and buckets:
        _add(root, "NextMarker", buckets[-1][0])
    owner = _add(root, "Owner")
    _add(owner, "ID", OWNER_ID)
    _add(owner, "DisplayName", OWNER_ID)
    holder = _add(root, "Buckets")
    for name, created in buckets:
        node = _add(holder, "Bucket")
        _add(node, "CreationDate", iso_time(created))
        _add(node, "ExtranetEndpoint", f"oss-{region}.aliyuncs.com")
        _add(node, "IntranetEndpoint", f"oss-{region}-internal.aliyuncs.com")
        _add(node, "Location", f"oss-{region}")
        _add(node, "Name", name)
        _add(node, "Region", region)
        _add(node, "StorageClass", "Standard")
    return render(root)


def list_objects(
    *,
    version: int,
    bucket: str,
    params: dict[str, str],
    contents: Iterable[Any],
    prefixes: Iterable[str],
    truncated: bool,
    next_marker: str,
    max_keys: int,
    fetch_owner: bool,
) -> bytes:
    """``ListBucketResult`` for ListObjects (v1) and ListObjectsV2."""
    url = params.get("encoding-type") == "url"
    root = ET.Element("ListBucketResult")
    _add(root, "Name", bucket)
    _add(root, "Prefix", encode_key(params.get("prefix", ""), url))
    if version == 1:
        _add(root, "Marker", encode_key(params.get("marker", ""), url))
    else:
        if params.get("continuation-token"):
            _add(root, "ContinuationToken", params["continuation-token"])
        if params.get("start-after"):
            _add(root, "StartAfter", encode_key(params["start-after"], url))
    _add(root, "MaxKeys", max_keys)
    _add(root, "Delimiter", encode_key(params.get("delimiter", ""), url))
    if url:
        _add(root, "EncodingType", "url")
    _add(root, "IsTruncated", str(truncated).lower())
    if truncated:
        if version == 1:
            _add(root, "NextMarker", encode_key(next_marker, url))
        else:
            _add(root, "NextContinuationToken", next_marker)
    count = 0
    for meta in contents:
        count += 1
        node = _add(root, "Contents")
        _add(node, "Key", encode_key(meta.key, url))
        _add(node, "LastModified", iso_time(meta.last_modified))
        _add(node, "ETag", meta.etag)
        _add(node, "Type", meta.object_type)
        _add(node, "Size", meta.size)
        _add(node, "StorageClass", meta.storage_class)
        if version == 1 or fetch_owner:
            owner = _add(node, "Owner")
            _add(owner, "ID", OWNER_ID)
            _add(owner, "DisplayName", OWNER_ID)
    for prefix in prefixes:
        count += 1
        _add(_add(root, "CommonPrefixes"), "Prefix", encode_key(prefix, url))
    if version == 2:
        _add(root, "KeyCount", count)
    return render(root)


def initiate_upload(bucket: str, key: str, upload_id: str) -> bytes:
    """``InitiateMultipartUploadResult``."""
    root = ET.Element("InitiateMultipartUploadResult")
    _add(root, "Bucket", bucket)
    _add(root, "Key", key)
    _add(root, "UploadId", upload_id)
    return render(root)


def complete_upload(bucket: str, key: str, etag: str, location: str) -> bytes:
    """``CompleteMultipartUploadResult``."""
    root = ET.Element("CompleteMultipartUploadResult")
    _add(root, "Location", location)
    _add(root, "Bucket", bucket)
    _add(root, "Key", key)
    _add(root, "ETag", etag)
    return render(root)


def list_uploads(
    *,
    bucket: str,
    params: dict[str, str],
    uploads: Sequence[tuple[str, str, float]],
    prefixes: Sequence[str],
    truncated: bool,
    next_key: str,
    next_upload_id: str,
    max_uploads: int,
) -> bytes:
    """``ListMultipartUploadsResult``."""
    url = params.get("encoding-type") == "url"
    root = ET.Element("ListMultipartUploadsResult")
    _add(root, "Bucket", bucket)
    if url:
        _add(root, "EncodingType", "url")
    _add(root, "KeyMarker", encode_key(params.get("key-marker", ""), url))
    _add(root, "UploadIdMarker", params.get("upload-id-marker", ""))
    _add(root, "NextKeyMarker", encode_key(next_key, url))
    _add(root, "NextUploadIdMarker", next_upload_id)
    _add(root, "Delimiter", encode_key(params.get("delimiter", ""), url))
    _add(root, "Prefix", encode_key(params.get("prefix", ""), url))
    _add(root, "MaxUploads", max_uploads)
    _add(root, "IsTruncated", str(truncated).lower())
    for key, upload_id, initiated in uploads:
        node = _add(root, "Upload")
        _add(node, "Key", encode_key(key, url))
        _add(node, "UploadId", upload_id)
        _add(node, "StorageClass", "Standard")
        _add(node, "Initiated", iso_time(initiated))
    for prefix in prefixes:
        _add(_add(root, "CommonPrefixes"), "Prefix", encode_key(prefix, url))
    return render(root)


def list_parts(
    *,
    bucket: str,
    key: str,
    upload_id: str,
    marker: int,
    parts: Sequence[Any],
    max_parts: int,
    truncated: bool,
) -> bytes:
    """``ListPartsResult``."""
    root = ET.Element("ListPartsResult")
    _add(root, "Bucket", bucket)
    _add(root, "Key", key)
    _add(root, "UploadId", upload_id)
    _add(root, "PartNumberMarker", marker)
    _add(root, "NextPartNumberMarker", parts[-1].number if parts else marker)
    _add(root, "MaxParts", max_parts)
    _add(root, "IsTruncated", str(truncated).lower())
    for part in parts:
        node = _add(root, "Part")
        _add(node, "PartNumber", part.number)
        _add(node, "LastModified", iso_time(part.last_modified))
        _add(node, "ETag", part.etag)
        _add(node, "HashCrc64ecma", part.crc64)
        _add(node, "Size", part.size)
    return render(root)


def delete_result(deleted: Iterable[str], *, url: bool) -> bytes:
    """``DeleteResult`` (empty in quiet mode)."""
    root = ET.Element("DeleteResult")
    if url:
        _add(root, "EncodingType", "url")
    for key in deleted:
        _add(_add(root, "Deleted"), "Key", encode_key(key, url))
    return render(root)


def copy_result(etag: str, last_modified: float) -> bytes:
    """``CopyObjectResult``."""
    root = ET.Element("CopyObjectResult")
    _add(root, "ETag", etag)
    _add(root, "LastModified", iso_time(last_modified))
    return render(root)


def bucket_info(name: str, created: float, region: str) -> bytes:
    """``BucketInfo`` for GetBucketInfo."""
    root = ET.Element("BucketInfo")
    node = _add(root, "Bucket")
    _add(node, "AccessMonitor", "Disabled")
    _add(node, "CreationDate", iso_time(created))
    _add(node, "CrossRegionReplication", "Disabled")
    _add(node, "DataRedundancyType", "LRS")
    _add(node, "ExtranetEndpoint", f"oss-{region}.aliyuncs.com")
    _add(node, "IntranetEndpoint", f"oss-{region}-internal.aliyuncs.com")
    _add(node, "Location", f"oss-{region}")
    _add(node, "Name", name)
    _add(node, "StorageClass", "Standard")
    _add(node, "TransferAcceleration", "Disabled")
    owner = _add(node, "Owner")
    _add(owner, "DisplayName", OWNER_ID)
    _add(owner, "ID", OWNER_ID)
    acl = _add(node, "AccessControlList")
    _add(acl, "Grant", "private")
    sse = _add(node, "ServerSideEncryptionRule")
    _add(sse, "SSEAlgorithm", "None")
    _add(node, "BucketPolicy")
    return render(root)


# -- reading ---------------------------------------------------------------------------------


def location(region: str) -> bytes:
    """``LocationConstraint`` for GetBucketLocation."""
    root = ET.Element("LocationConstraint")
    root.text = f"oss-{region}"
    return render(root)


def parse_root(body: bytes, root_tag: str) -> ET.Element:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise OSSError(
            400,
            "MalformedXML",
            f"The XML you provided was not well-formed or did not validate: {exc}.",
        ) from None
    if root.tag != root_tag:
        raise OSSError(
            400,
            "MalformedXML",
            f"The XML you provided was not well-formed or did not validate: expected "
            f"<{root_tag}>, got <{root.tag}>.",
        )
    return root


def parse_delete(body: bytes) -> tuple[list[str], bool]:
    """The keys and the quiet flag of a DeleteMultipleObjects body."""
    root = parse_root(body, "Delete")
    quiet = (root.findtext("Quiet") or "false").strip().lower() == "true"
    keys = [node.findtext("Key") or "" for node in root.findall("Object")]
    if not keys or len(keys) > 1000 or any(not k for k in keys):
        raise OSSError(
            400,
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate: "
            "1 to 1000 <Object> elements, each with a non-empty <Key>.",
        )
    return keys, quiet


def parse_complete_upload(body: bytes) -> list[tuple[int, str]]:
    """The ``(part number, ETag)`` pairs of a CompleteMultipartUpload body."""
    root = parse_root(body, "CompleteMultipartUpload")
    parts: list[tuple[int, str]] = []
    for node in root.findall("Part"):
        number = (node.findtext("PartNumber") or "").strip()
        etag = (node.findtext("ETag") or "").strip()
        if not number or not etag:
            raise OSSError(
                400,
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate: each <Part> "
                "needs a <PartNumber> and an <ETag>.",
            )
        if not is_number(number) or not 1 <= int(number) <= 10000:
            # ASCII digits only: "³" or an Arabic-Indic one is no part number, nor 5,000 digits
            raise OSSError(
                400,
                "InvalidArgument",
                "PartNumber must be an integer from 1 to 10000.",
                ArgumentName="PartNumber",
                ArgumentValue=number[:64],
            )
        parts.append((int(number), etag))
    return parts
