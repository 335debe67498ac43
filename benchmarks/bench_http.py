"""HTTP benchmarks on what handlers do: a JSON POST read with a header, a query value and a cookie.

The workload (issue 11, "Speed"): a ~200-byte JSON body, ten request
headers (a cookie among them); the handler reads the body, one request
header (``X-Tenant``), one query parameter (``source``) and the ``sid``
cookie, and answers a JSON document with status 201.

Timed per call in the same process, interleaved, against:

* two floors, hand-written raw WSGI callables doing the same work: one with
  stdlib ``json`` (the floor issue 11's targets were set against) and one
  with pydantic-core's ``from_json``/``to_json``, which fcsdk itself uses
  (the fastest way to do the work with what fcsdk depends on: the ratio to it
  is fcsdk's own overhead, and targets set from issue 16 on read against it);
* werkzeug's ``Request``/``Response``, Flask with one route, and powertools'
  ``APIGatewayRestResolver`` on the equivalent event;
* for the FC 3.0 event case also two hand-written event handlers doing the
  same work (parse the event, answer the FC 3.0 response JSON), stdlib and
  pydantic-core JSON: a raw WSGI app never parses an event, so these show
  how much of the event path's cost is fcsdk's own. Issue 11's target for
  that case still reads against the raw WSGI floor.

Every candidate's answer (status and JSON document) is checked equal to the
floor's when the cases are built. Targets: ``benchmarks/targets.py``.
"""

from __future__ import annotations

import base64
import io
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from pydantic_core import from_json, to_json

import fcsdk as fc
from benchmarks._runner import Case
from fcsdk._platform.http import fc3_http_event, read_fc3_response, wsgi_environ
from fcsdk.testing import fake_context

STDLIB_FLOOR = "raw WSGI, stdlib json (floor)"
PYDANTIC_FLOOR = "raw WSGI, pydantic-core json (floor)"
EVENT_STDLIB_FLOOR = "raw FC 3.0 event, stdlib json"
EVENT_PYDANTIC_FLOOR = "raw FC 3.0 event, pydantic-core json"

