"""Resource limits: each one holds at its value and refuses just past it, with a typed answer.

The limits fcsdk has today:

* request body size, ``max_body_size`` (FC's 6 MB by default), on ``@fc.http``,
  ``HttpApp`` and ``from_wsgi``, in all three places (413 past it);
* JSON nesting depth of events: 201 levels, pydantic-core's fixed limit
  (``EventDecodeError`` past it); HTTP bodies have their own ``Limits.max_json_depth``
  (tested with the other HTTP limits in ``tests/web/test_limits.py``), and past 201 the
  parser's cap still answers 400;
* multipart boundary length: 200 characters (400 past it);
* LocalOSSServer: object keys of 1023 bytes, ``max-keys`` up to 1000, XML
  request bodies of 2 MiB, multipart parts of at least 100 KiB, expat's
  entity amplification limit.
"""

from __future__ import annotations

import base64
import io
import json
import time
from collections.abc import Callable, Iterator
from typing import Any, get_origin

import oss2
import pytest
import requests

import fcsdk as fc
from fcsdk._decode import build_decoder
from fcsdk.testing import HttpClient, fake_context
from fcsdk.testing.oss import LocalOSSServer
from fcsdk.web.forms import parse_multipart
from fcsdk.web.places import APIGatewayPlace
from fcsdk.web.request import DEFAULT_MAX_BODY_SIZE
from tests.web.places_support import environ_request as request_from_environ
from tests.web.places_support import event_request

MB6 = 6 * 1024 * 1024
PLACES = ["wsgi", "fc3", "apigw"]
# from_wsgi leaves an FC 2.0 environ to the WSGI app untouched: max_body_size applies to events.
LIMITED = [
    (kind, via)
    for kind in ("http", "app", "wsgi")
    for via in PLACES
    if (kind, via) != ("wsgi", "wsgi")
]
JSON_DEPTH = 201  # pydantic-core refuses a document nested deeper than this


def body_length(request: fc.Request) -> dict[str, int]:
    return {"length": len(request.body)}


def wsgi_length(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    length = len(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"length": length}).encode()]


def make_handler(kind: str, **options: Any) -> Any:
    """A deployable object of ``kind`` that answers the length of the body it read."""
    if kind == "http":
        return fc.http(**options)(body_length) if options else fc.http(body_length)
    if kind == "app":
        app = fc.HttpApp(**options)
        app.post("/")(body_length)
        return app
    return fc.from_wsgi(wsgi_length, **options)


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


class TestBodySize:
    def test_default_is_fc_6mb(self) -> None:
        """The default limit is FC's own synchronous request limit: 6 MB."""
        assert DEFAULT_MAX_BODY_SIZE == MB6

    @pytest.mark.parametrize(("kind", "via"), LIMITED)
    def test_default_limit(self, via: str, kind: str) -> None:
        """A 6 MB body is read whole; one byte more is a 413 problem, in every place and kind."""
        client = HttpClient(make_handler(kind), via=via)  # type: ignore[arg-type]
        at = client.post("/", body=b"x" * MB6, headers={"Content-Type": "text/plain"})
        assert at.status_code == 200
        assert at.json() == {"length": MB6}
        past = client.post("/", body=b"x" * (MB6 + 1), headers={"Content-Type": "text/plain"})
        assert past.status_code == 413
        assert past.json()["status"] == 413
        assert str(MB6) in past.json()["detail"]

    @pytest.mark.parametrize(("kind", "via"), LIMITED)
    @pytest.mark.parametrize("limit", [0, 1, 1000])
    def test_configured_limit(self, via: str, kind: str, limit: int) -> None:
        """max_body_size=N reads N bytes and answers 413 at N + 1, for every kind and place."""
        client = HttpClient(make_handler(kind, max_body_size=limit), via=via)  # type: ignore[arg-type]
        at = client.post("/", body=b"\x00" * limit)
        assert at.status_code == 200
        assert at.json() == {"length": limit}
        assert client.post("/", body=b"\x00" * (limit + 1)).status_code == 413

    @pytest.mark.parametrize("is_base64", [True, False])
    @pytest.mark.parametrize("size", [999, 1000, 1001, 1002, 1003, 1004])
    def test_event_body_encodings(self, is_base64: bool, size: int) -> None:
        """An event body, base64 or text, is accepted up to the limit and refused just past it."""
        raw = b"a" * size
        body = base64.b64encode(raw).decode() if is_base64 else raw.decode()
        event = {"httpMethod": "POST", "path": "/", "body": body, "isBase64Encoded": is_base64}
        request = event_request(event, max_body_size=1000)[1]
        if size <= 1000:
            assert request.body == raw
        else:
            with pytest.raises(fc.PayloadTooLarge):
                _ = request.body

    def test_multibyte_text_counts_bytes(self) -> None:
        """The limit counts the UTF-8 bytes of a text body, not its characters."""
        event = {"httpMethod": "POST", "path": "/", "body": "\u20ac" * 334}  # 1002 bytes
        request = event_request(event, max_body_size=1000)[1]
        with pytest.raises(fc.PayloadTooLarge):
            _ = request.body
        event["body"] = "\u20ac" * 333  # 999 bytes
        assert len(event_request(event, max_body_size=1000)[1].body) == 999

    @pytest.mark.parametrize(("size", "ok"), [(1000, True), (1001, False)])
    def test_wsgi_without_length(self, size: int, ok: bool) -> None:
        """A WSGI body without Content-Length on a terminated stream obeys the same limit."""
        environ = {
            "REQUEST_METHOD": "POST",
            "wsgi.input": io.BytesIO(b"x" * size),
            "wsgi.input_terminated": True,
        }
        request = request_from_environ(environ, max_body_size=1000)
        if ok:
            assert len(request.body) == size
        else:
            with pytest.raises(fc.PayloadTooLarge):
                _ = request.body

    def test_declared_length_refused_before_reading(self) -> None:
        """A Content-Length past the limit is refused without reading the stream at all."""

        class Untouchable(io.RawIOBase):
            def read(self, size: int = -1) -> bytes:
                raise AssertionError("the body was read")

        environ = {
            "REQUEST_METHOD": "POST",
            "CONTENT_LENGTH": str(10**18),
            "wsgi.input": Untouchable(),
        }
        with pytest.raises(fc.PayloadTooLarge):
            _ = request_from_environ(environ, max_body_size=1000).body


