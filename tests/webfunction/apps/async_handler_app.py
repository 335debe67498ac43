"""An async typed handler next to a Starlette app: both run on the server's one loop."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import fcsdk as fc


async def loop_id(request: Request) -> JSONResponse:
    return JSONResponse({"loop": id(asyncio.get_running_loop())})


app = Starlette(routes=[Route("/loop", loop_id)])


@fc.initializer
async def init(context: fc.FCContext) -> None:
    print(f"ASYNC INITIALIZER {context.request_id} {id(asyncio.get_running_loop())}", flush=True)


@fc.handler
async def handler(event: dict[str, int], context: fc.FCContext) -> dict[str, int]:
    await asyncio.sleep(0)
    return {"total": sum(event.values()), "loop": id(asyncio.get_running_loop())}
