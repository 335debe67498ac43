"""LocalOSSServer's answers compared whole: every XML document and every header, byte for byte.

Requests go out raw (``http.client``), signed by an independent implementation
of OSS's documented v1 header signature, so that what ``oss2`` parses away
(element order, empty elements, the exact error messages) is checked too.
Timestamps are the only variable part: each is checked for OSS's form and
replaced by ``TIME``.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import http.client
import io
import logging
import os
import re
import shutil
import signal
import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import quote

import h11
import oss2
import pytest
import requests

from fcsdk._local.oss import folder, objects, storage
from fcsdk._local.oss import server as server_module
from fcsdk._local.oss.errors import OSSError
from fcsdk.exceptions import InvalidArgumentError
from fcsdk.testing.oss import LocalOSSServer
from tests.testing.oss_support import AK, BUCKET, SECRET, TOKEN, client, new_server

# The sub-resources these tests use that the v1 signature puts in the canonical resource.
SUBRESOURCES = {
    "append",
    "bucketInfo",
    "continuation-token",
    "delete",
    "location",
    "objectMeta",
    "partNumber",
    "position",
    "response-content-type",
    "uploadId",
    "uploads",
}
XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
OWNER = "<Owner><ID>1234567890123456</ID><DisplayName>1234567890123456</DisplayName></Owner>"
ETAG_X = '"9DD4E461268C8034F5C8564E155C67A6"'  # md5(b"x")
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z")
Answer = tuple[int, dict[str, str], bytes]


def v1_signature(string_to_sign: str, secret: str = SECRET) -> str:
    """OSS v1: base64(HMAC-SHA1(secret, string to sign))."""
    digest = hmac.new(secret.encode(), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def send(
    server: LocalOSSServer,
    method: str,
    bucket: str = "",
    key: str = "",
    query: Sequence[tuple[str, str]] = (),
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    *,
    sign: bool = True,
    date_from: str = "date",
) -> Answer:
    """Send one request, v1-signed unless ``sign`` is false; return status, headers, body.

    The signature's date line is the header ``date_from`` (``x-oss-date`` replaces ``Date``).
    """
    fields = {k.lower(): v for k, v in (headers or {}).items()}
    if sign:
        fields.setdefault("date", email.utils.formatdate(usegmt=True))
        fields["x-oss-security-token"] = TOKEN
        canonical = "".join(
            f"{k}:{v}\n" for k, v in sorted(fields.items()) if k.startswith("x-oss-")
        )
        subs = sorted((k, v) for k, v in query if k in SUBRESOURCES)
        resource = f"/{bucket}/{key}" if bucket else "/"
        if subs:
            resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in subs)
        string_to_sign = "\n".join(
            [
                method,
                fields.get("content-md5", ""),
                fields.get("content-type", ""),
                fields[date_from],
                canonical + resource,
            ]
        )
        fields["authorization"] = f"OSS {AK}:{v1_signature(string_to_sign)}"
    path = quote(f"/{bucket}/{key}" if bucket else "/", safe="/")
    if query:
        path += "?" + "&".join(
            quote(k, safe="") + (f"={quote(v, safe='')}" if v else "") for k, v in query
        )
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=fields)
        response = conn.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), data
    finally:
        conn.close()


def document(data: bytes) -> str:
    """The body as text, with every timestamp checked and replaced by ``TIME``."""
    text = data.decode("utf-8")
    assert text.startswith(XML_DECL)
    return ISO_TIME.sub("TIME", text[len(XML_DECL) :])


def error_of(answer: Answer) -> str:
    """An error answer's document with its request id and host replaced by ``RID``/``HOST``."""
    _, headers, data = answer
    assert headers["Content-Type"] == "application/xml"
    assert headers["x-oss-ec"] == "0000-00000000"
    text = document(data)
    request_id = headers["x-oss-request-id"]
    assert f"<RequestId>{request_id}</RequestId>" in text
    text = text.replace(request_id, "RID")
    return re.sub(r"<HostId>[^<]*</HostId>", "", text)


def error(code: str, message: str, extra: str = "") -> str:
    """The expected error document (without HostId)."""
    return (
        f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>RID</RequestId>"
        f"{extra}<EC>0000-00000000</EC></Error>"
    )


def contents(key: str, *, owner: bool = True) -> str:
    return (
        f"<Contents><Key>{key}</Key><LastModified>TIME</LastModified><ETag>{ETAG_X}</ETag>"
        f"<Type>Normal</Type><Size>1</Size><StorageClass>Standard</StorageClass>"
        f"{OWNER if owner else ''}</Contents>"
    )


@pytest.fixture
def server() -> Iterator[LocalOSSServer]:
    """A server of the test's own (listings compare whole documents: no other test's objects)."""
    with new_server() as srv:
        bucket = client(srv)
        for key in ["a.txt", "d/1", "d/2", "d/e/3", "é f", "ü"]:
            bucket.put_object(key, b"x")
        yield srv


