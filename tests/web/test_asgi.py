"""Tests for fcsdk/web/asgi.py: the scope each place builds, and apps that break the protocol."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import selectors
import traceback
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

import fcsdk as fc
from fcsdk.testing import HTTPClient, apigw_event, fake_context, fc3_http_event, wsgi_environ
from fcsdk.testing.http import Via
from fcsdk.web.asgi import (
    ASGIProtocolError,
    Lifespan,
    LifespanError,
    LifespanMode,
    call_http,
    http_scope,
)

PLACES: list[Via] = ["wsgi", "fc3", "apigw"]

App = Callable[[Any, Any, Any], Any]


@pytest.fixture(params=PLACES)
def via(request: pytest.FixtureRequest) -> Via:
    return request.param  # type: ignore[no-any-return]


def scope_recorder() -> tuple[App, list[dict[str, Any]]]:
    """An app that records each http scope and the body it received, and answers 200."""
    seen: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        seen.append({**scope, "received": message})
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app, seen


def answering(*messages: dict[str, Any]) -> App:
    """An app that sends ``messages`` in order and returns."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        for message in messages:
            await send(message)

    return app


START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/plain")],
}
BODY = {"type": "http.response.body", "body": b"hi"}


def _start(*headers: tuple[bytes, bytes], status: int = 200) -> dict[str, Any]:
    """An ``http.response.start`` with a text type and ``headers``."""
    return {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"text/plain"), *headers],
    }


class TestFraming:
    def test_transfer_encoding_is_dropped_and_the_length_is_the_bodys(self, via: Via) -> None:
        """A collected answer is framed by its length: transfer-encoding and its length go."""
        app = answering(
            _start((b"transfer-encoding", b"chunked"), (b"content-length", b"999")),
            {"type": "http.response.body", "body": b"ab", "more_body": True},
            {"type": "http.response.body", "body": b"c"},
        )
        response = HTTPClient(fc.from_asgi(app, lifespan="off"), via=via).get("/")
        assert (response.status_code, response.content) == (200, b"abc")
        assert "transfer-encoding" not in response.headers
        assert response.headers.getall("content-length") == (["3"] if via == "wsgi" else [])

    def test_a_repeated_content_length_is_sent_once(self, via: Via) -> None:
        """Two equal content-length headers become one."""
        app = answering(_start((b"content-length", b"2"), (b"content-length", b"2")), BODY)
        response = HTTPClient(fc.from_asgi(app, lifespan="off"), via=via).get("/")
        assert (response.status_code, response.content) == (200, b"hi")
        assert response.headers.getall("content-length") == ["2"]

    @pytest.mark.parametrize("method", ["GET", "HEAD"])
    def test_head_and_304_may_state_the_representations_length(self, via: Via, method: str) -> None:
        """A HEAD answer and a 304 may state the length of the body they do not carry."""
        head = answering(_start((b"content-length", b"31")), {"type": "http.response.body"})
        client = HTTPClient(fc.from_asgi(head, lifespan="off"), via=via)
        assert client.request("HEAD", "/").status_code == 200
        not_modified = answering(
            {"type": "http.response.start", "status": 304, "headers": [(b"content-length", b"9")]},
            {"type": "http.response.body"},
        )
        client = HTTPClient(fc.from_asgi(not_modified, lifespan="off"), via=via)
        assert client.request(method, "/").status_code == 304

    def test_a_protocol_error_the_app_swallows_still_fails_the_request(self) -> None:
        """An app that catches the error raised from its send() does not get its answer out."""

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await send(_start((b"content-length", b"5")))
            with contextlib.suppress(fc.web.asgi.ASGIProtocolError):
                await send(BODY)

        response = HTTPClient(fc.from_asgi(app, lifespan="off"), via="fc3").get("/")
        assert response.status_code == 500


