"""Tests for fcsdk.web.places.wsgi: FC 2.0's environ in, the response out through start_response."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.validate import validator

import pytest

import fcsdk as fc
from fcsdk._platform.rules import split_proxy_prefix
from fcsdk.exceptions import BadRequest, LengthRequired, PayloadTooLarge, ResultEncodeError
from fcsdk.testing import fake_context, wsgi_environ
from fcsdk.web.places import SelfClosingIterable, environ_from_request
from fcsdk.web.request import Request
from tests.web.places_support import environ_request as request_from_environ
from tests.web.places_support import write_wsgi


def run(
    app: Callable[..., Iterable[bytes]], environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call ``app`` under wsgiref's validator; return status, headers and body."""
    state: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        state["status"], state["headers"] = status, headers
        return lambda data: None

    result = validator(app)(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()  # type: ignore[attr-defined]
    return state["status"], state["headers"], body


def run_unvalidated(
    app: Callable[..., Iterable[bytes]], environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], bytes]:
    """Call ``app`` directly, for environs that the validator itself rejects."""
    state: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        state["status"], state["headers"] = status, headers
        return lambda data: None

    body = b"".join(app(environ, start_response))
    return state["status"], state["headers"], body


@fc.http
def echo(request: fc.Request) -> fc.Response:
    return fc.Response(request.body, content_type="application/octet-stream")


class TestRequestFromEnviron:
    def test_parts(self) -> None:
        """Method, raw path from fc.request_uri, query, headers, client and context are read."""
        ctx = fake_context(request_id="r-1")
        environ = wsgi_environ(
            "PUT",
            "/a%2Fb/c%20d?x=1&x=2",
            headers=[("X-Multi", "1"), ("X-Multi", "2"), ("Accept", "a/b")],
            body=b"hi",
            client_ip="203.0.113.7",
            context=ctx,
        )
        request = request_from_environ(environ)
        assert request.method == "PUT"
        assert request.raw_path == "/a%2Fb/c%20d"
        assert request.path == "/a/b/c d"
        assert request.query.getall("x") == ["1", "2"]
        assert request.headers["x-multi"] == "1,2"
        assert request.headers["content-length"] == "2"
        assert request.client_ip == "203.0.113.7"
        assert request.request_id == "r-1"
        assert request.body == b"hi"

    def test_path_info_when_no_request_uri(self) -> None:
        """Without fc.request_uri the raw path is PATH_INFO re-encoded."""
        environ = wsgi_environ("GET", "/a%20b")
        del environ["fc.request_uri"]
        assert request_from_environ(environ).raw_path == "/a%20b"

    def test_script_name_is_the_root_path(self) -> None:
        """SCRIPT_NAME is the root path and is cut from the request URI."""
        environ = wsgi_environ("GET", "/app/x")
        environ["SCRIPT_NAME"] = "/app"
        environ["PATH_INFO"] = "/x"
        request = request_from_environ(environ)
        assert (request.root_path, request.raw_path) == ("/app", "/x")

    def test_proxy_prefix_is_stripped(self) -> None:
        """The FC 2.0 proxy prefix moves to root_path, unless turned off."""
        environ = wsgi_environ("GET", "/2016-08-15/proxy/svc/fn/orders/1")
        request = request_from_environ(environ)
        assert request.root_path == "/2016-08-15/proxy/svc/fn"
        assert request.raw_path == "/orders/1"
        kept = request_from_environ(environ, strip_prefix=False)
        assert kept.raw_path == "/2016-08-15/proxy/svc/fn/orders/1"

    def test_non_ascii_values_are_utf8(self) -> None:
        """Header and query bytes given as latin-1 by PEP 3333 read back as UTF-8."""
        environ = wsgi_environ("GET", "/", query="q=é", headers={"X-Name": "José"})
        request = request_from_environ(environ)
        assert request.headers["x-name"] == "José"
        assert request.query["q"] == "é"

    def test_non_utf8_header_is_400(self) -> None:
        """A header whose bytes are not UTF-8 is a BadRequest when headers are read."""
        environ = wsgi_environ("GET", "/")
        environ["HTTP_X_BAD"] = b"\xff\xfe".decode("latin-1")
        with pytest.raises(BadRequest, match="X-Bad"):
            _ = request_from_environ(environ).headers

    def test_non_utf8_query_is_400(self) -> None:
        """A raw query whose bytes are not UTF-8 is a BadRequest when the query is read."""
        environ = wsgi_environ("GET", "/")
        environ["QUERY_STRING"] = b"q=\xff".decode("latin-1")
        with pytest.raises(BadRequest, match="query string"):
            _ = request_from_environ(environ).query

    def test_no_input_stream_is_an_empty_body(self) -> None:
        """An environ without wsgi.input has an empty body."""
        environ = wsgi_environ("GET", "/")
        del environ["wsgi.input"]
        assert request_from_environ(environ).body == b""


