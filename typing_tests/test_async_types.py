"""Static checks of async def handlers' types (mypy runs this file; nothing executes it)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from pydantic import BaseModel
from typing_extensions import assert_type

import fcsdk as fc
from fcsdk.handler import EventHandler
from fcsdk.web import ASGIHandler, HTTPHandler


class Order(BaseModel):
    order_id: str


class Receipt(BaseModel):
    ok: bool


@fc.handler
async def bare(event: Order, context: fc.FCContext) -> Receipt:
    return Receipt(ok=True)


@fc.handler(event_model=Order)
async def with_model(event: Order, context: fc.FCContext) -> Receipt:
    return Receipt(ok=True)


@fc.handler(event_model=Order)
async def no_context(event: Order) -> str:
    return event.order_id


@fc.handler()
async def inferred(event: Order) -> int:
    return 1


@fc.http
async def hello(request: fc.Request) -> fc.Response:
    return fc.Response("hi")


@fc.http(max_body_size=1024)
async def small(request: fc.Request) -> dict[str, int]:
    return {"n": 1}


@fc.initializer
async def init(context: fc.FCContext) -> None:
    return None


app = fc.HTTPApp()


@app.get("/items/{item_id}")
async def item(item_id: int) -> dict[str, int]:
    return {"id": item_id}


async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
    return None


asgi = fc.from_asgi(asgi_app, lifespan="off", max_body_size=1024)


def check() -> None:
    assert_type(asgi, ASGIHandler)
    assert_type(asgi(b"{}", None), bytes)
    hook: Callable[[object], None] = asgi.initializer
    hook(None)
    # The awaited return type is what the handler encodes.
    assert_type(bare, EventHandler[Order, Receipt])
    assert_type(with_model, EventHandler[Order, Receipt])
    assert_type(no_context, EventHandler[Order, str])
    assert_type(inferred, EventHandler[Order, int])
    assert_type(bare(b"{}", None), bytes | str)
    assert_type(hello, HTTPHandler[fc.Response])
    assert_type(small, HTTPHandler[dict[str, int]])
    assert_type(init, fc.LifecycleHook)
    # Routes stay the user's own coroutine functions.
    coroutine = item(1)
    _ = assert_type(coroutine, Coroutine[Any, Any, dict[str, int]])
    coroutine.close()