class TestScope:
    def test_a_non_ascii_raw_path_is_percent_encoded(self) -> None:
        """An event's rawPath typed as "/é" gives raw_path b"/%C3%A9", as a client sends it."""
        app, seen = scope_recorder()
        handler = fc.from_asgi(app, lifespan="off")
        for event in (fc3_http_event("GET", "/caf\u00e9 x"), apigw_event("GET", "/caf\u00e9 x")):
            handler(event, fake_context())
        environ = wsgi_environ("GET", "/caf%C3%A9%20x")
        environ["fc.request_uri"] = "/caf\u00e9 x"
        handler(environ, lambda *args: None)
        assert [(s["raw_path"], s["path"]) for s in seen] == [
            (b"/caf%C3%A9%20x", "/caf\u00e9 x")
        ] * 3

    def test_an_empty_header_value_is_kept_by_both_scope_builders(self) -> None:
        """A header sent empty reaches the app on the first request (the long way) and later."""
        app, seen = scope_recorder()
        handler = fc.from_asgi(app, lifespan="off")
        for via in PLACES:
            client = HTTPClient(handler, via=via)
            for _ in range(2):
                client.get("/", headers={"X-Empty-Value": "", "Accept": "*/*"})
        assert len(seen) == 6
        for scope in seen:
            assert (b"x-empty-value", b"") in scope["headers"]
            assert (b"accept", b"*/*") in scope["headers"]

    def test_scope_fields(self, via: Via) -> None:
        """Method, path, raw path, query bytes, headers in order, client and the body arrive."""
        app, seen = scope_recorder()
        client = HTTPClient(fc.from_asgi(app, lifespan="off"), via=via, client_ip="198.51.100.4")
        client.post(
            "/a%20b/c?x=1&y=%C3%A9",
            body=b"payload",
            headers=[("X-One", "1"), ("Content-Type", "text/plain")],
        )
        scope = seen[0]
        assert scope["type"] == "http"
        assert scope["asgi"]["version"] == "3.0"
        assert scope["http_version"] == "1.1"
        assert scope["method"] == "POST"
        assert scope["path"] == "/a b/c"
        assert scope["raw_path"] == b"/a%20b/c"
        assert scope["query_string"].split(b"&")[0] == b"x=1"
        assert (b"x-one", b"1") in scope["headers"]
        assert scope["received"] == {"type": "http.request", "body": b"payload", "more_body": False}
        assert scope["client"] == (None if via == "apigw" else ("198.51.100.4", 0))
        assert scope["root_path"] == ""

    def test_non_latin1_header_values_are_utf8(self) -> None:
        """An FC 3.0 header value outside latin-1 reaches the app UTF-8 encoded."""
        app, seen = scope_recorder()
        HTTPClient(fc.from_asgi(app, lifespan="off"), via="fc3").get("/", headers={"X-Name": "名"})
        assert (b"x-name", "名".encode()) in seen[0]["headers"]

    def test_fc2_scheme_and_server(self) -> None:
        """On FC 2.0 scheme and server come from the environ."""
        app, seen = scope_recorder()
        HTTPClient(fc.from_asgi(app, lifespan="off")).get("/")
        assert seen[0]["scheme"] == "http"
        assert seen[0]["server"][0]

    def test_event_scheme_and_server_from_headers(self) -> None:
        """On FC 3.0 the Host and X-Forwarded-Proto headers give server and scheme."""
        app, seen = scope_recorder()
        client = HTTPClient(fc.from_asgi(app, lifespan="off"), via="fc3")
        client.get("/", headers={"Host": "demo.fcapp.run", "X-Forwarded-Proto": "https"})
        client.get("/", headers={"Host": "127.0.0.1:9000"})
        assert (seen[0]["scheme"], seen[0]["server"]) == ("https", ("demo.fcapp.run", 443))
        assert (seen[1]["scheme"], seen[1]["server"]) == ("http", ("127.0.0.1", 9000))

    def test_proxy_prefix_kept_when_asked(self) -> None:
        """strip_prefix=False leaves FC 2.0's proxy prefix in the path."""
        app, seen = scope_recorder()
        HTTPClient(fc.from_asgi(app, lifespan="off", strip_prefix=False)).get(
            "/2016-08-15/proxy/s/f/x"
        )
        assert (seen[0]["root_path"], seen[0]["path"]) == ("", "/2016-08-15/proxy/s/f/x")

    def test_the_runtime_context_is_in_the_scope(self) -> None:
        """scope['fc.context'] is the runtime's context object."""
        app, seen = scope_recorder()
        context = fake_context(request_id="req-scope")
        HTTPClient(fc.from_asgi(app, lifespan="off"), via="fc3", context=context).get("/")
        assert fc.FCContext.from_runtime(seen[0]["fc.context"]).request_id == "req-scope"

    def test_too_many_headers_is_a_431(self, via: Via) -> None:
        """Past the header limit the request is a 431, before the app runs."""
        app, seen = scope_recorder()
        handler = fc.from_asgi(app, lifespan="off", limits=fc.Limits(max_headers=3))
        headers = [(f"X-H{n}", "v") for n in range(6)]
        assert HTTPClient(handler, via=via).get("/", headers=headers).status_code == 431
        assert seen == []

    def test_receive_after_the_body_waits_for_the_response(self) -> None:
        """A second receive() returns http.disconnect once the response is complete."""
        got: list[str] = []

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            listener = asyncio.ensure_future(receive())
            await send(START)
            await asyncio.sleep(0)
            assert not listener.done()
            await send(BODY)
            got.append((await listener)["type"])
            got.append((await receive())["type"])

        assert HTTPClient(fc.from_asgi(app, lifespan="off"), via="fc3").get("/").text == "hi"
        assert got == ["http.disconnect", "http.disconnect"]

    def test_bytearray_body_and_chunks(self) -> None:
        """Bodies as bytearray/memoryview and in several more_body chunks are joined."""
        app = answering(
            START,
            {"type": "http.response.body", "body": bytearray(b"a"), "more_body": True},
            {"type": "http.response.body", "body": memoryview(b"b"), "more_body": True},
            {"type": "http.response.body"},
        )
        assert HTTPClient(fc.from_asgi(app, lifespan="off"), via="fc3").get("/").text == "ab"


