"""A FastAPI app whose lifespan startup fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import fcsdk as fc


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    if app.title:  # always: a startup that fails
        raise RuntimeError("database unreachable")
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"ok": True}


@fc.handler
def handler(event: dict[str, int]) -> int:
    return len(event)
