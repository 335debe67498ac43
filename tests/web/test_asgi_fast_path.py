"""Tests for fcsdk/web/asgi_app.py's FC 3.0 fast path: what the long way gives."""

from __future__ import annotations

import base64
import io
import json
import uuid
from typing import Any

import pytest

import fcsdk as fc
from fcsdk.testing import fake_context, fc3_http_event
from fcsdk.web import asgi_app
from fcsdk.web.asgi_app import _fc3_parts, _learn_names
from fcsdk.web.options import DEFAULT_OPTIONS
from fcsdk.web.places import FC3Place

CONTEXT = fake_context(request_id="1-fast-path")


@pytest.fixture(autouse=True)
def nothing_learnt_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a fresh instance does: no header name learnt or spelled yet.

    (Otherwise an earlier test, or mutmut's warm process, would have filled the
    name caches, and the code that fills them would never run here.)
    """
    monkeypatch.setattr(asgi_app, "_SCOPE_NAMES", {})
    monkeypatch.setattr(asgi_app, "_ENVIRON_NAMES", {})
    monkeypatch.setattr(asgi_app, "_KNOWN_NAMES", {})
    monkeypatch.setattr(asgi_app, "_SPECIAL_NAMES", set())


BODY = b'{"name": "Ada", "price": 1.5}'
HEADERS = [
    ("Host", "demo.cn-hangzhou.fcapp.run"),
    ("Content-Type", "application/json"),
    ("Content-Length", str(len(BODY))),
    ("X-Forwarded-Proto", "https"),
]


async def echo(scope: Any, receive: Any, send: Any) -> None:
    """An ASGI app that answers with its scope's request parts as JSON."""
    if scope["type"] != "http":
        raise RuntimeError("no lifespan here")
    message = await receive()
    parts = {
        "method": scope["method"],
        "path": scope["path"],
        "raw_path": scope["raw_path"].decode(),
        "query": scope["query_string"].decode(),
        "headers": [[k.decode(), v.decode("latin-1")] for k, v in scope["headers"]],
        "server": scope["server"],
        "scheme": scope["scheme"],
        "client": scope["client"],
        "body": message["body"].decode(),
    }
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]})
    await send({"type": "http.response.body", "body": json.dumps(parts).encode()})


def _event(**changes: Any) -> dict[str, Any]:
    event = fc3_http_event("POST", "/items/7", query="a=1&b=", headers=HEADERS, body=BODY)
    event.update(changes)
    return event


def _both(event: dict[str, Any], context: object = CONTEXT) -> tuple[Any, Any]:
    """The fast path's parts (after the names are learnt) and the long way's, for ``event``."""
    handler = fc.from_asgi(echo, lifespan="off")
    slow = handler._parts(FC3Place(event, context, DEFAULT_OPTIONS), None)
    _learn_names(FC3Place(event, context, DEFAULT_OPTIONS).header_list)
    fast = _fc3_parts(FC3Place(event, context, DEFAULT_OPTIONS), DEFAULT_OPTIONS, None)
    return fast, slow


SAME = {
    "typical": _event(),
    "host with a port, plain http": _event(
        headers={"Host": "localhost:9000", "X-Forwarded-Proto": "http, https"}, body=None
    ),
    "proto list, https first": _event(headers={"host": "h", "x-forwarded-proto": " HTTPS ,x"}),
    "no host, no body, no query": _event(headers={}, body="", queryParameters=None),
    "IPv6 host without a port": _event(headers={"Host": "[::1]"}),
    "a HEAD request": fc3_http_event("HEAD", "/h", headers=[("Host", "h")]),
    "a UTF-8 text body": _event(headers={"Content-Length": "6"}, body="h\u00e9llo"),
    "no source ip": _event(requestContext={"http": {"method": "get", "path": "/x"}}),
    "joined query values": _event(queryParameters={"q": "1,2", "bbox": "1,2,3,4"}),
    "proto list, https first, no spaces": _event(headers={"X-Forwarded-Proto": "https,http,http"}),
    "IPv6 host with a port": _event(headers={"Host": "[::1]:9000"}),
    "empty header values": _event(headers={"X-Empty": "", "Accept": "", "Host": "h"}),
    "repeated names, joined": fc3_http_event(
        "GET", "/r", headers=[("X-A", "1"), ("X-A", "2"), ("Accept", "a/b"), ("Accept", "c/d")]
    ),
    "cookies": fc3_http_event("GET", "/c", headers=[("Cookie", "a=1; b=2"), ("Cookie", "c=3")]),
    "names in odd cases": _event(headers={"HOST": "h:81", "x-FORWARDED-proto": "https"}),
}