BROKEN: dict[str, tuple[App, str]] = {
    "body before start": (answering(BODY), "before http.response.start"),
    "start twice": (answering(START, START), "http.response.start twice"),
    "body after the end": (answering(START, BODY, BODY), "after more_body=False"),
    "a str body": (
        answering(START, {"type": "http.response.body", "body": "text"}),
        "must be bytes, got str",
    ),
    "a str status": (
        answering({"type": "http.response.start", "status": "200", "headers": []}),
        "status must be an int",
    ),
    "str headers": (
        answering({"type": "http.response.start", "status": 200, "headers": [("a", "b")]}),
        "(bytes, bytes) pairs",
    ),
    "an unknown message": (answering({"type": "http.response.trailers"}), "unknown type"),
    "a status above 999": (
        answering({"type": "http.response.start", "status": 1000, "headers": []}),
        "from 200 to 999, got 1000",
    ),
    "a 1xx final status": (
        answering({"type": "http.response.start", "status": 103, "headers": []}, BODY),
        "103 is informational",
    ),
    "a body on a 204": (
        answering({"type": "http.response.start", "status": 204, "headers": []}, BODY),
        "a 204 response cannot carry a body",
    ),
    "a body on a 304": (
        answering({"type": "http.response.start", "status": 304, "headers": []}, BODY),
        "a 304 response cannot carry a body",
    ),
    "a content-length the body disagrees with": (
        answering(_start((b"content-length", b"5")), BODY),
        "content-length says 5 bytes but the body has 2",
    ),
    "two different content-lengths": (
        answering(_start((b"content-length", b"2"), (b"Content-Length", b"3")), BODY),
        "conflicting content-length headers",
    ),
    "a content-length past any body": (
        answering(_start((b"content-length", b"9" * 5000)), BODY),
        "content-length says 99999999999999999999... bytes but the body has 2",
    ),
    "a content-length that is no number": (
        answering(_start((b"content-length", b"+2")), BODY),
        "content-length must be a number",
    ),
    "a 50 MB body": (
        answering(
            START,
            *[{"type": "http.response.body", "body": b"x" * 2**20, "more_body": True}] * 50,
            {"type": "http.response.body"},
        ),
        "the response body is over 33554432 bytes",
    ),
    "no response": (answering(), "started no response"),
    "an unfinished response": (
        answering(START, {"type": "http.response.body", "body": b"x", "more_body": True}),
        "left its response unfinished",
    ),
}


