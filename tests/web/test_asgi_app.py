"""Tests for fcsdk/web/asgi_app.py and asgi.py: fc.from_asgi with FastAPI and Starlette."""

from __future__ import annotations

import asyncio
import atexit
import base64
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import BackgroundTasks, Depends, FastAPI, Header, Request, UploadFile
from fastapi.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

import fcsdk as fc
from benchmarks._loopback import EchoServer
from fcsdk.exceptions import ConfigurationError, InvalidArgumentError
from fcsdk.testing import HTTPClient, fake_context, fc3_http_event, wsgi_environ
from fcsdk.testing.http import Via
from fcsdk.web.asgi import LifespanError

PLACES: list[Via] = ["wsgi", "fc3", "apigw"]


@pytest.fixture(params=PLACES)
def via(request: pytest.FixtureRequest) -> Via:
    return request.param  # type: ignore[no-any-return]


class Item(BaseModel):
    name: str
    price: float


EVENTS: list[str] = []
LOOPBACK: dict[str, Any] = {}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    EVENTS.append("startup")
    client = httpx.AsyncClient(base_url=LOOPBACK.get("base", "http://127.0.0.1:9"))
    yield {"greeting": "hello from lifespan", "client": client}
    await client.aclose()
    EVENTS.append("shutdown")


api = FastAPI(lifespan=lifespan)
DONE: list[str] = []


def user_agent(user_agent: str = Header(default="none")) -> str:
    return user_agent.upper()


@api.post("/items/{item_id}")
async def create(item_id: int, item: Item, q: str | None = None) -> dict[str, Any]:
    return {"id": item_id, "name": item.name, "price": item.price, "q": q}


@api.get("/whoami")
async def whoami(request: Request, agent: str = Depends(user_agent)) -> dict[str, Any]:
    return {
        "agent": agent,
        "greeting": request.state.greeting,
        "root_path": request.scope["root_path"],
        "url": str(request.url),
        "client": request.client.host if request.client else None,
        "request_id": fc.logging.current_context().request_id,
    }


@api.post("/upload")
async def upload(file: UploadFile) -> dict[str, Any]:
    content = await file.read()
    return {"filename": file.filename, "size": len(content), "type": file.content_type}


@api.get("/login")
async def login() -> Response:
    response = PlainTextResponse("in")
    response.set_cookie("sid", "abc")
    response.set_cookie("theme", "dark")
    return response


@api.get("/me")
async def me(request: Request) -> dict[str, str]:
    return dict(request.cookies)


@api.get("/old")
async def old() -> RedirectResponse:
    return RedirectResponse("/new", status_code=307)


@api.get("/stream")
async def stream() -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        for n in range(3):
            await asyncio.sleep(0)
            yield f"chunk{n};".encode()

    return StreamingResponse(chunks(), media_type="text/plain")


@api.get("/png")
async def png() -> Response:
    return Response(b"\x89PNG\r\n\x1a\n\x00\xff", media_type="image/png")


@api.post("/later")
async def later(tasks: BackgroundTasks) -> dict[str, bool]:
    async def finish() -> None:
        await asyncio.sleep(0.01)
        DONE.append("finished")

    tasks.add_task(finish)
    return {"queued": True}


@api.get("/remote")
async def remote(request: Request) -> dict[str, str]:
    reply = await request.state.client.get("/", headers={"x-request-id": "r-1"})
    return {"remote": reply.text}


@api.get("/sync")
def sync_route() -> dict[str, str]:
    return {"sync": "threadpool"}


@api.get("/query")
async def query(request: Request, q: str | None = None) -> dict[str, Any]:
    return {"q": q, "pairs": request.query_params.multi_items()}


@api.get("/boom")
async def boom() -> None:
    raise RuntimeError("database on fire")


handler = fc.from_asgi(api)


@pytest.fixture(scope="module", autouse=True)
def started() -> Iterator[None]:
    with EchoServer(delay=0) as server:
        LOOPBACK["base"] = server.base
        handler.initializer(fake_context())
        yield
        handler.pre_stop(fake_context())
    assert EVENTS[-1] == "shutdown"