@pytest.mark.parametrize("name", list(SAME))
def test_fast_path_gives_the_long_ways_scope(name: str) -> None:
    """An event both ways can take gives the same scope, body, request id and HEAD flag."""
    fast, slow = _both(SAME[name])
    assert fast is not None
    assert fast[0] == slow[0]
    assert fast[1:] == slow[1:]


LONG_WAY = {
    "escaped path": _event(rawPath="/a%20b"),
    "non-ASCII path": _event(rawPath="/caf\u00e9"),
    "no rawPath": _event(rawPath=None),
    "query that needs quoting": _event(queryParameters={"q": "a b"}),
    "non-str query value": _event(queryParameters={"q": 1}),
    "base64 body": _event(isBase64Encoded=True, body="aGk="),
    "base64 flag 0": _event(isBase64Encoded=0),
    "Content-Length that disagrees": _event(headers={"Content-Length": "3"}),
    "two Content-Lengths": _event(headers={"Content-Length": "29", "content-length": "29"}),
    "non-ASCII header value": _event(headers={"X-Name": "caf\u00e9"}),
    "CR in a header value": _event(headers={"X-Bad": "a\rb"}),
    "NUL in a header value": _event(headers={"X-Bad": "a\x00b"}),
    "non-str header value": _event(headers={"X-Bad": 1}),
    "an upgrade": _event(headers={"Upgrade": "websocket"}),
    "headers not a dict": _event(headers=[["a", "b"]]),
    "body not a str": _event(body=3),
    "method not a str": _event(requestContext={"http": {"method": 1}}),
    "lone surrogate in the body": _event(body="\ud800", headers={}),
    "empty rawPath": _event(rawPath=""),
    "LF in a header value": _event(headers={"X-Bad": "a\nb"}),
    "requestContext.http not an object": _event(requestContext={"http": "GET"}),
    "percent-encoded non-ASCII path": _event(rawPath="/caf%C3%A9/a%2Fb"),
}


@pytest.mark.parametrize("name", list(LONG_WAY))
def test_fast_path_leaves_the_unusual_to_the_long_way(name: str) -> None:
    """An event the long way would treat differently (or refuse) is not taken by the fast path."""
    event = LONG_WAY[name]
    place = FC3Place(event, CONTEXT, DEFAULT_OPTIONS)
    names = event["headers"] if isinstance(event["headers"], dict) else {}
    _learn_names([(n, "") for n in names])
    assert _fc3_parts(place, DEFAULT_OPTIONS, None) is None


@pytest.mark.parametrize("bad", ["a\x00b", "a\rb", "a\nb"])
def test_a_control_character_in_a_header_value_is_a_400_on_every_request(bad: str) -> None:
    """NUL, CR or LF in a header value: a 400 naming the header, the first time and after the
    header's name is learnt (when the fast path could take the event); the app never runs."""
    handler = fc.from_asgi(echo, lifespan="off")

    def answer(value: str) -> dict[str, Any]:
        raw = handler(json.dumps(_event(headers={"X-Bad": value})).encode(), CONTEXT)
        parsed: dict[str, Any] = json.loads(raw)
        return parsed

    refusal = {
        "statusCode": 400,
        "headers": {"Content-Type": "application/problem+json"},
        "isBase64Encoded": False,
        "body": json.dumps(
            {
                "type": "about:blank",
                "title": "Bad Request",
                "status": 400,
                "detail": "the value of header 'X-Bad' holds CR, LF or NUL",
            },
            separators=(",", ":"),
        ),
    }
    assert answer(bad) == refusal  # the long way (the name is new)
    assert answer("fine")["statusCode"] == 200  # the name is learnt now
    assert answer(bad) == refusal


