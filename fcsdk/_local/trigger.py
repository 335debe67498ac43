"""An HTTP request as an FC HTTP trigger hands it to a function, and the answer back.

FC 2.0 calls the handler as a WSGI application with a PEP 3333 environ plus
FC's keys (``fc.context``, ``fc.request_uri``); FC 3.0 calls an event handler
with the HTTP-trigger event JSON and turns the response JSON it returns back
into HTTP. The environ and the event are built by the shared platform
builders of :mod:`fcsdk._platform.http` (the same ones ``HTTPClient``
uses); this module adds what only a server needs: the request as read from
the socket, running a WSGI app to completion, and FC's leniency about what
an FC 3.0 handler returns.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from fcsdk.exceptions import InvalidResponseError

__all__ = [
    "HTTPAnswer",
    "IncomingRequest",
    "call_wsgi",
    "http_event",
    "read_http_response",
    "wsgi_environ",
]

_FRAMING = frozenset({"transfer-encoding", "content-length", "connection", "expect"})


@dataclass(frozen=True, kw_only=True)
class IncomingRequest:
    """One HTTP request as the server read it; ``raw_path`` is past any proxy prefix."""

    method: str
    raw_path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    client_ip: str
    request_uri: str


@dataclass(frozen=True)
class HTTPAnswer:
    """What goes back to the client: status, headers (repeats allowed) and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


_environ_copy: list[tuple[dict[Any, Any], dict[str, str]]] = [({}, {})]


def _process_environ() -> dict[str, str]:
    """Return ``os.environ`` as a dict, decoded again only when the environment changed.

    FC 2.0 copies the process environment into every environ; decoding it
    anew per request was most of the time a hello request took.
    """
    raw = getattr(os.environ, "_data", None)
    if raw is None:  # pragma: no cover - every CPython has os.environ._data
        return dict(os.environ)
    seen, decoded = _environ_copy[0]
    if raw != seen:
        seen, decoded = dict(raw), dict(os.environ)
        _environ_copy[0] = (seen, decoded)
    return decoded


def _forwarded_headers(request: IncomingRequest) -> list[tuple[str, str]]:
    # The body is read whole before the function runs: framing headers do not pass on.
    return [(n, v) for n, v in request.headers if n.lower() not in _FRAMING]


def wsgi_environ(request: IncomingRequest, *, context: object) -> dict[str, Any]:
    """Return the PEP 3333 environ FC 2.0 builds for ``request``.

    ``PATH_INFO`` is the path past any proxy prefix, as on FC 2.0's
    endpoint; ``fc.request_uri`` is the full request URI the client sent.
    """
    from fcsdk._platform.http import wsgi_environ as build

    environ = build(
        request.method,
        request.raw_path,
        query=request.query,
        headers=_forwarded_headers(request),
        body=request.body,
        client_ip=request.client_ip,
        context=context,
        process_environ=_process_environ(),
    )
    environ["fc.request_uri"] = request.request_uri
    return environ


def call_wsgi(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> HTTPAnswer:
    """Run a WSGI app once and collect its answer (see :func:`fcsdk._platform.http.run_wsgi`).

    Raises:
        TypeError, ValueError: the app broke the WSGI protocol (the message says how).
        Exception: whatever the app raised.
    """
    from fcsdk._platform.http import run_wsgi

    return HTTPAnswer(*run_wsgi(app, environ))


def http_event(request: IncomingRequest, *, request_id: str, account_id: str) -> bytes:
    """Return the FC 3.0 HTTP-trigger event (JSON bytes) for ``request``."""
    from fcsdk._platform.http import fc3_http_event

    event = fc3_http_event(
        request.method,
        request.raw_path,
        query=request.query,
        headers=_forwarded_headers(request),
        body=request.body,
        client_ip=request.client_ip,
        request_id=request_id,
        account_id=account_id,
    )
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def read_http_response(payload: bytes) -> HTTPAnswer:
    """Turn what an FC 3.0 HTTP handler returned into the HTTP answer FC sends.

    A JSON object with ``statusCode`` is read as the response JSON (a header
    whose value is a list is sent once per item, how several ``Set-Cookie``
    go out); anything else is sent as the body of a 200, as FC does.

    Raises:
        InvalidResponseError: the status is out of range, or the base64 body
            is not base64 (a ``ValueError``).
        pydantic.ValidationError: the response JSON is not shaped as FC 3.0 expects.
    """
    from fcsdk._platform.http import read_fc3_response

    try:
        data = json.loads(payload)
    except ValueError:
        data = None
    if not (isinstance(data, dict) and "statusCode" in data):
        return HTTPAnswer(200, [("Content-Type", "application/json")], payload)
    status, headers, body = read_fc3_response(data)
    if not 100 <= status <= 599:
        raise InvalidResponseError(f"the response JSON's statusCode must be 100-599, got {status}")
    return HTTPAnswer(status, headers, body)
