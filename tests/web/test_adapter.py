"""Tests for fcsdk.web.adapter: @fc.http in FC 2.0, FC 3.0 and API Gateway."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any
from wsgiref.validate import validator

import pytest

import fcsdk as fc
from fcsdk.exceptions import ConfigurationError, EventDecodeError
from fcsdk.testing import HTTPClient, fake_context, wsgi_environ
from fcsdk.testing.http import Via
from fcsdk.web.adapter import HTTPHandler, is_wsgi_call

PLACES: list[Via] = ["wsgi", "fc3", "apigw"]


@fc.http
def hello(request: fc.Request) -> fc.Response:
    """Greet by name."""
    name = request.query.get("name", "world")
    return fc.Response(f"Hello {name}!\n", content_type="text/plain")


@fc.http
def echo(request: fc.Request) -> fc.Response:
    return fc.Response(
        request.body, content_type=request.content_type or "application/octet-stream"
    )


@fc.http
def reads_json(request: fc.Request) -> dict[str, Any]:
    return {"got": request.json()}


@fc.http
def fails(request: fc.Request) -> str:
    secret = fake_context().credentials.access_key_secret  # type: ignore[attr-defined]
    raise RuntimeError(f"database password is {secret}")


@fc.http
def not_found(request: fc.Request) -> str:
    raise fc.NotFound("no order A1")


@fc.http
def evil_header(request: fc.Request) -> fc.Response:
    response = fc.Response("x")
    response.headers._items.append(("X-Evil", "a\r\nSet-Cookie: admin=1"))
    return response


class TestThreePlaces:
    @pytest.mark.parametrize("via", PLACES)
    def test_issue_example(self, via: Via) -> None:
        """The issue's hello works unchanged in all three places."""
        client = HTTPClient(hello, via=via)
        response = client.get("/", params={"name": "FC"})
        assert response.status_code == 200
        assert response.text == "Hello FC!\n"
        assert response.headers["content-type"] == "text/plain; charset=utf-8"

    @pytest.mark.parametrize("via", PLACES)
    def test_binary_echo(self, via: Via) -> None:
        """Binary bodies survive every place byte for byte."""
        data = bytes(range(256))
        response = HTTPClient(echo, via=via).post(
            "/", body=data, headers={"Content-Type": "image/png"}
        )
        assert response.content == data

    @pytest.mark.parametrize("via", PLACES)
    def test_head_has_no_body(self, via: Via) -> None:
        """HEAD answers with the headers and no body."""
        response = HTTPClient(hello, via=via).head("/")
        assert response.status_code == 200
        assert response.content == b""

    def test_direct_calls(self) -> None:
        """The handler is callable as a WSGI app and as an event handler."""
        event = json.dumps({"httpMethod": "GET", "path": "/", "queryParameters": {"name": "x"}})
        answer = json.loads(hello(event.encode(), fake_context()))
        assert answer["body"] == "Hello x!\n"
        statuses: list[str] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            statuses.append(status)
            return lambda data: None

        body: Any = validator(hello)(wsgi_environ("GET", "/"), start_response)
        assert b"".join(body) == b"Hello world!\n"
        body.close()
        assert statuses == ["200 OK"]

    def test_event_that_is_not_http(self) -> None:
        """An event of another shape raises EventDecodeError."""
        with pytest.raises(EventDecodeError, match="not an HTTP event"):
            hello(b'{"triggerTime": "2026-11-23T07:49:00Z"}', fake_context())

    def test_is_wsgi_call(self) -> None:
        """Only a dict with REQUEST_METHOD plus a callable is a WSGI call."""
        assert is_wsgi_call({"REQUEST_METHOD": "GET"}, print)
        assert not is_wsgi_call({"REQUEST_METHOD": "GET"}, fake_context())
        assert not is_wsgi_call({"httpMethod": "GET"}, print)