def test_fast_path_needs_known_names_a_request_id_and_the_limits() -> None:
    """An unseen header name, a context without a request id, too many headers: the long way."""
    # a name no earlier run in this process can have taught (mutmut reruns tests in one process)
    unseen = f"X-Never-Seen-{uuid.uuid4().hex}"
    event = _event(headers={unseen: "1"})
    assert _fc3_parts(FC3Place(event, CONTEXT, DEFAULT_OPTIONS), DEFAULT_OPTIONS, None) is None
    _learn_names([(unseen, "1")])
    assert _fc3_parts(FC3Place(event, CONTEXT, DEFAULT_OPTIONS), DEFAULT_OPTIONS, None)
    assert _fc3_parts(FC3Place(event, object(), DEFAULT_OPTIONS), DEFAULT_OPTIONS, None) is None
    small = fc.from_asgi(echo, lifespan="off", max_body_size=4).options
    assert _fc3_parts(FC3Place(_event(headers={}), CONTEXT, small), small, None) is None


def test_names_are_learnt_only_from_validated_fc3_requests() -> None:
    """A name enters the cache once an FC 3.0 request validated it; a refused one never does."""
    handler = fc.from_asgi(echo, lifespan="off")
    bad = _event(headers={"Bad Name": "1"})
    answer = json.loads(handler(bad, CONTEXT))
    assert answer["statusCode"] == 400
    assert "Bad Name" not in asgi_app._KNOWN_NAMES
    good = _event(headers={"X-Learnt-Here-41": "1"})
    first = handler(good, CONTEXT)
    assert asgi_app._KNOWN_NAMES["X-Learnt-Here-41"] == b"x-learnt-here-41"
    assert handler(good, CONTEXT) == first


@pytest.mark.parametrize("name", [*SAME, *LONG_WAY])
def test_answers_are_the_same_on_the_first_and_later_requests(name: str) -> None:
    """The first request (names unknown: the long way) and the next (fast) answer alike."""
    event = {**SAME, **LONG_WAY}[name]
    handler = fc.from_asgi(echo, lifespan="off")

    def outcome() -> object:
        try:
            return json.loads(handler(json.dumps(event), CONTEXT))
        except fc.EventDecodeError as exc:  # a malformed event fails the invocation
            return str(exc)

    assert outcome() == outcome()


