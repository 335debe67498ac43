"""A bare WSGI function as the web function's app: it fails before or after its response starts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any


def app(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterator[bytes] | list[bytes]:
    path = environ["PATH_INFO"]
    if path == "/boom":
        raise ValueError("raw app failed")
    if path == "/cut":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _cut()
    if path == "/nothing":
        return []
    start_response(
        "201 Created", [("Content-Type", "text/plain"), ("X-Script", environ["SCRIPT_NAME"])]
    )
    return [b"made ", environ["REQUEST_METHOD"].encode()]


def _cut() -> Iterator[bytes]:
    yield b"partial"
    raise RuntimeError("stream broke")


STATE = {"closed": 0, "produced": 0}


class Endless:
    """A response that would go on for long; records being closed."""

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(100_000):
            STATE["produced"] += 1
            yield b"x" * 65536

    def close(self) -> None:
        STATE["closed"] += 1


def endless_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    path = environ["PATH_INFO"]
    if path == "/state":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(STATE).encode()]
    if path == "/echo-environ":
        start_response("200 OK", [("Content-Type", "application/json")])
        keys = ("HTTP_X_TAG", "HTTP_COOKIE", "CONTENT_LENGTH", "SCRIPT_NAME", "PATH_INFO")
        data = {key: environ.get(key) for key in keys}
        data["body"] = environ["wsgi.input"].read().decode()
        return [json.dumps(data).encode()]
    if path == "/early-body":
        return iter([b"body before start"])
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return Endless()
