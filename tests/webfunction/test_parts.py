"""The server's parts in process: header reading, app kinds, the lifespan runner, the loader."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

import fcsdk as fc
from fcsdk.exceptions import (
    ConfigurationError,
    ImportModuleError,
    InstanceStartError,
    LifespanError,
    UserCodeError,
)
from fcsdk.logging import RequestContextFilter
from fcsdk.webfunction import HeaderContext, WebFunction, load
from fcsdk.webfunction.app import app_kind
from fcsdk.webfunction.headers import read_headers
from fcsdk.webfunction.invoke import EventRunner
from fcsdk.webfunction.lifespan import Lifespan
from fcsdk.webfunction.server import setup_logging
from fcsdk.webfunction.wsgi import build_environ


class TestReadHeaders:
    def test_fields_are_read_when_asked(self) -> None:
        """Every x-fc-* field reaches the typed context; FC 2.0's service too."""
        context, headers = read_headers(
            [
                (b"x-fc-request-id", b"r-1"),
                (b"x-fc-service-name", b"svc"),
                (b"x-fc-service-logproject", b"proj"),
                (b"x-fc-qualifier", b"LATEST"),
                (b"x-fc-function-memory", b"abc"),
                (b"accept", b"*/*"),
            ]
        )
        typed = fc.FCContext.from_runtime(context)
        assert typed.service is not None
        assert (typed.service.name, typed.log_project) == ("svc", "proj")
        assert (typed.qualifier, typed.function.memory) == ("LATEST", None)
        assert repr(context) == "<HeaderContext request_id='r-1'>"
        assert len(headers) == 6

    def test_no_headers_no_service_no_credentials(self) -> None:
        """Without x-fc-* headers: a fresh id each time, no service, no credentials."""
        first, _ = read_headers(iter([(b"accept", b"*/*")]))
        second, _ = read_headers([])
        assert first.request_id != second.request_id
        assert (first.service, first.credentials, first.control_path) == (None, None, None)

    def test_credentials_are_masked_in_repr(self) -> None:
        """The credentials' repr shows the key id only."""
        context, headers = read_headers(
            [(b"x-fc-access-key-id", b"STS.a+b"), (b"x-fc-access-key-secret", b"s+e/c=r")]
        )
        assert "s+e/c=r" not in repr(context.credentials)
        assert headers == []
        assert isinstance(context, HeaderContext)


async def _no_lifespan_app(scope: Any, receive: Any, send: Any) -> None:
    return None


class TestAppKind:
    def test_from_asgi_is_served_as_its_app(self) -> None:
        """fc.from_asgi(app) is served as the ASGI app it wraps."""
        handler = fc.from_asgi(_no_lifespan_app)
        assert app_kind(handler) == ("asgi", _no_lifespan_app)

    def test_not_callable(self) -> None:
        """An app that is not callable is a ConfigurationError naming what would do."""
        with pytest.raises(ConfigurationError, match="ASGI or WSGI"):
            app_kind(42)

    @pytest.mark.parametrize(
        ("args", "kwargs", "match"),
        [
            ((), {}, "an app, a handler"),
            ((_no_lifespan_app,), {"threads": 0}, "threads"),
            ((_no_lifespan_app,), {"handler": "x"}, "handler must be callable"),
        ],
    )
    def test_bad_configuration(self, args: Any, kwargs: Any, match: str) -> None:
        """Nothing to serve, no threads, a handler that is not callable: clear errors."""
        with pytest.raises(ConfigurationError, match=match):
            WebFunction(*args, **kwargs)


class TestStartFailure:
    def test_each_failure_is_a_fresh_error(self) -> None:
        """A failed startup raises a new InstanceStartError on each later call, same message."""

        def broken(context: object) -> None:
            raise ValueError("no config")

        web = WebFunction(_no_lifespan_app, initializers=[broken], threads=2)

        async def twice() -> list[InstanceStartError]:
            errors = []
            for _ in range(2):
                with pytest.raises(InstanceStartError) as caught:
                    await web.start()
                errors.append(caught.value)
            await web.stop()  # nothing started: nothing to stop
            return errors

        first, second = asyncio.run(twice())
        assert first is not second
        assert str(first) == str(second) == "the instance failed to start: ValueError: no config"
        assert "WebFunction" in repr(web)


