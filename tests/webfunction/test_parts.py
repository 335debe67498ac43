"""The server's parts in process: header reading, app kinds, the lifespan runner, the loader."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import secrets
import sys
import threading
from collections.abc import Coroutine, Iterator
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
from fcsdk.logging import RequestContextFilter, TextFormatter, current_context
from fcsdk.webfunction import HeaderContext, WebFunction, load
from fcsdk.webfunction.app import app_kind
from fcsdk.webfunction.headers import read_headers
from fcsdk.webfunction.invoke import EventRunner
from fcsdk.webfunction.lifecycle import Lifecycle
from fcsdk.webfunction.lifespan import Lifespan
from fcsdk.webfunction.server import setup_logging
from fcsdk.webfunction.wsgi import build_environ
from tests.webfunction.server import asgi_call


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
        with pytest.raises(ConfigurationError) as caught:
            app_kind(42)
        assert str(caught.value) == (
            "app must be an ASGI or WSGI application, not int: "
            "a FastAPI/Starlette/Flask/Django app, an @fc.http handler or an fc.HTTPApp"
        )

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
        # each once: the second shutdown of each run, its task done, logged nothing
        assert [r.getMessage() for r in caplog.records] == [
            "lifespan shutdown failed: said so",
            "lifespan shutdown failed: no answer to shutdown",
        ]

    def test_shutdown_before_startup_does_nothing(self, caplog: pytest.LogCaptureFixture) -> None:
        """A shutdown of a lifespan never started returns at once, and logs nothing."""
        app = _Recording({"type": "lifespan.startup.complete"})
        with caplog.at_level(logging.DEBUG, logger="fcsdk.webfunction"):
            asyncio.run(asyncio.wait_for(Lifespan(app).shutdown(), 10))
        assert (app.scopes, caplog.records) == ([], [])

    def test_message_without_a_type(self) -> None:
        """A lifespan message without ``type`` fails the startup, its type shown as ``''``."""
        with pytest.raises(LifespanError) as caught:
            asyncio.run(Lifespan(_Recording({})).startup())
        assert str(caught.value) == (
            "lifespan startup failed: the app sent a lifespan message of unknown type ''"
        )

    def test_shutdown_waits_five_seconds_for_the_app_to_return(self) -> None:
        """The app answered its shutdown but does not return: shutdown waits 5 s, no more.

        The loop's clock is virtual (it jumps to the next timer when nothing is ready),
        so the test takes no time and cannot be late.
        """

        released: list[asyncio.Event] = []

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            released.append(asyncio.Event())
            await released[0].wait()  # returns only when the test lets it

        async def run() -> float:
            loop = asyncio.get_running_loop()
            lifespan = Lifespan(app)
            await lifespan.startup()
            started = loop.time()
            await lifespan.shutdown()
            waited = loop.time() - started
            released[0].set()
            await asyncio.sleep(0)
            return waited

        assert _run_on_a_virtual_clock(run()) == pytest.approx(5.0)

    def test_app_without_lifespan(self) -> None:
        """An app that returns on the lifespan scope is served without; shutdown is a no-op."""

        async def run() -> bool:
            lifespan = Lifespan(_no_lifespan_app)
            await lifespan.startup()
            await lifespan.shutdown()
            return lifespan.supported

        assert asyncio.run(run()) is False


def _run_on_a_virtual_clock(main: Coroutine[Any, Any, float]) -> float:
    """Run ``main`` on a loop whose clock moves only when the loop would wait for a timer.

    When nothing is ready, the loop's selector is polled without blocking and the clock
    jumps by the time the loop would have waited: timers fire in their order, at once.
    """
    loop = asyncio.new_event_loop()
    now = [0.0]
    selector = loop._selector  # type: ignore[attr-defined]
    poll = selector.select

    def select(timeout: float | None = None) -> Any:
        events = poll(0)
        if not events:
            assert timeout is not None, "the loop would wait forever: nothing can wake it"
            now[0] += timeout
        return events

    loop.time = lambda: now[0]  # type: ignore[method-assign]
    selector.select = select
    try:
        return loop.run_until_complete(main)
    finally:
        loop.close()


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
        # an ASGI scope may leave out scheme and http_version: http and 1.1 then
        assert (environ["wsgi.url_scheme"], environ["SERVER_PROTOCOL"]) == ("http", "HTTP/1.1")

    def test_scheme_and_version_of_the_scope(self) -> None:
        """The scope's scheme and HTTP version reach the environ."""
        scope = {"method": "GET", "path": "/", "headers": [], "scheme": "https"}
        environ = build_environ({**scope, "http_version": "1.0"}, b"")
        assert (environ["wsgi.url_scheme"], environ["SERVER_PROTOCOL"]) == ("https", "HTTP/1.0")


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
        assert record.exc_info is not None
        assert record.exc_info[0] is KeyError


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

    def test_sync_fc_handler_runs_in_the_server_pool(self) -> None:
        """A sync ``@fc.handler`` runs in the web function's own threads too."""
        threads: list[str] = []

        @fc.handler
        def handler(event: dict[str, int]) -> int:
            threads.append(threading.current_thread().name)
            return event["n"] * 2

        web = WebFunction(handler=handler, threads=1)
        try:
            start, end = asgi_call(
                web, "POST", "/invoke", [(b"x-fc-request-id", b"th-2")], b'{"n": 21}'
            )
        finally:
            web.executor.shutdown()
        assert (start["status"], end["body"]) == (200, b"42")
        (name,) = threads
        assert name.startswith("fcsdk-web")

    def test_async_plain_handler_runs_in_its_invocation(self) -> None:
        """A plain ``async def handler(event, context)``: fc.logger's context is the request's."""

        async def handler(event: bytes, context: Any) -> str:
            seen = current_context()
            return f"{seen.request_id} {seen is context}"

        web = WebFunction(handler=handler, threads=1)
        try:
            start, end = asgi_call(web, "POST", "/invoke", [(b"x-fc-request-id", b"ap-1")], b"{}")
        finally:
            web.executor.shutdown()
        assert (start["status"], end["body"]) == (200, b"ap-1 True")

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