class TestContentLength:
    @pytest.mark.parametrize(
        ("declared", "error", "message"),
        [
            ("abc", BadRequest, "not a number"),
            ("-1", BadRequest, "negative"),
            ("10", BadRequest, "ended after 4 bytes"),
            ("2", BadRequest, "longer than its Content-Length"),
            ("99", PayloadTooLarge, "over the limit"),
        ],
    )
    def test_lies_are_refused(self, declared: str, error: type[Exception], message: str) -> None:
        """A Content-Length that lies, is negative, not a number or too big raises."""
        environ = wsgi_environ("POST", "/", body=b"abcd")
        environ["CONTENT_LENGTH"] = declared
        with pytest.raises(error, match=message):
            _ = request_from_environ(environ, max_body_size=50).body

    def test_body_without_length_is_411(self) -> None:
        """A body without Content-Length is a 411 Length Required."""
        environ = wsgi_environ("POST", "/", body=b"abcd")
        environ["CONTENT_LENGTH"] = ""
        with pytest.raises(LengthRequired):
            _ = request_from_environ(environ).body

    def test_no_length_no_body_is_empty(self) -> None:
        """No Content-Length and no body is an empty body."""
        environ = wsgi_environ("GET", "/")
        environ["CONTENT_LENGTH"] = ""
        assert request_from_environ(environ).body == b""

    def test_terminated_input_is_read_to_the_end(self) -> None:
        """With wsgi.input_terminated the body is read to EOF, within the limit."""
        environ = wsgi_environ("POST", "/", body=b"abcd")
        environ["CONTENT_LENGTH"] = ""
        environ["wsgi.input_terminated"] = True
        assert request_from_environ(environ).body == b"abcd"
        environ["wsgi.input"] = io.BytesIO(b"x" * 20)
        with pytest.raises(PayloadTooLarge):
            _ = request_from_environ(environ, max_body_size=10).body

    @pytest.mark.parametrize(
        ("declared", "status"),
        [("abc", "400"), ("-5", "400"), ("100", "400"), ("1", "400"), ("", "411")],
    )
    def test_lies_answer_4xx_through_the_handler(self, declared: str, status: str) -> None:
        """Through @fc.http each lie is a 4xx problem response, nothing crashes."""
        environ = wsgi_environ("POST", "/", body=b"abcd")
        environ["CONTENT_LENGTH"] = declared
        if not declared:
            del environ["CONTENT_LENGTH"]
        if declared in ("abc", "-5"):
            # Such an environ breaks PEP 3333 itself, so wsgiref's validator refuses it
            # before the app runs: call the handler directly.
            got, headers, body = run_unvalidated(echo, environ)
        else:
            got, headers, body = run(echo, environ)
        assert got.startswith(status)
        assert b'"status"' in body
        assert ("Content-Type", "application/problem+json") in headers

    def test_over_limit_is_413(self) -> None:
        """A body over the handler's limit answers 413."""
        handler = fc.http(max_body_size=3)(echo.__wrapped__)
        status, _, _ = run(handler, wsgi_environ("POST", "/", body=b"abcd"))
        assert status.startswith("413")