class TestBrokenApps:
    @pytest.mark.parametrize("case", sorted(BROKEN))
    def test_protocol_faults_are_500s_with_the_reason_logged(
        self, case: str, via: Via, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Each protocol fault answers a problem 500 with the request id; the log says what."""
        app, reason = BROKEN[case]
        context = fake_context(request_id="req-broken")
        with caplog.at_level(logging.ERROR, logger="fcsdk.web"):
            response = HTTPClient(fc.from_asgi(app, lifespan="off"), via=via, context=context).get(
                "/"
            )
        assert response.status_code == 500
        assert response.json()["request_id"] == "req-broken"
        assert reason in caplog.text

    def test_a_hanging_app_is_cancelled_at_the_timeout(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An app that never answers is cancelled after timeout seconds: a 500, the loop free."""
        cancelled: list[bool] = []

        async def app(scope: Any, receive: Any, send: Any) -> None:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

        handler = fc.from_asgi(app, lifespan="off", timeout=0.05)
        with caplog.at_level(logging.ERROR, logger="fcsdk.web"):
            response = HTTPClient(handler, via="fc3").get("/")
        assert response.status_code == 500
        assert cancelled == [True]
        assert "within 0.05 s" in caplog.text

    def test_the_function_timeout_is_the_default(self) -> None:
        """Without timeout=, the function's timeout from the context bounds the app."""

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await asyncio.sleep(3600)

        context = fake_context(timeout=1)
        handler = fc.from_asgi(app, lifespan="off")
        assert HTTPClient(handler, via="wsgi", context=context).get("/").status_code == 500

    def test_cancellation_from_outside_still_propagates(self) -> None:
        """A cancellation that is not the timeout's is not swallowed."""

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await asyncio.sleep(3600)

        async def outer() -> bool:
            scope = http_scope("GET", "http", "", "/", b"/", b"", [], None, None)
            task = asyncio.ensure_future(call_http(app, scope, b"", request_id="r"))
            await asyncio.sleep(0.01)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                return True
            return False

        assert asyncio.run(outer()) is True

    def test_not_an_http_event(self) -> None:
        """An event that is not HTTP is an EventDecodeError, as for @fc.http."""
        app, _ = scope_recorder()
        with pytest.raises(fc.EventDecodeError):
            fc.from_asgi(app, lifespan="off")(b'{"not": "http"}', fake_context())

    def test_repr(self) -> None:
        """The handler names its app."""
        app, _ = scope_recorder()
        assert "app" in repr(fc.from_asgi(app, lifespan="off"))

    def test_wsgi_call_with_a_bad_content_length(self) -> None:
        """A malformed Content-Length on FC 2.0 is a 400, not a crash."""
        app, seen = scope_recorder()
        environ = wsgi_environ("POST", "/", body=b"abc")
        environ["CONTENT_LENGTH"] = "x1"
        out: list[str] = []
        body = fc.from_asgi(app, lifespan="off")(environ, lambda s, h, e=None: out.append(s))
        assert out[0].startswith("400")
        assert b"Content-Length" in b"".join(body)
        assert seen == []


def lifespan_app(*answers: dict[str, Any], after: str = "wait") -> App:
    """A raw lifespan app: answers startup (and shutdown) with the given messages."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        for answer in answers:
            await receive()
            await send(answer)
        if after == "return":
            return
        await receive()

    return app


class TestLifespanProtocol:
    def test_startup_failed_message(self) -> None:
        """lifespan.startup.failed fails the startup with the app's message."""
        life = Lifespan(
            lifespan_app({"type": "lifespan.startup.failed", "message": "no key"}), "on"
        )
        with pytest.raises(LifespanError, match="no key"):
            asyncio.run(life.startup())

    def test_returning_without_answer_under_on(self) -> None:
        """An app that returns from the lifespan scope without answering fails under 'on'."""
        life = Lifespan(lifespan_app(after="return"), "on")
        with pytest.raises(LifespanError, match="without answering startup"):
            asyncio.run(life.startup())

    def test_shutdown_failure_is_logged(self, caplog: pytest.LogCaptureFixture) -> None:
        """lifespan.shutdown.failed is logged with the app's message."""
        app = lifespan_app(
            {"type": "lifespan.startup.complete"},
            {"type": "lifespan.shutdown.failed", "message": "pool stuck"},
            after="return",
        )
        handler = fc.from_asgi(app, lifespan="on")
        handler.initializer(fake_context())
        handler.initializer(fake_context())  # once per instance
        with caplog.at_level(logging.ERROR, logger="fcsdk.web"):
            handler.pre_stop(fake_context())
        assert "pool stuck" in caplog.text
        handler.pre_stop(fake_context())  # nothing started: nothing to do

    def test_a_failed_shutdown_at_exit_is_logged_not_raised(
        self, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """At interpreter exit a shutdown that raises is a DEBUG line with its traceback.

        (An exception out of an atexit hook would print a traceback to every local run.)
        """
        app = lifespan_app({"type": "lifespan.startup.complete"})
        handler = fc.from_asgi(app, lifespan="on")
        handler.initializer(fake_context())

        async def broken() -> None:
            raise RuntimeError("the loop is gone")

        monkeypatch.setattr(handler.lifespan, "shutdown", broken)
        with caplog.at_level(logging.DEBUG, logger="fcsdk.web"):
            handler._shutdown_at_exit()
        records = [r for r in caplog.records if r.name.startswith("fcsdk")]
        assert [(r.levelname, r.getMessage()) for r in records] == [
            ("DEBUG", "lifespan shutdown at exit failed")
        ]
        assert records[0].exc_info is not None
        assert str(records[0].exc_info[1]) == "the loop is gone"

    def test_unknown_and_stray_lifespan_messages(self, caplog: pytest.LogCaptureFixture) -> None:
        """An unknown lifespan message fails startup; a stray one is only logged."""
        life = Lifespan(lifespan_app({"type": "lifespan.bogus"}), "on")
        with pytest.raises(LifespanError, match="unknown type"):
            asyncio.run(life.startup())

        async def chatty(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.startup.complete"})
            await receive()

        async def run() -> None:
            life = Lifespan(chatty, "on")
            await life.startup()
            await asyncio.sleep(0)

        with caplog.at_level(logging.WARNING, logger="fcsdk.web"):
            asyncio.run(run())
        assert [record.getMessage() for record in caplog.records] == [
            "the ASGI app sent 'lifespan.startup.complete' when no lifespan event was pending"
        ]


# -- call_http itself: what it answers, refuses and logs -------------------------------------

DIGEST = (b"content-digest", b"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:")
"""A 14-byte header name that is not content-length (RFC 9530), its value no number."""
RATE = (b"x-ratelimit-limit", b"100")
"""A 17-byte header name that is not transfer-encoding."""


def call(app: App, *, method: str = "GET", max_body: int | None = None) -> Any:
    """``call_http`` on a plain ``GET /`` (or ``method``) scope, run to the end."""
    scope = http_scope(method, "http", "", "/", b"/", b"", [], None, None)
    return asyncio.run(call_http(app, scope, b"", request_id="req-mut", max_body=max_body))


def refusal(*messages: dict[str, Any], method: str = "GET", max_body: int | None = None) -> str:
    """What the ASGIProtocolError says that the app's ``send()`` raises on ``messages``."""
    errors: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        for message in messages:
            try:
                await send(message)
            except ASGIProtocolError as exc:
                errors.append(str(exc))
                raise

    assert call(app, method=method, max_body=max_body) is None
    assert len(errors) == 1, errors
    return errors[0]


def _body(body: bytes | bytearray | memoryview = b"hi", **more: Any) -> dict[str, Any]:
    return {"type": "http.response.body", "body": body, **more}


REFUSALS: dict[str, tuple[list[dict[str, Any]], str]] = {
    "start twice": ([START, START], "the app sent http.response.start twice"),
    "status 100": (
        [{"type": "http.response.start", "status": 100}],
        "http.response.start status 100 is informational (1xx): it cannot be the final response",
    ),
    "status 199": (
        [{"type": "http.response.start", "status": 199}],
        "http.response.start status 199 is informational (1xx): it cannot be the final response",
    ),
    "status 99": (
        [{"type": "http.response.start", "status": 99}],
        "http.response.start status must be an int from 200 to 999, got 99",
    ),
    "status 1000": (
        [{"type": "http.response.start", "status": 1000}],
        "http.response.start status must be an int from 200 to 999, got 1000",
    ),
    "str headers": (
        [{"type": "http.response.start", "status": 200, "headers": [("a", "b")]}],
        "http.response.start headers must be (bytes, bytes) pairs",
    ),
    "body first": ([BODY], "the app sent http.response.body before http.response.start"),
    "body after the end": (
        [START, BODY, BODY],
        "the app sent http.response.body after more_body=False",
    ),
    "over max_body": (
        [START, _body(b"12345")],
        "the response body is over 4 bytes, more than FC delivers in one answer",
    ),
    "two content-lengths": (
        [_start((b"content-length", b"2"), RATE, (b"Content-Length", b"3")), BODY],
        "conflicting content-length headers: [b'2', b'3']",
    ),
    "20 digits": (
        [_start((b"content-length", b"9" * 20)), BODY],
        f"content-length says {'9' * 20} bytes but the body has 2",
    ),
    "21 digits": (
        [_start((b"content-length", b"9" * 21)), BODY],
        f"content-length says {'9' * 20}... bytes but the body has 2",
    ),
    "21 digits, zero-padded": (  # h11 refuses a length of more than 20 digits, whatever they are
        [_start((b"content-length", b"0" * 20 + b"2")), BODY],
        f"content-length says {'0' * 20}... bytes but the body has 2",
    ),
    "a wrong length beside a 17-byte header": (
        [_start(RATE, (b"content-length", b"5")), BODY],
        "content-length says 5 bytes but the body has 2",
    ),
    "a length that is no number": (
        [_start(DIGEST, (b"content-length", b"2 ")), BODY],
        "content-length must be a number of bytes, got b'2 '",
    ),
}


class TestCallHTTP:
    @pytest.mark.parametrize("case", sorted(REFUSALS))
    def test_each_refusal_says_exactly_what_is_wrong(self, case: str) -> None:
        """The error the app's send() raises names the fault and the values involved."""
        messages, said = REFUSALS[case]
        assert refusal(*messages, max_body=4) == said

    @pytest.mark.parametrize(
        ("messages", "answer"),
        [
            (  # the highest status there is; a start without headers has none
                [{"type": "http.response.start", "status": 999}, _body(b"1234")],
                (999, [], b"1234"),
            ),
            (  # 20 digits is as long as h11 takes a length, leading zeros and all
                [_start((b"content-length", b"0" * 19 + b"2")), BODY],
                (
                    200,
                    [(b"content-type", b"text/plain"), (b"content-length", b"0" * 19 + b"2")],
                    b"hi",
                ),
            ),
            (  # a 14-byte name (content-digest) and a 17-byte one are no framing headers
                [_start(DIGEST, RATE, (b"content-length", b"2")), BODY],
                (
                    200,
                    [(b"content-type", b"text/plain"), DIGEST, RATE, (b"content-length", b"2")],
                    b"hi",
                ),
            ),
            (  # a repeated length goes; every other header stays, in order
                [
                    _start(
                        (b"content-length", b"2"),
                        DIGEST,
                        (b"Content-Length", b"2"),
                        (b"x-after", b"1"),
                    ),
                    BODY,
                ],
                (
                    200,
                    [
                        (b"content-type", b"text/plain"),
                        (b"content-length", b"2"),
                        DIGEST,
                        (b"x-after", b"1"),
                    ],
                    b"hi",
                ),
            ),
        ],
    )
    def test_sound_responses_pass_as_sent(
        self, messages: list[dict[str, Any]], answer: tuple[int, Any, bytes]
    ) -> None:
        """What an HTTP/1.1 server sends as it is comes back as it is (a body of max_body too)."""
        assert call(answering(*messages), max_body=4) == answer

    def test_a_buffer_the_app_reuses_is_copied_when_sent(self) -> None:
        """A bytearray or memoryview the app changes after send() gives what it held then."""
        buffer = bytearray(b"ab")

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await send(START)
            await send(_body(buffer, more_body=True))
            buffer[:] = b"cd"
            await send(_body(memoryview(buffer), more_body=True))
            buffer[:] = b"ef"
            await send(_body(b""))

        assert call(app) == (200, [(b"content-type", b"text/plain")], b"abcd")

    def test_what_is_logged_when_the_app_fails(self, caplog: pytest.LogCaptureFixture) -> None:
        """A crash, no response and an unfinished one: each logged with the request id."""

        async def crashing(scope: Any, receive: Any, send: Any) -> None:
            raise KeyError("session")

        unfinished = answering(START, _body(b"x", more_body=True))
        with caplog.at_level(logging.DEBUG, logger="fcsdk.web"):
            for app in (crashing, answering(), unfinished):
                assert call(app) is None
        records = [r for r in caplog.records if r.name == "fcsdk.web"]
        assert [(r.levelname, r.getMessage()) for r in records] == [
            ("ERROR", "the ASGI app failed on request req-mut"),
            ("ERROR", "the ASGI app returned on request req-mut but started no response"),
            ("ERROR", "the ASGI app returned on request req-mut but left its response unfinished"),
        ]
        assert records[0].exc_info is not None
        assert isinstance(records[0].exc_info[1], KeyError)


# -- the lifespan protocol, message by message ------------------------------------------------


class FastForward(asyncio.SelectorEventLoop):
    """An event loop whose clock jumps to the next timer when nothing else is ready.

    A wait for nothing at all (no timer, nothing ready) fails the test instead of hanging.
    """

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        selector: Any = self._selector  # type: ignore[attr-defined]
        real = selector.select

        def select(timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
            events: list[tuple[selectors.SelectorKey, int]] = real(0)
            if not events:
                assert timeout is not None, "the loop would wait forever"
                self.now += timeout
            return events

        selector.select = select

    def time(self) -> float:
        return self.now


def run_fast(main: Coroutine[Any, Any, None]) -> float:
    """Run ``main`` on a :class:`FastForward` loop; the seconds its clock moved."""
    loop = FastForward()
    try:
        loop.run_until_complete(main)
        return loop.time()
    finally:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()


class Recorder:
    """A raw lifespan app that records its scope and each message it receives."""

    def __init__(self, *answers: dict[str, Any], then: str = "return") -> None:
        self.answers = answers
        self.then = then
        self.scopes: list[dict[str, Any]] = []
        self.received: list[Any] = []
        self.sent: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scopes.append(dict(scope))
        for answer in self.answers:
            self.received.append(await receive())
            await send(answer)
            self.sent.append(answer.get("type", ""))
        if self.then == "hang":
            await asyncio.Event().wait()


STARTED = {"type": "lifespan.startup.complete"}
STOPPED = {"type": "lifespan.shutdown.complete"}


def startup_error(app: App, mode: LifespanMode = "on") -> LifespanError:
    """The error a failed startup of ``app`` raises."""
    life = Lifespan(app, mode)
    with pytest.raises(LifespanError) as caught:
        asyncio.run(life.startup())
    return caught.value


def _tb_of(error: Exception) -> str:
    def inner() -> None:
        raise error

    def outer() -> None:
        inner()

    try:
        outer()
    except Exception:
        return traceback.format_exc()
    raise AssertionError("unreachable")


REAL_TB = _tb_of(ValueError("bad config"))


class TestLifespanMessages:
    def test_startup_and_shutdown_message_by_message(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The app gets the lifespan scope, one startup and one shutdown; nothing is logged."""
        app = Recorder(STARTED, STOPPED)
        life = Lifespan(app, "on")
        seen: list[Any] = []

        async def main() -> None:
            seen.append(life.started)
            await life.startup()
            await life.startup()  # once
            seen.append(life.started)
            await life.shutdown()
            seen.append(life.started)
            await life.shutdown()  # once: the app has returned

        with caplog.at_level(logging.DEBUG):
            asyncio.run(main())
        assert seen == [False, True, False]
        assert all(type(value) is bool for value in seen)
        assert app.scopes == [
            {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.3"}, "state": {}}
        ]
        assert app.received == [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        assert app.sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
        assert [r for r in caplog.records if r.levelno >= logging.INFO] == []

    def test_no_shutdown_after_a_failed_startup(self, caplog: pytest.LogCaptureFixture) -> None:
        """After a failed startup the shutdown sends nothing and logs nothing."""
        app = Recorder({"type": "lifespan.startup.failed", "message": "no key"}, then="hang")
        life = Lifespan(app, "on")

        async def main() -> None:
            with pytest.raises(LifespanError):
                await life.startup()
            await life.shutdown()

        with caplog.at_level(logging.DEBUG, logger="fcsdk.web"):
            assert run_fast(main()) == 0  # a shutdown sent would wait forever: an assertion
        assert app.received == [{"type": "lifespan.startup"}]
        assert caplog.records == []

    def test_a_task_left_waiting_ends_quietly(self, caplog: pytest.LogCaptureFixture) -> None:
        """A lifespan task still waiting when its loop ends is cancelled without an error."""
        with caplog.at_level(logging.DEBUG, logger="asyncio"):
            asyncio.run(Lifespan(Recorder(STARTED, then="hang"), "on").startup())
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []

    def test_off_never_sends_the_scope(self) -> None:
        """lifespan="off": no lifespan call, and the requests' scopes carry no state."""
        app = Recorder(STARTED)
        life = Lifespan(app, "off")
        asyncio.run(life.startup())
        assert (app.scopes, life.started, life.supported) == ([], False, False)
        http, seen = scope_recorder()
        HTTPClient(fc.from_asgi(http, lifespan="off"), via="fc3").get("/")
        assert "state" not in seen[0]

    def test_an_app_without_lifespan_under_auto(self, caplog: pytest.LogCaptureFixture) -> None:
        """Under "auto" an app that raises on the lifespan scope goes on without: said at DEBUG."""
        app, seen = scope_recorder()

        async def http_only(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                raise ValueError("http only")
            await app(scope, receive, send)

        handler = fc.from_asgi(http_only)
        with caplog.at_level(logging.DEBUG, logger="fcsdk.web"):
            HTTPClient(handler, via="fc3").get("/")
            handler.shutdown()
        assert handler.lifespan.supported is False
        assert "state" not in seen[0]
        assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
            (
                "DEBUG",
                "the ASGI app does not support lifespan (ValueError('http only')); "
                "going on without",
            )
        ]

    def test_the_state_reaches_requests_when_lifespan_runs(self) -> None:
        """With a lifespan the app sets state in, each request's scope has a copy of it."""
        app, seen = scope_recorder()

        async def stateful(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "lifespan":
                await receive()
                scope["state"]["pool"] = "db"
                await send(STARTED)
                await receive()
                await send(STOPPED)
                return
            await app(scope, receive, send)

        HTTPClient(fc.from_asgi(stateful), via="fc3").get("/")
        assert seen[0]["state"] == {"pool": "db"}

    def test_a_crash_in_the_lifespan_call_under_on(self) -> None:
        """Under "on" an app raising on the lifespan scope fails startup with its error as cause."""
        boom = RuntimeError("no database")

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            raise boom

        life = Lifespan(app, "on")

        async def main() -> list[LifespanError]:
            errors: list[LifespanError] = []
            for _ in range(2):  # the first run and the stored error
                try:
                    await life.startup()
                except LifespanError as exc:
                    errors.append(exc)
            return errors

        errors = asyncio.run(main())
        assert [str(error) for error in errors] == [
            "lifespan startup failed: RuntimeError: no database"
        ] * 2
        assert [error.__cause__ for error in errors] == [boom, boom]

    @pytest.mark.parametrize(
        ("answer", "said"),
        [
            ({"type": "lifespan.startup.failed"}, "(no message)"),
            ({"type": "lifespan.startup.failed", "message": ""}, "(no message)"),
            ({}, "ASGIProtocolError: the app sent a lifespan message of unknown type ''"),
        ],
    )
    def test_startup_failures_without_words(self, answer: dict[str, Any], said: str) -> None:
        """A failure without a message, or a message without a type, still says what happened."""
        assert str(startup_error(Recorder(answer))) == f"lifespan startup failed: {said}"

    @pytest.mark.parametrize(
        ("message", "said"),
        [
            (REAL_TB, f"ValueError: bad config\n\n{REAL_TB.rstrip()}"),
            (  # an error of two lines after the traceback
                'Traceback (most recent call last):\n  File "app.py", line 3, in start\n'
                "KeyError: 'a'\nwhile loading\n",
                "KeyError: 'a'\nwhile loading\n\nTraceback (most recent call last):\n"
                "  File \"app.py\", line 3, in start\nKeyError: 'a'\nwhile loading",
            ),
            (  # indented by one space
                'Traceback (most recent call last):\n File "app.py"\nValueError: x',
                "ValueError: x\n\n"
                'Traceback (most recent call last):\n File "app.py"\nValueError: x',
            ),
            (  # blank space after the error
                'Traceback (most recent call last):\n  File "app.py"\nValueError: x\n  \n',
                "ValueError: x\n\nTraceback (most recent call last):\n"
                '  File "app.py"\nValueError: x',
            ),
            (  # no frame lines: nothing to put first
                "Traceback (most recent call last):\nValueError: x",
                "Traceback (most recent call last):\nValueError: x",
            ),
            (  # a message of the app's own is kept as is
                " no key",
                " no key",
            ),
        ],
    )
    def test_a_traceback_message_puts_the_error_first(self, message: str, said: str) -> None:
        """A startup.failed message that is a traceback (Starlette's) leads with its error."""
        failed = {"type": "lifespan.startup.failed", "message": message}
        assert str(startup_error(Recorder(failed))) == f"lifespan startup failed: {said}"

    def test_the_stored_error_drags_in_no_other_exception(self) -> None:
        """A failed startup raised again while handling another error does not print that one."""
        life = Lifespan(Recorder({"type": "lifespan.startup.failed", "message": "no key"}), "on")
        with pytest.raises(LifespanError):
            asyncio.run(life.startup())
        try:
            raise KeyError("unrelated")
        except KeyError:
            with pytest.raises(LifespanError) as caught:
                asyncio.run(life.startup())
        printed = "".join(traceback.format_exception(caught.value))
        assert "no key" in printed
        assert "unrelated" not in printed

    def test_a_shutdown_the_app_does_not_answer_is_logged(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An app that returns on lifespan.shutdown without answering: the error log says so."""
        life = Lifespan(Recorder(STARTED), "on")

        async def main() -> None:
            await life.startup()
            await life.shutdown()

        with caplog.at_level(logging.WARNING, logger="fcsdk.web"):
            asyncio.run(main())
        assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
            (
                "ERROR",
                "lifespan shutdown failed: "
                "the app returned from the lifespan scope without answering shutdown",
            )
        ]

    def test_shutdown_waits_five_seconds_for_the_app_to_return(self) -> None:
        """After shutdown.complete the app gets 5 s to return from its call, then is left."""
        life = Lifespan(Recorder(STARTED, STOPPED, then="hang"), "on")

        async def main() -> None:
            await life.startup()
            await life.shutdown()

        assert run_fast(main()) == 5
