"""The FastAPI app both servers run in benchmarks/bench_web.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import StreamingResponse

app = FastAPI()


@app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}


@app.get("/wait")
async def wait() -> dict[str, bool]:
    await asyncio.sleep(0.5)
    return {"ok": True}


@app.get("/wait-sync")
def wait_sync() -> dict[str, bool]:
    time.sleep(0.5)
    return {"ok": True}


@app.get("/stream")
async def stream() -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first\n"
        await asyncio.sleep(0.3)
        yield b"last\n"

    return StreamingResponse(chunks(), media_type="text/plain")
