"""A FastAPI web function: lifespan, async and sync routes, streaming, WebSocket, typed handler."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

import fcsdk as fc

COUNTS = {"startup": 0, "initializer": 0}
ARRIVED: list[int] = []
WAKE: dict[str, asyncio.Event] = {}
SYNC_BARRIER = threading.Barrier(20, timeout=30)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, object]]:
    COUNTS["startup"] += 1
    fc.logger.info("lifespan starting")
    await asyncio.sleep(0.05)  # concurrent first requests arrive while startup runs
    yield {"loop": id(asyncio.get_running_loop())}
    print("LIFESPAN STOP", flush=True)
    fc.logger.info("lifespan stopping")


app = FastAPI(lifespan=lifespan)


@fc.initializer
def init(context: fc.FCContext) -> None:
    COUNTS["initializer"] += 1
    print(f"INITIALIZER {context.request_id}", flush=True)


@fc.pre_stop
def stop(context: fc.FCContext) -> None:
    print(f"PRESTOP {context.request_id}", flush=True)


@app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}


@app.get("/say/{word}")
async def say(word: str) -> dict[str, str]:
    """Prints without flushing: the server's stdout is line-buffered."""
    print(f"SAID {word}")
    return {"said": word}


@app.get("/counts")
async def counts() -> dict[str, int]:
    return COUNTS


@app.get("/ctx")
async def ctx(request: Request) -> dict[str, object]:
    context = fc.FCContext.from_runtime(request.scope["fc.context"])
    credentials = context.credentials
    return {
        "request_id": context.request_id,
        "function": context.function_name,
        "memory": context.function.memory,
        "timeout": context.function.timeout,
        "region": context.region,
        "account_id": context.account_id,
        "key_id": credentials.access_key_id if credentials else None,
        "current": fc.logging.current_context().request_id,
        "fc_headers": sorted(name for name in request.headers if name.startswith("x-fc-")),
        "same_loop": request.state.loop == id(asyncio.get_running_loop()),
    }


@app.get("/oss")
async def oss(request: Request) -> dict[str, str]:
    context = fc.FCContext.from_runtime(request.scope["fc.context"])
    try:
        context.oss_bucket("uploads")
    except fc.FCSDKError as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"error": ""}


@app.put("/files/{key}")
def put_file(key: str, request: Request) -> dict[str, str]:
    """A sync route: oss2 blocks, so it runs in the thread pool."""
    context = fc.FCContext.from_runtime(request.scope["fc.context"])
    body = b"uploaded by " + context.request_id.encode()
    context.oss_bucket("uploads", auth_version="v1").put_object(key, body)
    return {"stored": key}


@app.get("/log")
async def log(request: Request) -> dict[str, str]:
    context = fc.FCContext.from_runtime(request.scope["fc.context"])
    await asyncio.sleep(0.01)  # other requests' records interleave with this one's
    fc.logger.info("marker %s", context.request_id)
    if context.credentials is not None:
        secret = context.credentials.access_key_secret.get_secret_value()
        fc.logger.info("the secret is %s", secret)
    return {"logged": context.request_id}


@app.get("/gather/{count}")
async def gather(count: int) -> dict[str, int]:
    """Answers once ``count`` requests are in at once: only concurrent requests all answer."""
    event = WAKE.setdefault(f"gather{count}", asyncio.Event())
    ARRIVED.append(count)
    if ARRIVED.count(count) >= count:
        event.set()
    await asyncio.wait_for(event.wait(), timeout=30)
    return {"together": count}


@app.get("/sync-gather")
def sync_gather() -> dict[str, int]:
    """A sync route: 20 of them meet at a barrier, so they must run in 20 threads at once."""
    return {"index": SYNC_BARRIER.wait()}


@app.get("/stream")
async def stream() -> StreamingResponse:
    release = WAKE.setdefault("stream", asyncio.Event())

    async def chunks() -> AsyncIterator[bytes]:
        yield b"first;"
        try:
            await asyncio.wait_for(release.wait(), timeout=30)
        except TimeoutError:
            yield b"never-released"
            return
        yield b"second"

    return StreamingResponse(chunks(), media_type="text/plain")


@app.get("/release")
async def release() -> dict[str, bool]:
    WAKE.setdefault("stream", asyncio.Event()).set()
    return {"released": True}


@app.post("/invoke")
async def app_invoke() -> dict[str, str]:
    return {"from": "app"}


@app.websocket("/ws")
async def ws(websocket: WebSocket) -> None:
    context = fc.FCContext.from_runtime(websocket.scope["fc.context"])
    await websocket.accept()
    while True:
        text = await websocket.receive_text()
        if text == "bye":
            await websocket.close()
            return
        await websocket.send_text(f"{text} from {context.request_id}")


class Order(BaseModel):
    item: str
    qty: int


@fc.handler
def handler(event: Order, context: fc.FCContext) -> dict[str, object]:
    if event.item == "explode":
        secret = (
            context.credentials.access_key_secret.get_secret_value() if context.credentials else ""
        )
        raise RuntimeError(f"cannot ship with key {secret}")
    fc.logger.info("shipping %s", event.qty)
    return {"item": event.item, "qty": event.qty, "request_id": context.request_id}
