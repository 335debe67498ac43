"""Tests for fcsdk._platform.http: what each FC HTTP place hands a handler, and its answer."""

from __future__ import annotations

import base64
import json
import sys
from datetime import datetime, timezone
from typing import Any
from wsgiref.validate import validator

import pytest
from pydantic import ValidationError

from fcsdk.events.http import APIGatewayEvent, HTTPTriggerEvent
from fcsdk.testing import (
    apigw_event,
    fake_context,
    fc3_http_event,
    read_apigw_response,
    read_fc3_response,
    wsgi_environ,
)


class TestWsgiEnviron:
    def test_fc_shape(self) -> None:
        """The environ has FC 2.0's keys and values."""
        ctx = fake_context()
        environ = wsgi_environ(
            "post",
            "/2016-08-15/proxy/s/f/a%20b",
            query={"x": "1 2"},
            headers=[("X-A", "1"), ("x-a", "2"), ("Content-Type", "text/plain")],
            body=b"hi",
            client_ip="203.0.113.7",
            context=ctx,
            process_environ={"FC_REGION": "cn-hangzhou", "HTTP_PROXY": "evil", "CONTENT_TYPE": "x"},
        )
        assert environ["REQUEST_METHOD"] == "POST"
        assert environ["PATH_INFO"] == "/2016-08-15/proxy/s/f/a b"
        assert environ["SCRIPT_NAME"] == ""
        assert environ["QUERY_STRING"] == "x=1%202"
        assert environ["HTTP_X_A"] == "1,2"
        assert environ["CONTENT_TYPE"] == "text/plain"
        assert environ["CONTENT_LENGTH"] == "2"
        assert environ["SERVER_NAME"] == "FCRUNTIME"
        assert environ["SERVER_PORT"] == "9000"
        assert environ["REMOTE_ADDR"] == "203.0.113.7"
        assert environ["fc.context"] is ctx
        assert environ["fc.request_uri"] == "/2016-08-15/proxy/s/f/a%20b?x=1%202"
        assert environ["FC_REGION"] == "cn-hangzhou"
        assert "HTTP_PROXY" not in environ
        assert environ["wsgi.input"].read() == b"hi"
        assert environ["wsgi.errors"] is sys.stderr
        assert (environ["wsgi.multithread"], environ["wsgi.run_once"]) == (False, False)

    def test_defaults_and_inline_query(self) -> None:
        """Defaults: octet-stream type, the process environment, the path's own query."""
        environ = wsgi_environ(path="/p?a=1")
        assert environ["QUERY_STRING"] == "a=1"
        assert environ["CONTENT_TYPE"] == "application/octet-stream"
        assert environ["CONTENT_LENGTH"] == "0"
        assert "PATH" in environ
        assert environ["fc.request_uri"] == "/p?a=1"

    def test_explicit_content_length_header(self) -> None:
        """A Content-Length header overrides the computed one (to model a lying client)."""
        assert (
            wsgi_environ("POST", body=b"abc", headers={"Content-Length": "9"})["CONTENT_LENGTH"]
            == "9"
        )

    def test_passes_the_validator(self) -> None:
        """wsgiref's validator accepts the environ."""

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            return lambda data: None

        result: Any = validator(app)(wsgi_environ("GET", "/x"), start_response)
        assert b"".join(result) == b"ok"
        result.close()

    def test_validated_wsgi_lets_an_empty_body_go_untyped(self) -> None:
        """A Content-Length: 0 answer may lack a type; one with content still fails the check."""
        from fcsdk._platform.http import run_wsgi, validated_wsgi

        def answering(headers: list[tuple[str, str]], body: bytes) -> Any:
            def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
                start_response("307 Temporary Redirect", headers)
                return [body]

            return validated_wsgi(app)

        moved = answering([("Location", "/n"), ("Content-Length", "0")], b"")
        assert run_wsgi(moved, wsgi_environ()) == (
            307,
            [("Location", "/n"), ("Content-Length", "0")],
            b"",
        )
        for headers in ([("Content-Length", "2")], []):
            with pytest.raises(AssertionError, match="No Content-Type"):
                run_wsgi(answering(headers, b"hi"), wsgi_environ())
        typed = answering([("Content-Type", "text/plain"), ("Content-Length", "2")], b"hi")
        assert run_wsgi(typed, wsgi_environ())[2] == b"hi"

    def test_utf8_headers_as_latin1(self) -> None:
        """Non-ASCII header text is carried as UTF-8 bytes in latin-1 str, per PEP 3333."""
        environ = wsgi_environ(headers={"X-Name": "José"})
        assert environ["HTTP_X_NAME"].encode("latin-1").decode() == "José"


