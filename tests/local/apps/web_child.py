"""A stand-in web function server for the tests of a local web function's run.

Started as a startup command (``python3 web_child.py``), it serves on
``FC_CUSTOM_LISTEN_PORT`` with uvicorn and appends what it receives, one JSON
object a line, to the file ``WEB_CHILD_RECORD`` names: its start (pid and
environment), ``/initialize``, ``/pre-stop``, ``/invoke`` and every other
request with its headers. ``/stream`` sends a first chunk, then its second
only after ``POST /release``; ``/ws`` echoes WebSocket messages.
``WEB_CHILD_MODE`` (or the file ``mode.txt`` beside this script): ``crash``
exits at once with code 3, ``silent`` never listens, ``badinit`` answers
``/initialize`` with 500, ``initexit`` ends the process on ``/initialize``,
``fail`` answers ``/invoke`` with 500 and FC's error shape, ``invokeexit``
ends the process on ``/invoke``, ``badstop`` answers ``/pre-stop`` with 500,
``stubborn`` ignores SIGTERM. ``/hang`` never answers; ``/ws-refuse`` refuses
the WebSocket handshake.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from typing import Any

_MODE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mode.txt")
MODE = os.environ.get("WEB_CHILD_MODE", "")
if os.path.exists(_MODE_FILE):
    with open(_MODE_FILE, encoding="utf-8") as _mode:
        MODE = _mode.read().strip()
RECORD = os.environ.get("WEB_CHILD_RECORD")


def record(kind: str, **fields: Any) -> None:
    if RECORD:
        with open(RECORD, "a", encoding="utf-8") as sink:
            sink.write(json.dumps({"kind": kind, **fields}) + "\n")


_release = asyncio.Event()


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Any, status: int, payload: Any, content_type: bytes) -> None:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = [(b"content-type", content_type)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    path = scope["path"]
    if scope["type"] == "websocket":
        await receive()
        if path == "/ws-refuse":
            await send({"type": "websocket.close", "code": 1008})
            return
        record("websocket", path=path, headers=headers)
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") == "close":
                await send({"type": "websocket.close", "code": 4001})
                return
            if message.get("text") is not None:
                await send({"type": "websocket.send", "text": "echo:" + message["text"]})
            else:
                await send({"type": "websocket.send", "bytes": b"echo:" + message["bytes"]})
    body = await _body(receive)
    method = scope["method"]
    if path == "/initialize" and method == "POST":
        record("initialize", headers=headers)
        if MODE == "initexit":
            os._exit(4)
        await _answer(send, 500 if MODE == "badinit" else 200, b"", b"text/plain")
        return
    if path == "/pre-stop" and method == "GET":
        record("pre-stop", headers=headers)
        await _answer(send, 500 if MODE == "badstop" else 200, b"", b"text/plain")
        return
    if path == "/invoke" and method == "POST":
        record("invoke", headers=headers, body=body.decode())
        if MODE == "invokeexit":
            os._exit(5)
        if MODE == "fail":
            error = {"errorMessage": "boom", "errorType": "ValueError"}
            await _answer(send, 500, error, b"application/json")
            return
        answer = {"event": body.decode(), "request_id": headers.get("x-fc-request-id")}
        await _answer(send, 200, answer, b"application/json")
        return
    if path == "/hang":
        await asyncio.Event().wait()
    if path == "/release":
        _release.set()
        await _answer(send, 200, b"released", b"text/plain")
        return
    if path == "/stream":
        plain = [(b"content-type", b"text/plain")]
        await send({"type": "http.response.start", "status": 200, "headers": plain})
        await send({"type": "http.response.body", "body": b"chunk-1\n", "more_body": True})
        await _release.wait()
        _release.clear()
        await send({"type": "http.response.body", "body": b"chunk-2\n", "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    record("request", method=method, path=path, headers=headers, body=body.decode())
    answer = {
        "method": method,
        "path": path,
        "query": scope["query_string"].decode(),
        "body": body.decode(),
        "headers": headers,
    }
    await _answer(send, 200, answer, b"application/json")


def main() -> None:
    env = {k: v for k, v in os.environ.items() if k.startswith(("FC_", "ALIBABA_", "FCSDK_"))}
    record("start", pid=os.getpid(), env=env, argv=sys.argv[1:], cwd=os.getcwd())
    if MODE == "crash":
        sys.exit(3)
    if MODE == "stubborn":  # a plain server: uvicorn would install its own SIGTERM handler
        import http.server

        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        address = ("127.0.0.1", int(os.environ["FC_CUSTOM_LISTEN_PORT"]))
        http.server.HTTPServer(address, http.server.BaseHTTPRequestHandler).serve_forever()
    if MODE == "silent":
        while True:  # never listens: the runner must give up on its own
            time.sleep(1)
    import uvicorn

    port = int(os.environ["FC_CUSTOM_LISTEN_PORT"])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()
