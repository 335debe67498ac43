"""Tests for fcsdk.testing.http: the HTTPClient driving a handler as each place would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import fcsdk as fc
from fcsdk.exceptions import ConfigurationError
from fcsdk.testing import HTTPClient, HTTPResponse
from fcsdk.testing.http import Via
from fcsdk.web.datastructures import Headers, UploadFile

PLACES: list[Via] = ["wsgi", "fc3", "apigw"]


@fc.http
def inspect(request: fc.Request) -> dict[str, Any]:
    form: dict[str, Any] = {}
    if request.content_type and "form" in request.content_type:
        for name, value in request.form().multi_items():
            form[name] = (
                [value.filename, value.content_type, value.read().decode()]
                if isinstance(value, UploadFile)
                else value
            )
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query.multi_items(),
        "cookies": request.cookies,
        "type": request.content_type,
        "body": request.body.decode("latin-1"),
        "form": form,
        "x": request.headers.getall("x-multi"),
    }


@fc.http
def cookies(request: fc.Request) -> fc.Response:
    response = fc.Response("ok")
    if request.path == "/login":
        response.set_cookie("sid", "abc")
        response.set_cookie("theme", "dark", max_age=60)
    elif request.path == "/logout":
        response.delete_cookie("sid")
        response.headers.add("Set-Cookie", "theme=; Max-Age=-1")
        response.headers.add("Set-Cookie", "odd=1; Expires=not a date")
    return response


@pytest.fixture(params=PLACES)
def via(request: pytest.FixtureRequest) -> Via:
    return request.param  # type: ignore[no-any-return]


class TestRequests:
    def test_verbs_and_query(self, via: Via) -> None:
        """Each verb is sent with the path's own query and params merged."""
        client = HTTPClient(inspect, via=via)
        for verb in ("get", "post", "put", "patch", "delete"):
            data = getattr(client, verb)("/a%20b?x=1", params=[("y", "2"), ("y", "3")]).json()
            assert data["method"] == verb.upper()
            assert data["path"] == "/a b"
            assert data["query"] == [["x", "1"], ["y", "2"], ["y", "3"]]

    def test_params_forms(self, via: Via) -> None:
        """params may be a mapping or a string."""
        client = HTTPClient(inspect, via=via)
        assert client.get("/", params={"a": "1"}).json()["query"] == [["a", "1"]]
        assert client.get("/", params="b=2").json()["query"] == [["b", "2"]]

    def test_json_body(self, via: Via) -> None:
        """json= sends a JSON body with its content type."""
        data = HTTPClient(inspect, via=via).post("/", json={"k": [1]}).json()
        assert data["type"] == "application/json"
        assert data["body"] == '{"k": [1]}'

    def test_text_body_and_repeated_headers(self, via: Via) -> None:
        """A str body is UTF-8; repeated headers arrive joined and split for list headers."""
        data = (
            HTTPClient(inspect, via=via)
            .post(
                "/",
                body="hé",
                headers=[("X-Multi", "a"), ("X-Multi", "b"), ("Content-Type", "text/plain")],
            )
            .json()
        )
        assert data["body"] == "hé".encode().decode("latin-1")
        assert data["x"] == ["a,b"]

    def test_urlencoded_form(self, via: Via) -> None:
        """data= sends an urlencoded form."""
        data = HTTPClient(inspect, via=via).post("/", data={"name": "Ada L", "e": "é"}).json()
        assert data["form"] == {"name": "Ada L", "e": "é"}

    def test_multipart_with_files(self, via: Via) -> None:
        """files= sends multipart with fields and files of each accepted form."""
        data = (
            HTTPClient(inspect, via=via)
            .post(
                "/",
                data={"title": "t"},
                files={"a": b"A", "b": ("b.txt", b"B"), "c": ("c.csv", b"C", "text/csv")},
            )
            .json()
        )
        assert data["form"] == {
            "title": "t",
            "a": ["a", "application/octet-stream", "A"],
            "b": ["b.txt", "application/octet-stream", "B"],
            "c": ["c.csv", "text/csv", "C"],
        }

    def test_bad_via(self) -> None:
        """An unknown place is a ConfigurationError."""
        with pytest.raises(ConfigurationError):
            HTTPClient(inspect, via="lambda")  # type: ignore[arg-type]


class TestCookies:
    def test_cookies_are_kept_and_dropped(self, via: Via) -> None:
        """Set cookies are sent back; deleted and expired ones are dropped."""
        client = HTTPClient(cookies, via=via)
        login = client.get("/login")
        assert login.cookies == {"sid": "abc", "theme": "dark"}
        assert client.cookies == {"sid": "abc", "theme": "dark"}
        assert HTTPClient(inspect, via=via).get("/", cookies=client.cookies).json()["cookies"] == {
            "sid": "abc",
            "theme": "dark",
        }
        client.get("/logout")
        assert client.cookies == {"odd": "1"}

    def test_jar_is_sent(self) -> None:
        """The jar is sent as a Cookie header unless one is given."""
        client = HTTPClient(inspect)
        client.cookies["a"] = "1"
        assert client.get("/").json()["cookies"] == {"a": "1"}
        assert client.get("/", headers={"Cookie": "b=2"}).json()["cookies"] == {"b": "2"}


class TestResponse:
    def test_accessors(self) -> None:
        """text, json(), cookies and repr read the response."""
        response = HTTPResponse(
            200, Headers({"Content-Type": "application/json", "Set-Cookie": "a=1"}), b'{"a": 1}'
        )
        assert response.text == '{"a": 1}'
        assert response.json() == {"a": 1}
        assert response.cookies == {"a": "1"}
        assert repr(response) == "<HTTPResponse 200 'application/json'>"

    def test_plain_wsgi_app_runs_under_the_validator(self) -> None:
        """A plain WSGI callable is driven through wsgiref's validator."""

        def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"plain"

        assert HTTPClient(app).get("/").text == "plain"

    def test_validator_catches_a_broken_app(self) -> None:
        """An app breaking PEP 3333 fails the test (no Content-Type here)."""

        def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            start_response("200 OK", [])
            return [b"x"]

        with pytest.raises(AssertionError, match="Content-Type"):
            HTTPClient(broken).get("/")