class TestJSONDepth:
    @staticmethod
    def loose(body: bytes) -> fc.Request:
        """A request whose own depth limit is far above pydantic-core's."""
        request = fc.Request(method="POST", body=body)
        request.limits = fc.Limits(max_json_depth=10_000)
        return request

    def test_request_json_past_the_parser_cap(self) -> None:
        """With max_json_depth raised past 201, the parser's cap still answers 400, not a crash."""
        assert self.loose(nested(JSON_DEPTH)).json() is not None
        with pytest.raises(fc.BadRequest, match="recursion limit"):
            self.loose(nested(JSON_DEPTH + 1)).json()

    def test_request_model_past_the_parser_cap(self) -> None:
        """Request.model() under a raised limit: 201 levels validate, 202 is a 400, not a 422."""
        assert self.loose(nested(JSON_DEPTH)).model(list[Any]) is not None
        with pytest.raises(fc.BadRequest):
            self.loose(nested(JSON_DEPTH + 1)).model(list[Any])

    def test_http_default_is_below_the_parser_cap(self) -> None:
        """The HTTP default (Limits.max_json_depth) is lower than the parser's own 201."""
        assert fc.Limits().max_json_depth < JSON_DEPTH

    @pytest.mark.parametrize("tp", [Any, list[Any], dict[str, Any]])
    def test_event_decoding(self, tp: Any) -> None:
        """Event decoding takes 201 levels and refuses 202 with an EventDecodeError."""
        decode = build_decoder(tp)
        if get_origin(tp) is dict:
            assert decode(b'{"a":' + nested(JSON_DEPTH - 1) + b"}") is not None
            deeper = b'{"a":' + nested(JSON_DEPTH) + b"}"
        else:
            assert decode(nested(JSON_DEPTH)) is not None
            deeper = nested(JSON_DEPTH + 1)
        with pytest.raises(fc.EventDecodeError, match="recursion limit"):
            decode(deeper)

    def test_decorated_handler(self) -> None:
        """@fc.handler answers a too-deep event with an EventDecodeError, not a RecursionError."""

        @fc.handler
        def main(event: list[Any], context: fc.FCContext) -> int:
            return len(event)

        assert main(nested(JSON_DEPTH), fake_context()) == b"1"
        with pytest.raises(fc.EventDecodeError):
            main(nested(JSON_DEPTH + 1), fake_context())

    @pytest.mark.parametrize("depth", [5_000, 100_000])
    def test_http_event(self, depth: int) -> None:
        """An HTTP event nested thousands of levels deep is an EventDecodeError, not a crash.

        The HTTP event path falls back to the stdlib parser when pydantic-core refuses a
        document, so its depth limit is the interpreter's recursion limit, not 201.
        """
        event = b'{"httpMethod":"GET","x":' + nested(JSON_DEPTH - 1) + b"}"
        assert type(event_request(event)[0]) is APIGatewayPlace
        too_deep = b'{"httpMethod":"GET","x":' + nested(depth) + b"}"
        with pytest.raises(fc.EventDecodeError, match="recursion"):
            event_request(too_deep)


class TestMultipartBoundary:
    @pytest.mark.parametrize(("length", "ok"), [(1, True), (70, True), (200, True), (201, False)])
    def test_boundary_length(self, length: int, ok: bool) -> None:
        """A boundary of up to 200 characters parses; 201 is a 400."""
        boundary = "b" * length
        part = 'Content-Disposition: form-data; name="a"\r\n\r\n1'
        body = f"--{boundary}\r\n{part}\r\n--{boundary}--\r\n".encode()
        if ok:
            assert parse_multipart(body, boundary)["a"] == "1"
        else:
            with pytest.raises(fc.BadRequest, match="boundary"):
                parse_multipart(body, boundary)


# -- LocalOSSServer -----------------------------------------------------------------------------


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

    def test_entity_amplification(self, bucket: oss2.Bucket) -> None:
        """An XML entity bomb is refused as MalformedXML in well under a second."""
        entities = b"".join(b'<!ENTITY e%d "%s">' % (i + 1, b"&e%d;" % i * 10) for i in range(9))
        bomb = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e0 "x">' + entities + b"]>"
        bomb += b"<Delete><Object><Key>&e9;</Key></Object></Delete>"
        started = time.monotonic()
        answer = signed_post(bucket, {"delete": ""}, bomb)
        assert time.monotonic() - started < 5
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
