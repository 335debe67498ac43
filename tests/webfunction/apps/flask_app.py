"""A Flask web function: context from the environ, a streamed response, sync concurrency."""

from __future__ import annotations

import threading
from collections.abc import Iterator

from flask import Flask, Response, request

import fcsdk as fc

app = Flask(__name__)
RELEASE = threading.Event()
BARRIER = threading.Barrier(20, timeout=30)


@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": request.args.get("name", "world")}


@app.get("/ctx")
def ctx() -> dict[str, object]:
    context = fc.FCContext.from_runtime(request.environ["fc.context"])
    typed = request.environ["fcsdk.context"]
    fc.logger.info("flask marker %s", context.request_id)
    return {
        "request_id": context.request_id,
        "typed": typed.request_id,
        "memory": context.function.memory,
        "current": fc.logging.current_context().request_id,
        "fc_headers": sorted(
            k for k, _ in request.headers.items() if k.lower().startswith("x-fc-")
        ),
        "path": request.path,
        "query": request.query_string.decode(),
    }


@app.post("/echo")
def echo() -> Response:
    return Response(request.get_data(), content_type="application/octet-stream")


@app.get("/together")
def together() -> dict[str, int]:
    return {"index": BARRIER.wait()}


@app.get("/stream")
def stream() -> Response:
    def chunks() -> Iterator[bytes]:
        yield b"first;"
        if not RELEASE.wait(timeout=30):
            yield b"never-released"
            return
        yield b"second"

    return Response(chunks(), content_type="text/plain")


@app.get("/release")
def release() -> dict[str, bool]:
    RELEASE.set()
    return {"released": True}


@app.get("/boom")
def boom() -> str:
    raise ValueError("flask route failed")
