"""Tests for fcsdk.web.wsgi_app: fc.from_wsgi with real Flask and Django apps in all places."""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.validate import validator

import pytest

import fcsdk as fc
from fcsdk.exceptions import InvalidArgumentError
from fcsdk.testing import HTTPClient, fake_context, wsgi_environ
from fcsdk.testing.http import Via
from fcsdk.web.wsgi_app import WSGIHandler

PLACES: list[Via] = ["wsgi", "fc3", "apigw"]
PREFIX = "/2016-08-15/proxy/my-service/my-function"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "signin" / "index.py"


def load_signin() -> Any:
    spec = importlib.util.spec_from_file_location("signin_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SIGNIN = load_signin()


class TestSigninExample:
    @pytest.mark.parametrize("via", PLACES)
    def test_form_get_post_and_query_login(self, via: Via) -> None:
        """The sign-in example: form GET, form POST, query-string login, in every place."""
        client = HTTPClient(SIGNIN.handler, via=via)
        assert client.get("/").text == "<h1>Home</h1>"
        form = client.get("/signin")
        assert form.status_code == 200
        assert 'action="/signin"' in form.text
        ok = client.post("/signin", data={"username": "admin", "password": "password"})
        assert ok.text == "<h3>Hello, admin!</h3>"
        bad = client.post("/signin", data={"username": "admin", "password": "nope"})
        assert bad.text == "<h3>Bad username or password.</h3>"
        query = client.get("/signin2?username=admin&password=password")
        assert query.text == "<h3>Hello2, admin!</h3>"

    def test_proxy_prefix_builds_working_links(self) -> None:
        """Through the FC 2.0 API endpoint, url_for includes the prefix and the POST works."""
        client = HTTPClient(SIGNIN.handler)
        form = client.get(f"{PREFIX}/signin")
        assert f'action="{PREFIX}/signin"' in form.text
        ok = client.post(f"{PREFIX}/signin", data={"username": "admin", "password": "password"})
        assert ok.text == "<h3>Hello, admin!</h3>"

    def test_prefix_already_stripped_by_the_runtime(self) -> None:
        """If PATH_INFO is already stripped, SCRIPT_NAME comes from fc.request_uri."""
        environ = wsgi_environ("GET", f"{PREFIX}/signin", context=fake_context())
        environ["PATH_INFO"] = "/signin"
        body = _call(SIGNIN.handler, environ)
        assert f'action="{PREFIX}/signin"'.encode() in body

    def test_strip_prefix_off(self) -> None:
        """With strip_prefix=False the app sees the full path (and 404s here)."""
        handler = fc.from_wsgi(SIGNIN.app, strip_prefix=False)
        assert HTTPClient(handler).get(f"{PREFIX}/signin").status_code == 404


def _call(app: Any, environ: dict[str, Any]) -> bytes:
    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return lambda data: None

    result: Any = validator(app)(environ, start_response)
    try:
        return b"".join(result)
    finally:
        result.close()


class TestEnviron:
    def test_typed_and_original_context(self) -> None:
        """The app sees the runtime's fc.context and the typed fcsdk.context."""
        seen: dict[str, Any] = {}

        def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
            seen.update(environ)
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"ok"

        ctx = fake_context(request_id="r-env")
        for via in PLACES:
            seen.clear()
            HTTPClient(fc.from_wsgi(app), via=via, context=ctx).get("/x")
            assert seen["fc.context"] is ctx
            assert isinstance(seen["fcsdk.context"], fc.FCContext)
            assert seen["fcsdk.context"].request_id == "r-env"

    def test_context_that_is_not_fc(self) -> None:
        """A missing or foreign context gives fcsdk.context None, not a crash."""
        handler = fc.from_wsgi(
            lambda e, s: (
                s("200 OK", [("Content-Type", "text/plain")]),
                [repr(e["fcsdk.context"]).encode()],
            )[1]
        )
        environ = wsgi_environ("GET", "/", context=object())
        assert _call(handler, environ) == b"None"
        environ = wsgi_environ("GET", "/")
        assert _call(handler, environ) == b"None"


class TestFailures:
    @pytest.mark.parametrize("via", PLACES)
    def test_app_exception_is_500(self, via: Via, caplog: pytest.LogCaptureFixture) -> None:
        """An exception from the app is a 500 with the request id, traceback only logged."""

        def app(environ: Any, start_response: Any) -> list[bytes]:
            raise RuntimeError("secret detail")

        ctx = fake_context(request_id="r-fail")
        with caplog.at_level(logging.ERROR, logger="fcsdk.web"):
            response = HTTPClient(fc.from_wsgi(app), via=via, context=ctx).get("/")
        assert response.status_code == 500
        assert response.json()["request_id"] == "r-fail"
        assert "secret" not in response.text
        assert "RuntimeError" in caplog.text

    def test_exception_after_start_response_propagates_on_wsgi(self) -> None:
        """On FC 2.0, an app failing after start_response re-raises (the status is sent)."""

        def app(environ: Any, start_response: Any) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            raise RuntimeError("late")

        with pytest.raises(RuntimeError, match="late"):
            _call(fc.from_wsgi(app), wsgi_environ())

    def test_event_app_failing_mid_body_is_500(self) -> None:
        """In an event place, an app whose body iterator fails gives a 500."""

        def app(environ: Any, start_response: Any) -> Iterator[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"partial"
            raise RuntimeError("mid-body")

        assert HTTPClient(fc.from_wsgi(app), via="fc3").get("/").status_code == 500

    def test_app_never_starting_is_500(self) -> None:
        """An app that never calls start_response is a 500 in an event place."""
        assert (
            HTTPClient(fc.from_wsgi(lambda e, s: [b"x"]), via="apigw").get("/").status_code == 500
        )

    def test_write_callable_and_exc_info(self) -> None:
        """The legacy write() callable and a second start_response with exc_info work."""

        def app(environ: Any, start_response: Any) -> list[bytes]:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            try:
                raise ValueError("x")
            except ValueError:
                write = start_response(
                    "503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info()
                )
            write(b"written ")
            return [b"returned"]

        response = HTTPClient(fc.from_wsgi(app), via="fc3").get("/")
        assert response.status_code == 503
        assert response.text == "written returned"

    def test_exc_info_after_body_reraises(self) -> None:
        """start_response with exc_info after the body started re-raises the error: 500."""

        def app(environ: Any, start_response: Any) -> Iterator[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"a"
            try:
                raise ValueError("late")
            except ValueError:
                start_response("500 Internal Server Error", [], sys.exc_info())

        assert HTTPClient(fc.from_wsgi(app), via="fc3").get("/").status_code == 500

    def test_bad_event_path_is_400(self) -> None:
        """An event whose raw path cannot become an environ is a 400."""
        handler = fc.from_wsgi(SIGNIN.app)
        event = b'{"rawPath": "/a%zz", "requestContext": {"http": {"method": "GET"}}}'
        import json

        assert json.loads(handler(event, fake_context()))["statusCode"] == 400

    def test_is_a_wsgi_handler(self) -> None:
        """from_wsgi returns a WSGIHandler keeping the app."""
        handler = fc.from_wsgi(SIGNIN.app, max_body_size=10)
        assert isinstance(handler, WSGIHandler)
        assert handler.app is SIGNIN.app
        assert handler.max_body_size == 10


def _django_app() -> Any:
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="test-only",
            ROOT_URLCONF=__name__,
            ALLOWED_HOSTS=["*"],
            MIDDLEWARE=[],
            INSTALLED_APPS=[],
            USE_TZ=True,
        )
        django.setup()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def _django_echo(request: Any, x: str) -> Any:
    from django.http import JsonResponse

    return JsonResponse(
        {
            "method": request.method,
            "path": request.path,
            "script": request.META.get("SCRIPT_NAME", ""),
            "q": request.GET.getlist("q"),
            "body": request.body.decode(),
            "cookie": request.COOKIES.get("sid"),
        }
    )


def _django_set_cookie(request: Any) -> Any:
    from django.http import HttpResponse

    response = HttpResponse("set", content_type="text/plain")
    response.set_cookie("sid", "abc")
    response.set_cookie("theme", "dark")
    return response


def _urls() -> list[Any]:
    from django.urls import path

    return [path("echo/<str:x>", _django_echo), path("cookie", _django_set_cookie)]


def __getattr__(name: str) -> Any:
    if name == "urlpatterns":
        return _urls()
    raise AttributeError(name)


class TestDjango:
    @pytest.mark.parametrize("via", PLACES)
    def test_django_app(self, via: Via) -> None:
        """A real Django app runs in every place: path, query, body, cookies both ways."""
        client = HTTPClient(fc.from_wsgi(_django_app()), via=via)
        set_response = client.get("/cookie")
        assert set_response.text == "set"
        assert client.cookies == {"sid": "abc", "theme": "dark"}
        response = client.post(
            "/echo/a?q=1&q=2", body=b"hello", headers={"Content-Type": "text/plain"}
        )
        assert response.status_code == 200
        assert response.json() == {
            "method": "POST",
            "path": "/echo/a",
            "script": "",
            # FC 3.0 and API Gateway join ?q=1&q=2 into one value, handed over whole.
            "q": ["1", "2"] if via == "wsgi" else ["1,2"],
            "body": "hello",
            "cookie": "abc",
        }

    def test_django_behind_the_proxy_prefix(self) -> None:
        """Django sees the FC 2.0 prefix as SCRIPT_NAME."""
        client = HTTPClient(fc.from_wsgi(_django_app()))
        data = client.get(f"{PREFIX}/echo/b").json()
        assert data["script"] == PREFIX
        assert data["path"] == f"{PREFIX}/echo/b"


class TestClosing:
    def test_flask_teardown_runs_without_the_server_closing(self) -> None:
        """FC 2.0 never calls close(): Flask's teardown still runs once the body is read."""
        from flask import Flask

        torn_down: list[bool] = []
        app = Flask("teardown")

        @app.get("/")
        def index() -> str:
            return "ok"

        @app.teardown_request
        def teardown(exc: BaseException | None) -> None:
            torn_down.append(True)

        body = fc.from_wsgi(app)(wsgi_environ("GET", "/"), lambda *a: lambda data: None)
        assert b"".join(body) == b"ok"
        assert torn_down == [True]

    def test_plain_list_is_passed_through(self) -> None:
        """A body without close() is returned as the app gave it."""
        body = [b"x"]

        def app(environ: Any, start_response: Any) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return body

        assert fc.from_wsgi(app)(wsgi_environ(), lambda *a: None) is body


class TestWrongKindOfApp:
    def test_fastapi_app_is_refused_with_the_right_wrapper(self) -> None:
        """fc.from_wsgi(FastAPI()) fails at once and names fc.from_asgi."""
        from fastapi import FastAPI

        with pytest.raises(InvalidArgumentError, match=r"fc\.from_asgi\(app\)"):
            fc.from_wsgi(FastAPI())  # type: ignore[arg-type]  # mypy sees it too

    def test_plain_wsgi_function_is_accepted(self) -> None:
        """A plain (environ, start_response) function still wraps."""

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]

        assert HTTPClient(fc.from_wsgi(app), via="fc3").get("/").text == "ok"


class TestQueryValues:
    @pytest.mark.parametrize("via", PLACES)
    def test_flask_gets_a_value_with_commas_whole(self, via: Via) -> None:
        """?q=fish,%20chips reaches Flask's request.args whole in every place, with its URI."""
        from flask import Flask, request

        app = Flask("query")

        @app.get("/q")
        def q() -> dict[str, Any]:
            return {"q": request.args.getlist("q"), "uri": request.environ["fc.request_uri"]}

        answer = HTTPClient(fc.from_wsgi(app), via=via).get("/q?q=fish,%20chips&b=1,2").json()
        assert answer == {"q": ["fish, chips"], "uri": "/q?q=fish,%20chips&b=1,2"}