def _environ(headers: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    from fcsdk._platform.http import wsgi_environ

    environ = wsgi_environ("POST", "/items/7", query="a=1", headers=headers, body=BODY)
    environ.update(extra)
    return environ


ENVIRONS = {
    "typical": _environ(HEADERS),
    "repeated and odd names": _environ([("X-A", "1"), ("x_b", "2"), ("Cookie", "a=1")]),
    "empty CONTENT_LENGTH": _environ([], CONTENT_LENGTH="", CONTENT_TYPE="text/plain"),
    "HTTP_CONTENT_TYPE too": _environ([], HTTP_CONTENT_TYPE="a/b", CONTENT_TYPE="c/d"),
    "a non-str value": _environ([], HTTP_X_NUMBER=7),
    "non-ASCII key": {**_environ([]), "HTTP_X_\u00df": "v"},
}


@pytest.mark.parametrize("name", list(ENVIRONS))
def test_wsgi_headers_are_the_long_ways(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """FC 2.0's one-pass headers give the scope the place's header list gives."""
    from fcsdk.web.places import WSGIPlace

    environ = ENVIRONS[name]
    handler = fc.from_asgi(echo, lifespan="off")

    def place() -> WSGIPlace:
        fresh = {**environ, "wsgi.input": io.BytesIO(BODY)}
        return WSGIPlace(fresh, print, DEFAULT_OPTIONS)

    fast = handler._parts(place(), None)
    monkeypatch.setattr(asgi_app, "_wsgi_headers", lambda environ, limit: None)
    slow = handler._parts(place(), None)
    if isinstance(slow, Exception):  # refused alike
        assert (type(fast), str(fast)) == (type(slow), str(slow))
    else:
        assert not isinstance(fast, Exception)
        assert fast[0] == slow[0]


@pytest.mark.parametrize(
    "extra",
    [
        {"HTTP_X_NAME": "caf\u00c3\u00a9"},  # UTF-8 as latin-1: the long way re-decodes it
        {"HTTP_UPGRADE": "websocket"},
        {f"HTTP_X_{n}": "1" for n in range(200)},  # past max_headers
        {1: "not a str key"},
    ],
)
def test_wsgi_headers_leave_the_unusual_to_the_long_way(extra: dict[Any, Any]) -> None:
    """Non-ASCII values, an upgrade, too many headers, odd keys: the long way decides."""
    assert asgi_app._wsgi_headers(_environ([]) | extra, 100) is None


def test_wsgi_headers_of_an_ordinary_environ() -> None:
    """An ordinary FC 2.0 environ is read in one pass: the fast path is taken, not declined."""
    environ = _environ([("X-Trace", "abc")], CONTENT_LENGTH="29", CONTENT_TYPE="application/json")
    headers = asgi_app._wsgi_headers(environ, 100)
    assert headers is not None
    assert sorted(headers) == [
        (b"content-length", b"29"),
        (b"content-type", b"application/json"),
        (b"x-trace", b"abc"),
    ]


def _fc2_scope(environ: dict[str, Any]) -> dict[str, Any]:
    """What the echo app saw of one FC 2.0 request (its status must be 200)."""
    handler = fc.from_asgi(echo, lifespan="off")
    started: list[str] = []
    body = handler(environ, lambda status, headers, *exc: started.append(status))
    assert started == ["200 OK"], started
    parts: dict[str, Any] = json.loads(b"".join(body))
    return parts


def test_an_empty_content_length_is_no_header_on_fc2() -> None:
    """FC 2.0's empty ``CONTENT_LENGTH`` (a bodiless request) is no ``content-length`` header."""
    environ = _environ([], CONTENT_LENGTH="", CONTENT_TYPE="text/plain")
    environ["wsgi.input"] = io.BytesIO(b"")
    parts = _fc2_scope(environ)
    assert parts["headers"] == [["content-type", "text/plain"]]
    assert parts["body"] == ""


def test_a_non_ascii_header_first_in_the_environ_is_decoded_as_utf8() -> None:
    """A UTF-8 header value (latin-1 text in the environ) reaches the app as FC 3.0 gives it."""
    environ = _environ([("X-Name", "caf\u00e9")])
    environ = {"HTTP_X_NAME": environ.pop("HTTP_X_NAME"), **environ}  # the first header seen
    environ["wsgi.input"] = io.BytesIO(BODY)
    parts = _fc2_scope(environ)
    assert ["x-name", "caf\u00e9"] in parts["headers"]  # b"caf\xe9": latin-1 in the scope
    handler = fc.from_asgi(echo, lifespan="off")
    event = fc3_http_event("GET", "/", headers=[("X-Name", "caf\u00e9")])
    fc3 = json.loads(base64.b64decode(json.loads(handler(event, CONTEXT))["body"]))
    assert ["x-name", "caf\u00e9"] in fc3["headers"]


def test_an_environ_whose_only_header_is_an_upgrade_is_refused() -> None:
    """A bodiless FC 2.0 request with only ``Upgrade: websocket`` answers 501, the app unrun."""
    from fcsdk.testing import wsgi_environ

    environ = wsgi_environ("GET", "/ws", headers=[("Upgrade", "websocket")])
    del environ["CONTENT_TYPE"], environ["CONTENT_LENGTH"]
    started: list[str] = []
    body = fc.from_asgi(echo, lifespan="off")(
        environ, lambda status, headers, *exc: started.append(status)
    )
    assert started[0].startswith("501")
    assert b"custom runtimes" in b"".join(body)


def test_a_name_fc2_passes_unchecked_never_skips_fc3s_check() -> None:
    """FC 2.0 takes header names as its server gave them: none of them lets FC 3.0 skip its 400."""
    handler = fc.from_asgi(echo, lifespan="off")
    environ = _environ([("X-Name", "caf\u00e9")])  # a non-ASCII value: the long way
    environ["HTTP_BAD NAME"] = "1"
    environ["wsgi.input"] = io.BytesIO(BODY)
    assert ["bad name", "1"] in _fc2_scope(environ)["headers"]
    event = _event(headers={"Bad Name": "1"})
    for _ in range(2):
        assert json.loads(handler(event, CONTEXT))["statusCode"] == 400
