"""A bare ASGI function without lifespan support, a plain async handler, odd hooks."""

from __future__ import annotations

import json
from typing import Any

import fcsdk as fc


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] in ("http", "websocket"), "no lifespan here"
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": scope["fc.context"].request_id})
        await send({"type": "websocket.close", "code": 1000})
        return
    body = json.dumps({"state": scope.get("state"), "path": scope["path"]}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


async def handler(event: bytes, context: Any) -> dict[str, Any]:
    fc.logger.info("plain async handler")
    return {"size": len(event), "request_id": context.request_id}


@fc.pre_freeze
def freeze(context: fc.FCContext) -> None:
    print(f"FREEZE {context.request_id}", flush=True)


@fc.pre_stop
def stop(context: fc.FCContext) -> None:
    raise OSError("flush failed")