class TestReadAllHeaders:
    def test_every_header_reaches_the_typed_context(self) -> None:
        """All of FC's x-fc-* headers, read into the typed context whole; the app's headers."""
        sent = [
            (b"x-fc-request-id", b"all-1"),
            (b"x-fc-function-name", b"orders"),
            (b"x-fc-function-handler", b"index.handler"),
            (b"x-fc-function-memory", b"512"),
            (b"x-fc-function-timeout", b"60"),
            (b"x-fc-qualifier", b"prod"),
            (b"x-fc-version-id", b"7"),
            (b"x-fc-region", b"cn-hangzhou"),
            (b"x-fc-account-id", b"1234567890"),
            (b"x-fc-service-name", b"shop"),
            (b"x-fc-service-logproject", b"shop-logs"),
            (b"x-fc-service-logstore", b"requests"),
            (b"accept", b"*/*"),
        ]
        context, headers = read_headers(sent)
        assert headers is sent  # no credential headers: the app gets the same list
        typed = fc.FCContext.from_runtime(context)
        assert typed.model_dump() == {
            "request_id": "all-1",
            "credentials": None,
            "function": {
                "name": "orders",
                "handler": "index.handler",
                "memory": 512,
                "timeout": 60,
                "qualifier": "prod",
                "version_id": "7",
            },
            "service": {
                "name": "shop",
                "log_project": "shop-logs",
                "log_store": "requests",
                "qualifier": "prod",
                "version_id": "7",
            },
            "region": "cn-hangzhou",
            "account_id": "1234567890",
            "log_project": "shop-logs",
            "log_store": "requests",
            "retry_count": 0,
            "tracing": None,
        }
        service = context.service
        assert service is not None
        assert (service.qualifier, service.version_id) == ("prod", "7")
        assert (context.function.qualifier, context.function.version_id) == ("prod", "7")

    def test_headers_given_as_an_iterator_come_back_as_a_list(self) -> None:
        """Headers from any iterable come back as a list the app can read more than once."""
        _, headers = read_headers(iter([(b"x-fc-request-id", b"it-1"), (b"accept", b"*/*")]))
        assert headers == [(b"x-fc-request-id", b"it-1"), (b"accept", b"*/*")]

    def test_credential_values_are_masked_in_formatted_logs(self) -> None:
        """The secret and token of a request's headers are masked in fcsdk's log lines.

        Fresh values each run: fcsdk keeps every secret it met for the process's life, so
        fixed ones met earlier in the process (mutmut forks its runs from a process that
        ran every test) would be masked even by a read_headers that registered nothing.
        """
        fresh = secrets.token_hex(6)
        secret, token = f"hD8+{fresh}/vR5=zT1wX", f"CAIS+{fresh}/nP7=Qs2Rt"
        context, headers = read_headers(
            [
                (b"x-fc-request-id", b"cr-1"),
                (b"x-fc-access-key-id", b"STS.Ab3+Cd/E="),
                (b"x-fc-access-key-secret", secret.encode()),
                (b"x-fc-security-token", token.encode()),
            ]
        )
        assert headers == [(b"x-fc-request-id", b"cr-1")]
        credentials = context.credentials
        assert credentials is not None
        assert (credentials.access_key_secret, credentials.security_token) == (secret, token)
        record = logging.LogRecord("app", logging.INFO, __file__, 1, "%s %s", (secret, token), None)
        RequestContextFilter().filter(record)
        line = TextFormatter().format(record)
        assert line.endswith(" [INFO] *** ***"), line


