"""Tests for fcsdk.testing.http: the HTTPClient driving a handler as each place would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import RedirectResponse

import fcsdk as fc
from fcsdk.exceptions import ConfigurationError, InvalidArgumentError
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


def _shop() -> Any:
    """A FastAPI app with the routes a TestClient user tries first."""
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        events.append("startup")
        yield {"ready": True}
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)
    app.add_middleware(GZipMiddleware, minimum_size=10)

    @app.get("/items/{item_id}", name="item")
    async def item(item_id: int, request: Request) -> dict[str, Any]:
        return {
            "url": str(request.url),
            "link": str(request.url_for("item", item_id=item_id)),
            "host": request.headers.get("host"),
        }

    @app.api_route("/old", methods=["GET", "POST"])
    async def old() -> RedirectResponse:
        return RedirectResponse("/items/7", status_code=303)

    @app.get("/big")
    async def big() -> dict[str, str]:
        return {"text": "x" * 2000}

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, Any]:
        context = fc.FCContext.from_runtime(request.scope["fc.context"])
        return {"body": (await request.body()).decode(), "timeout": context.function.timeout}

    @app.get("/ready")
    async def ready(request: Request) -> dict[str, Any]:
        return {"ready": getattr(request.state, "ready", False)}

    app.state.events = events
    return app


class TestLikeTestClient:
    """HTTPClient does what Starlette's TestClient does for the same FastAPI app."""

    def test_default_host_in_every_place(self, via: Via) -> None:
        """Requests carry Host: testserver, so url_for and request.url have a host."""
        answer = HTTPClient(fc.from_asgi(_shop(), lifespan="off"), via=via).get("/items/3")
        assert answer.json() == {
            "url": "http://testserver/items/3",
            "link": "http://testserver/items/3",
            "host": "testserver",
        }

    def test_host_is_overridable(self, via: Via) -> None:
        """A Host header, base_url or an absolute URL choose the host (and https the scheme)."""
        handler = fc.from_asgi(_shop(), lifespan="off")
        by_header = HTTPClient(handler, via=via).get("/items/1", headers={"Host": "a.example"})
        assert by_header.json()["link"] == "http://a.example/items/1"
        by_base = HTTPClient(handler, via=via, base_url="https://b.example").get("/items/2")
        assert by_base.json()["link"] == "https://b.example/items/2"
        absolute = HTTPClient(handler, via=via).get("http://c.example:8080/items/3?x=1")
        assert absolute.json()["url"] == "http://c.example:8080/items/3?x=1"

    def test_content_and_timeout(self, via: Via) -> None:
        """content= is the body; timeout= is the function timeout the fake context carries."""
        client = HTTPClient(fc.from_asgi(_shop(), lifespan="off"), via=via)
        assert client.post("/echo", content="hi", timeout=2.5).json() == {
            "body": "hi",
            "timeout": 3,
        }

    def test_follow_redirects(self, via: Via) -> None:
        """follow_redirects follows a 303 with a GET and keeps the history."""
        client = HTTPClient(fc.from_asgi(_shop(), lifespan="off"), via=via)
        assert client.post("/old").status_code == 303
        followed = client.post("/old", content="x", follow_redirects=True)
        assert followed.status_code == 200
        assert followed.json()["link"] == "http://testserver/items/7"
        assert [r.status_code for r in followed.history] == [303]
        always = HTTPClient(client.handler, via=via, follow_redirects=True)
        assert always.get("/old").url == "http://testserver/items/7"

    def test_gzip_body_is_decoded(self, via: Via) -> None:
        """A gzip-encoded answer reads as its JSON, as from an HTTP client."""
        client = HTTPClient(fc.from_asgi(_shop(), lifespan="off"), via=via)
        answer = client.get("/big", headers={"Accept-Encoding": "gzip"})
        assert answer.headers["content-encoding"] == "gzip"
        assert answer.json() == {"text": "x" * 2000}

    def test_raise_for_status(self) -> None:
        """raise_for_status returns a 2xx response and raises HTTPError with a 4xx status."""
        client = HTTPClient(fc.from_asgi(_shop(), lifespan="off"), via="fc3")
        ok = client.get("/items/1")
        assert ok.raise_for_status() is ok
        assert ok.is_success
        with pytest.raises(fc.HTTPError) as caught:
            client.get("/items/nope").raise_for_status()
        assert caught.value.status == 422

    def test_context_manager_runs_the_lifespan(self, via: Via) -> None:
        """with HTTPClient(handler): startup before the first request, shutdown at the end."""
        app = _shop()
        with HTTPClient(fc.from_asgi(app), via=via) as client:
            assert app.state.events == ["startup"]
            assert client.get("/ready").json() == {"ready": True}
        assert app.state.events == ["startup", "shutdown"]

    def test_context_manager_on_plain_handlers(self) -> None:
        """A handler without a lifespan works inside a with block too."""
        with HTTPClient(inspect) as client:
            assert client.get("/x").json()["path"] == "/x"

    def test_content_and_body_together_is_an_error(self) -> None:
        """content= and body= at once is refused."""
        with pytest.raises(InvalidArgumentError):
            HTTPClient(inspect).post("/", content=b"a", body=b"b")

    @pytest.mark.parametrize("base_url", ["testserver", "ftp://x", "http://"])
    def test_bad_base_url(self, base_url: str) -> None:
        """A base_url that is not http(s) with a host is refused at once."""
        with pytest.raises(InvalidArgumentError):
            HTTPClient(inspect, base_url=base_url)
