"""Answers the server itself gives: whole responses and RFC 9457 problems naming the request id."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["send_problem", "send_whole"]

Send = Callable[[dict[str, Any]], Awaitable[None]]


async def send_whole(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    """Send a complete response in two messages."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode("ascii"))],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_problem(send: Send, status: int, title: str, detail: str, request_id: str) -> None:
    """Send a ``application/problem+json`` answer: what failed, and the request id to search for."""
    problem = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "request_id": request_id,
    }
    body = json.dumps(problem, ensure_ascii=False).encode("utf-8")
    await send_whole(send, status, [(b"content-type", b"application/problem+json")], body)