class _Hook:
    """A sync lifecycle hook that records the context variable it sees, or raises."""

    def __init__(self, fail: bool = False) -> None:
        self.seen: list[str] = []
        self.fail = fail

    def __call__(self, context: object) -> None:
        if self.fail:
            raise ValueError("no database")
        self.seen.append(_MARK.get())


_MARK: contextvars.ContextVar[str] = contextvars.ContextVar("_MARK", default="unset")


class _Context:
    """A context object without a request id."""


class TestLifecycleParts:
    def test_sync_hooks_see_the_callers_context_and_stop_runs_once(self) -> None:
        """Sync hooks run in the caller's context variables; a second stop runs nothing."""
        init, pre_stop = _Hook(), _Hook()
        lifecycle = Lifecycle(None, initializers=[init], pre_stops=[pre_stop])

        async def run() -> None:
            _MARK.set("caller")
            await lifecycle.start(_Context())
            await lifecycle.stop(_Context())
            await lifecycle.stop(_Context())

        asyncio.run(run())
        assert (init.seen, pre_stop.seen) == (["caller"], ["caller"])

    def test_failed_startup_is_logged_whole(self, caplog: pytest.LogCaptureFixture) -> None:
        """A failed startup logs what failed, with an empty request id for a context without."""
        lifecycle = Lifecycle(None, initializers=[_Hook(fail=True)])
        with (
            caplog.at_level(logging.DEBUG, logger="fcsdk.webfunction"),
            pytest.raises(InstanceStartError, match="ValueError: no database"),
        ):
            asyncio.run(lifecycle.start(_Context()))
        (record,) = caplog.records  # nothing else: a WSGI app (None) has no lifespan to try
        first = record.getMessage().splitlines()[0]
        assert first == "the instance's startup failed (request ):"


