"""Tests for fcsdk/_local/trigger.py: requests as HTTP triggers hand them over, answers back."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.validate import validator

import pytest

from fcsdk._local.trigger import (
    HTTPAnswer,
    IncomingRequest,
    call_wsgi,
    http_event,
    read_http_response,
    wsgi_environ,
)

REQUEST = IncomingRequest(
    method="POST",
    raw_path="/a%20b",
    query="x=1&x=2",
    headers=[("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked"), ("X-A", "1")],
    body=b"hello",
    client_ip="127.0.0.9",
    request_uri="/2016-08-15/proxy/s/f/a%20b?x=1&x=2",
)


def app(status: str = "200 OK", headers: Any = None, body: Iterable[bytes] = (b"ok",)) -> Any:
    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(status, [("Content-Type", "text/plain")] if headers is None else headers)
        return body

    return wsgi


class TestEnviron:
    def test_fc_keys_and_framing_dropped(self) -> None:
        """The environ has FC's keys, the full request URI, and no framing headers."""
        environ = wsgi_environ(REQUEST, context="ctx")
        assert environ["PATH_INFO"] == "/a b"
        assert environ["fc.request_uri"] == REQUEST.request_uri
        assert environ["fc.context"] == "ctx"
        assert environ["CONTENT_LENGTH"] == "5"
        assert "HTTP_TRANSFER_ENCODING" not in environ
        assert environ["HTTP_X_A"] == "1"

    def test_process_environment_follows_changes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The copied process environment is current: a variable set or removed shows at once."""
        monkeypatch.setenv("FCSDK_TRIGGER_MARK", "one")
        assert wsgi_environ(REQUEST, context=None)["FCSDK_TRIGGER_MARK"] == "one"
        environ = wsgi_environ(REQUEST, context=None)
        environ["FCSDK_TRIGGER_MARK"] = "changed by the app"
        monkeypatch.setenv("FCSDK_TRIGGER_MARK", "two")
        assert wsgi_environ(REQUEST, context=None)["FCSDK_TRIGGER_MARK"] == "two"
        monkeypatch.delenv("FCSDK_TRIGGER_MARK")
        assert "FCSDK_TRIGGER_MARK" not in wsgi_environ(REQUEST, context=None)

    def test_event(self) -> None:
        """The FC 3.0 event carries the request, with the request id and account."""
        event = json.loads(http_event(REQUEST, request_id="r-1", account_id="42"))
        assert event["rawPath"] == "/a%20b"
        assert event["queryParameters"] == {"x": "1,2"}
        assert event["body"] == "hello"
        assert event["requestContext"]["requestId"] == "r-1"
        assert event["requestContext"]["accountId"] == "42"
        assert "Transfer-Encoding" not in event["headers"]


class TestCallWSGI:
    def test_runs_under_the_validator(self) -> None:
        """A conforming app runs under wsgiref's validator and is closed."""
        closed: list[bool] = []

        class Body:
            def __iter__(self) -> Iterator[bytes]:
                yield b"a"
                yield b"b"

            def close(self) -> None:
                closed.append(True)

        environ = wsgi_environ(REQUEST, context=None)
        answer = call_wsgi(validator(app(body=Body())), environ)
        assert answer == HTTPAnswer(200, [("Content-Type", "text/plain")], b"ab")
        assert closed == [True]

    @pytest.mark.parametrize(
        ("wsgi", "error", "message"),
        [
            (app(status=200), TypeError, "status must be a str"),  # type: ignore[arg-type]
            (app(status="OK"), ValueError, "3-digit code"),
            (app(status="999 No"), ValueError, "3-digit code"),
            (app(headers=("a", "b")), TypeError, "headers must be a list"),
            (app(headers=[("a", 1)]), TypeError, "must be a \\(str, str\\) tuple"),
            (app(body=["text"]), TypeError, "must yield bytes, got str"),  # type: ignore[list-item]
            (lambda e, s: [b"x"], RuntimeError, "without calling start_response"),
        ],
    )
    def test_protocol_errors(self, wsgi: Any, error: type[Exception], message: str) -> None:
        """Breaking the WSGI protocol raises an error saying how."""
        with pytest.raises(error, match=message):
            call_wsgi(wsgi, wsgi_environ(REQUEST, context=None))

    def test_write_needs_bytes(self) -> None:
        """write() refuses text."""

        def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            start_response("200 OK", [])("text")
            return []

        with pytest.raises(TypeError, match="write\\(\\) needs bytes"):
            call_wsgi(wsgi, {})

    def test_exc_info_after_output_reraises(self) -> None:
        """start_response with exc_info after output re-raises the app's error."""

        def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            write = start_response("200 OK", [])
            write(b"partial")
            try:
                raise KeyError("late")
            except KeyError:
                import sys

                start_response("500 Oops", [], sys.exc_info())
            return []

        with pytest.raises(KeyError, match="late"):
            call_wsgi(wsgi, {})

    def test_exc_info_before_output_replaces(self) -> None:
        """start_response with exc_info before any output replaces the status."""

        def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            start_response("200 OK", [])
            start_response("500 Oops", [], (KeyError, KeyError("x"), None))
            return [b"error page"]

        assert call_wsgi(wsgi, {}).status == 500


class TestReadResponse:
    def test_response_object(self) -> None:
        """A response object gives its status, repeated headers and base64 body."""
        payload = {
            "statusCode": "201",
            "headers": {"Set-Cookie": ["a=1", "b=2"], "X-One": "1"},
            "isBase64Encoded": True,
            "body": base64.b64encode(b"\x00\x01").decode(),
        }
        answer = read_http_response(json.dumps(payload).encode())
        assert answer.status == 201
        assert answer.headers == [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("X-One", "1")]
        assert answer.body == b"\x00\x01"

    @pytest.mark.parametrize("payload", [b"plain text", b"[1, 2]", b'{"no": "status"}'])
    def test_anything_else_is_a_200_body(self, payload: bytes) -> None:
        """What is not a response object is sent as the body of a 200."""
        assert read_http_response(payload) == HTTPAnswer(
            200, [("Content-Type", "application/json")], payload
        )

    @pytest.mark.parametrize(
        "payload",
        [
            {"statusCode": 42},
            {"statusCode": 200, "headers": "nope"},
            {"statusCode": 200, "body": 5},
            {"statusCode": 200, "isBase64Encoded": True, "body": "***"},
        ],
    )
    def test_malformed(self, payload: dict[str, Any]) -> None:
        """A malformed response object is a ValueError."""
        with pytest.raises(ValueError):  # noqa: PT011 - ValidationError or ValueError, both named
            read_http_response(json.dumps(payload).encode())