BODY = json.dumps(
    {
        "order_id": "A-1029384756",
        "customer": {"id": 4711, "name": "Ada Lovelace", "email": "ada@example.com"},
        "items": [{"sku": "tea-01", "qty": 2}, {"sku": "cup-07", "qty": 1}],
        "note": "leave at the door, please",
        "express": True,
    }
).encode()
HEADERS = [
    ("Host", "demo-abc.cn-hangzhou.fcapp.run"),
    ("User-Agent", "curl/8.5.0"),
    ("Accept", "application/json"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept-Language", "en-US,en;q=0.9"),
    ("Content-Type", "application/json"),
    ("X-Tenant", "acme"),
    ("X-Forwarded-For", "203.0.113.7"),
    ("Cookie", "sid=abc123; theme=dark"),
    ("Cache-Control", "no-cache"),
]
QUERY = "source=web&page=1"
CONTEXT = fake_context(request_id="1-6560a1b2-0123456789abcdef")
ENVIRON = wsgi_environ(
    "POST",
    "/orders",
    query=QUERY,
    headers=HEADERS,
    body=BODY,
    context=CONTEXT,
    process_environ={},
)
EVENT = json.dumps(fc3_http_event("POST", "/orders", query=QUERY, headers=HEADERS, body=BODY))
EVENT_BYTES = EVENT.encode()
APIGW_EVENT = {
    "resource": "/orders",
    "path": "/orders",
    "httpMethod": "POST",
    "headers": dict(HEADERS),
    "multiValueHeaders": {k: [v] for k, v in HEADERS},
    "queryStringParameters": {"source": "web", "page": "1"},
    "multiValueQueryStringParameters": {"source": ["web"], "page": ["1"]},
    "pathParameters": None,
    "stageVariables": None,
    "requestContext": {
        "resourcePath": "/orders",
        "httpMethod": "POST",
        "path": "/orders",
        "stage": "prod",
        "requestId": "r-1",
        "identity": {"sourceIp": "203.0.113.7"},
    },
    "body": BODY.decode(),
    "isBase64Encoded": False,
}


def _result(
    order: dict[str, Any], tenant: str | None, source: str | None, sid: str | None
) -> dict[str, Any]:
    return {
        "order_id": order["order_id"],
        "accepted": True,
        "items": len(order["items"]),
        "tenant": tenant,
        "source": source,
        "session": sid,
    }


EXPECTED = (201, _result(json.loads(BODY), "acme", "web", "abc123"))
"""What every candidate answers: the status and the JSON document."""


# -- calling a WSGI app as FC 2.0 does ------------------------------------------------------


class _Start:
    """A ``start_response`` that keeps the status line."""

    status = ""

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        self.status = status


def _wsgi_call(app: Callable[..., Iterable[bytes]]) -> Callable[[], tuple[str, bytes]]:
    environ = ENVIRON

    def call() -> tuple[str, bytes]:
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(BODY)
        start = _Start()
        result = app(env, start)
        body = b"".join(result)
        close = getattr(result, "close", None)
        if close is not None:
            close()
        return start.status, body

    return call


def _wsgi_answer(call: Callable[[], tuple[str, bytes]]) -> tuple[int, Any]:
    status, body = call()
    return int(status.split(" ", 1)[0]), json.loads(body)


def _event_answer(answer: object) -> tuple[int, Any]:
    assert isinstance(answer, bytes | str | dict)
    status, _headers, body = read_fc3_response(answer)
    return status, json.loads(body)


# -- the floors: hand-written WSGI callables --------------------------------------------------


def _cookie(header: str, name: str) -> str | None:
    for chunk in header.split(";"):
        key, _, value = chunk.strip().partition("=")
        if key == name:
            return value
    return None


def _query(query: str, name: str) -> str | None:
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == name:
            return value
    return None


def raw_wsgi_stdlib(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    order = json.loads(environ["wsgi.input"].read(length))
    result = _result(
        order,
        environ.get("HTTP_X_TENANT"),
        _query(environ.get("QUERY_STRING", ""), "source"),
        _cookie(environ.get("HTTP_COOKIE", ""), "sid"),
    )
    body = json.dumps(result).encode()
    start_response(
        "201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def raw_wsgi_pydantic(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    order = from_json(environ["wsgi.input"].read(length))
    result = _result(
        order,
        environ.get("HTTP_X_TENANT"),
        _query(environ.get("QUERY_STRING", ""), "source"),
        _cookie(environ.get("HTTP_COOKIE", ""), "sid"),
    )
    body = to_json(result)
    start_response(
        "201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def _raw_event(loads: Callable[[bytes | str], Any], dumps: Callable[[Any], bytes]) -> Any:
    """The same work as a hand-written FC 3.0 event handler: parse the event, answer JSON.

    Header names are compared without case (the event keeps the client's spelling),
    a flagged body is base64-decoded, and the answer is the FC 3.0 response JSON.
    """

    def handler(event: bytes, context: object) -> bytes:
        data = loads(event)
        headers = {k.lower(): v for k, v in (data.get("headers") or {}).items()}
        raw = data.get("body") or ""
        body = base64.b64decode(raw) if data.get("isBase64Encoded") else raw.encode()
        result = _result(
            loads(body),
            headers.get("x-tenant"),
            (data.get("queryParameters") or {}).get("source"),
            _cookie(headers.get("cookie", ""), "sid"),
        )
        answer = {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json"},
            "isBase64Encoded": False,
            "body": dumps(result).decode(),
        }
        return dumps(answer)

    return handler


raw_event_stdlib = _raw_event(json.loads, lambda value: json.dumps(value).encode())
raw_event_pydantic = _raw_event(from_json, to_json)


# -- fcsdk ----------------------------------------------------------------------------------


def _read(request: fc.Request) -> fc.JSONResponse:
    result = _result(
        request.json(),
        request.headers.get("x-tenant"),
        request.query.get("source"),
        request.cookies.get("sid"),
    )
    return fc.JSONResponse(result, status=201)


def _fcsdk_handlers() -> tuple[Any, Any]:
    @fc.http
    def create(request: fc.Request) -> fc.JSONResponse:
        return _read(request)

    app = fc.HTTPApp()

    @app.post("/orders")
    def create_route(request: fc.Request) -> fc.JSONResponse:
        return _read(request)

    return create, app


# -- the other frameworks ---------------------------------------------------------------------


def _werkzeug_app() -> Any:
    from werkzeug.wrappers import Request, Response

    @Request.application
    def app(request: Request) -> Response:
        result = _result(
            request.get_json(),
            request.headers.get("X-Tenant"),
            request.args.get("source"),
            request.cookies.get("sid"),
        )
        return Response(json.dumps(result), status=201, mimetype="application/json")

    return app


def _flask_app() -> Any:
    from flask import Flask, request

    app = Flask("bench")

    @app.post("/orders")
    def create() -> tuple[dict[str, Any], int]:
        result = _result(
            request.get_json(),
            request.headers.get("X-Tenant"),
            request.args.get("source"),
            request.cookies.get("sid"),
        )
        return result, 201

    return app


def _powertools_call() -> Callable[[], object]:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

    resolver = APIGatewayRestResolver()

    @resolver.post("/orders")
    def create() -> Response[Any]:
        event = resolver.current_event
        cookie = event.headers.get("Cookie") or ""
        result = _result(
            event.json_body,
            event.headers.get("X-Tenant"),
            (event.query_string_parameters or {}).get("source"),
            _cookie(cookie, "sid"),
        )
        return Response(201, "application/json", json.dumps(result))

    class _LambdaContext:
        function_name = "bench"
        aws_request_id = "r-1"

    context: Any = _LambdaContext()
    return lambda: resolver.resolve(APIGW_EVENT, context)


def cases() -> list[Case]:
    """The HTTP cases: fc.http (WSGI), HTTPApp (WSGI), fc.http (FC 3.0 event).

    Raises:
        AssertionError: a candidate answers otherwise than the floor.
    """
    create, app = _fcsdk_handlers()
    powertools = _powertools_call()
    baselines: dict[str, Callable[[], object]] = {
        STDLIB_FLOOR: _wsgi_call(raw_wsgi_stdlib),
        PYDANTIC_FLOOR: _wsgi_call(raw_wsgi_pydantic),
        "werkzeug": _wsgi_call(_werkzeug_app()),
        "flask": _wsgi_call(_flask_app()),
        "powertools APIGatewayRest": powertools,
    }
    via_wsgi = _wsgi_call(create)
    app_wsgi = _wsgi_call(app)

    def via_event() -> bytes:
        answer: bytes = create(EVENT_BYTES, CONTEXT)
        return answer

    # The event case also reads against hand-written event handlers: a raw WSGI app never
    # parses an event, so they show what of the event path's cost is fcsdk's own.
    event_baselines: dict[str, Callable[[], object]] = {
        **baselines,
        EVENT_STDLIB_FLOOR: lambda: raw_event_stdlib(EVENT_BYTES, CONTEXT),
        EVENT_PYDANTIC_FLOOR: lambda: raw_event_pydantic(EVENT_BYTES, CONTEXT),
    }
    for name in (EVENT_STDLIB_FLOOR, EVENT_PYDANTIC_FLOOR):
        assert _event_answer(event_baselines[name]()) == EXPECTED, name

    for name in (STDLIB_FLOOR, PYDANTIC_FLOOR, "werkzeug", "flask"):
        call = baselines[name]
        assert _wsgi_answer(call) == EXPECTED, name  # type: ignore[arg-type]
    answer = powertools()
    assert isinstance(answer, dict)
    assert (answer["statusCode"], json.loads(answer["body"])) == EXPECTED
    assert _wsgi_answer(via_wsgi) == EXPECTED
    assert _wsgi_answer(app_wsgi) == EXPECTED
    assert _event_answer(via_event()) == EXPECTED
    return [
        Case(
            key="http.fc_http_wsgi",
            name="@fc.http via WSGI: JSON POST + header + query + cookie -> 201",
            subject=via_wsgi,
            baselines=baselines,
        ),
        Case(
            key="http.app_wsgi",
            name="HTTPApp, one route, via WSGI: the same",
            subject=app_wsgi,
            baselines=baselines,
        ),
        Case(
            key="http.fc_http_event",
            name="@fc.http via the FC 3.0 event: the same",
            subject=via_event,
            baselines=event_baselines,
        ),
    ]


if __name__ == "__main__":  # pragma: no cover
    from benchmarks._runner import measure, report

    for case in cases():
        for line in report(measure(case)):
            print(line, file=sys.stdout)