class TestFC3Event:
    def test_shape_validates_with_the_model(self) -> None:
        """The event has the platform's shape and validates with HTTPTriggerEvent."""
        when = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
        event = fc3_http_event(
            "post",
            "/orders/a%20b?x=1",
            headers=[("Accept", "a"), ("accept", "b"), ("User-Agent", "curl/8")],
            body=b'{"k":1}',
            request_id="r-1",
            now=when,
        )
        model = HTTPTriggerEvent.model_validate(event)
        assert model.raw_path == "/orders/a%20b"
        assert model.request_context.http.path == "/orders/a b"
        assert model.request_context.http.user_agent == "curl/8"
        assert model.headers == {"Accept": "a,b", "User-Agent": "curl/8"}
        assert model.query_parameters == {"x": "1"}
        assert model.body_bytes == b'{"k":1}'
        assert model.is_base64_encoded is False
        assert model.request_context.time == "2026-11-23T08:00:00Z"
        assert model.request_context.time_epoch == str(int(when.timestamp() * 1000))

    def test_binary_bodies_are_base64(self) -> None:
        """Binary content types, invalid UTF-8, or is_base64=True give base64."""
        png = fc3_http_event("POST", body=b"\x89PNG", headers={"Content-Type": "image/png"})
        assert png["isBase64Encoded"] is True
        assert base64.b64decode(png["body"]) == b"\x89PNG"
        raw = fc3_http_event("POST", body=b"\xff", headers={"Content-Type": "text/plain"})
        assert raw["isBase64Encoded"] is True
        forced = fc3_http_event("POST", body=b"abc", is_base64=True)
        assert base64.b64decode(forced["body"]) == b"abc"
        text = fc3_http_event("POST", body=b"abc", is_base64=False)
        assert (text["body"], text["isBase64Encoded"]) == ("abc", False)

    def test_repeated_query_values_are_joined(self) -> None:
        """Repeated query parameters are joined with commas."""
        event = fc3_http_event(query="t=1&t=2&u=")
        assert event["queryParameters"] == {"t": "1,2", "u": ""}


class TestAPIGatewayEvent:
    def test_shape_validates_with_the_model(self) -> None:
        """The event has API Gateway's shape, path decoded."""
        event = apigw_event("GET", "/a%20b?x=1&x=2", path_parameters={"id": "1"})
        model = APIGatewayEvent.model_validate(event)
        assert model.path == "/a b"
        assert model.query_parameters == {"x": "1,2"}
        assert model.path_parameters == {"id": "1"}


class TestReadResponses:
    def test_fc3(self) -> None:
        """An FC 3.0 answer reads back; list headers give one pair per value."""
        answer = json.dumps(
            {
                "statusCode": 201,
                "headers": {"Set-Cookie": ["a=1", "b=2"], "X": "y"},
                "body": base64.b64encode(b"\x00").decode(),
                "isBase64Encoded": True,
            }
        )
        assert read_fc3_response(answer) == (
            201,
            [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("X", "y")],
            b"\x00",
        )

    def test_apigw_string_status_and_dict_input(self) -> None:
        """An API Gateway answer with a string status reads back; a dict is accepted."""
        assert read_apigw_response({"statusCode": "404", "body": "no"}) == (404, [], b"no")
        assert read_apigw_response(b'{"statusCode": 200}') == (200, [], b"")

    def test_malformed_answers_raise(self) -> None:
        """A shape error is a ValidationError; bad JSON a ValueError."""
        with pytest.raises(ValidationError):
            read_fc3_response({"statusCode": "abc"})
        with pytest.raises(ValueError, match="Expecting value"):
            read_fc3_response(b"not json")
