"""A bare WSGI function as the web function's app: it fails before or after its response starts."""

from __future__ import annotations

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
