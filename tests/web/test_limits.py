"""The HTTP layer's resource limits, each at its value and just past it, with a typed answer.

Every HTTP limit is tested here (fcsdk/web/limits.py and where the request
reads its body): the request body size, ``max_body_size`` (FC's 6 MB by
default) on ``@fc.http``, ``HTTPApp`` and ``from_wsgi`` in all three places
(413 past it); header count, form fields and parts, part size; JSON depth
(``Limits.max_json_depth``, and past pydantic-core's 201 levels the parser's
cap still answers 400); the multipart boundary (200 characters, 400 past it).
The limits of event decoding live in tests/test_handler.py, those of the
local OSS server in tests/testing/test_oss_server_limits.py.
"""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.testing import HTTPClient, fake_context
from fcsdk.web.forms import parse_multipart
from fcsdk.web.limits import DEFAULT_LIMITS, Limits, check_json_depth
from fcsdk.web.places import APIGatewayPlace
from fcsdk.web.request import DEFAULT_MAX_BODY_SIZE
from tests.web.places_support import environ_request as request_from_environ
from tests.web.places_support import event_request

PLACES = ["wsgi", "fc3", "apigw"]
MB6 = 6 * 1024 * 1024
# from_wsgi leaves an FC 2.0 environ to the WSGI app untouched: max_body_size applies to events.
LIMITED = [
    (kind, via)
    for kind in ("http", "app", "wsgi")
    for via in PLACES
    if (kind, via) != ("wsgi", "wsgi")
]
JSON_DEPTH = 201  # pydantic-core refuses a document nested deeper than this


class Payload(BaseModel):
    data: Any


def nested(depth: int) -> bytes:
    """A JSON document nested exactly ``depth`` levels deep."""
    return b'{"data": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


def make_app(limits: Limits = DEFAULT_LIMITS) -> fc.HTTPApp:
    app = fc.HTTPApp(limits=limits)

    @app.get("/headers")
    def headers(request: fc.Request) -> dict[str, int]:
        return {"count": len(request.headers)}

    @app.post("/form")
    def form(request: fc.Request) -> dict[str, int]:
        return {"fields": len(list(request.form()))}

    @app.post("/json")
    def raw_json(request: fc.Request) -> dict[str, bool]:
        request.json()
        return {"ok": True}

    @app.post("/model")
    def model(request: fc.Request) -> dict[str, bool]:
        request.model(Payload)
        return {"ok": True}

    @app.post("/typed")
    def typed(request: fc.Request, body: Payload) -> dict[str, bool]:
        return {"ok": True}

    return app


def client(via: str, limits: Limits = DEFAULT_LIMITS) -> HTTPClient:
    return HTTPClient(make_app(limits), via=via, context=fake_context())  # type: ignore[arg-type]


def many_headers(total: int, already: int) -> dict[str, str]:
    """Extra headers so that the request carries ``total`` header fields in all."""
    return {f"X-Extra-{i}": "v" for i in range(total - already)}


class TestHeaderCount:
    @pytest.mark.parametrize("via", PLACES)
    def test_at_and_past_the_limit(self, via: str) -> None:
        """max_headers fields pass; one more answers 431 naming the limit."""
        c = client(via, Limits(max_headers=20))
        base = c.get("/headers").json()["count"]
        assert c.get("/headers", headers=many_headers(20, base)).status_code == 200
        past = c.get("/headers", headers=many_headers(21, base))
        assert past.status_code == 431
        assert "at most 20" in past.json()["detail"]


class TestFormParts:
    @pytest.mark.parametrize("via", PLACES)
    def test_urlencoded_fields(self, via: str) -> None:
        """max_form_parts urlencoded fields pass; one more answers 413."""
        c = client(via, Limits(max_form_parts=5))
        ok = c.post("/form", data={f"f{i}": "v" for i in range(5)})
        assert ok.json() == {"fields": 5}
        past = c.post("/form", data={f"f{i}": "v" for i in range(6)})
        assert past.status_code == 413
        assert "at most 5" in past.json()["detail"]

    @pytest.mark.parametrize("via", PLACES)
    def test_multipart_parts(self, via: str) -> None:
        """max_form_parts multipart parts pass; one more answers 413."""
        c = client(via, Limits(max_form_parts=3))
        files = {"upload": ("a.bin", b"\x00\x01", "application/octet-stream")}
        ok = c.post("/form", data={"a": "1", "b": "2"}, files=files)
        assert ok.json() == {"fields": 3}
        past = c.post("/form", data={"a": "1", "b": "2", "c": "3"}, files=files)
        assert past.status_code == 413

    @pytest.mark.parametrize("via", PLACES)
    def test_part_size(self, via: str) -> None:
        """A part up to max_part_size passes; a larger one answers 413."""
        c = client(via, Limits(max_part_size=300))
        small = {"upload": ("a.bin", b"x" * 150, "application/octet-stream")}
        assert c.post("/form", files=small).status_code == 200
        big = {"upload": ("a.bin", b"x" * 301, "application/octet-stream")}
        past = c.post("/form", files=big)
        assert past.status_code == 413
        assert "300 bytes" in past.json()["detail"]


