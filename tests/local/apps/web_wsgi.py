"""A raw FC 2.0 WSGI handler for the serve tests: it shows what it was given."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

StartResponse = Callable[..., Any]
_state = {"active": 0, "peak": 0}
_lock = threading.Lock()


def _json(start_response: StartResponse, data: object, status: str = "200 OK") -> list[bytes]:
    start_response(status, [("Content-Type", "application/json")])
    return [json.dumps(data).encode()]


def handler(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Route on PATH_INFO like a small WSGI app."""
    path = environ["PATH_INFO"]
    query = parse_qs(environ["QUERY_STRING"])
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    context = environ["fc.context"]
    logging.getLogger("app").info("serving %s", path)
    if path == "/echo":
        keys = ["REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH"]
        keys += ["SCRIPT_NAME", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR"]
        keys += ["wsgi.url_scheme", "wsgi.multithread", "fc.request_uri"]
        data = {key: environ.get(key) for key in keys}
        data["headers"] = {k: v for k, v in environ.items() if k.startswith("HTTP_")}
        data["body"] = body.decode("latin-1")
        data["request_id"] = context.request_id
        data["env_in_environ"] = environ.get("FC_FUNCTION_NAME")
        data["env"] = {k: v for k, v in os.environ.items() if k.startswith(("FC_", "MY_"))}
        return _json(start_response, data)
    if path == "/login":
        start_response(
            "302 Found",
            [
                ("Location", "/home"),
                ("Set-Cookie", "session=abc123; Path=/; HttpOnly"),
                ("Set-Cookie", "theme=dark; Path=/"),
            ],
        )
        return [b""]
    if path == "/home":
        return _json(start_response, {"cookie": environ.get("HTTP_COOKIE", "")})
    if path == "/upload":
        digest = hashlib.sha256(body).hexdigest()
        start_response(
            "200 OK", [("Content-Type", "application/octet-stream"), ("X-Sha256", digest)]
        )
        return [body[::-1]]
    if path == "/sleep":
        seconds = float(query.get("s", ["0.2"])[0])
        with _lock:
            _state["active"] += 1
            _state["peak"] = max(_state["peak"], _state["active"])
        try:
            time.sleep(seconds)
        finally:
            with _lock:
                _state["active"] -= 1
        return _json(start_response, {"request_id": context.request_id, "peak": _state["peak"]})
    if path == "/crash":
        raise ZeroDivisionError("division by zero in /crash")
    if path == "/bad-header":
        start_response("200 OK", [("X-Bad", "a\r\nInjected: yes")])
        return [b"never sent"]
    if path == "/no-start":
        return [b"forgot start_response"]
    if path == "/big":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [b"x" * (6 * 1024 * 1024 + 1)]
    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"written, ")
        return iter([b"then ", b"iterated"])
    return _json(start_response, {"error": "no route", "path": path}, "404 Not Found")