class _Recording:
    """A lifespan app that records its scope and answers as scripted."""

    def __init__(self, *answers: Message) -> None:
        self.scopes: list[Message] = []
        self.answers = list(answers)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scopes.append(scope)
        await receive()
        for answer in self.answers:
            await send(answer)
        if self.answers[-1]["type"] == "lifespan.startup.failed":
            return
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
        await asyncio.Event().wait()  # never returns by itself


class TestLifespanParts:
    def test_scope_and_clean_shutdown(self, caplog: pytest.LogCaptureFixture) -> None:
        """The app gets lifespan 2.3's scope; a completed shutdown logs nothing; a late
        message is logged as a warning; shutdown waits only ``shutdown_timeout`` for the app.
        """
        app = _Recording({"type": "lifespan.startup.complete"}, {"type": "lifespan.bogus"})

        async def run() -> None:
            lifespan = Lifespan(app, shutdown_timeout=0.01)
            await lifespan.startup()
            await asyncio.wait_for(lifespan.shutdown(), 10)

        with caplog.at_level(logging.DEBUG, logger="fcsdk.webfunction"):
            asyncio.run(run())
        assert app.scopes == [
            {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.3"}, "state": {}}
        ]
        assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
            ("WARNING", "the ASGI app sent 'lifespan.bogus' when no lifespan event was pending")
        ]

    def test_failed_startup_without_a_message(self) -> None:
        """lifespan.startup.failed without a message says there was none."""
        app = _Recording({"type": "lifespan.startup.failed"})
        with pytest.raises(LifespanError) as caught:
            asyncio.run(Lifespan(app).startup())
        assert str(caught.value) == "lifespan startup failed: (no message)"

    def test_app_without_lifespan_is_logged_at_debug(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An app that raises on the lifespan scope: a debug line naming its error."""

        async def app(scope: Any, receive: Any, send: Any) -> None:
            raise ValueError("http only")

        with caplog.at_level(logging.DEBUG, logger="fcsdk.webfunction"):
            asyncio.run(Lifespan(app).startup())
        assert [r.getMessage() for r in caplog.records] == [
            "the ASGI app does not support lifespan (ValueError('http only')); going on without"
        ]


class TestLoaderDefaultDir:
    def test_module_is_found_in_the_working_directory(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without ``app_dir`` the module is looked for in the working directory."""
        monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".")])
        monkeypatch.delitem(sys.modules, "ws_here", raising=False)
        monkeypatch.chdir(tmp_path)
        (tmp_path / "ws_here.py").write_text("def app(environ, start_response):\n    return []\n")
        assert load("ws_here").kind == "wsgi"


class _Snapshots(logging.Handler):
    """A handler keeping each record's attributes as they were when it got the record."""

    def __init__(self) -> None:
        super().__init__()
        self.snapshots: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.snapshots.append(dict(record.__dict__))