class TestFastAPI:
    def test_body_path_and_query(self, via: Via) -> None:
        """A pydantic body, a typed path parameter and a query parameter reach the route."""
        response = HTTPClient(handler, via=via).post(
            "/items/5?q=x", json={"name": "tea", "price": 2.5}
        )
        assert response.status_code == 200
        assert response.json() == {"id": 5, "name": "tea", "price": 2.5, "q": "x"}

    def test_fastapis_own_422(self, via: Via) -> None:
        """Bad path, body and query values get FastAPI's own 422 detail."""
        response = HTTPClient(handler, via=via).post("/items/x", json={"name": "tea"})
        assert response.status_code == 422
        locations = sorted(tuple(e["loc"]) for e in response.json()["detail"])
        assert locations == [("body", "price"), ("path", "item_id")]

    def test_dependencies_and_lifespan_state(self, via: Via) -> None:
        """A Depends() on a header and the state the lifespan yielded reach the route."""
        client = HTTPClient(handler, via=via, client_ip="203.0.113.7")
        body = client.get("/whoami", headers={"User-Agent": "curl/8"}).json()
        assert body["agent"] == "CURL/8"
        assert body["greeting"] == "hello from lifespan"
        # API Gateway's event carries no client address.
        assert body["client"] == (None if via == "apigw" else "203.0.113.7")
        assert body["request_id"]

    def test_fc2_proxy_prefix_becomes_root_path(self) -> None:
        """FC 2.0's /2016-08-15/proxy/<service>/<function> prefix is the scope's root_path."""
        body = HTTPClient(handler).get("/2016-08-15/proxy/svc/fn/whoami").json()
        assert body["root_path"] == "/2016-08-15/proxy/svc/fn"
        assert body["url"].endswith("/2016-08-15/proxy/svc/fn/whoami")

    def test_upload_file_multipart(self, via: Via) -> None:
        """An UploadFile parameter gets the multipart file part."""
        response = HTTPClient(handler, via=via).post(
            "/upload", files={"file": ("a.bin", b"\x00\x01\x02" * 100, "application/x-thing")}
        )
        assert response.json() == {"filename": "a.bin", "size": 300, "type": "application/x-thing"}

    def test_repeated_set_cookie_and_cookies_back(self, via: Via) -> None:
        """Two Set-Cookie headers arrive as two; the client sends them back."""
        client = HTTPClient(handler, via=via)
        response = client.get("/login")
        assert response.headers.getall("set-cookie")[0].startswith("sid=abc")
        assert len(response.headers.getall("set-cookie")) == 2
        assert client.get("/me", cookies=response.cookies).json() == {"sid": "abc", "theme": "dark"}

    def test_redirect(self, via: Via) -> None:
        """A RedirectResponse keeps its status and Location, and gains no Content-Type."""
        response = HTTPClient(handler, via=via).get("/old")
        assert (response.status_code, response.headers["location"]) == (307, "/new")
        assert "content-type" not in response.headers
        assert response.content == b""

    def test_redirect_slashes_adds_no_type_on_fc2(self) -> None:
        """FastAPI's redirect_slashes 307 leaves FC 2.0 as FastAPI sent it: no Content-Type."""
        environ = wsgi_environ("GET", "/whoami/")
        started: list[Any] = []
        body = handler(environ, lambda status, headers, *exc: started.append((status, headers)))
        assert b"".join(body) == b""
        status, headers = started[0]
        assert status.startswith("307")
        assert sorted(name.lower() for name, _ in headers) == ["content-length", "location"]

    def test_streaming_response_is_collected(self, via: Via) -> None:
        """A StreamingResponse's chunks arrive as one body."""
        assert HTTPClient(handler, via=via).get("/stream").text == "chunk0;chunk1;chunk2;"

    def test_binary_body_is_base64_on_events(self) -> None:
        """An image/png body goes out base64 on FC 3.0, as @fc.http sends it."""
        answer = json.loads(handler(fc3_http_event("GET", "/png"), fake_context()))
        assert answer["isBase64Encoded"] is True
        assert base64.b64decode(answer["body"]) == b"\x89PNG\r\n\x1a\n\x00\xff"

    def test_background_tasks_finish_before_return(self, via: Via) -> None:
        """A BackgroundTasks task is done when the invocation returns."""
        DONE.clear()
        assert HTTPClient(handler, via=via).post("/later").json() == {"queued": True}
        assert DONE == ["finished"]

    def test_async_client_from_lifespan_against_loopback(self, via: Via) -> None:
        """An httpx.AsyncClient made in lifespan startup serves routes on every invocation."""
        assert HTTPClient(handler, via=via).get("/remote").json() == {"remote": "r-1"}

    def test_sync_route_runs_in_starlettes_threadpool(self, via: Via) -> None:
        """A plain def route (run by anyio in a worker thread) answers too."""
        assert HTTPClient(handler, via=via).get("/sync").json() == {"sync": "threadpool"}

    def test_head_has_no_body(self) -> None:
        """HEAD answers headers only."""
        response = HTTPClient(handler, via="fc3").head("/stream")
        assert response.content == b""

    def test_app_exception_is_a_500_with_the_request_id(
        self, via: Via, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An exception in a route answers a problem 500 naming the request id; the log has it."""
        context = fake_context(request_id="req-boom-1")
        with caplog.at_level(logging.ERROR, logger="fcsdk.web"):
            response = HTTPClient(handler, via=via, context=context).get("/boom")
        assert response.status_code == 500
        assert response.json()["request_id"] == "req-boom-1"
        assert "database on fire" not in response.text
        assert "database on fire" in caplog.text
        assert "the ASGI app failed on request req-boom-1" in caplog.text

    @pytest.mark.parametrize("spelled", ["websocket", "WebSocket", "WEBSOCKET"])
    def test_websocket_upgrade_is_refused(self, via: Via, spelled: str) -> None:
        """A WebSocket upgrade, however spelled, answers 501 saying where FC supports it."""
        client = HTTPClient(handler, via=via)
        for _ in range(2):  # the first FC 3.0 request goes the long way, the next the fast one
            response = client.get("/whoami", headers={"Upgrade": spelled, "Connection": "Upgrade"})
            assert response.status_code == 501
            assert "custom runtimes" in response.json()["detail"]

    def test_body_limit(self, via: Via) -> None:
        """A body over max_body_size is a 413 before the app runs."""
        small = fc.from_asgi(api, max_body_size=10, lifespan="off")
        response = HTTPClient(small, via=via).post("/items/1", json={"name": "x" * 50, "price": 1})
        assert response.status_code == 413


class TestQueryValues:
    @pytest.mark.parametrize(
        ("url", "value"),
        [
            ("/query?q=a,b", "a,b"),
            ("/query?q=fish,%20chips", "fish, chips"),
            ("/query?q=1,2,3,4&page=2", "1,2,3,4"),
            ("/query?q=%2C", ","),
            ("/query?q=,", ","),
        ],
    )
    def test_a_value_with_commas_arrives_whole_in_every_place(
        self, via: Via, url: str, value: str
    ) -> None:
        """A query value holding commas reaches the route whole, never split or cut."""
        body = HTTPClient(handler, via=via).get(url).json()
        assert body["q"] == value
        assert [pair for pair in body["pairs"] if pair[0] == "q"] == [["q", value]]

    def test_every_place_gives_the_same_query_params(self) -> None:
        """One request gives the same request.query_params through WSGI, FC 3.0 and API Gateway."""
        url = "/query?q=fish,%20chips&bbox=1,2,3,4&empty=&x=%26%3D"
        answers = [HTTPClient(handler, via=via).get(url).json() for via in PLACES]
        assert answers[0]["pairs"] == [
            ["q", "fish, chips"],
            ["bbox", "1,2,3,4"],
            ["empty", ""],
            ["x", "&="],
        ]
        assert answers[0] == answers[1] == answers[2]

    def test_a_repeated_parameter_arrives_as_fc3_joined_it(self) -> None:
        """FC 3.0 joins ?q=a&q=b into "a,b": the app gets that one value, nothing dropped."""
        event = fc3_http_event("GET", "/query", query=[("q", "a"), ("q", "b")])
        answer = json.loads(handler(event, fake_context()))
        assert json.loads(answer["body"]) == {"q": "a,b", "pairs": [["q", "a,b"]]}


async def homepage(request: Any) -> JSONResponse:
    return JSONResponse({"hello": request.path_params.get("name", "world")})


starlette_app = Starlette(routes=[Route("/", homepage), Route("/hi/{name}", homepage)])


@pytest.fixture(scope="module")
def starlette_handler() -> Iterator[fc.web.ASGIHandler]:
    wrapped = fc.from_asgi(starlette_app)
    yield wrapped
    wrapped.pre_stop(fake_context())


class TestStarlette:
    def test_same_app_in_every_place(self, via: Via, starlette_handler: fc.web.ASGIHandler) -> None:
        """A Starlette app (no lifespan handler) answers in all three places."""
        client = HTTPClient(starlette_handler, via=via)
        assert client.get("/hi/fc").json() == {"hello": "fc"}
        assert client.get("/").json() == {"hello": "world"}
        assert client.get("/nope").status_code == 404


class _CountingLock:
    """A lock that counts the threads that asked for it, and lets a test wait for a count."""

    def __init__(self, lock: Any) -> None:
        self._lock = lock
        self._asked = 0
        self._changed = threading.Condition()

    def __enter__(self) -> None:
        with self._changed:
            self._asked += 1
            self._changed.notify_all()
        if not self._lock.acquire(timeout=20):  # a deadlock fails the test, not the run
            raise AssertionError("the startup lock was never released")

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` threads asked for the lock; False after ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._asked >= count, timeout)


def connect_database() -> None:
    raise ConnectionError("no database at db:5432")


class TestLifespan:
    def test_startup_runs_once_before_the_first_request(self) -> None:
        """Without the initializer wired, startup runs before the first request only."""
        calls: list[str] = []

        @asynccontextmanager
        async def span(app: Starlette) -> AsyncIterator[None]:
            calls.append("up")
            yield
            calls.append("down")

        app = Starlette(routes=[Route("/", homepage)], lifespan=span)
        wrapped = fc.from_asgi(app)
        client = HTTPClient(wrapped, via="fc3")
        client.get("/")
        client.get("/")
        assert calls == ["up"]
        wrapped.pre_stop(fake_context())
        assert calls == ["up", "down"]

    def test_concurrent_first_requests_wait_for_one_startup(self) -> None:
        """Four first requests arriving while the startup runs all wait for that one startup."""
        gate = threading.Event()
        starting = threading.Event()
        calls: list[str] = []

        @asynccontextmanager
        async def slow(app: Starlette) -> AsyncIterator[None]:
            calls.append("up")
            starting.set()
            await asyncio.get_running_loop().run_in_executor(None, gate.wait, 10)
            yield

        wrapped = fc.from_asgi(Starlette(routes=[Route("/", homepage)], lifespan=slow))
        waiting = _CountingLock(wrapped._starting)
        wrapped._starting = waiting  # type: ignore[assignment]
        answers: list[int] = []

        def first_request() -> None:
            answers.append(HTTPClient(wrapped, via="fc3").get("/").status_code)

        threads = [threading.Thread(target=first_request, daemon=True) for _ in range(4)]
        threads[0].start()
        assert starting.wait(10), "the startup never began"
        for thread in threads[1:]:
            thread.start()
        # the other three queue behind the startup (and the startup is still running)
        assert waiting.wait_for(4, timeout=10), "the later first requests never asked to wait"
        assert calls == ["up"]
        gate.set()
        for thread in threads:
            thread.join(10)
        assert not any(thread.is_alive() for thread in threads), "first requests deadlocked"
        assert (answers, calls) == ([200] * 4, ["up"])
        wrapped.pre_stop(fake_context())

    def test_a_requests_state_changes_never_reach_another(self) -> None:
        """Each request's scope["state"] is its own copy of the lifespan state."""

        async def app(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "lifespan":
                await receive()
                scope["state"]["shared"] = "from startup"
                await send({"type": "lifespan.startup.complete"})
                await receive()
                await send({"type": "lifespan.shutdown.complete"})
                return
            state = scope["state"]
            seen = sorted(state)
            state["mine"] = scope["path"]
            state["shared"] = "changed"
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": json.dumps(seen).encode()})

        wrapped = fc.from_asgi(app, lifespan="on")
        for via in PLACES:
            client = HTTPClient(wrapped, via=via)
            for path in ("/a", "/b"):
                assert client.get(path).json() == ["shared"]
        assert wrapped.lifespan.state == {"shared": "from startup"}
        wrapped.pre_stop(fake_context())

    def test_a_crash_during_shutdown_is_logged_in_auto_mode(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An app whose lifespan call raises at shutdown ("auto" mode) gets the failure logged."""

        async def crashing(scope: Any, receive: Any, send: Any) -> None:
            assert scope["type"] == "lifespan"
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            raise RuntimeError("pool would not close")  # no lifespan.shutdown.failed sent

        wrapped = fc.from_asgi(crashing)
        wrapped.initializer(fake_context())
        with caplog.at_level(logging.ERROR, logger="fcsdk.web"):
            wrapped.pre_stop(fake_context())
        assert "lifespan shutdown failed" in caplog.text
        assert "pool would not close" in caplog.text

    def test_startup_failure_fails_every_invocation(self) -> None:
        """A lifespan startup that raises fails each invocation with the app's message."""

        @asynccontextmanager
        async def broken(app: Starlette) -> AsyncIterator[None]:
            connect_database()
            yield

        wrapped = fc.from_asgi(Starlette(routes=[Route("/", homepage)], lifespan=broken))
        with pytest.raises(LifespanError, match="no database at db:5432"):
            wrapped.initializer(fake_context())
        for _ in range(2):
            with pytest.raises(LifespanError, match="no database"):
                HTTPClient(wrapped, via="fc3").get("/")

    def test_on_requires_lifespan_support(self) -> None:
        """lifespan='on' makes an app that refuses the lifespan scope an error."""

        async def http_only(scope: Any, receive: Any, send: Any) -> None:
            assert scope["type"] == "http", "http only"

        with pytest.raises(LifespanError, match="http only"):
            fc.from_asgi(http_only, lifespan="on").startup()

    def test_auto_tolerates_no_lifespan_support(self) -> None:
        """lifespan='auto' goes on without state when the app refuses the lifespan scope."""

        async def http_only(scope: Any, receive: Any, send: Any) -> None:
            assert scope["type"] == "http"
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})

        assert HTTPClient(fc.from_asgi(http_only), via="fc3").get("/").status_code == 204

    def test_off_never_sends_the_scope(self) -> None:
        """lifespan='off' starts nothing."""
        seen: list[str] = []

        async def app(scope: Any, receive: Any, send: Any) -> None:
            seen.append(scope["type"])
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

        wrapped = fc.from_asgi(app, lifespan="off")
        wrapped.initializer(fake_context())
        HTTPClient(wrapped, via="fc3").get("/")
        wrapped.pre_stop(fake_context())
        assert seen == ["http"]

    def test_bad_mode(self) -> None:
        """An unknown lifespan mode is a ConfigurationError."""
        with pytest.raises(ConfigurationError, match="lifespan must be"):
            fc.from_asgi(starlette_app, lifespan="always")  # type: ignore[arg-type]


class TestWrongKindOfApp:
    def test_flask_app_is_refused_with_the_right_wrapper(self) -> None:
        """fc.from_asgi(Flask(...)) fails at once and names fc.from_wsgi."""
        from flask import Flask

        with pytest.raises(InvalidArgumentError, match=r"fc\.from_wsgi\(app\)"):
            fc.from_asgi(Flask("shop"))  # type: ignore[arg-type]  # mypy sees it too


class Halt(BaseException):
    """Not an Exception: what an app raising it does is the invocation's failure."""


TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


async def probe(scope: Any, receive: Any, send: Any) -> None:
    """An ASGI app answering 201 with the traceparent it saw; /hang never answers, /halt raises."""
    if scope["type"] != "http":
        raise RuntimeError("no lifespan here")
    if scope["path"] == "/hang":
        await asyncio.Event().wait()
    if scope["path"] == "/halt":
        raise Halt("stop everything")
    if scope["path"] == "/nap":
        await asyncio.sleep(0.05)  # waits on the loop: a timeout, if any, would cancel it
    seen = {
        "traceparent": dict(scope["headers"]).get(b"traceparent", b"").decode(),
        "state": "state" in scope,
        "raw_path": scope["raw_path"].decode(),
    }
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(seen).encode()})


