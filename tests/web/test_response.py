"""Tests for fcsdk.web.response: responses and return-value conversion."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest
from pydantic import BaseModel, Field

import fcsdk as fc
from fcsdk.exceptions import ResultEncodeError
from fcsdk.web.response import render_json, to_response


class Order(BaseModel):
    order_id: str = Field(alias="orderId")
    at: datetime


@dataclasses.dataclass
class Point:
    x: int


class TestResponse:
    def test_text_gets_a_charset(self) -> None:
        """A text/* content type gets '; charset=utf-8' and the body is UTF-8."""
        response = fc.Response("é", content_type="text/plain")
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.body == "é".encode()
        assert response.status == 200

    def test_explicit_header_wins(self) -> None:
        """A Content-Type in headers is not overridden by content_type."""
        response = fc.Response(b"x", headers={"Content-Type": "a/b"}, content_type="c/d")
        assert response.headers.getall("content-type") == ["a/b"]

    def test_body_kinds(self) -> None:
        """None, bytes, bytearray and memoryview bodies render; other types are refused."""
        assert fc.Response().body == b""
        assert fc.Response(bytearray(b"a")).body == b"a"
        assert fc.Response(memoryview(b"b")).body == b"b"
        with pytest.raises(ResultEncodeError, match="JSONResponse"):
            fc.Response({"a": 1})

    def test_status_line(self) -> None:
        """status_line names known codes, 'Unknown' for others, refuses nonsense."""
        assert fc.Response(status=404).status_line == "404 Not Found"
        assert fc.Response(status=599).status_line == "599 Unknown"
        with pytest.raises(ResultEncodeError, match="invalid HTTP status"):
            _ = fc.Response(status=42).status_line

    def test_repr(self) -> None:
        """The repr shows class, status and type."""
        assert repr(fc.JSONResponse(1)) == "<JSONResponse 200 'application/json'>"


class TestCookies:
    def test_set_cookie_attributes(self) -> None:
        """set_cookie writes every attribute asked for, one header per cookie."""
        response = fc.Response()
        response.set_cookie(
            "sid",
            "a b;c",
            max_age=60,
            expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
            domain="example.com",
            secure=True,
            httponly=True,
            samesite="strict",
        )
        response.set_cookie("theme", "dark", path=None, samesite=None)
        assert response.headers.getall("set-cookie") == [
            "sid=a%20b%3Bc; Max-Age=60; Expires=Wed, 02 Jan 2030 03:04:05 GMT; "
            "Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Strict",
            "theme=dark",
        ]

    def test_expires_in_seconds(self) -> None:
        """An int expires is seconds from now."""
        response = fc.Response()
        response.set_cookie("a", "1", expires=3600)
        assert "Expires=" in response.headers["set-cookie"]

    def test_delete_cookie(self) -> None:
        """delete_cookie sends an empty, expired cookie."""
        response = fc.Response()
        response.delete_cookie("sid")
        value = response.headers["set-cookie"]
        assert value.startswith("sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT")

    @pytest.mark.parametrize("name", ["", "a b", "a;b", "a\r\n"])
    def test_bad_cookie_name(self, name: str) -> None:
        """A cookie name with separators is refused."""
        with pytest.raises(ResultEncodeError):
            fc.Response().set_cookie(name, "1")


class TestJSONResponse:
    def test_models_by_alias_and_datetimes(self) -> None:
        """Models dump by alias, datetimes as ISO 8601."""
        order = Order(orderId="A1", at=datetime(2026, 1, 1, tzinfo=timezone.utc))
        assert fc.JSONResponse(order).body == b'{"orderId":"A1","at":"2026-01-01T00:00:00Z"}'

    def test_to_json_objects_and_failures(self) -> None:
        """An object with to_json() is sent as its result; others are refused."""

        class Legacy:
            def to_json(self) -> dict[str, int]:
                return {"v": 1}

        assert render_json([Legacy()]) == b'[{"v":1}]'
        with pytest.raises(ResultEncodeError, match="cannot send a object"):
            render_json(object())
        circular: list[object] = []
        circular.append(circular)
        with pytest.raises(ResultEncodeError, match="cannot encode"):
            render_json(circular)

    def test_every_way_of_making_one_agrees(self) -> None:
        """Bare, with headers, with a content type or as a subclass: the same rendering rules."""
        content = {"order": Order(orderId="A1", at=datetime(2026, 1, 1, tzinfo=timezone.utc))}
        bare = fc.JSONResponse(content, status=201)
        with_headers = fc.JSONResponse(content, status=201, headers={"X-A": "1"})
        assert bare.body == with_headers.body == render_json(content)
        assert bare.headers.multi_items() == [("Content-Type", "application/json")]
        assert with_headers.headers.multi_items() == [
            ("X-A", "1"),
            ("Content-Type", "application/json"),
        ]
        assert (bare.status, bare.headers["content-type"]) == (201, "application/json")
        typed = fc.JSONResponse([1], content_type="application/problem+json")
        assert typed.headers["content-type"] == "application/problem+json"
        circular: list[object] = []
        circular.append(circular)
        with pytest.raises(ResultEncodeError, match="cannot encode"):
            fc.JSONResponse(circular)
        with pytest.raises(ResultEncodeError, match="cannot send a object"):
            fc.JSONResponse(object())

        class Pretty(fc.JSONResponse):
            media_type = "application/vnd.pretty+json"

            def render(self, content: object) -> bytes:
                return b"pretty"

        pretty = Pretty({"a": 1})
        assert (pretty.body, pretty.headers["content-type"]) == (
            b"pretty",
            "application/vnd.pretty+json",
        )
        bare.headers["X-B"] = "2"  # a bare response's headers are its own, and mutable
        assert fc.JSONResponse({}).headers.get("x-b") is None


class TestRedirectResponse:
    def test_location_is_quoted(self) -> None:
        """The Location header is percent-quoted where needed; default status 307."""
        response = fc.RedirectResponse("/a b?x=1")
        assert response.status == 307
        assert response.headers["location"] == "/a%20b?x=1"

    def test_a_body_less_response_has_no_type(self) -> None:
        """Only a response with content gets a Content-Type: not a redirect, not Response()."""
        assert "content-type" not in fc.RedirectResponse("/next").headers
        assert "content-type" not in fc.Response(status=202).headers
        assert fc.Response("").headers["content-type"] == "text/plain; charset=utf-8"
        assert fc.StreamingResponse([b"x"]).headers["content-type"] == "text/plain; charset=utf-8"
        assert "content-type" not in fc.StreamingResponse([], status=204).headers

    def test_a_redirect_reaches_every_place_without_a_type(self) -> None:
        """@fc.http's redirect leaves every place body-less and type-less, FC 2.0 included."""
        from fcsdk.testing import HTTPClient

        @fc.http
        def moved(request: fc.Request) -> fc.Response:
            return fc.RedirectResponse("/next")

        for via in ("wsgi", "fc3", "apigw"):
            response = HTTPClient(moved, via=via).get("/")
            assert (response.status_code, response.headers["location"]) == (307, "/next")
            assert "content-type" not in response.headers


class TestStreamingResponse:
    def test_chunks_are_encoded_and_closed(self) -> None:
        """str chunks are UTF-8; close() reaches the iterable."""
        closed: list[bool] = []

        def produce() -> object:
            try:
                yield "a"
                yield b"b"
                yield bytearray(b"c")
            finally:
                closed.append(True)

        response = fc.StreamingResponse(produce(), content_type="text/plain")  # type: ignore[arg-type]
        assert b"".join(response.iter_body()) == b"abc"
        response.close()
        assert closed == [True]

    def test_bad_chunk_is_refused(self) -> None:
        """A chunk that is not bytes or str raises ResultEncodeError."""
        response = fc.StreamingResponse([1])  # type: ignore[list-item]
        with pytest.raises(ResultEncodeError, match="chunk"):
            list(response.iter_body())
        fc.StreamingResponse(["x"]).close()  # a list has no close(): nothing happens


class TestToResponse:
    def test_each_kind_of_result(self) -> None:
        """Each accepted return type becomes the documented response."""
        assert to_response({"a": 1}).headers["content-type"] == "application/json"
        assert to_response([1]).body == b"[1]"
        assert to_response(Point(1)).body == b'{"x":1}'
        assert to_response("hi").headers["content-type"] == "text/plain; charset=utf-8"
        assert to_response("  <p>hi</p>").headers["content-type"] == "text/html; charset=utf-8"
        assert to_response(b"\x00").headers["content-type"] == "application/octet-stream"
        assert to_response(None).status == 204
        response = fc.Response("x")
        assert to_response(response) is response

    def test_tuples(self) -> None:
        """(body, status) and (body, status, headers) set status and headers."""
        assert to_response(("made", 201)).status == 201
        response = to_response(({"a": 1}, 202, {"X-A": "1", "Content-Type": "application/x"}))
        assert response.status == 202
        assert response.headers["x-a"] == "1"
        assert response.headers.getall("content-type") == ["application/x"]

    @pytest.mark.parametrize("value", [(1,), ("a", "b"), (1, 2, 3, 4), {1, 2}, 3.5])
    def test_unsupported_results(self, value: object) -> None:
        """Anything else is a ResultEncodeError naming what was returned."""
        with pytest.raises(ResultEncodeError):
            to_response(value)