class TestLoggingLevels:
    @pytest.mark.parametrize("uvicorn_level", [logging.NOTSET, logging.WARNING])
    def test_uvicorn_records_pass_a_warning_root(
        self, monkeypatch: pytest.MonkeyPatch, uvicorn_level: int
    ) -> None:
        """Under a module's WARNING root, uvicorn's INFO lines (access log too) still show.

        A level the module gave ``uvicorn`` is kept; its children get INFO of their own.
        fcsdk's own records get the request id filter even on handlers added later.
        """
        root = logging.getLogger()
        handler = _Snapshots()
        monkeypatch.setattr(root, "handlers", [handler])
        own = logging.getLogger("fcsdk.webfunction")
        monkeypatch.setattr(own, "filters", [])
        loggers = [logging.getLogger(n) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")]
        levels = [(logger, logger.level) for logger in [root, own, *loggers]]
        later = _Snapshots()
        try:
            root.setLevel(logging.WARNING)
            for logger in [own, *loggers]:
                logger.setLevel(logging.NOTSET)
            loggers[0].setLevel(uvicorn_level)
            setup_logging()
            assert root.level == logging.WARNING  # left as the module set it
            for logger in loggers:
                logger.info("line of %s", logger.name)
            own.addHandler(later)
            own.warning("own line")
        finally:
            own.removeHandler(later)
            for logger, level in levels:
                logger.setLevel(level)
        shown = [] if uvicorn_level == logging.WARNING else ["line of uvicorn"]
        assert [r["msg"] % r["args"] for r in handler.snapshots] == [
            *shown,
            "line of uvicorn.error",
            "line of uvicorn.access",
            "own line",
        ]
        (attributes,) = later.snapshots
        assert attributes["fc_request_id"] == ""


class TestWholeEnviron:
    def test_environ_of_a_post(self) -> None:
        """A POST's whole PEP 3333 environ: server, content headers, the length as sent."""
        environ = build_environ(
            {
                "type": "http",
                "method": "POST",
                "path": "/orders",
                "root_path": "",
                "query_string": b"a=1",
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"005"),
                    (b"x-trace", b"t1"),
                ],
                "client": ("10.0.0.9", 41000),
                "server": ("10.0.0.2", 9000),
                "scheme": "https",
                "http_version": "1.1",
            },
            b"hello",
        )
        assert environ.pop("wsgi.input").read() == b"hello"
        assert environ.pop("wsgi.errors") is sys.stderr
        assert environ == {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": "/orders",
            "QUERY_STRING": "a=1",
            "SERVER_NAME": "10.0.0.2",
            "SERVER_PORT": "9000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "10.0.0.9",
            "REMOTE_PORT": "41000",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": "005",
            "HTTP_X_TRACE": "t1",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https",
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "fc.request_uri": "/orders?a=1",
        }


def _stream(web: WebFunction, request_id: bytes, leaves: threading.Event | None) -> list[Message]:
    """One GET to ``web`` whose client stays connected, or, given ``leaves``, disconnects
    after the first body part (``leaves`` is set once the server has seen it go)."""

    async def run() -> list[Message]:
        loop = asyncio.get_running_loop()
        gone = asyncio.Event()
        incoming = [{"type": "http.request", "body": b"", "more_body": False}]
        sent: list[Message] = []

        async def receive() -> Message:
            if incoming:
                return incoming.pop(0)
            await gone.wait()
            if leaves is not None:
                # the app's thread goes on once the server has seen the disconnect
                loop.call_soon(leaves.set)
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)
            if leaves is not None and message["type"] == "http.response.body":
                gone.set()

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/stream",
            "query_string": b"",
            "headers": [(b"x-fc-request-id", request_id)],
        }
        await asyncio.wait_for(web(scope, receive, send), 10)
        return sent

    try:
        return asyncio.run(run())
    finally:
        web.executor.shutdown()


class TestWSGIStreams:
    def test_an_error_after_the_answer_began_sends_no_second_start(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A WSGI app that fails mid-body: logged; the answer already begun is not restarted."""

        def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"first part"
            raise KeyError("stock")

        with caplog.at_level(logging.ERROR, logger="fcsdk.webfunction"):
            sent = _stream(WebFunction(app, threads=1), b"mid-1", None)
        assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
        assert (sent[0]["status"], sent[1]["body"]) == (200, b"first part")
        assert [r.getMessage() for r in caplog.records] == ["the WSGI app failed on request mid-1"]

    def test_a_client_gone_mid_stream_ends_the_request(self) -> None:
        """The client disconnects while a WSGI app streams: the app stops, the request ends."""
        left = threading.Event()
        produced: list[bytes] = []

        def app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            for n in range(100):
                produced.append(b"%d" % n)
                yield b"%d" % n
                assert left.wait(10), "the client never went away"

        sent = _stream(WebFunction(app, threads=1), b"gone-1", left)
        assert produced == [b"0", b"1"]  # the app was stopped at its next part
        assert [m.get("body") for m in sent[1:]] == [b"0", b""]
        assert sent[-1]["more_body"] is False
