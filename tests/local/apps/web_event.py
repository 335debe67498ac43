"""An FC 3.0 HTTP-trigger handler for the serve tests: event JSON in, response JSON out."""

from __future__ import annotations

import base64
import json
from typing import Any


def handler(event: bytes, context: Any) -> Any:
    """Answer from the FC 3.0 HTTP event."""
    data = json.loads(event)
    path = data["rawPath"]
    body = base64.b64decode(data["body"]) if data.get("isBase64Encoded") else data["body"].encode()
    if path == "/echo":
        shown = dict(data)
        shown["decoded_body"] = body.decode("latin-1")
        shown["context_request_id"] = context.request_id
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(shown),
        }
    if path == "/login":
        return {
            "statusCode": 302,
            "headers": {"Location": "/home", "Set-Cookie": ["session=abc123; Path=/", "a=b"]},
            "body": "",
        }
    if path == "/home":
        return {"statusCode": 200, "body": data["headers"].get("Cookie", "")}
    if path == "/upload":
        return {
            "statusCode": 201,
            "headers": {"Content-Type": "application/octet-stream"},
            "isBase64Encoded": True,
            "body": base64.b64encode(body[::-1]).decode(),
        }
    if path == "/plain":
        return "just text, not a response object"
    if path == "/unsendable":
        return {1, 2, 3}
    if path == "/bad-status":
        return {"statusCode": "teapot", "body": ""}
    if path == "/crash":
        raise KeyError("missing")
    return {"statusCode": 404, "body": "no route " + path}