class TestListObjectsDocuments:
    def test_v1_default(self, server: LocalOSSServer) -> None:
        """A plain v1 listing: empty Prefix, Marker and Delimiter, owners, no NextMarker."""
        status, _, data = send(server, "GET", BUCKET, query=[("prefix", "d/")])
        assert status == 200
        assert document(data) == (
            "<ListBucketResult><Name>test-bucket</Name><Prefix>d/</Prefix><Marker />"
            "<MaxKeys>100</MaxKeys><Delimiter /><IsTruncated>false</IsTruncated>"
            + contents("d/1")
            + contents("d/2")
            + contents("d/e/3")
            + "</ListBucketResult>"
        )

    def test_v1_url_encoded_page(self, server: LocalOSSServer) -> None:
        """encoding-type=url encodes Prefix, Marker, Delimiter, NextMarker and the keys."""
        query = [
            ("encoding-type", "url"),
            ("marker", "d/e/3"),
            ("max-keys", "1"),
            ("prefix", ""),
            ("delimiter", " "),
        ]
        status, _, data = send(server, "GET", BUCKET, query=query)
        assert status == 200
        assert document(data) == (
            "<ListBucketResult><Name>test-bucket</Name><Prefix /><Marker>d/e/3</Marker>"
            "<MaxKeys>1</MaxKeys><Delimiter>%20</Delimiter><EncodingType>url</EncodingType>"
            "<IsTruncated>true</IsTruncated><NextMarker>%C3%A9%20</NextMarker>"
            "<CommonPrefixes><Prefix>%C3%A9%20</Prefix></CommonPrefixes></ListBucketResult>"
        )
        query = [("encoding-type", "url"), ("marker", "é")]
        status, _, data = send(server, "GET", BUCKET, query=query)
        assert document(data) == (
            "<ListBucketResult><Name>test-bucket</Name><Prefix /><Marker>%C3%A9</Marker>"
            "<MaxKeys>100</MaxKeys><Delimiter /><EncodingType>url</EncodingType>"
            "<IsTruncated>false</IsTruncated>"
            + contents("%C3%A9%20f")
            + contents("%C3%BC")
            + "</ListBucketResult>"
        )

    def test_v1_delimiter_inside_prefix(self, server: LocalOSSServer) -> None:
        """The delimiter is looked for after the prefix only; a prefix is listed once."""
        status, _, data = send(server, "GET", BUCKET, query=[("prefix", "d/"), ("delimiter", "/")])
        assert status == 200
        assert document(data) == (
            "<ListBucketResult><Name>test-bucket</Name><Prefix>d/</Prefix><Marker />"
            "<MaxKeys>100</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>"
            + contents("d/1")
            + contents("d/2")
            + "<CommonPrefixes><Prefix>d/e/</Prefix></CommonPrefixes></ListBucketResult>"
        )
        status, _, data = send(server, "GET", BUCKET, query=[("prefix", "d"), ("delimiter", "/")])
        assert document(data) == (
            "<ListBucketResult><Name>test-bucket</Name><Prefix>d</Prefix><Marker />"
            "<MaxKeys>100</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>"
            "<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes></ListBucketResult>"
        )

    def test_v2_pages(self, server: LocalOSSServer) -> None:
        """v2: StartAfter, then ContinuationToken/NextContinuationToken, KeyCount, no owner."""
        first = [
            ("list-type", "2"),
            ("start-after", "a.txt"),
            ("max-keys", "2"),
            ("encoding-type", "url"),
        ]
        status, _, data = send(server, "GET", BUCKET, query=first)
        assert status == 200
        token = base64.urlsafe_b64encode(b"d/2").decode()
        assert document(data) == (
            "<ListBucketResult><Name>test-bucket</Name><Prefix /><StartAfter>a.txt</StartAfter>"
            "<MaxKeys>2</MaxKeys><Delimiter /><EncodingType>url</EncodingType>"
            f"<IsTruncated>true</IsTruncated><NextContinuationToken>{token}"
            "</NextContinuationToken>"
            + contents("d/1", owner=False)
            + contents("d/2", owner=False)
            + "<KeyCount>2</KeyCount></ListBucketResult>"
        )
        rest = [("list-type", "2"), ("continuation-token", token), ("fetch-owner", "true")]
        status, _, data = send(server, "GET", BUCKET, query=rest)
        assert status == 200
        assert document(data) == (
            "<ListBucketResult><Name>test-bucket</Name><Prefix />"
            f"<ContinuationToken>{token}</ContinuationToken>"
            "<MaxKeys>100</MaxKeys><Delimiter /><IsTruncated>false</IsTruncated>"
            + contents("d/e/3")
            + contents("é f")
            + contents("ü")
            + "<KeyCount>3</KeyCount></ListBucketResult>"
        )

    def test_v2_start_after_encoded(self, server: LocalOSSServer) -> None:
        """A StartAfter that needs encoding is encoded; prefixes count in KeyCount."""
        query = [
            ("list-type", "2"),
            ("start-after", "é"),
            ("encoding-type", "url"),
            ("delimiter", " "),
        ]
        status, _, data = send(server, "GET", BUCKET, query=query)
        assert status == 200
        assert document(data) == (
            "<ListBucketResult><Name>test-bucket</Name><Prefix />"
            "<StartAfter>%C3%A9</StartAfter><MaxKeys>100</MaxKeys><Delimiter>%20</Delimiter>"
            "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
            + contents("%C3%BC", owner=False)
            + "<CommonPrefixes><Prefix>%C3%A9%20</Prefix></CommonPrefixes>"
            "<KeyCount>2</KeyCount></ListBucketResult>"
        )

    def test_plain_v2_and_url_v1_without_parameters(self, server: LocalOSSServer) -> None:
        """With no marker, start-after or delimiter the listing folds nothing, whatever the keys."""
        bucket = client(server, "plain-keys")
        bucket.create_bucket()
        for key in ["aXXXXb", "c"]:
            bucket.put_object(key, b"x")
        status, _, data = send(server, "GET", "plain-keys", query=[("list-type", "2")])
        assert status == 200
        assert document(data) == (
            "<ListBucketResult><Name>plain-keys</Name><Prefix /><MaxKeys>100</MaxKeys>"
            "<Delimiter /><IsTruncated>false</IsTruncated>"
            + contents("aXXXXb", owner=False)
            + contents("c", owner=False)
            + "<KeyCount>2</KeyCount></ListBucketResult>"
        )
        status, _, data = send(server, "GET", "plain-keys", query=[("encoding-type", "url")])
        assert status == 200
        assert document(data) == (
            "<ListBucketResult><Name>plain-keys</Name><Prefix /><Marker /><MaxKeys>100</MaxKeys>"
            "<Delimiter /><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
            + contents("aXXXXb")
            + contents("c")
            + "</ListBucketResult>"
        )

    def test_delimiter_at_the_start_of_a_key(self, server: LocalOSSServer) -> None:
        """A delimiter found at the key's first character makes a one-character prefix."""
        status, _, data = send(server, "GET", BUCKET, query=[("delimiter", "a"), ("max-keys", "1")])
        assert status == 200
        assert document(data) == (
            "<ListBucketResult><Name>test-bucket</Name><Prefix /><Marker />"
            "<MaxKeys>1</MaxKeys><Delimiter>a</Delimiter><IsTruncated>true</IsTruncated>"
            "<NextMarker>a</NextMarker><CommonPrefixes><Prefix>a</Prefix></CommonPrefixes>"
            "</ListBucketResult>"
        )

    def test_bad_continuation_token(self, server: LocalOSSServer) -> None:
        """A token the server never gave is InvalidArgument naming continuation-token."""
        query = [("list-type", "2"), ("continuation-token", "AAA")]
        answer = send(server, "GET", BUCKET, query=query)
        assert answer[0] == 400
        assert error_of(answer) == error(
            "InvalidArgument",
            "The continuation token provided is incorrect.",
            "<ArgumentName>continuation-token</ArgumentName><ArgumentValue>AAA</ArgumentValue>",
        )


def crc64_xz(data: bytes) -> int:
    """CRC-64/XZ (OSS's crc64ecma) bit by bit, from its definition."""
    crc = 0xFFFFFFFFFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xC96C5795D7870F42 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFFFFFFFFFF


class TestCrc64:
    def test_definition(self) -> None:
        """The bitwise definition gives CRC-64/XZ's published check value."""
        assert crc64_xz(b"123456789") == 0x995DC9BBDF1939FA

    def test_every_implementation_matches_the_definition(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """crcmod's function and the pure-Python one (with a fresh table) match the definition,
        from the start (no previous CRC given) and chained."""
        data = bytes(range(256)) * 2 + b"123456789"
        expected = crc64_xz(data)
        fast = storage._fast_crc64()
        assert fast(data) == expected  # type: ignore[call-arg]  # like crc64_pure: crc=0
        assert fast(data[300:], fast(data[:300], 0)) == expected
        monkeypatch.setattr(storage, "_TABLE", storage._table())
        assert storage.crc64_pure(data) == expected
        assert storage.crc64_pure(data[7:], storage.crc64_pure(data[:7])) == expected


class TestServiceAndBucketDocuments:
    def test_list_buckets(self, server: LocalOSSServer) -> None:
        """ListBuckets: every element in OSS's order, with prefix, marker and a truncated page."""
        for name in ["doc-b1", "doc-b2", "doc-b3"]:
            client(server, name).create_bucket()

        def bucket(name: str) -> str:
            return (
                "<Bucket><CreationDate>TIME</CreationDate>"
                "<ExtranetEndpoint>oss-cn-hangzhou.aliyuncs.com</ExtranetEndpoint>"
                "<IntranetEndpoint>oss-cn-hangzhou-internal.aliyuncs.com</IntranetEndpoint>"
                f"<Location>oss-cn-hangzhou</Location><Name>{name}</Name>"
                "<Region>cn-hangzhou</Region><StorageClass>Standard</StorageClass></Bucket>"
            )

        query = [("prefix", "doc-"), ("marker", "doc-b1"), ("max-keys", "1")]
        status, _, data = send(server, "GET", query=query)
        assert status == 200
        assert document(data) == (
            "<ListAllMyBucketsResult><Prefix>doc-</Prefix><Marker>doc-b1</Marker>"
            "<MaxKeys>1</MaxKeys><IsTruncated>true</IsTruncated><NextMarker>doc-b2</NextMarker>"
            + OWNER
            + "<Buckets>"
            + bucket("doc-b2")
            + "</Buckets></ListAllMyBucketsResult>"
        )
        status, _, data = send(server, "GET", query=[("prefix", "doc-b3")])
        assert document(data) == (
            "<ListAllMyBucketsResult><Prefix>doc-b3</Prefix><MaxKeys>100</MaxKeys>"
            "<IsTruncated>false</IsTruncated>"
            + OWNER
            + "<Buckets>"
            + bucket("doc-b3")
            + "</Buckets></ListAllMyBucketsResult>"
        )

    def test_bucket_info_and_location(self, server: LocalOSSServer) -> None:
        """GetBucketInfo and GetBucketLocation documents, element for element."""
        status, _, data = send(server, "GET", BUCKET, query=[("bucketInfo", "")])
        assert status == 200
        assert document(data) == (
            "<BucketInfo><Bucket><AccessMonitor>Disabled</AccessMonitor>"
            "<CreationDate>TIME</CreationDate>"
            "<CrossRegionReplication>Disabled</CrossRegionReplication>"
            "<DataRedundancyType>LRS</DataRedundancyType>"
            "<ExtranetEndpoint>oss-cn-hangzhou.aliyuncs.com</ExtranetEndpoint>"
            "<IntranetEndpoint>oss-cn-hangzhou-internal.aliyuncs.com</IntranetEndpoint>"
            "<Location>oss-cn-hangzhou</Location><Name>test-bucket</Name>"
            "<StorageClass>Standard</StorageClass>"
            "<TransferAcceleration>Disabled</TransferAcceleration>"
            "<Owner><DisplayName>1234567890123456</DisplayName><ID>1234567890123456</ID></Owner>"
            "<AccessControlList><Grant>private</Grant></AccessControlList>"
            "<ServerSideEncryptionRule><SSEAlgorithm>None</SSEAlgorithm>"
            "</ServerSideEncryptionRule><BucketPolicy /></Bucket></BucketInfo>"
        )
        status, _, data = send(server, "GET", BUCKET, query=[("location", "")])
        assert document(data) == "<LocationConstraint>oss-cn-hangzhou</LocationConstraint>"

    def test_create_and_delete_bucket_answers(self, server: LocalOSSServer) -> None:
        """PutBucket answers its Location header; deleting a bucket with objects is refused."""
        status, headers, data = send(server, "PUT", "doc-made")
        assert (status, data) == (200, b"")
        assert headers["Location"] == "/doc-made"
        answer = send(server, "DELETE", BUCKET)
        assert answer[0] == 409
        assert error_of(answer) == error(
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty.",
            "<BucketName>test-bucket</BucketName>",
        )


def upload_id_of(data: bytes) -> str:
    match = re.search(r"<UploadId>([^<]+)</UploadId>", data.decode())
    assert match is not None
    return match.group(1)


def quoted_md5(data: bytes) -> str:
    return f'"{hashlib.md5(data).hexdigest().upper()}"'


class TestMultipartDocuments:
    def test_whole_upload(self, server: LocalOSSServer) -> None:
        """Initiate, upload parts, list them a page at a time, complete: every document whole."""
        key = "mp/é.bin"
        status, _, data = send(server, "POST", BUCKET, key, [("uploads", "")])
        assert status == 200
        upload_id = upload_id_of(data)
        assert document(data) == (
            "<InitiateMultipartUploadResult><Bucket>test-bucket</Bucket>"
            f"<Key>{key}</Key><UploadId>{upload_id}</UploadId></InitiateMultipartUploadResult>"
        )
        first, second = b"a" * (100 * 1024), b"x"
        for number, part in [(1, first), (2, second)]:
            query = [("partNumber", str(number)), ("uploadId", upload_id)]
            status, headers, data = send(server, "PUT", BUCKET, key, query, body=part)
            assert (status, data) == (200, b"")
            assert headers["ETag"] == quoted_md5(part)
            assert headers["Content-MD5"] == base64.b64encode(hashlib.md5(part).digest()).decode()
            assert headers["x-oss-hash-crc64ecma"] == str(crc64_xz(part))

        def part_xml(number: int, part: bytes) -> str:
            return (
                f"<Part><PartNumber>{number}</PartNumber><LastModified>TIME</LastModified>"
                f"<ETag>{quoted_md5(part)}</ETag><HashCrc64ecma>{crc64_xz(part)}</HashCrc64ecma>"
                f"<Size>{len(part)}</Size></Part>"
            )

        query = [("uploadId", upload_id), ("max-parts", "1")]
        status, _, data = send(server, "GET", BUCKET, key, query)
        assert status == 200
        assert document(data) == (
            f"<ListPartsResult><Bucket>test-bucket</Bucket><Key>{key}</Key>"
            f"<UploadId>{upload_id}</UploadId><PartNumberMarker>0</PartNumberMarker>"
            "<NextPartNumberMarker>1</NextPartNumberMarker><MaxParts>1</MaxParts>"
            "<IsTruncated>true</IsTruncated>" + part_xml(1, first) + "</ListPartsResult>"
        )
        query = [("uploadId", upload_id), ("part-number-marker", "2")]
        status, _, data = send(server, "GET", BUCKET, key, query)
        assert document(data) == (
            f"<ListPartsResult><Bucket>test-bucket</Bucket><Key>{key}</Key>"
            f"<UploadId>{upload_id}</UploadId><PartNumberMarker>2</PartNumberMarker>"
            "<NextPartNumberMarker>2</NextPartNumberMarker><MaxParts>1000</MaxParts>"
            "<IsTruncated>false</IsTruncated></ListPartsResult>"
        )

        def complete(parts: list[tuple[str, str]]) -> Answer:
            body = "".join(
                f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in parts
            )
            xml_body = f"<CompleteMultipartUpload>{body}</CompleteMultipartUpload>".encode()
            return send(server, "POST", BUCKET, key, [("uploadId", upload_id)], body=xml_body)

        answer = complete([("0", quoted_md5(first))])
        assert answer[0] == 400
        assert error_of(answer) == error(
            "InvalidArgument",
            "PartNumber must be an integer from 1 to 10000.",
            "<ArgumentName>PartNumber</ArgumentName><ArgumentValue>0</ArgumentValue>",
        )
        answer = complete([("1", quoted_md5(first)), ("2", quoted_md5(first))])
        assert answer[0] == 400
        assert error_of(answer) == error(
            "InvalidPart",
            "One or more of the specified parts could not be found or the specified entity "
            "tag might not have matched the part's entity tag.",
            f"<PartNumber>2</PartNumber><ETag>{quoted_md5(first)}</ETag>",
        )
        answer = send(server, "POST", BUCKET, key, [("uploadId", upload_id)], body=b"<Compl")
        assert answer[0] == 400
        assert error_of(answer) == error(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate: "
            "unclosed token: line 1, column 0.",
        )
        status, headers, data = complete([("1", quoted_md5(first)), ("2", quoted_md5(second))])
        assert status == 200
        etag = '"{}-2"'.format(
            hashlib.md5(hashlib.md5(first).digest() + hashlib.md5(second).digest())
            .hexdigest()
            .upper()
        )
        assert headers["ETag"] == etag
        assert headers["x-oss-hash-crc64ecma"] == str(crc64_xz(first + second))
        assert document(data) == (
            "<CompleteMultipartUploadResult>"
            f"<Location>http://test-bucket.oss-cn-hangzhou.aliyuncs.com/{key}</Location>"
            f"<Bucket>test-bucket</Bucket><Key>{key}</Key>"
            f"<ETag>{etag}</ETag></CompleteMultipartUploadResult>"
        )

    def test_list_uploads(self, server: LocalOSSServer) -> None:
        """ListMultipartUploads: the empty document, markers, prefixes and url encoding."""
        name = "doc-uploads"
        client(server, name).create_bucket()
        empty = (
            f"<ListMultipartUploadsResult><Bucket>{name}</Bucket><KeyMarker /><UploadIdMarker />"
            "<NextKeyMarker /><NextUploadIdMarker /><Delimiter /><Prefix />"
            "<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>"
            "</ListMultipartUploadsResult>"
        )
        status, _, data = send(server, "GET", name, query=[("uploads", "")])
        assert (status, document(data)) == (200, empty)
        ids = {}
        for key in ["a/1", "b", "c", "d/x/y", "é f"]:
            answer = send(server, "POST", name, key, [("uploads", "")])
            ids[key] = upload_id_of(answer[2])

        def upload(key: str, shown: str | None = None) -> str:
            return (
                f"<Upload><Key>{shown or key}</Key><UploadId>{ids[key]}</UploadId>"
                "<StorageClass>Standard</StorageClass><Initiated>TIME</Initiated></Upload>"
            )

        query = [("uploads", ""), ("delimiter", "/"), ("max-uploads", "2")]
        status, _, data = send(server, "GET", name, query=query)
        assert document(data) == (
            f"<ListMultipartUploadsResult><Bucket>{name}</Bucket><KeyMarker /><UploadIdMarker />"
            f"<NextKeyMarker>b</NextKeyMarker><NextUploadIdMarker>{ids['b']}"
            "</NextUploadIdMarker><Delimiter>/</Delimiter><Prefix />"
            "<MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>"
            + upload("b")
            + "<CommonPrefixes><Prefix>a/</Prefix></CommonPrefixes>"
            "</ListMultipartUploadsResult>"
        )
        query = [("uploads", ""), ("delimiter", "/"), ("prefix", "d/")]
        status, _, data = send(server, "GET", name, query=query)
        assert document(data) == (
            f"<ListMultipartUploadsResult><Bucket>{name}</Bucket><KeyMarker /><UploadIdMarker />"
            "<NextKeyMarker>d/x/</NextKeyMarker><NextUploadIdMarker />"
            "<Delimiter>/</Delimiter><Prefix>d/</Prefix>"
            "<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>"
            "<CommonPrefixes><Prefix>d/x/</Prefix></CommonPrefixes>"
            "</ListMultipartUploadsResult>"
        )
        query = [
            ("uploads", ""),
            ("encoding-type", "url"),
            ("key-marker", "d/x/y"),
            ("upload-id-marker", ids["d/x/y"]),
            ("delimiter", " "),
            ("prefix", "é"),
        ]
        status, _, data = send(server, "GET", name, query=query)
        assert document(data) == (
            f"<ListMultipartUploadsResult><Bucket>{name}</Bucket><EncodingType>url</EncodingType>"
            f"<KeyMarker>d/x/y</KeyMarker><UploadIdMarker>{ids['d/x/y']}</UploadIdMarker>"
            "<NextKeyMarker>%C3%A9%20</NextKeyMarker><NextUploadIdMarker />"
            "<Delimiter>%20</Delimiter><Prefix>%C3%A9</Prefix>"
            "<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>"
            "<CommonPrefixes><Prefix>%C3%A9%20</Prefix></CommonPrefixes>"
            "</ListMultipartUploadsResult>"
        )
        query = [("uploads", ""), ("encoding-type", "url"), ("prefix", "é")]
        status, _, data = send(server, "GET", name, query=query)
        assert document(data) == (
            f"<ListMultipartUploadsResult><Bucket>{name}</Bucket><EncodingType>url</EncodingType>"
            "<KeyMarker /><UploadIdMarker />"
            f"<NextKeyMarker>%C3%A9%20f</NextKeyMarker><NextUploadIdMarker>{ids['é f']}"
            "</NextUploadIdMarker><Delimiter /><Prefix>%C3%A9</Prefix>"
            "<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>"
            + upload("é f", "%C3%A9%20f")
            + "</ListMultipartUploadsResult>"
        )
        query = [("uploads", ""), ("encoding-type", "url"), ("key-marker", "é")]
        status, _, data = send(server, "GET", name, query=query)
        assert document(data) == (
            f"<ListMultipartUploadsResult><Bucket>{name}</Bucket><EncodingType>url</EncodingType>"
            "<KeyMarker>%C3%A9</KeyMarker><UploadIdMarker />"
            f"<NextKeyMarker>%C3%A9%20f</NextKeyMarker><NextUploadIdMarker>{ids['é f']}"
            "</NextUploadIdMarker><Delimiter /><Prefix />"
            "<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>"
            + upload("é f", "%C3%A9%20f")
            + "</ListMultipartUploadsResult>"
        )

    def test_delete_with_an_empty_key_is_malformed(self, server: LocalOSSServer) -> None:
        """DeleteMultipleObjects with an <Object> whose <Key> is empty is MalformedXML."""
        body = b"<Delete><Object><Key></Key></Object></Delete>"
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        answer = send(server, "POST", BUCKET, "", [("delete", "")], {"Content-MD5": md5}, body)
        assert answer[0] == 400
        assert error_of(answer) == error(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate: "
            "1 to 1000 &lt;Object&gt; elements, each with a non-empty &lt;Key&gt;.",
        )

    def test_delete_body_too_large(self, server: LocalOSSServer) -> None:
        """A DeleteMultipleObjects body over 2 MiB is EntityTooLarge, with its message."""
        body = b"<Delete>" + b" " * (2 * 1024 * 1024) + b"</Delete>"
        answer = send(server, "POST", BUCKET, "", [("delete", "")], body=body)
        assert answer[0] == 400
        assert error_of(answer) == error("EntityTooLarge", "The request body is too large.")


FIXED = 1_700_000_000.0  # Tue, 14 Nov 2023 22:13:20 GMT


class FixedClock:
    """Stands in for the ``time`` module of the object operations: a clock that stands still."""

    @staticmethod
    def time() -> float:
        return FIXED


def answer_headers(answer: Answer) -> dict[str, str]:
    """The headers of an answer but those that change with every request."""
    headers = dict(answer[1])
    assert ISO_TIME.sub("", headers.pop("x-oss-request-id")) != ""
    headers.pop("Date")
    return headers


class TestObjectAnswers:
    def test_every_header_of_put_head_meta_and_get(
        self, server: LocalOSSServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """PutObject, HeadObject, GetObjectMeta and GetObject answer every header OSS does,
        with the kept headers spelt as OSS spells them."""
        monkeypatch.setattr(objects, "time", FixedClock)
        body = b"hello, headers"
        sent = {
            "Content-Type": "text/plain",
            "Cache-Control": "no-cache",
            "Content-Disposition": "attachment",
            "Content-Encoding": "identity",
            "Content-Language": "en-GB",
            "Expires": "Wed, 15 Nov 2023 00:00:00 GMT",
            "x-oss-meta-colour": "blue",
        }
        answer = send(server, "PUT", BUCKET, "headers.txt", headers=sent, body=body)
        assert answer[0] == 200
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        crc = str(crc64_xz(body))
        assert answer_headers(answer) == {
            "Server": "AliyunOSS",
            "ETag": quoted_md5(body),
            "Content-MD5": md5,
            "x-oss-hash-crc64ecma": crc,
            "Content-Length": "0",
        }
        stored = {
            "Server": "AliyunOSS",
            "Content-Type": "text/plain",
            "ETag": quoted_md5(body),
            "Last-Modified": "Tue, 14 Nov 2023 22:13:20 GMT",
            "Accept-Ranges": "bytes",
            "x-oss-object-type": "Normal",
            "x-oss-storage-class": "Standard",
            "x-oss-hash-crc64ecma": crc,
            "Cache-Control": "no-cache",
            "Content-Disposition": "attachment",
            "Content-Encoding": "identity",
            "Content-Language": "en-GB",
            "Expires": "Wed, 15 Nov 2023 00:00:00 GMT",
            "x-oss-meta-colour": "blue",
            "Content-Length": str(len(body)),
        }
        head = send(server, "HEAD", BUCKET, "headers.txt")
        assert (head[0], answer_headers(head)) == (200, stored)
        get = send(server, "GET", BUCKET, "headers.txt")
        assert (get[0], answer_headers(get), get[2]) == (200, stored, body)
        meta = send(server, "HEAD", BUCKET, "headers.txt", [("objectMeta", "")])
        assert (meta[0], answer_headers(meta)) == (
            200,
            {
                "Server": "AliyunOSS",
                "ETag": quoted_md5(body),
                "Last-Modified": "Tue, 14 Nov 2023 22:13:20 GMT",
                "x-oss-last-access-time": "Tue, 14 Nov 2023 22:13:20 GMT",
                "x-oss-hash-crc64ecma": crc,
                "Content-Length": str(len(body)),
            },
        )

    @pytest.mark.parametrize("directive", ["COPY", "REPLACE"])
    def test_copy_result_and_copied_time(
        self, server: LocalOSSServer, monkeypatch: pytest.MonkeyPatch, directive: str
    ) -> None:
        """CopyObjectResult carries the copy's time, and the copy keeps that time afterwards,
        its metadata copied or replaced."""
        client(server).put_object("copy-source.txt", b"x", headers={"x-oss-meta-a": "1"})
        monkeypatch.setattr(objects, "time", FixedClock)
        headers = {
            "x-oss-copy-source": f"/{BUCKET}/copy-source.txt",
            "x-oss-metadata-directive": directive,
            "x-oss-meta-b": "2",
        }
        answer = send(server, "PUT", BUCKET, "copied.txt", headers=headers)
        assert answer[0] == 200
        assert answer_headers(answer) == {
            "Server": "AliyunOSS",
            "Content-Type": "application/xml",
            "ETag": ETAG_X,
            "x-oss-hash-crc64ecma": str(crc64_xz(b"x")),
            "Content-Length": str(len(answer[2])),
        }
        assert answer[2].decode() == (
            XML_DECL + f"<CopyObjectResult><ETag>{ETAG_X}</ETag>"
            "<LastModified>2023-11-14T22:13:20.000Z</LastModified></CopyObjectResult>"
        )
        monkeypatch.undo()
        head = send(server, "HEAD", BUCKET, "copied.txt")
        assert head[1]["Last-Modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"
        meta = {k: v for k, v in head[1].items() if k.startswith("x-oss-meta-")}
        assert meta == ({"x-oss-meta-a": "1"} if directive == "COPY" else {"x-oss-meta-b": "2"})
        listed = send(server, "GET", BUCKET, query=[("prefix", "copied.txt")])
        assert b"<LastModified>2023-11-14T22:13:20.000Z</LastModified>" in listed[2]

    @pytest.mark.parametrize(
        ("headers", "status", "expected"),
        [
            (
                {"x-oss-copy-source": f"/{BUCKET}/a.txt?versionId=1"},
                400,
                error(
                    "NotImplemented",
                    "LocalOSSServer does not implement copying a version of an object (versionId).",
                ),
            ),
            (
                {"x-oss-copy-source": f"/{BUCKET}/"},
                400,
                error(
                    "InvalidArgument",
                    "x-oss-copy-source must be /&lt;bucket&gt;/&lt;key&gt;.",
                    "<ArgumentName>x-oss-copy-source</ArgumentName>"
                    f"<ArgumentValue>/{BUCKET}/</ArgumentValue>",
                ),
            ),
            (
                {"x-oss-copy-source": f"/{BUCKET}/a.txt", "x-oss-metadata-directive": "move"},
                400,
                error(
                    "InvalidArgument",
                    "x-oss-metadata-directive must be COPY or REPLACE.",
                    "<ArgumentName>x-oss-metadata-directive</ArgumentName>"
                    "<ArgumentValue>MOVE</ArgumentValue>",
                ),
            ),
        ],
    )
    def test_copy_errors(
        self, server: LocalOSSServer, headers: dict[str, str], status: int, expected: str
    ) -> None:
        """Each refused copy answers OSS's error document, every element of it."""
        answer = send(server, "PUT", BUCKET, "copy-target.txt", headers=headers)
        assert answer[0] == status
        assert error_of(answer) == expected

    @pytest.mark.parametrize(
        ("position", "message"),
        [
            ("", "position is required."),
            ("x", "position must be an integer from 0 to 9223372036854775808."),
        ],
    )
    def test_append_position_errors(
        self, server: LocalOSSServer, position: str, message: str
    ) -> None:
        """An AppendObject without a usable position is InvalidArgument naming position."""
        query = [("append", ""), ("position", position)]
        answer = send(server, "POST", BUCKET, "appended.txt", query, body=b"x")
        assert answer[0] == 400
        value = f"<ArgumentValue>{position}</ArgumentValue>" if position else ""
        assert error_of(answer) == error(
            "InvalidArgument", message, f"<ArgumentName>position</ArgumentName>{value}"
        )

    def test_forbid_overwrite_errors(self, server: LocalOSSServer) -> None:
        """x-oss-forbid-overwrite other than true/false is InvalidArgument naming the header
        and its (lower-cased) value; true over an existing object is FileAlreadyExists."""
        answer = send(server, "PUT", BUCKET, "a.txt", headers={"x-oss-forbid-overwrite": "Yes"})
        assert answer[0] == 400
        assert error_of(answer) == error(
            "InvalidArgument",
            "x-oss-forbid-overwrite must be true or false.",
            "<ArgumentName>x-oss-forbid-overwrite</ArgumentName><ArgumentValue>yes</ArgumentValue>",
        )
        answer = send(
            server, "PUT", BUCKET, "a.txt", headers={"x-oss-forbid-overwrite": "TRUE"}, body=b"y"
        )
        assert answer[0] == 409
        assert error_of(answer) == error(
            "FileAlreadyExists",
            "The object you specified already exists and can not be overwritten.",
        )

    def test_no_such_upload_names_the_upload(self, server: LocalOSSServer) -> None:
        """An unknown upload id answers NoSuchUpload with an UploadId element."""
        answer = send(server, "GET", BUCKET, "a.txt", [("uploadId", "nope")])
        assert answer[0] == 404
        assert error_of(answer) == error(
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the "
            "upload may have been aborted or completed.",
            "<UploadId>nope</UploadId>",
        )


class SteppingClock:
    """Stands in for the ``time`` module of the object operations: a clock set by hand."""

    now = FIXED

    @classmethod
    def time(cls) -> float:
        return cls.now


class TestObjectErrorDocuments:
    def test_unsendable_response_override(self, server: LocalOSSServer) -> None:
        """A response-* override no header can carry is InvalidArgument naming the parameter
        and its value."""
        answer = send(server, "GET", BUCKET, "a.txt", [("response-content-type", "text/€")])
        assert answer[0] == 400
        assert error_of(answer) == error(
            "InvalidArgument",
            "The response-content-type parameter cannot be sent as a header value.",
            "<ArgumentName>response-content-type</ArgumentName>"
            "<ArgumentValue>text/€</ArgumentValue>",
        )

    def test_range_past_the_end(self, server: LocalOSSServer) -> None:
        """A range that starts past the end is InvalidRange (416), with Content-Range
        naming the object's size."""
        answer = send(server, "GET", BUCKET, "a.txt", headers={"Range": "bytes=1-"})
        assert answer[0] == 416
        assert answer[1]["Content-Range"] == "bytes */1"
        assert error_of(answer) == error("InvalidRange", "The requested range cannot be satisfied.")

    def test_if_match_failing(self, server: LocalOSSServer) -> None:
        """An If-Match that does not hold is PreconditionFailed naming the If-Match header."""
        answer = send(server, "GET", BUCKET, "a.txt", headers={"If-Match": '"0000"'})
        assert answer[0] == 412
        assert error_of(answer) == error(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold.",
            "<Condition>If-Match</Condition>",
        )

    @pytest.mark.parametrize("method", ["GET", "HEAD"])
    def test_if_none_match_holding(self, server: LocalOSSServer, method: str) -> None:
        """An If-None-Match that matches is a bodiless 304, recorded as NotModified."""
        answer = send(server, method, BUCKET, "a.txt", headers={"If-None-Match": ETAG_X})
        assert (answer[0], answer[2]) == (304, b"")
        record = server.requests[-1]
        assert (record.status, record.error_code) == (304, "NotModified")

    def test_no_such_bucket(self, server: LocalOSSServer) -> None:
        """An object of a bucket that does not exist is NoSuchBucket naming the bucket."""
        answer = send(server, "GET", "no-such-bucket", "a.txt")
        assert answer[0] == 404
        assert error_of(answer) == error(
            "NoSuchBucket",
            "The specified bucket does not exist.",
            "<BucketName>no-such-bucket</BucketName>",
        )

    def test_appends(self, server: LocalOSSServer, monkeypatch: pytest.MonkeyPatch) -> None:
        """Each append gives the object a new ETag and Last-Modified; an append at a wrong
        position is PositionNotEqualToLength, with the position to append at."""
        monkeypatch.setattr(objects, "time", SteppingClock)
        monkeypatch.setattr(SteppingClock, "now", FIXED)
        first = send(
            server, "POST", BUCKET, "log.txt", [("append", ""), ("position", "0")], body=b"x"
        )
        assert (first[0], first[1]["ETag"]) == (200, ETAG_X)
        monkeypatch.setattr(SteppingClock, "now", FIXED + 60)
        query = [("append", ""), ("position", "1")]
        second = send(server, "POST", BUCKET, "log.txt", query, body=b"y")
        assert second[0] == 200
        assert second[1]["ETag"] != ETAG_X
        head = send(server, "HEAD", BUCKET, "log.txt")
        assert (head[1]["ETag"], head[1]["Last-Modified"]) == (
            second[1]["ETag"],
            "Tue, 14 Nov 2023 22:14:20 GMT",
        )
        wrong = send(
            server, "POST", BUCKET, "log.txt", [("append", ""), ("position", "5")], body=b"z"
        )
        assert (wrong[0], wrong[1]["x-oss-next-append-position"]) == (409, "2")
        assert error_of(wrong) == error(
            "PositionNotEqualToLength", "Position is not equal to file length."
        )


class TestRefusedDocuments:
    @pytest.mark.parametrize(
        ("path", "code", "message"),
        [
            ("x", "InvalidURI", "Couldn't parse the specified URI."),
            (f"/{BUCKET}/%FF", "InvalidObjectName", "The object name is not valid UTF-8."),
        ],
    )
    def test_unusable_paths(
        self, server: LocalOSSServer, path: str, code: str, message: str
    ) -> None:
        """A path that does not start with / is InvalidURI; one whose name is not UTF-8
        is InvalidObjectName."""
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            answer = (response.status, dict(response.getheaders()), response.read())
        finally:
            conn.close()
        assert answer[0] == 400
        assert error_of(answer) == error(code, message)

    @pytest.mark.parametrize(
        ("method", "path", "message"),
        [
            ("GET", f"/{BUCKET}/a.txt?acl", "GET ?acl on an object"),
            ("PUT", f"/{BUCKET}?acl&security-token=t", "PUT ?acl on a bucket"),
            ("POST", "/?security-token=t", "POST on the service"),
        ],
    )
    def test_unknown_operations(
        self, server: LocalOSSServer, method: str, path: str, message: str
    ) -> None:
        """An operation the server lacks is NotImplemented, naming it and what it targets
        (the security token is no part of the name)."""
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request(method, path, body=b"")
            response = conn.getresponse()
            answer = (response.status, dict(response.getheaders()), response.read())
        finally:
            conn.close()
        assert answer[0] == 400
        assert error_of(answer) == error(
            "NotImplemented", f"LocalOSSServer does not implement {message}."
        )
        assert server.requests[-1].token_present == ("security-token" in path)

    def test_refused_framing_names_its_request_id(self, server: LocalOSSServer) -> None:
        """The 400 for a request that cannot be framed carries the request id of its header."""
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            conn.sendall(
                b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
            )
            conn.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        request_id = re.search(rb"x-oss-request-id: (\w+)", head)
        assert request_id is not None
        assert b"<RequestId>" + request_id.group(1) + b"</RequestId>" in body

    def test_refusing_a_client_that_went_away_is_quiet(self) -> None:
        """When the 400 for an unframable request cannot be sent (the client is gone), the
        handler gives up quietly: the broken connection raises nothing out of it."""

        class GoneConnection:
            h11 = h11.Connection(h11.SERVER)

            def send(self, event: object) -> None:
                raise ConnectionResetError("the client went away")

        handler = object.__new__(server_module.OSSRequestHandler)
        handler._refuse(GoneConnection(), OSSError(400, "MalformedRequest", "Bad framing."))  # type: ignore[arg-type]

    @pytest.mark.parametrize("length", ["", "five", "1_0", "\u0665"])
    def test_content_length_not_a_number(self, length: str) -> None:
        """A Content-Length that is not a plain decimal number is InvalidArgument naming it."""
        with pytest.raises(OSSError) as info:
            server_module.BodyReader(io.BytesIO(b""), {"content-length": length})
        assert (info.value.status, info.value.code, info.value.message, info.value.extra) == (
            400,
            "InvalidArgument",
            "Content-Length is not a number.",
            {"ArgumentName": "Content-Length"},
        )

    def test_body_ended_early(self) -> None:
        """A body shorter than its Content-Length is IncompleteBody."""
        reader = server_module.BodyReader(io.BytesIO(b"ab"), {"content-length": "5"})
        with pytest.raises(OSSError) as info:
            reader.read_all()
        assert (info.value.status, info.value.code, info.value.message) == (
            400,
            "IncompleteBody",
            "The request body ended early.",
        )


class TestSignatureDocuments:
    def test_authorization_without_a_colon(self, server: LocalOSSServer) -> None:
        """``OSS <something without a colon>`` is InvalidArgument naming Authorization."""
        headers = {
            "Authorization": "OSS no-colon-here",
            "Date": email.utils.formatdate(usegmt=True),
        }
        answer = send(server, "GET", BUCKET, headers=headers, sign=False)
        assert answer[0] == 400
        assert error_of(answer) == error(
            "InvalidArgument",
            "Authorization header is invalid.",
            "<ArgumentName>Authorization</ArgumentName>",
        )

    def test_missing_date(self, server: LocalOSSServer) -> None:
        """A v1 request with neither Date nor x-oss-date is AccessDenied, saying so."""
        headers = {"Authorization": f"OSS {AK}:c2lnbmF0dXJl", "x-oss-security-token": TOKEN}
        answer = send(server, "GET", BUCKET, headers=headers, sign=False)
        assert answer[0] == 403
        assert error_of(answer) == error(
            "AccessDenied", "AccessDenied: the Date header is missing or invalid."
        )

    def test_x_oss_date_wins_over_date(self, server: LocalOSSServer) -> None:
        """With x-oss-date the Date header (here a stale one) is neither checked nor signed."""
        headers = {
            "Date": "Mon, 01 Jan 2001 00:00:00 GMT",
            "x-oss-date": email.utils.formatdate(usegmt=True),
        }
        status, _, _ = send(
            server,
            "GET",
            BUCKET,
            query=[("max-keys", "0")],
            headers=headers,
            date_from="x-oss-date",
        )
        assert status == 200

    def test_presigned_v1_expiry_and_its_error(self) -> None:
        """A v1 URL is good up to its Expires second included; after it, AccessDenied names
        the expiry and the server's time."""
        now = 1_700_000_000

        def url_for(expires: int) -> str:
            resource = f"/{BUCKET}/a.txt?security-token={TOKEN}"
            signature = v1_signature(f"GET\n\n\n{expires}\n{resource}")
            return (
                f"/{BUCKET}/a.txt?OSSAccessKeyId={quote(AK, safe='')}&Expires={expires}"
                f"&Signature={quote(signature, safe='')}&security-token={quote(TOKEN, safe='')}"
            )

        clock = [0.0]  # the real time until the object is there, then ``now``
        with new_server(clock=lambda: clock[0] or time.time()) as srv:
            client(srv).put_object("a.txt", b"x")
            clock[0] = now
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
            try:
                conn.request("GET", url_for(now))
                response = conn.getresponse()
                assert (response.status, response.read()) == (200, b"x")
                conn.request("GET", url_for(now - 1))
                response = conn.getresponse()
                answer = (response.status, dict(response.getheaders()), response.read())
            finally:
                conn.close()
        assert answer[0] == 403
        assert error_of(answer) == error(
            "AccessDenied",
            "Request has expired.",
            "<Expires>TIME</Expires><ServerTime>TIME</ServerTime>",
        )
        assert (
            b"<Expires>2023-11-14T22:13:19.000Z</Expires>"
            b"<ServerTime>2023-11-14T22:13:20.000Z</ServerTime>" in answer[2]
        )

    def test_presigned_v4(self, server: LocalOSSServer) -> None:
        """A v4 URL is recorded with its access key id; one without x-oss-expires is refused;
        a header it names in x-oss-additional-headers is signed."""
        bucket = client(server)
        url = bucket.sign_url("GET", "a.txt", 60)
        assert requests.get(url, timeout=10).content == b"x"
        assert server.requests[-1].auth == "v4-presigned"
        assert server.requests[-1].access_key_id == AK
        stripped = re.sub(r"&?x-oss-expires=\d+", "", url)
        refused = requests.get(stripped, timeout=10)
        assert refused.status_code == 403
        assert (
            "<Message>AccessDenied: x-oss-date or x-oss-expires is missing or invalid.</Message>"
            in refused.text
        )
        provider = oss2.credentials.StaticCredentialsProvider(AK, SECRET, TOKEN)
        v4 = oss2.Bucket(
            oss2.ProviderAuthV4(provider), server.endpoint, BUCKET, region="cn-hangzhou"
        )
        signed = v4.sign_url(
            "GET", "a.txt", 60, headers={"x-extra": "1"}, additional_headers=["x-extra"]
        )
        assert "x-oss-additional-headers=x-extra" in signed
        assert requests.get(signed, headers={"x-extra": "1"}, timeout=10).status_code == 200
        assert requests.get(signed, headers={"x-extra": "2"}, timeout=10).status_code == 403


class TestServerObject:
    def test_added_credentials_keep_their_token(self, server: LocalOSSServer) -> None:
        """Credentials added with a token need it: without it they are InvalidSecurityToken."""
        server.add_credentials(
            access_key_id="STS.added-key-id",
            access_key_secret="added/secret+value=",
            security_token="added/token+value=",
        )
        with_token = client(
            server,
            key_id="STS.added-key-id",
            secret="added/secret+value=",
            token="added/token+value=",
        )
        assert with_token.get_object("a.txt").read() == b"x"
        auth = oss2.Auth("STS.added-key-id", "added/secret+value=")
        without = oss2.Bucket(auth, server.endpoint, BUCKET, region="cn-hangzhou")
        with pytest.raises(oss2.exceptions.ServerError) as info:
            without.get_object("a.txt")
        assert info.value.code == "InvalidSecurityToken"

    def test_object_keys_of_a_missing_bucket(self, server: LocalOSSServer) -> None:
        """object_keys of a bucket that does not exist raises KeyError naming it."""
        with pytest.raises(KeyError) as info:
            server.object_keys("never-made")
        assert info.value.args == ("never-made",)

    def test_every_operation_is_recorded_by_its_oss_name(self, server: LocalOSSServer) -> None:
        """Each request is recorded with the operation's name as OSS spells it."""
        server.clear_requests()
        send(server, "PUT", "doc-names")
        send(server, "GET", "doc-names")
        send(server, "GET", "doc-names", query=[("bucketInfo", "")])
        send(server, "GET", "doc-names", query=[("location", "")])
        send(server, "DELETE", "doc-names")
        send(server, "POST", BUCKET, "log", [("append", ""), ("position", "0")], body=b"x")
        upload_id = upload_id_of(send(server, "POST", BUCKET, "mp", [("uploads", "")])[2])
        part = [("partNumber", "1"), ("uploadId", upload_id)]
        assert send(server, "PUT", BUCKET, "mp", part, body=b"p")[0] == 200
        assert [(r.method, r.operation, r.status) for r in server.requests] == [
            ("PUT", "PutBucket", 200),
            ("GET", "ListObjects", 200),
            ("GET", "GetBucketInfo", 200),
            ("GET", "GetBucketLocation", 200),
            ("DELETE", "DeleteBucket", 204),
            ("POST", "AppendObject", 200),
            ("POST", "InitiateMultipartUpload", 200),
            ("PUT", "UploadPart", 200),
        ]


class TestFolderStore:
    def test_crash_plan_setting(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """FCSDK_OSS_CRASH_AT is read as STEP[:N]; anything else is refused at start."""
        monkeypatch.setenv("FCSDK_OSS_CRASH_AT", "data-placed:2")
        folder.FolderStore(tmp_path / "new" / "root")  # parents are made too
        for bad in ["data-placed:x", "no-such-step"]:
            monkeypatch.setenv("FCSDK_OSS_CRASH_AT", bad)
            with pytest.raises(InvalidArgumentError):
                folder.FolderStore(tmp_path)

    def test_crash_step_kills_on_its_nth_time(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With STEP:2 the store sends SIGKILL to its own process the second time it reaches
        the step, not before (the kill is recorded here instead of done)."""
        kills: list[tuple[int, int]] = []
        monkeypatch.setenv("FCSDK_OSS_CRASH_AT", "data-placed:2")
        monkeypatch.setattr(os, "kill", lambda pid, sig: kills.append((pid, sig)))
        with new_server(root=tmp_path) as srv:
            bucket = client(srv)
            bucket.put_object("one", b"1")
            assert kills == []
            bucket.put_object("two", b"2")
            assert kills == [(os.getpid(), signal.SIGKILL)]

    def test_layout_and_bucket_removal(self, tmp_path: Path) -> None:
        """A new bucket is a folder with bucket.json and objects/; deleting it removes it,
        also when its folder was removed by hand meanwhile."""
        with new_server(root=tmp_path) as srv:
            client(srv, "kept").create_bucket()
            assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == [
                "bucket.json",
                "objects",
            ]
            shutil.rmtree(tmp_path / "kept")
            status, _, _ = send(srv, "DELETE", "kept")
            assert status == 204
            assert "kept" not in srv.bucket_names()

    def test_large_object_read_in_chunks(self, tmp_path: Path) -> None:
        """An object of several 1 MiB chunks is read back whole and by range from its file."""
        data = os.urandom(2 * 1024 * 1024 + 123)
        with new_server(root=tmp_path) as srv:
            bucket = client(srv)
            bucket.put_object("big", data)
            assert bucket.get_object("big").read() == data
            assert bucket.get_object("big", byte_range=(5, None)).read() == data[5:]

    def test_short_data_file_is_ignored_with_a_warning(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A data file shorter than its metadata says is left out at start, with a warning."""
        with new_server(root=tmp_path) as srv:
            client(srv).put_object("short", b"0123456789")
        (data_file,) = (tmp_path / BUCKET / "objects").glob("*.data")
        data_file.write_bytes(b"0123")
        with (
            caplog.at_level(logging.WARNING, logger="fcsdk.testing.oss"),
            new_server(root=tmp_path) as srv,
        ):
            assert srv.object_keys(BUCKET) == []
        assert [r.getMessage() for r in caplog.records] == [
            f"LocalOSSServer: {data_file} is shorter than recorded, ignoring it"
        ]

    def test_metadata_files_are_ascii(self, tmp_path: Path) -> None:
        """Metadata files are pure ASCII even for a non-ASCII key or metadata, so that they
        read back the same in any locale."""
        with new_server(root=tmp_path) as srv:
            client(srv).put_object("clé", b"x", headers={"Content-Disposition": "naïve"})
        files = list(tmp_path.glob("*/*.json")) + list(tmp_path.glob("*/objects/*.json"))
        assert len(files) == 2
        for file in files:
            file.read_bytes().decode("ascii")
        (found,) = folder.stored_objects(tmp_path)
        (data_file,) = (tmp_path / BUCKET / "objects").glob("*.data")
        assert (found.bucket, found.meta.key, found.meta.size, found.path) == (
            BUCKET,
            "clé",
            1,
            data_file,
        )
        not_a_store = tmp_path / BUCKET
        with pytest.raises(FileNotFoundError) as info:
            folder.stored_objects(not_a_store)
        assert str(info.value) == f"no buckets stored in {not_a_store}"

    def test_stored_objects_by_bucket_and_key(self, tmp_path: Path) -> None:
        """stored_objects lists every object of every bucket, by bucket then key, and leaves
        out an object whose metadata cannot be read."""
        with new_server(root=tmp_path, buckets=[BUCKET, "aaa-first"]) as srv:
            for key in ["k3", "k1", "k2", "broken"]:
                client(srv).put_object(key, key.encode())
            client(srv, "aaa-first").put_object("z", b"z")
        broken = hashlib.sha256(b"broken").hexdigest()
        (tmp_path / BUCKET / "objects" / f"{broken}.json").write_text("{not json")
        found = [
            (o.bucket, o.meta.key, o.path.read_bytes()) for o in folder.stored_objects(tmp_path)
        ]
        assert found == [
            ("aaa-first", "z", b"z"),
            (BUCKET, "k1", b"k1"),
            (BUCKET, "k2", b"k2"),
            (BUCKET, "k3", b"k3"),
        ]

    def test_data_file_removed_by_hand(self, tmp_path: Path) -> None:
        """An object whose data file was removed behind the server's back is NoSuchKey."""
        with new_server(root=tmp_path) as srv:
            client(srv).put_object("gone", b"x")
            (data_file,) = (tmp_path / BUCKET / "objects").glob("*.data")
            data_file.unlink()
            answer = send(srv, "GET", BUCKET, "gone")
        assert answer[0] == 404
        assert error_of(answer) == error("NoSuchKey", "The specified key does not exist.")