class TestWriteWsgi:
    def test_headers_and_length(self) -> None:
        """Every header goes out, repeats separate, plus Content-Length."""
        response = fc.Response("hi", content_type="text/plain")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        status, headers, body = run(lambda e, s: write_wsgi(response, s), wsgi_environ())
        assert status == "200 OK"
        assert [v for k, v in headers if k == "Set-Cookie"] == [
            "a=1; Path=/; SameSite=Lax",
            "b=2; Path=/; SameSite=Lax",
        ]
        assert ("Content-Length", "2") in headers
        assert body == b"hi"

    def test_head_sends_no_body(self) -> None:
        """head=True keeps the headers and sends no body."""
        response = fc.Response("hi")
        _status, headers, body = run(
            lambda e, s: write_wsgi(response, s, head=True), wsgi_environ("HEAD")
        )
        assert body == b""
        assert ("Content-Length", "2") in headers

    def test_streaming_is_passed_on_and_closed(self) -> None:
        """A streaming body is written chunk by chunk and its close() is called."""
        closed: list[bool] = []

        def produce() -> Any:
            try:
                yield b"a"
                yield "b"
            finally:
                closed.append(True)

        response = fc.StreamingResponse(produce())
        _status, headers, body = run(lambda e, s: write_wsgi(response, s), wsgi_environ())
        assert body == b"ab"
        assert closed == [True]
        assert not any(k == "Content-Length" for k, _ in headers)

    def test_streaming_head_closes_without_body(self) -> None:
        """HEAD on a streaming response sends nothing and still closes it."""
        closed: list[bool] = []

        class Body:
            def __iter__(self) -> Any:
                return iter([b"x"])

            def close(self) -> None:
                closed.append(True)

        response = fc.StreamingResponse(Body())
        _, _, body = run(lambda e, s: write_wsgi(response, s, head=True), wsgi_environ("HEAD"))
        assert body == b""
        assert closed == [True]

    def test_crlf_header_is_refused(self) -> None:
        """A header with CR/LF raises before anything is sent."""
        response = fc.Response("x")
        response.headers._items.append(("X-Evil", "a\r\nSet-Cookie: b=1"))
        with pytest.raises(ResultEncodeError, match="response splitting"):
            write_wsgi(response, lambda *a: None)


class TestEnvironFromRequest:
    def test_shape(self) -> None:
        """The environ holds FC 2.0's keys, joined headers and the decoded path."""
        ctx = fake_context()
        request = Request(
            method="POST",
            raw_path="/a%20b",
            query="x=1",
            headers=[
                ("X-A", "1"),
                ("X-A", "2"),
                ("Content-Type", "text/plain"),
                ("Content-Length", "2"),
            ],
            body=b"hi",
            client_ip="1.2.3.4",
            context=ctx,
            root_path="/root",
        )
        environ = environ_from_request(request)
        assert environ["PATH_INFO"] == "/a b"
        assert environ["SCRIPT_NAME"] == "/root"
        assert environ["QUERY_STRING"] == "x=1"
        assert environ["HTTP_X_A"] == "1,2"
        assert environ["CONTENT_TYPE"] == "text/plain"
        assert environ["CONTENT_LENGTH"] == "2"
        assert environ["SERVER_NAME"] == "FCRUNTIME"
        assert environ["fc.context"] is ctx
        assert environ["fc.request_uri"] == "/root/a%20b?x=1"
        assert environ["wsgi.input"].read() == b"hi"
        assert environ["wsgi.errors"] is sys.stderr

    def test_bad_path_is_400(self) -> None:
        """A request whose path has bad escapes cannot become an environ."""
        with pytest.raises(BadRequest):
            environ_from_request(Request(raw_path="/%zz"))


class TestSplitProxyPrefix:
    def test_bare_prefix_gives_root(self) -> None:
        """The prefix alone leaves '/' as the path."""
        assert split_proxy_prefix("/2016-08-15/proxy/s/f") == ("/2016-08-15/proxy/s/f", "/")