class TestErrors:
    @pytest.mark.parametrize("via", PLACES)
    def test_http_error_is_a_problem_body(self, via: Via) -> None:
        """An HTTPError becomes its status with a JSON problem body."""
        response = HTTPClient(not_found, via=via).get("/")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "no order A1"

    @pytest.mark.parametrize("via", PLACES)
    def test_exception_is_500_with_request_id(
        self, via: Via, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An exception is a 500 naming the request id; the traceback is only in the log."""
        ctx = fake_context(request_id="req-500")
        with caplog.at_level(logging.ERROR, logger="fcsdk.web"):
            response = HTTPClient(fails, via=via, context=ctx).get("/")
        assert response.status_code == 500
        assert response.json()["request_id"] == "req-500"
        assert "password" not in response.text
        assert "Traceback" not in response.text
        assert "req-500" in caplog.text
        assert "RuntimeError" in caplog.text

    @pytest.mark.parametrize("via", PLACES)
    def test_malformed_json_is_400(self, via: Via) -> None:
        """A malformed JSON body read with request.json() is a 400."""
        response = HTTPClient(reads_json, via=via).post(
            "/", body=b"{nope", headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400
        assert "not valid JSON" in response.json()["detail"]

    @pytest.mark.parametrize("via", PLACES)
    def test_crlf_header_is_refused(self, via: Via, caplog: pytest.LogCaptureFixture) -> None:
        """A header value with CR/LF is never sent: the answer is a 500."""
        with caplog.at_level(logging.ERROR, logger="fcsdk.web"):
            response = HTTPClient(evil_header, via=via).get("/")
        assert response.status_code == 500
        assert "admin" not in response.headers.items().__repr__()
        assert "response splitting" in caplog.text

    @pytest.mark.parametrize("via", PLACES)
    def test_unsupported_result_is_500(self, via: Via) -> None:
        """A result that is not a response (a set) becomes a 500."""
        handler = fc.http(lambda request: {1, 2})
        assert HTTPClient(handler, via=via).get("/").status_code == 500

    @pytest.mark.parametrize("via", PLACES)
    def test_bad_percent_encoding_in_path_is_400(self, via: Via) -> None:
        """A path with an invalid escape is a 400 once the handler reads it (raw-path places)."""
        handler = fc.http(lambda request: request.path)
        response = HTTPClient(handler, via=via).get("/a%zz")
        if via == "apigw":
            # API Gateway sends the decoded path: '%zz' is literal text there.
            assert response.text == "/a%zz"
        else:
            assert response.status_code == 400

    @pytest.mark.parametrize("via", PLACES)
    def test_bad_query_is_400(self, via: Via) -> None:
        """Invalid percent-encoding or non-UTF-8 in the query is a 400."""
        handler = fc.http(lambda request: request.query.get("q") or "")
        client = HTTPClient(handler, via=via)
        if via == "wsgi":
            assert client.get("/?q=%ff").status_code == 400
            assert client.get("/?q=%zz").status_code == 400
        else:
            # The event's values are decoded by the platform: they reach the handler as text.
            assert client.get("/", params={"q": "%zz"}).text == "%zz"

    def test_failing_exception_hook_is_500(self, caplog: pytest.LogCaptureFixture) -> None:
        """If handle_exception itself fails, the answer is still a 500."""

        class Broken(HTTPHandler[str]):
            def handle_exception(self, request: fc.Request, exc: Exception) -> fc.Response | None:
                raise ValueError("hook broke")

        handler = Broken(lambda request: 1 / 0)  # type: ignore[arg-type, return-value]
        with caplog.at_level(logging.ERROR, logger="fcsdk.web"):
            assert HTTPClient(handler).get("/").status_code == 500
        assert "exception handler failed" in caplog.text


class TestDecorator:
    def test_wraps_the_function(self) -> None:
        """The handler keeps the function as __wrapped__ and its name and doc."""
        assert hello.__wrapped__.__name__ == "hello"
        assert hello.__name__ == "hello"
        assert hello.__doc__ == "Greet by name."
        assert repr(hello).startswith("<fcsdk http handler")

    def test_options(self) -> None:
        """Options are keyword-only and unknown ones are a ConfigurationError."""
        handler = fc.http(max_body_size=4, multi_value_headers="join")(echo.__wrapped__)
        assert handler.max_body_size == 4
        assert handler.multi_value_headers == "join"
        with pytest.raises(ConfigurationError, match="bogus"):
            fc.http(bogus=1)  # type: ignore[call-overload]

    def test_handle_never_raises(self) -> None:
        """handle() turns a Request into a Response directly."""
        response = hello.handle(fc.Request(query="name=x"))
        assert response.body == b"Hello x!\n"

    def test_place_app_is_abstract(self) -> None:
        """PlaceApp declares serve_wsgi and serve_event abstract: it cannot be made as it is."""
        from fcsdk.web.adapter import PlaceApp

        with pytest.raises(TypeError, match="abstract"):
            PlaceApp()  # type: ignore[abstract]


class TestLazyImport:
    def test_import_fcsdk_does_not_import_web(self) -> None:
        """`import fcsdk` leaves fcsdk.web unimported until an HTTP name is used."""
        code = (
            "import sys, fcsdk; assert 'fcsdk.web' not in sys.modules; "
            "fcsdk.http; assert 'fcsdk.web' in sys.modules; print('ok')"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.stdout.strip() == "ok", result.stderr