class _Scripted:
    """A lifespan app that answers each event as scripted."""

    def __init__(self, startup: str | None, shutdown: str | None) -> None:
        self.answers = {"lifespan.startup": startup, "lifespan.shutdown": shutdown}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            answer = self.answers[message["type"]]
            if answer is None:
                return  # leaves without answering
            await send({"type": answer, "message": "said so"})
            if message["type"] == "lifespan.shutdown":
                return


class TestLifespan:
    def test_startup_failed_message(self) -> None:
        """lifespan.startup.failed raises LifespanError with the app's message."""
        lifespan = Lifespan(_Scripted("lifespan.startup.failed", None))
        with pytest.raises(LifespanError, match="said so"):
            asyncio.run(lifespan.startup())

    def test_unknown_message(self) -> None:
        """A message of unknown type fails the startup, naming it."""
        lifespan = Lifespan(_Scripted("lifespan.bogus", None))
        with pytest.raises(LifespanError, match=r"lifespan\.bogus"):
            asyncio.run(lifespan.startup())

    def test_shutdown_failures_are_logged(self, caplog: pytest.LogCaptureFixture) -> None:
        """A failed shutdown, or one left without an answer, is logged; stopping goes on."""

        async def run(shutdown: str | None) -> None:
            lifespan = Lifespan(_Scripted("lifespan.startup.complete", shutdown))
            await lifespan.startup()
            await lifespan.shutdown()
            await lifespan.shutdown()  # the task is done: nothing more

        with caplog.at_level(logging.ERROR, logger="fcsdk.webfunction"):
            asyncio.run(run("lifespan.shutdown.failed"))
            asyncio.run(run(None))
        messages = [r.getMessage() for r in caplog.records]
        assert "lifespan shutdown failed: said so" in messages
        assert "lifespan shutdown failed: no answer to shutdown" in messages

    def test_app_without_lifespan(self) -> None:
        """An app that returns on the lifespan scope is served without; shutdown is a no-op."""

        async def run() -> bool:
            lifespan = Lifespan(_no_lifespan_app)
            await lifespan.startup()
            await lifespan.shutdown()
            return lifespan.supported

        assert asyncio.run(run()) is False


class TestLoader:
    @pytest.fixture
    def code(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        monkeypatch.setattr(sys, "path", list(sys.path))
        for name in ("ws_missing_dep", "ws_raises", "ws_named", "ws_ready"):
            monkeypatch.delitem(sys.modules, name, raising=False)
        return tmp_path

    def test_missing_dependency(self, code: Path) -> None:
        """A module whose own import fails says which import."""
        (code / "ws_missing_dep.py").write_text("import surely_not_installed_pkg\n")
        with pytest.raises(ImportModuleError, match="surely_not_installed_pkg"):
            load("ws_missing_dep", app_dir=str(code))

    def test_module_raises(self, code: Path) -> None:
        """A module that raises while imported is a UserCodeError with the error."""
        (code / "ws_raises.py").write_text("raise RuntimeError('bad config')\n")
        with pytest.raises(UserCodeError, match="bad config"):
            load("ws_raises", app_dir=str(code))

    def test_named_app_and_ready_web_function(self, code: Path) -> None:
        """``module:name`` picks the app; a module's own WebFunction is served as it is."""
        (code / "ws_named.py").write_text("def api(environ, start_response):\n    return []\n")
        assert load("ws_named:api", app_dir=str(code)).kind == "wsgi"
        (code / "ws_ready.py").write_text(
            "from fcsdk.webfunction import WebFunction\n"
            "def handler(event, context):\n    return event\n"
            "app = WebFunction(handler=handler)\n"
        )
        web = load("ws_ready", app_dir=str(code))
        assert web.kind == "none"
        with pytest.raises(ConfigurationError, match="no module named"):
            load(":app", app_dir=str(code))


class TestLogging:
    def test_existing_handlers_get_the_filter(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A module that set up logging keeps its handlers; fcsdk adds its filter to them."""
        root = logging.getLogger()
        handler = logging.StreamHandler()
        monkeypatch.setattr(root, "handlers", [handler])
        setup_logging()
        setup_logging()
        assert sum(isinstance(f, RequestContextFilter) for f in handler.filters) == 1


class TestEnviron:
    def test_root_path_and_no_client(self) -> None:
        """The root path moves to SCRIPT_NAME; no client and no server get PEP 3333's defaults."""
        environ = build_environ(
            {
                "method": "GET",
                "path": "/api/items/\u00e9",
                "root_path": "/api",
                "query_string": b"",
                "headers": [],
                "client": None,
                "server": None,
            },
            b"",
        )
        assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == ("/api", "/items/\u00c3\u00a9")
        assert (environ["REMOTE_ADDR"], environ["SERVER_NAME"], environ["SERVER_PORT"]) == (
            "",
            "localhost",
            "80",
        )
        assert "REMOTE_PORT" not in environ
        assert environ["fc.request_uri"] == "/api/items/%C3%A9"


class TestAsyncHandlerWithoutContext:
    def test_one_parameter_async_handler(self) -> None:
        """An async @fc.handler without a context parameter is awaited with the event alone."""

        @fc.handler
        async def count(event: list[int]) -> int:
            return len(event)

        runner = EventRunner(count)
        context, _ = read_headers([(b"x-fc-request-id", b"one-1")])
        status, headers, body = asyncio.run(runner.invoke(b"[1, 2, 3]", context))
        assert (status, headers, body) == (200, [(b"x-fc-status", b"200")], b"3")


Message = dict[str, Any]


def asgi_call(
    app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]], body: bytes = b""
) -> list[Message]:
    """One HTTP request to an ASGI app in this process: the messages it sent (bounded at 30 s)."""

    async def call() -> list[Message]:
        incoming = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[Message] = []

        async def receive() -> Message:
            return incoming.pop(0) if incoming else {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 9000),
        }
        await asyncio.wait_for(app(scope, receive, send), 30)
        return sent

    return asyncio.run(call())