class TestJsonDepth:
    @pytest.mark.parametrize("via", PLACES)
    @pytest.mark.parametrize("path", ["/json", "/model", "/typed"])
    def test_at_and_past_the_limit(self, via: str, path: str) -> None:
        """JSON nested max_json_depth deep passes; one level more answers 400."""
        c = client(via, Limits(max_json_depth=10))
        headers = {"Content-Type": "application/json"}
        assert c.post(path, body=nested(10), headers=headers).status_code == 200
        past = c.post(path, body=nested(11), headers=headers)
        assert past.status_code == 400
        assert "deeper than 10 levels" in past.json()["detail"]

    def test_default_depth(self) -> None:
        """The default limit (64) accepts 64 levels and refuses 65."""
        c = client("fc3")
        headers = {"Content-Type": "application/json"}
        assert c.post("/json", body=nested(64), headers=headers).status_code == 200
        assert c.post("/json", body=nested(65), headers=headers).status_code == 400

    def test_brackets_in_strings_do_not_count(self) -> None:
        """Brackets inside strings, escaped quotes included, are not nesting."""
        text = json.dumps({"s": '[[[[{{{{ \\" [[[[', "t": ["]]]]"]}).encode()
        check_json_depth(text, 2)
        with pytest.raises(fc.BadRequest):
            check_json_depth(b'[["\\\\"], [[1]]]', 2)

    def test_flat_body_is_cheap_to_check(self) -> None:
        """Many brackets side by side are not deep."""
        check_json_depth(b"[" + b"[]," * 100_000 + b"[]]", 2)


class TestOptions:
    def test_limits_validated(self) -> None:
        """Limits below one (or a negative part size) are a ConfigurationError."""
        with pytest.raises(fc.ConfigurationError, match="max_headers"):
            Limits(max_headers=0)
        with pytest.raises(fc.ConfigurationError, match="max_part_size"):
            Limits(max_part_size=-1)

    def test_every_deployable_takes_limits(self) -> None:
        """@fc.http, HTTPApp and from_wsgi accept limits=."""
        limits = Limits(max_headers=3)

        @fc.http(limits=limits)
        def hello(request: fc.Request) -> str:
            return str(len(request.headers))

        assert hello.limits is limits
        assert fc.HTTPApp(limits=limits).limits is limits
        assert fc.from_wsgi(lambda e, s: [], limits=limits).limits is limits
        c = HTTPClient(hello, via="fc3", context=fake_context())
        assert c.get("/", headers=many_headers(5, 0)).status_code == 431

    def test_from_wsgi_event_place_checks_headers(self) -> None:
        """from_wsgi applies the header limit when it builds the environ from an event."""

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]

        handler = fc.from_wsgi(app, limits=Limits(max_headers=4))
        c = HTTPClient(handler, via="fc3", context=fake_context())
        assert c.get("/").status_code == 200
        assert c.get("/", headers=many_headers(10, 0)).status_code == 431


class TestFromWsgiOnFC2:
    def test_body_and_headers_checked_before_the_app(self) -> None:
        """from_wsgi on FC 2.0 refuses a declared body over max_body_size (413) and too many
        header fields (431) without calling the app; within the limits the app runs."""
        calls: list[str] = []

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            calls.append(environ["PATH_INFO"])
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))]

        handler = fc.from_wsgi(app, max_body_size=10, limits=Limits(max_headers=6))
        c = HTTPClient(handler, via="wsgi", context=fake_context())
        assert c.post("/ok", body=b"x" * 10).status_code == 200
        too_big = c.post("/big", body=b"x" * 11)
        assert too_big.status_code == 413
        assert c.get("/many", headers=many_headers(10, 0)).status_code == 431
        bad = c.post("/bad", body=b"x", headers={"Content-Length": "1_0"})
        assert bad.status_code == 400
        assert calls == ["/ok"]


