"""An ``@fc.http`` handler as the web function's app, with a plain event handler beside it."""

from __future__ import annotations

import json

import fcsdk as fc


@fc.http
def app(request: fc.Request) -> fc.Response:
    return fc.JSONResponse(
        {"path": request.path, "request_id": request.request_id, "name": request.query.get("name")}
    )


def handler(event: bytes, context: object) -> str:
    data = json.loads(event)
    return json.dumps({"echo": data, "request_id": getattr(context, "request_id", None)})