class TestProblemAnswers:
    def test_no_http_app_answers_a_whole_problem(self) -> None:
        """A request to a function with only a handler: 404, the whole RFC 9457 document."""

        def handler(event: bytes, context: object) -> str:
            return "never"

        web = WebFunction(handler=handler, threads=1)
        try:
            start, end = asgi_call(web, "GET", "/items", [(b"x-fc-request-id", b"nf-1")])
        finally:
            web.executor.shutdown()
        body = (
            b'{"type": "about:blank", "title": "Not Found", "status": 404, "detail": '
            b'"this web function has no HTTP app, only an event handler (POST /invoke)", '
            b'"request_id": "nf-1"}'
        )
        assert start == {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
        assert end == {"type": "http.response.body", "body": body}

    def test_failing_wsgi_app_answers_500_and_logs_the_request(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A WSGI app that raises: a 500 problem naming the request id; the log says which."""

        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            raise KeyError("cart")

        web = WebFunction(app, threads=1)
        with caplog.at_level(logging.ERROR, logger="fcsdk.webfunction"):
            try:
                start, end = asgi_call(web, "GET", "/cart", [(b"x-fc-request-id", b"ws-500")])
            finally:
                web.executor.shutdown()
        assert start["status"] == 500
        assert start["headers"][0] == (b"content-type", b"application/problem+json")
        assert json.loads(end["body"]) == {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": "The function failed; search its logs for the request id.",
            "request_id": "ws-500",
        }
        (record,) = caplog.records
        assert record.getMessage() == "the WSGI app failed on request ws-500"
        assert record.exc_info is not None and record.exc_info[0] is KeyError


class TestInvokeInProcess:
    def test_sync_handler_runs_in_the_server_pool(self) -> None:
        """A sync handler runs in the web function's own threads (``fcsdk-web-*``)."""
        threads: list[str] = []

        def handler(event: bytes, context: object) -> str:
            threads.append(threading.current_thread().name)
            return "ok"

        web = WebFunction(handler=handler, threads=1)
        try:
            start, end = asgi_call(web, "POST", "/invoke", [(b"x-fc-request-id", b"th-1")], b"{}")
        finally:
            web.executor.shutdown()
        assert (start["status"], end["body"]) == (200, b"ok")
        (name,) = threads
        assert name.startswith("fcsdk-web")

    def test_async_callable_with_an_event_model_is_awaited(self) -> None:
        """An async callable object with ``event_model`` (not an @fc.handler) is awaited."""

        class Counter:
            event_model = dict

            async def __call__(self, event: bytes, context: Any) -> int:
                return len(event)

        web = WebFunction(handler=Counter(), threads=1)
        try:
            start, end = asgi_call(
                web, "POST", "/invoke", [(b"x-fc-request-id", b"aw-1")], b"12345"
            )
        finally:
            web.executor.shutdown()
        assert (start["status"], end["body"]) == (200, b"5")
