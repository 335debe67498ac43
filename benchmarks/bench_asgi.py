"""ASGI benchmarks: FastAPI ``POST /items/{item_id}``, a pydantic body, an ``async def`` route.

The same request (~200-byte JSON body, ~10 headers) timed per call in one
process:

* ``fc.from_asgi(app)`` on the FC 3.0 HTTP event, and on FC 2.0's WSGI call;
* the floor: the ASGI app called directly on a prebuilt scope
  (``loop.run_until_complete(app(scope, receive, send))``);
* Mangum on the equivalent AWS HTTP API (v2) event: what AWS users get;
* ``fc.from_wsgi(a2wsgi.ASGIMiddleware(app))``: the bridge FC users had.

Targets (issue 12, in ``benchmarks/targets.py``): ≤ 1.3x the floor, ≤ 0.9x
Mangum, ≥ 3x faster than the bridge (≤ 0.33x), on both places.
"""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Callable
from typing import Any

import a2wsgi
from fastapi import FastAPI
from mangum import Mangum
from pydantic import BaseModel

import fcsdk as fc
from benchmarks._runner import Case
from fcsdk._platform.http import fc3_http_event, wsgi_environ
from fcsdk.testing import fake_context

BODY = json.dumps(
    {"name": "Ada Lovelace", "price": 12.5, "tags": ["tea", "cup"], "note": "leave at the door"}
).encode()
HEADERS = [
    ("Host", "demo-abc.cn-hangzhou.fcapp.run"),
    ("User-Agent", "curl/8.5.0"),
    ("Accept", "application/json"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept-Language", "en-US,en;q=0.9"),
    ("Content-Type", "application/json"),
    ("X-Request-Id", "b2f4c1d0-8a77-4b0e-9d3c-1f2e3d4c5b6a"),
    ("X-Forwarded-For", "203.0.113.7"),
    ("Cookie", "session=abc123; theme=dark"),
    ("Content-Length", str(len(BODY))),
]
PATH = "/items/42"
QUERY = "verbose=true"
CONTEXT = fake_context(request_id="1-6560a1b2-0123456789abcdef")


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []
    note: str | None = None


def make_app() -> FastAPI:
    """The FastAPI app under test."""
    app = FastAPI()

    @app.post("/items/{item_id}")
    async def update(item_id: int, item: Item, verbose: bool = False) -> dict[str, Any]:
        return {"item_id": item_id, "name": item.name, "total": item.price * 2, "v": verbose}

    return app


EXPECTED = {"item_id": 42, "name": "Ada Lovelace", "total": 25.0, "v": True}


_FLOOR_LOOP: list[asyncio.AbstractEventLoop] = []


def _floor_loop() -> asyncio.AbstractEventLoop:
    """One loop for the floor and for Mangum, kept for the process.

    Mangum runs on ``asyncio.get_event_loop()``: it gets this one (set as the
    thread's loop) rather than making one that is dropped, unclosed, later.
    """
    if not _FLOOR_LOOP:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        _FLOOR_LOOP.append(loop)
    return _FLOOR_LOOP[0]


def _direct(app: FastAPI) -> Callable[[], object]:
    """The floor: the app on a prebuilt scope, on a loop the caller runs (one per process)."""
    loop = _floor_loop()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "https",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": QUERY.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in HEADERS],
        "client": ("203.0.113.7", 0),
        "server": ("demo-abc.cn-hangzhou.fcapp.run", 443),
    }

    def call() -> object:
        sent: list[Any] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": BODY, "more_body": False}

        async def send(message: Any) -> None:
            sent.append(message)

        loop.run_until_complete(app(dict(scope), receive, send))
        return b"".join(m.get("body", b"") for m in sent[1:])

    return call


def _aws_event() -> dict[str, Any]:
    """The equivalent AWS HTTP API (payload 2.0) event."""
    headers = {k.lower(): v for k, v in HEADERS if k.lower() != "cookie"}
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": PATH,
        "rawQueryString": QUERY,
        "cookies": ["session=abc123", "theme=dark"],
        "headers": headers,
        "queryStringParameters": {"verbose": "true"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "id.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "id",
            "http": {
                "method": "POST",
                "path": PATH,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1583348638390,
        },
        "body": BODY.decode(),
        "isBase64Encoded": False,
    }


def _start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
    return None


def _wsgi_call(handler: Callable[..., Any]) -> Callable[[], object]:
    environ = wsgi_environ(
        "POST", PATH, query=QUERY, headers=HEADERS, body=BODY, context=CONTEXT, process_environ={}
    )

    def call() -> object:
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(BODY)
        result = handler(env, _start_response)
        body = b"".join(result)
        close = getattr(result, "close", None)
        if close is not None:
            close()
        return body

    return call


def cases() -> list[Case]:
    """from_asgi on FC 3.0 and FC 2.0 against the floor, Mangum and the a2wsgi bridge."""
    app = make_app()
    handler = fc.from_asgi(app)
    bridge = fc.from_wsgi(a2wsgi.ASGIMiddleware(app))  # type: ignore[arg-type]
    loop = _floor_loop()  # set as the thread's loop before Mangum() looks for one
    mangum = Mangum(app, lifespan="off")
    aws_event = _aws_event()
    event = json.dumps(
        fc3_http_event("POST", PATH, query=QUERY, headers=HEADERS, body=BODY)
    ).encode()
    direct = _direct(app)

    def fc3() -> object:
        return handler(event, CONTEXT)

    def mangum_call() -> object:
        asyncio.set_event_loop(loop)  # what Mangum's get_event_loop() finds
        return mangum(aws_event, CONTEXT)  # type: ignore[arg-type]

    def bridge_fc3() -> object:
        return bridge(event, CONTEXT)

    fc2 = _wsgi_call(handler)
    bridge_fc2 = _wsgi_call(bridge)

    assert json.loads(direct()) == EXPECTED  # type: ignore[arg-type]
    assert json.loads(json.loads(fc3())["body"]) == EXPECTED  # type: ignore[arg-type]
    assert json.loads(mangum_call()["body"]) == EXPECTED  # type: ignore[index]
    assert json.loads(json.loads(bridge_fc3())["body"]) == EXPECTED  # type: ignore[arg-type]
    assert json.loads(fc2()) == EXPECTED  # type: ignore[arg-type]
    assert json.loads(bridge_fc2()) == EXPECTED  # type: ignore[arg-type]

    return [
        Case(
            key="asgi.fc3",
            name="from_asgi, FastAPI, FC 3.0 event: JSON POST",
            subject=fc3,
            baselines={
                "direct ASGI call (floor)": direct,
                "Mangum (AWS event)": mangum_call,
                "a2wsgi bridge": bridge_fc3,
            },
            calls=300,
        ),
        Case(
            key="asgi.fc2",
            name="from_asgi, FastAPI, FC 2.0 WSGI: JSON POST",
            subject=fc2,
            baselines={
                "direct ASGI call (floor)": direct,
                "Mangum (AWS event)": mangum_call,
                "a2wsgi bridge": bridge_fc2,
            },
            calls=300,
        ),
    ]
