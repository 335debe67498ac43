"""A FastAPI app behind fc.from_asgi for the serve tests: lifespan state, and a record of it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request

import fcsdk as fc

RECORD = Path(os.environ.get("ASGI_RECORD", os.devnull))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    if os.environ.get("ASGI_FAIL_STARTUP"):
        raise RuntimeError("cannot reach the database")
    with RECORD.open("a") as record:
        record.write("startup\n")
    yield {"started": "yes"}
    with RECORD.open("a") as record:
        record.write("shutdown\n")


app = FastAPI(lifespan=lifespan)


@app.get("/items/{item_id}")
async def read(item_id: int, request: Request) -> dict[str, Any]:
    return {"item_id": item_id, "started": request.state.started}


handler = fc.from_asgi(app)