class TestSelfClosingIterable:
    def test_closes_when_exhausted_without_the_server(self) -> None:
        """FC 2.0 never calls close(): the streaming body closes itself when exhausted."""
        closed: list[bool] = []

        def produce() -> Any:
            try:
                yield b"a"
            finally:
                closed.append(True)

        body = write_wsgi(fc.StreamingResponse(produce()), lambda *a: None)
        assert b"".join(body) == b"a"
        assert closed == [True]
        body.close()  # a compliant server's second close: no-op
        assert closed == [True]

    def test_closes_on_stop_and_on_failure(self) -> None:
        """The body closes on StopIteration and on an exception, which propagates."""
        closed: list[bool] = []
        iterable = SelfClosingIterable([b"a"], lambda: closed.append(True))
        assert next(iterable) == b"a"
        with pytest.raises(StopIteration):
            next(iterable)
        assert closed == [True]

        def failing() -> Any:
            yield b"x"
            raise RuntimeError("boom")

        broken = SelfClosingIterable(failing(), lambda: closed.append(True))
        with pytest.raises(RuntimeError):
            list(broken)
        assert closed == [True, True]


class TestEnvironHeaders:
    """The headers of an environ, found through its remembered layout or key by key."""

    def test_same_layout_twice_gives_each_environ_its_own_values(self) -> None:
        """Two environs with the same keys give their own values, in environ order."""
        first = request_from_environ(wsgi_environ("GET", "/", headers={"X-A": "1", "X-B": "2"}))
        second = request_from_environ(wsgi_environ("GET", "/", headers={"X-A": "3", "X-B": "4"}))
        assert (first.headers["x-a"], second.headers["x-a"], second.headers.get("X-B")) == (
            "1",
            "3",
            "4",
        )
        assert first.headers.multi_items()[-2:] == [("X-A", "1"), ("X-B", "2")]

    def test_utf8_value_decoded_and_bad_one_refused(self) -> None:
        """A non-ASCII value is UTF-8 read as latin-1 (PEP 3333); bytes that are not UTF-8 are a 400."""  # noqa: E501
        environ = wsgi_environ("GET", "/", headers={"X-Name": "é", "X-Other": "1"})
        assert request_from_environ(environ).headers["x-name"] == "é"
        environ["HTTP_X_NAME"] = "\xff"
        with pytest.raises(BadRequest, match="not valid UTF-8"):
            _ = request_from_environ(environ).headers

    def test_values_that_are_not_str_are_skipped(self) -> None:
        """An HTTP_* key whose value is not a str is no header."""
        environ = wsgi_environ("GET", "/", headers={"X-A": "1", "X-B": "2"})
        environ["HTTP_X_B"] = 7
        headers = request_from_environ(environ).headers
        assert ("x-a" in headers, "x-b" in headers) == (True, False)

    def test_empty_content_length_is_no_header(self) -> None:
        """An empty CONTENT_LENGTH (or HTTP_CONTENT_LENGTH) gives no Content-Length header."""
        environ = wsgi_environ("GET", "/", headers={"X-A": "1"})
        environ["CONTENT_LENGTH"] = ""
        assert "content-length" not in request_from_environ(environ).headers
        environ = wsgi_environ("GET", "/", headers={"X-A": "1", "X-B": "2"})
        del environ["CONTENT_LENGTH"]
        environ["HTTP_CONTENT_LENGTH"] = ""
        assert "content-length" not in request_from_environ(environ).headers

    def test_too_many_headers_is_a_431_when_only_cookies_are_read(self) -> None:
        """Past max_headers, reading only the cookies is a 431 as reading the headers is."""

        @fc.http(limits=fc.Limits(max_headers=4))
        def handler(request: fc.Request) -> dict[str, object]:
            return {"sid": request.cookies.get("sid")}

        headers = {f"X-{i}": "v" for i in range(5)} | {"Cookie": "sid=1"}
        status, _, body = run(handler, wsgi_environ("GET", "/", headers=headers))
        assert status.startswith("431")
        assert b"at most 4" in body
        status, _, body = run(handler, wsgi_environ("GET", "/", headers={"Cookie": "sid=1"}))
        assert (status, body) == ("200 OK", b'{"sid":"1"}')
