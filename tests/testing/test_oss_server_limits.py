"""Tests for the local OSS server's limits (fcsdk/_local/oss/): each at its value and past it.

Object keys of 1023 bytes, ``max-keys`` up to 1000, XML request bodies of
2 MiB, multipart parts of at least 100 KiB, expat's entity amplification
limit, request heads and trailer fields of 64 KiB.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import oss2
import pytest
import requests

from fcsdk.testing.oss import LocalOSSServer


@pytest.fixture(scope="module")
def oss_server() -> Iterator[LocalOSSServer]:
    with LocalOSSServer(buckets=["limits"]) as server:
        yield server


@pytest.fixture
def bucket(oss_server: LocalOSSServer) -> oss2.Bucket:
    auth = oss2.Auth(oss_server.access_key_id, oss_server.access_key_secret)
    return oss2.Bucket(auth, oss_server.endpoint, "limits")


def oss_error(call: Callable[[], object]) -> oss2.exceptions.OssError:
    with pytest.raises(oss2.exceptions.OssError) as caught:
        call()
    return caught.value


def signed_post(bucket: oss2.Bucket, params: dict[str, str], body: bytes) -> requests.Response:
    """POST ``body`` to the bucket with a presigned URL (oss2 presigns objects only)."""
    request = oss2.http.Request("POST", f"{bucket.endpoint}/limits/", params=params, headers={})
    signed: str = bucket.auth._sign_url(request, "limits", "", 300)
    return requests.post(signed, data=body, timeout=30)


class TestOSSServerLimits:
    def test_key_length(self, bucket: oss2.Bucket) -> None:
        """An object key of 1023 UTF-8 bytes is stored; 1024 is InvalidObjectName."""
        at = "k" * 1021 + "\u00e9"  # 1023 bytes
        bucket.put_object(at, b"1")
        assert bucket.get_object(at).read() == b"1"
        error = oss_error(lambda: bucket.put_object("k" * 1022 + "\u00e9", b"1"))
        assert (error.status, error.code) == (400, "InvalidObjectName")

    def test_max_keys(self, bucket: oss2.Bucket) -> None:
        """max-keys of 1000 lists; 1001 is InvalidArgument, for objects and buckets."""
        assert bucket.list_objects(max_keys=1000).status == 200
        error = oss_error(lambda: bucket.list_objects(max_keys=1001))
        assert (error.status, error.code) == (400, "InvalidArgument")
        service = oss2.Service(bucket.auth, bucket.endpoint)
        assert service.list_buckets(max_keys=1000).status == 200
        error = oss_error(lambda: service.list_buckets(max_keys=1001))
        assert (error.status, error.code) == (400, "InvalidArgument")

    def test_xml_body_size(self, bucket: oss2.Bucket) -> None:
        """A DeleteMultipleObjects document of 2 MiB is read; one byte more is EntityTooLarge."""
        head, tail = b"<Delete>", b"<Object><Key>gone</Key></Object></Delete>"
        limit = 2 * 1024 * 1024
        at = head + b" " * (limit - len(head) - len(tail)) + tail
        assert len(at) == limit
        assert signed_post(bucket, {"delete": ""}, at).status_code == 200
        past = signed_post(bucket, {"delete": ""}, at[:8] + b" " + at[8:])
        assert past.status_code == 400
        assert b"<Code>EntityTooLarge</Code>" in past.content

    @pytest.mark.timeout(60)  # expanded, the bomb would take far longer (and a gigabyte)
    def test_entity_amplification(self, bucket: oss2.Bucket) -> None:
        """An XML entity bomb is refused as MalformedXML, not expanded."""
        entities = b"".join(b'<!ENTITY e%d "%s">' % (i + 1, b"&e%d;" % i * 10) for i in range(9))
        bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e0 "x">' + entities + b"]>"
        bomb += b"<Delete><Object><Key>&e9;</Key></Object></Delete>"
        answer = signed_post(bucket, {"delete": ""}, bomb)
        assert answer.status_code == 400
        assert b"<Code>MalformedXML</Code>" in answer.content

    @pytest.mark.parametrize(("first", "ok"), [(100 * 1024, True), (100 * 1024 - 1, False)])
    def test_min_part_size(self, bucket: oss2.Bucket, first: int, ok: bool) -> None:
        """Every part but the last must be at least 100 KiB: at it completes, below is EntityTooSmall."""  # noqa: E501
        upload = bucket.init_multipart_upload("big.bin").upload_id
        parts = [
            oss2.models.PartInfo(1, bucket.upload_part("big.bin", upload, 1, b"a" * first).etag),
            oss2.models.PartInfo(2, bucket.upload_part("big.bin", upload, 2, b"b").etag),
        ]
        if ok:
            bucket.complete_multipart_upload("big.bin", upload, parts)
            assert bucket.head_object("big.bin").content_length == first + 1
        else:
            error = oss_error(lambda: bucket.complete_multipart_upload("big.bin", upload, parts))
            assert (error.status, error.code) == (400, "EntityTooSmall")


def raw_exchange(server: LocalOSSServer, parts: list[bytes], *, end: bool = False) -> bytes:
    """Send ``parts`` one ``sendall`` each (then end our side if ``end``), then read until
    the server closes (bounded)."""
    host, port = server.endpoint.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        for part in parts:
            sock.sendall(part)
        if end:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            raise AssertionError(f"the server kept the connection: {chunks!r:.300}") from None
        except ConnectionResetError:
            pass
    return b"".join(chunks)


HEAD_LIMIT = 64 * 1024


class TestOSSServerHeadLimit:
    def test_an_unfinished_head_past_the_limit_gets_the_same_answer(
        self, oss_server: LocalOSSServer
    ) -> None:
        """A head that passes 64 KiB before its end: the whole head's 400 and message."""
        raw = b"GET /limits/k HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 70_000
        answer = raw_exchange(oss_server, [raw])
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b"the request head is over 65536 bytes" in answer

    @pytest.mark.parametrize("size", [70_000, 126_000])
    @pytest.mark.parametrize("split", [False, True])
    def test_a_head_over_64_kib_is_400(
        self, oss_server: LocalOSSServer, size: int, split: bool
    ) -> None:
        """A request head past 64 KiB is refused, whole or split at 64 KiB, before any auth."""
        raw = b"GET /limits/k HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * size + b"\r\n\r\n"
        parts = [raw[:HEAD_LIMIT], raw[HEAD_LIMIT:]] if split else [raw]
        answer = raw_exchange(oss_server, parts)
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b"<Code>InvalidArgument</Code>" in answer
        assert b"the request head is over 65536 bytes" in answer

    def test_a_head_of_64_kib_is_read(self, oss_server: LocalOSSServer) -> None:
        """A head of exactly 64 KiB is read (and answered, here 403 for want of a signature)."""
        start = b"GET /limits/k HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: "
        pad = HEAD_LIMIT - len(start) - 4
        answer = raw_exchange(oss_server, [start + b"b" * pad + b"\r\n\r\n"])
        assert answer.startswith(b"HTTP/1.1 403 ")
        answer = raw_exchange(oss_server, [start + b"b" * (pad + 1) + b"\r\n\r\n"])
        assert answer.startswith(b"HTTP/1.1 400 ")

    def test_a_head_cut_short_is_measured_against_64_kib(
        self, oss_server: LocalOSSServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An unfinished head of 64 KiB, then the end of the client's sending, is not
        refused as too large: the server waits for the rest, gets the end, and closes
        without an answer, logging why (with the traceback) at DEBUG. One byte more and
        the head is refused as over the limit. (Every byte is read before the end, so
        however they arrive the server sees the whole unfinished head.)"""
        start = b"GET /limits/k HTTP/1.1\r\nHost: x\r\nX-Big: "
        with caplog.at_level(logging.DEBUG, logger="fcsdk.testing.oss"):
            answer = raw_exchange(oss_server, [start + b"b" * (HEAD_LIMIT - len(start))], end=True)
        assert answer == b""
        (record,) = [r for r in caplog.records if r.name == "fcsdk.testing.oss"]
        assert record.levelno == logging.DEBUG
        assert record.getMessage().startswith("connection from ('127.0.0.1', ")
        assert record.getMessage().endswith(") ended with an error")
        assert record.exc_info is not None
        assert str(record.exc_info[1]) == "400 IncompleteBody: The request body ended early."
        over = start + b"b" * (HEAD_LIMIT + 1 - len(start))
        answer = raw_exchange(oss_server, [over], end=True)
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b"the request head is over 65536 bytes" in answer

    def test_trailer_section_of_64_kib_is_stored(
        self, oss_server: LocalOSSServer, bucket: oss2.Bucket
    ) -> None:
        """A signed chunked PUT whose trailer section (64 fields, their line ends and the
        blank line that ends it) is 64 KiB is stored."""
        url = urlsplit(bucket.sign_url("PUT", "trailed-at-limit", 300))
        head = (
            f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            "Connection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
        ).encode()
        fields = [b"X-T%02d: " % i + b"t" * 1015 + b"\r\n" for i in range(64)]
        fields[-1] = fields[-1][:-4] + b"\r\n"  # room for the blank line
        trailer = b"".join(fields) + b"\r\n"
        assert len(trailer) == HEAD_LIMIT
        answer = raw_exchange(oss_server, [head + trailer])
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert bucket.get_object("trailed-at-limit").read() == b"abc"

    def test_trailer_fields_over_64_kib_are_400(
        self, oss_server: LocalOSSServer, bucket: oss2.Bucket
    ) -> None:
        """A signed chunked PUT whose trailer fields pass 64 KiB is refused and not stored."""
        url = urlsplit(bucket.sign_url("PUT", "trailed", 300))
        head = (
            f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
        ).encode()
        trailer = b"X-T: " + b"t" * 126_000 + b"\r\n\r\n"
        answer = raw_exchange(oss_server, [head + trailer[:1000], trailer[1000:]])
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b"the trailer fields are over 65536 bytes" in answer
        assert not bucket.object_exists("trailed")
        closing = head.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)
        small = raw_exchange(oss_server, [closing + b"X-T: t\r\n\r\n"])
        assert small.startswith(b"HTTP/1.1 200 ")
        assert bucket.get_object("trailed").read() == b"abc"
