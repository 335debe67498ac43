"""An HTTP request as an FC HTTP trigger hands it to a function, and the answer back.

FC 2.0 calls the handler as a WSGI application with a PEP 3333 environ plus
FC's keys (``fc.context``, ``fc.request_uri``); FC 3.0 calls an event handler
with the HTTP-trigger event JSON and turns the response JSON it returns back
into HTTP. Both directions live here, on plain values, with no socket.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import io
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_to_bytes

__all__ = [
    "HTTPAnswer",
    "IncomingRequest",
    "call_wsgi",
    "http_event",
    "read_http_response",
    "wsgi_environ",
]


@dataclass(frozen=True, kw_only=True)
class IncomingRequest:
    """One HTTP request as the server read it; ``raw_path`` is past any proxy prefix."""

    method: str
    raw_path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes
    client_ip: str
    host: str
    request_uri: str

    def joined_headers(self) -> dict[str, str]:
        """Return the headers by canonical name, repeated ones joined with commas."""
        joined: dict[str, str] = {}
        for name, value in self.headers:
            key = "-".join(part.capitalize() for part in name.split("-"))
            joined[key] = f"{joined[key]},{value}" if key in joined else value
        return joined


@dataclass(frozen=True)
class HTTPAnswer:
    """What goes back to the client: status, headers (repeats allowed) and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def wsgi_environ(
    request: IncomingRequest, *, context: object, server_port: str = "9000"
) -> dict[str, Any]:
    """Return the PEP 3333 environ FC 2.0 builds for ``request``.

    A copy of the process environment comes first, as on FC, then the
    standard keys with FC's values, one ``HTTP_*`` key per header (repeats
    joined with commas), ``fc.context`` and ``fc.request_uri``.
    """
    environ: dict[str, Any] = dict(os.environ)
    content_type = "application/octet-stream"
    for name, value in request.joined_headers().items():
        upper = name.upper().replace("-", "_")
        if upper == "CONTENT_TYPE":
            content_type = value
        elif upper != "CONTENT_LENGTH":
            environ["HTTP_" + upper] = value
    environ.update(
        {
            "REQUEST_METHOD": request.method,
            "PATH_INFO": unquote_to_bytes(request.raw_path).decode("latin-1"),
            "QUERY_STRING": request.query,
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(request.body)),
            "SCRIPT_NAME": "",
            "SERVER_NAME": "FCRUNTIME",
            "SERVER_PORT": server_port,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": request.client_ip,
            "wsgi.version": (1, 0),
            "wsgi.input": io.BytesIO(request.body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "fc.context": context,
            "fc.request_uri": request.request_uri,
        }
    )
    return environ


def _status_code(status: object) -> int:
    if not isinstance(status, str):
        raise TypeError(f"start_response: status must be a str such as '200 OK', got {status!r}")
    word = status.split(" ", 1)[0]
    if not (word.isdigit() and len(word) == 3 and 100 <= int(word) <= 599):
        raise ValueError(f"start_response: status must start with a 3-digit code, got {status!r}")
    return int(word)


def _headers(headers: object) -> list[tuple[str, str]]:
    if not isinstance(headers, list):
        raise TypeError(f"start_response: headers must be a list of (name, value), got {headers!r}")
    for item in headers:
        if not (
            isinstance(item, tuple) and len(item) == 2 and all(isinstance(p, str) for p in item)
        ):
            raise TypeError(f"start_response: each header must be a (str, str) tuple, got {item!r}")
    return headers


def call_wsgi(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> HTTPAnswer:
    """Run a WSGI app once and collect its answer (``close()`` is called, per PEP 3333).

    Raises:
        TypeError, ValueError: the app broke the WSGI protocol (the message says how).
        Exception: whatever the app raised.
    """
    started: list[Any] = []
    chunks: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and started and chunks:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [_status_code(status), _headers(headers)]
        return write

    def write(data: bytes) -> None:
        if not isinstance(data, bytes):
            raise TypeError(f"WSGI write() needs bytes, got {type(data).__name__}")
        chunks.append(data)

    result = app(environ, start_response)
    try:
        for chunk in result:
            if not isinstance(chunk, bytes):
                raise TypeError(f"a WSGI app must yield bytes, got {type(chunk).__name__}")
            chunks.append(chunk)
    finally:
        close = getattr(result, "close", None)
        if callable(close):
            close()
    if not started:
        raise RuntimeError("the WSGI app returned without calling start_response")
    return HTTPAnswer(started[0], list(started[1]), b"".join(chunks))


def http_event(request: IncomingRequest, *, request_id: str, account_id: str) -> bytes:
    """Return the FC 3.0 HTTP-trigger event (JSON bytes) for ``request``."""
    query: dict[str, str] = {}
    for key, value in parse_qsl(request.query, keep_blank_values=True):
        query[key] = f"{query[key]},{value}" if key in query else value
    headers = request.joined_headers()
    now = time.time()
    domain = request.host.rsplit(":", 1)[0] if request.host else "127.0.0.1"
    event = {
        "version": "v1",
        "rawPath": request.raw_path,
        "headers": headers,
        "queryParameters": query,
        "body": base64.b64encode(request.body).decode("ascii") if request.body else "",
        "isBase64Encoded": bool(request.body),
        "requestContext": {
            "accountId": account_id,
            "domainName": domain,
            "domainPrefix": domain.split(".", 1)[0],
            "http": {
                "method": request.method,
                "path": unquote(request.raw_path),
                "protocol": "HTTP/1.1",
                "sourceIp": request.client_ip,
                "userAgent": headers.get("User-Agent", ""),
            },
            "requestId": request_id,
            "time": datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "timeEpoch": str(int(now * 1000)),
        },
    }
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def read_http_response(payload: bytes) -> HTTPAnswer:
    """Turn what an FC 3.0 HTTP handler returned into the HTTP answer FC sends.

    A JSON object with ``statusCode`` is read as the response JSON (a header
    whose value is a list is sent once per item, how several ``Set-Cookie``
    go out); anything else is sent as the body of a 200, as FC does.

    Raises:
        ValueError: the response JSON is malformed (bad status, headers or base64 body).
    """
    try:
        data = json.loads(payload)
    except ValueError:
        data = None
    if not (isinstance(data, dict) and "statusCode" in data):
        return HTTPAnswer(200, [("Content-Type", "application/json")], payload)
    raw_status = data["statusCode"]
    try:
        status = int(raw_status)
    except (TypeError, ValueError):
        status = 0
    if isinstance(raw_status, bool) or not 100 <= status <= 599:
        raise ValueError(f"the response JSON's statusCode must be 100-599, got {raw_status!r}")
    headers: list[tuple[str, str]] = []
    raw_headers = data.get("headers") or {}
    if not isinstance(raw_headers, dict):
        raise ValueError(f"the response JSON's headers must be an object, got {raw_headers!r}")
    for name, value in raw_headers.items():
        for item in value if isinstance(value, list) else [value]:
            headers.append((str(name), item if isinstance(item, str) else json.dumps(item)))
    body = data.get("body")
    if body is None:
        content = b""
    elif not isinstance(body, str):
        raise ValueError(f"the response JSON's body must be a string, got {type(body).__name__}")
    elif data.get("isBase64Encoded"):
        try:
            content = base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            raise ValueError(f"the response JSON's body is not valid base64: {exc}") from exc
    else:
        content = body.encode("utf-8")
    return HTTPAnswer(status, headers, content)
