"""HTTP benchmarks: a ~200-byte JSON POST with ~10 headers, handler reads the JSON and returns a dict.

Timed per call in the same process against a hand-written raw WSGI callable
doing the same work (the floor), werkzeug's Request/Response, Flask with one
route, and powertools' ``APIGatewayRestResolver`` on the equivalent event.
Targets (issue 3, point 8): ``@fc.http`` via WSGI <= 2x the floor, ``HttpApp``
<= 2.5x, both >= 5x faster than Flask and >= 2x faster than werkzeug; the FC
3.0 event path <= 2.5x the floor.
"""  # noqa: E501

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any

import fcsdk as fc
from benchmarks._runner import Case
from fcsdk._platform.http import fc3_http_event, wsgi_environ
from fcsdk.testing import fake_context

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
    ("X-Request-Id", "b2f4c1d0-8a77-4b0e-9d3c-1f2e3d4c5b6a"),
    ("X-Forwarded-For", "203.0.113.7"),
    ("Cookie", "sid=abc123; theme=dark"),
    ("Cache-Control", "no-cache"),
]
CONTEXT = fake_context(request_id="1-6560a1b2-0123456789abcdef")
ENVIRON = wsgi_environ(
    "POST", "/orders", headers=HEADERS, body=BODY, context=CONTEXT, process_environ={}
)
EVENT = json.dumps(fc3_http_event("POST", "/orders", headers=HEADERS, body=BODY)).encode()
APIGW_EVENT = {
    "resource": "/orders",
    "path": "/orders",
    "httpMethod": "POST",
    "headers": dict(HEADERS),
    "multiValueHeaders": {k: [v] for k, v in HEADERS},
    "queryStringParameters": None,
    "multiValueQueryStringParameters": None,
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


def _result(order: dict[str, Any]) -> dict[str, Any]:
    return {"order_id": order["order_id"], "accepted": True, "items": len(order["items"])}


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def _wsgi_call(app: Callable[..., Iterable[bytes]]) -> Callable[[], object]:
    environ = ENVIRON

    def call() -> object:
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(BODY)
        result = app(env, _start_response)
        body = b"".join(result)
        close = getattr(result, "close", None)
        if close is not None:
            close()
        return body

    return call


# -- the floor: a hand-written WSGI callable ------------------------------------------------


def raw_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    order = json.loads(environ["wsgi.input"].read(length))
    body = json.dumps(_result(order)).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


# -- fcsdk ----------------------------------------------------------------------------------


def _fcsdk_handlers() -> tuple[Any, Any]:
    @fc.http
    def create(request: fc.Request) -> dict[str, Any]:
        return _result(request.json())

    app = fc.HttpApp()

    @app.post("/orders")
    def create_route(request: fc.Request) -> dict[str, Any]:
        return _result(request.json())

    return create, app


# -- the other frameworks ---------------------------------------------------------------------


def _werkzeug_app() -> Any:
    from werkzeug.wrappers import Request, Response

    @Request.application
    def app(request: Request) -> Response:
        return Response(json.dumps(_result(request.get_json())), mimetype="application/json")

    return app


def _flask_app() -> Any:
    from flask import Flask, request

    app = Flask("bench")

    @app.post("/orders")
    def create() -> dict[str, Any]:
        return _result(request.get_json())

    return app


def _powertools_call() -> Callable[[], object]:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver

    resolver = APIGatewayRestResolver()

    @resolver.post("/orders")
    def create() -> dict[str, Any]:
        return _result(resolver.current_event.json_body)

    class _LambdaContext:
        function_name = "bench"
        aws_request_id = "r-1"

    context: Any = _LambdaContext()
    return lambda: resolver.resolve(APIGW_EVENT, context)


def cases() -> list[Case]:
    """The HTTP cases: fc.http (WSGI), HttpApp (WSGI), fc.http (FC 3.0 event)."""
    create, app = _fcsdk_handlers()
    baselines = {
        "raw WSGI (floor)": _wsgi_call(raw_wsgi),
        "werkzeug": _wsgi_call(_werkzeug_app()),
        "flask": _wsgi_call(_flask_app()),
        "powertools APIGatewayRest": _powertools_call(),
    }
    wsgi_targets = {"werkzeug": 0.5, "flask": 0.2}
    return [
        Case(
            name="@fc.http via WSGI: JSON POST",
            subject=_wsgi_call(create),
            baselines=baselines,
            targets={"raw WSGI (floor)": 2.0, **wsgi_targets},
        ),
        Case(
            name="HttpApp, one route, via WSGI: JSON POST",
            subject=_wsgi_call(app),
            baselines=baselines,
            targets={"raw WSGI (floor)": 2.5, **wsgi_targets},
        ),
        Case(
            name="@fc.http via the FC 3.0 event: JSON POST",
            subject=lambda: create(EVENT, CONTEXT),
            baselines=baselines,
            targets={"raw WSGI (floor)": 2.5},
        ),
    ]


if __name__ == "__main__":  # pragma: no cover
    from benchmarks._runner import measure, report

    for case in cases():
        for line in report(measure(case)):
            print(line, file=sys.stdout)