class TestFuzzFindings:
    """Inputs the fuzzers found crashing, each now a typed error or a 4xx."""

    def test_non_ascii_multipart_boundary(self) -> None:
        """A boundary that is not ASCII is a 400, not a UnicodeEncodeError."""
        from fcsdk.web.forms import parse_form

        with pytest.raises(fc.BadRequest, match="boundary"):
            parse_form(b"x", "multipart/form-data; boundary=\u20ac")

    @pytest.mark.parametrize("charset", ["undefined", "idna", "punycode", "no-such-codec"])
    def test_text_with_odd_charsets(self, charset: str) -> None:
        """A charset whose codec cannot decode gives a 400."""
        request = fc.Request(
            method="POST", headers={"Content-Type": f"text/plain; charset={charset}"}, body=b"\xff"
        )
        with pytest.raises(fc.BadRequest, match="not valid"):
            _ = request.text

    @pytest.mark.parametrize("via", ["fc3", "apigw"])
    def test_lone_surrogates_in_path_and_query(self, via: str) -> None:
        """Escaped lone surrogates in an event's path and query become U+FFFD, not a 500."""

        @fc.http
        def echo(request: fc.Request) -> dict[str, str]:
            return {
                "path": request.path,
                "q": request.query.get("q") or "",
                "uri": request.request_uri,
            }

        def path_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [environ["PATH_INFO"].encode("latin-1")]

        wsgi_app = fc.from_wsgi(path_app)
        if via == "apigw":
            event = b'{"httpMethod":"GET","path":"/a\\ud800","queryParameters":{"q":"\\ud800"}}'
        else:
            event = (
                b'{"version":"v1","rawPath":"","requestContext":{"http":{"method":"GET",'
                b'"path":"/a\\ud800"}},"queryParameters":{"q":"\\ud800"}}'
            )
        answer = json.loads(echo(event, fake_context()))
        assert answer["statusCode"] == 200
        assert json.loads(answer["body"]) == {
            "path": "/a\ufffd",
            "q": "\ufffd",
            "uri": "/a%EF%BF%BD?q=%EF%BF%BD",
        }
        assert json.loads(wsgi_app(event, fake_context()))["statusCode"] == 200

    def test_surrogate_string_in_a_batch(self) -> None:
        """A batch item that is a string with a lone surrogate is an EventDecodeError."""
        from fcsdk import events
        from fcsdk._decode import build_decoder

        with pytest.raises(fc.EventDecodeError, match=r"event\[0\]"):
            build_decoder(list[events.CloudEvent])(["\ud800"])


def brackets(depth: int) -> bytes:
    """A bare JSON array nested exactly ``depth`` levels deep."""
    return b"[" * depth + b"]" * depth


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
        app = fc.HTTPApp(**options)
        app.post("/")(body_length)
        return app
    return fc.from_wsgi(wsgi_length, **options)


class TestBodySize:
    def test_default_is_fc_6mb(self) -> None:
        """The default limit is FC's own synchronous request limit: 6 MB."""
        assert DEFAULT_MAX_BODY_SIZE == MB6

    @pytest.mark.parametrize(("kind", "via"), LIMITED)
    def test_default_limit(self, via: str, kind: str) -> None:
        """A 6 MB body is read whole; one byte more is a 413 problem, in every place and kind."""
        client = HTTPClient(make_handler(kind), via=via)  # type: ignore[arg-type]
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
        client = HTTPClient(make_handler(kind, max_body_size=limit), via=via)  # type: ignore[arg-type]
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


class TestParserCap:
    """Past the JSON parser's own cap of 201 levels: a typed answer, never a crash."""

    @staticmethod
    def loose(body: bytes) -> fc.Request:
        """A request whose own depth limit is far above pydantic-core's."""
        request = fc.Request(method="POST", body=body)
        request.limits = fc.Limits(max_json_depth=10_000)
        return request

    def test_request_json_past_the_parser_cap(self) -> None:
        """With max_json_depth raised past 201, the parser's cap still answers 400, not a crash."""
        assert self.loose(brackets(JSON_DEPTH)).json() is not None
        with pytest.raises(fc.BadRequest, match="recursion limit"):
            self.loose(brackets(JSON_DEPTH + 1)).json()

    def test_request_model_past_the_parser_cap(self) -> None:
        """Request.model() under a raised limit: 201 levels validate, 202 is a 400, not a 422."""
        assert self.loose(brackets(JSON_DEPTH)).model(list[Any]) is not None
        with pytest.raises(fc.BadRequest):
            self.loose(brackets(JSON_DEPTH + 1)).model(list[Any])

    def test_http_default_is_below_the_parser_cap(self) -> None:
        """The HTTP default (Limits.max_json_depth) is lower than the parser's own 201."""
        assert fc.Limits().max_json_depth < JSON_DEPTH

    @pytest.mark.parametrize("depth", [5_000, 100_000])
    def test_http_event(self, depth: int) -> None:
        """An HTTP event nested thousands of levels deep is an EventDecodeError, not a crash.

        The HTTP event path falls back to the stdlib parser when pydantic-core refuses a
        document, so its depth limit is the interpreter's recursion limit, not 201.
        """
        event = b'{"httpMethod":"GET","x":' + brackets(JSON_DEPTH - 1) + b"}"
        assert type(event_request(event)[0]) is APIGatewayPlace
        too_deep = b'{"httpMethod":"GET","x":' + brackets(depth) + b"}"
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