@pytest.fixture
def spans() -> Iterator[Any]:
    """Tracing on, its spans kept in memory; off again afterwards."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import fcsdk.tracing

    exporter = InMemorySpanExporter()
    fcsdk.tracing.configure(span_processor=SimpleSpanProcessor(exporter), set_global=False)
    yield exporter
    fcsdk.tracing.shutdown()


class TestTracing:
    def test_each_request_is_a_span_the_app_sees_as_its_parent(self, spans: Any) -> None:
        """A traced request: one span per request, child of the caller's, named in the scope."""
        wrapped = fc.from_asgi(probe, lifespan="off")
        context = fake_context(request_id="req-traced-1")
        client = HTTPClient(wrapped, via="fc3", context=context)
        answers = [  # the first FC 3.0 request goes the long way, the next the fast one
            client.post("/items/7", headers={"traceparent": TRACEPARENT}, json={}).json()
            for _ in range(2)
        ]
        finished = spans.get_finished_spans()
        assert len(finished) == 2
        for span, answer in zip(finished, answers, strict=True):
            assert f"{span.context.trace_id:032x}" == "0af7651916cd43dd8448eb211c80319c"
            assert f"{span.parent.span_id:016x}" == "b7ad6b7169203331"
            assert answer["traceparent"] == (
                f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-01"
            )
            attributes = dict(span.attributes)
            assert attributes["faas.trigger"] == "http"
            assert attributes["faas.invocation_id"] == "req-traced-1"
            assert attributes["http.request.method"] == "POST"
            assert attributes["url.path"] == "/items/7"
            assert attributes["http.response.status_code"] == 201
            assert span.status.is_ok
            assert not span.events

    def test_a_request_past_the_timeout_is_a_500_logged_and_traced(
        self, spans: Any, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An app past ``timeout`` is cancelled: a 500 naming the request, one log line, a span."""
        wrapped = fc.from_asgi(probe, lifespan="off", timeout=0.05)
        context = fake_context(request_id="req-hang-1")
        with caplog.at_level(logging.ERROR, logger="fcsdk.web"):
            response = HTTPClient(wrapped, via="fc3", context=context).get(
                "/hang", headers={"traceparent": TRACEPARENT}
            )
        assert response.status_code == 500
        assert response.json()["request_id"] == "req-hang-1"
        assert caplog.messages == [  # that line only: the 500 itself is sent as any answer
            "the ASGI app did not finish request req-hang-1 within 0.05 s; it was cancelled"
        ]
        (span,) = spans.get_finished_spans()
        assert span.attributes["http.response.status_code"] == 500
        assert not span.status.is_ok
        assert [event.attributes["exception.type"] for event in span.events] == ["TimeoutError"]

    def test_an_exception_no_app_should_raise_fails_the_invocation_traced(self, spans: Any) -> None:
        """A BaseException from the app fails the invocation as it is; its span records it."""
        wrapped = fc.from_asgi(probe, lifespan="off")
        event = fc3_http_event("GET", "/halt", headers=[("traceparent", TRACEPARENT)])
        with pytest.raises(Halt, match="stop everything"):
            wrapped(event, fake_context(request_id="req-halt-1"))
        (span,) = spans.get_finished_spans()
        assert span.attributes["http.response.status_code"] == 500
        assert span.status.description == "Halt"
        assert [event.attributes["exception.message"] for event in span.events] == [
            "stop everything"
        ]


class TestHandler:
    def test_a_function_timeout_of_zero_sets_no_bound(self) -> None:
        """A context whose function timeout is 0 (unknown) does not cancel the app at once."""
        wrapped = fc.from_asgi(probe, lifespan="off")
        response = HTTPClient(wrapped, via="fc3", context=fake_context(timeout=0)).get("/nap")
        assert response.status_code == 201

    def test_no_lifespan_no_state_in_the_scope(self, via: Via) -> None:
        """With lifespan 'off' (or unsupported), the scope has no "state", as uvicorn's has none."""
        for mode in ("off", "auto"):
            wrapped = fc.from_asgi(probe, lifespan=mode)
            assert HTTPClient(wrapped, via=via).get("/").json()["state"] is False

    def test_head_on_fc2_states_the_length_of_the_get(self) -> None:
        """FC 2.0's answer to HEAD has no body but the Content-Length the GET's body has."""
        wrapped = fc.from_asgi(probe, lifespan="off")
        get = HTTPClient(wrapped, via="wsgi").get("/")
        head = HTTPClient(wrapped, via="wsgi").head("/")
        assert head.content == b""
        assert head.headers["content-length"] == str(len(get.content)) != "0"

    def test_other_upgrades_and_websocket_elsewhere_reach_the_app(self, via: Via) -> None:
        """Only ``Upgrade: websocket`` is refused: ``Upgrade: h2c``, "websocket" elsewhere pass."""
        wrapped = fc.from_asgi(probe, lifespan="off")
        client = HTTPClient(wrapped, via=via)
        for headers in ({"Upgrade": "h2c"}, {"X-Note": "websocket"}):
            for _ in range(2):  # FC 3.0: the long way, then the fast one
                assert client.get("/", headers=headers).status_code == 201

    def test_a_non_ascii_raw_path_keeps_its_reserved_characters(self) -> None:
        """An FC 3.0 rawPath typed with non-ASCII text is percent-encoded as a client would."""
        wrapped = fc.from_asgi(probe, lifespan="off")
        event = fc3_http_event("GET", "/")
        event["rawPath"] = "/caf\u00e9/a:b@c;d=e,f!$&'()*+~%20"
        answer = json.loads(wrapped(event, fake_context()))
        assert json.loads(answer["body"])["raw_path"] == ("/caf%C3%A9/a:b@c;d=e,f!$&'()*+~%20")

    def test_repr_names_the_app(self) -> None:
        """repr() names a function app by its qualified name, an app object by its class."""
        assert repr(fc.from_asgi(probe)) == "<fcsdk ASGI handler probe>"
        assert repr(fc.from_asgi(FastAPI())) == "<fcsdk ASGI handler FastAPI>"

    def test_the_handler_unwraps_to_the_app(self) -> None:
        """inspect.unwrap() (and so tools that follow __wrapped__) finds the app."""
        import inspect

        assert inspect.unwrap(fc.from_asgi(probe)) is probe

    def test_the_handler_class_defaults_to_auto(self) -> None:
        """ASGIHandler(app) itself runs in "auto" lifespan mode, as from_asgi(app) does."""
        wrapped = fc.web.ASGIHandler(probe)
        assert wrapped.lifespan.mode == "auto"
        assert HTTPClient(wrapped, via="fc3").get("/").status_code == 201

    def test_a_wsgi_app_is_refused_by_its_class_name(self) -> None:
        """The refusal of a WSGI app names its class and says what to use instead."""
        from flask import Flask

        with pytest.raises(InvalidArgumentError) as raised:
            fc.from_asgi(Flask("shop"))  # type: ignore[arg-type]
        assert str(raised.value) == (
            "from_asgi: Flask is a WSGI app (Flask, Django), not an ASGI app: "
            "wrap it with fc.from_wsgi(app)"
        )


def _lifespan_app(
    hang: str = "", seen: list[str] | None = None, release: threading.Event | None = None
) -> Any:
    """An app whose lifespan notes each phase's invocation; ``hang`` ("startup", "shutdown")
    waits for ``release`` (10 s at most), then fails."""
    notes = seen if seen is not None else []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            for phase in ("startup", "shutdown"):
                await receive()
                context = fc.logging.current_context()
                notes.append(f"{phase}:{getattr(context, 'request_id', None)}")
                if phase == hang and release is not None:
                    await asyncio.get_running_loop().run_in_executor(None, release.wait, 10)
                    raise RuntimeError("released")
                if phase == "shutdown":
                    raise RuntimeError("pool would not close")
                await send({"type": f"lifespan.{phase}.complete"})
            return
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


class TestLifespanHooks:
    def test_the_hooks_run_as_their_invocations(self, caplog: pytest.LogCaptureFixture) -> None:
        """The initializer's startup and the PreStop's shutdown run as those hooks' invocations."""
        seen: list[str] = []
        wrapped = fc.from_asgi(_lifespan_app(seen=seen), lifespan="on")
        wrapped.initializer(fake_context(request_id="init-1"))
        assert seen == ["startup:init-1"]
        caplog.handler.addFilter(fc.logging.RequestContextFilter())
        with caplog.at_level(logging.ERROR, logger="fcsdk.web"):
            wrapped.pre_stop(fake_context(request_id="stop-1"))
        (record,) = [r for r in caplog.records if "lifespan shutdown failed" in r.getMessage()]
        assert record.request_id == "stop-1"  # type: ignore[attr-defined]

    def test_a_startup_past_its_timeout_fails_it_and_every_request(self) -> None:
        """startup(timeout=...) cancels a startup that runs past it; each request then fails."""
        release = threading.Event()
        wrapped = fc.from_asgi(_lifespan_app(hang="startup", release=release), lifespan="on")
        message = "lifespan startup failed: it did not finish within 0.05 s"
        outcome: list[BaseException] = []

        def start() -> None:
            try:
                wrapped.startup(timeout=0.05)
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=start, daemon=True)
        thread.start()
        thread.join(10)
        release.set()  # the app's lifespan ends
        assert not thread.is_alive(), "startup(timeout=0.05) did not return"
        assert [(type(e), str(e)) for e in outcome] == [(LifespanError, message)]
        for _ in range(2):
            with pytest.raises(LifespanError) as raised:
                HTTPClient(wrapped, via="fc3").get("/")
            assert str(raised.value) == message

    def test_a_shutdown_past_its_timeout_is_cancelled(self) -> None:
        """shutdown(timeout=...) stops waiting for a shutdown that runs past it, and says so."""
        release = threading.Event()
        wrapped = fc.from_asgi(_lifespan_app(hang="shutdown", release=release), lifespan="on")
        wrapped.startup()
        outcome: list[BaseException] = []

        def stop() -> None:
            try:
                wrapped.shutdown(timeout=0.05)
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=stop, daemon=True)
        thread.start()
        thread.join(10)
        release.set()
        assert not thread.is_alive(), "shutdown(timeout=0.05) did not return"
        assert [(type(e), str(e)) for e in outcome] == [
            (LifespanError, "lifespan shutdown did not finish within 0.05 s; not waiting longer")
        ]

    @pytest.mark.parametrize("mode", ["on", "auto", "off"])
    def test_one_exit_hook_shuts_a_started_app_down(
        self, mode: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A started app gets one exit hook (none with lifespan off), which runs its shutdown."""
        registered: list[Any] = []
        monkeypatch.setattr(atexit, "register", registered.append)
        seen: list[str] = []
        wrapped = fc.from_asgi(_lifespan_app(seen=seen), lifespan=mode)  # type: ignore[arg-type]
        wrapped.startup()
        client = HTTPClient(wrapped, via="fc3")
        for _ in range(3):
            assert client.get("/").status_code == 204
            wrapped.startup()
        if mode == "off":
            assert (registered, seen) == ([], [])
            return
        assert len(registered) == 1
        registered[0]()  # what the interpreter does at exit
        assert [note.split(":")[0] for note in seen] == ["startup", "shutdown"]
