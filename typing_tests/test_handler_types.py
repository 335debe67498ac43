"""Static checks of the public types (mypy runs this file; nothing executes it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from typing_extensions import assert_type

import fcsdk as fc
from fcsdk.handler import EventHandler


class Order(BaseModel):
    order_id: str


class Receipt(BaseModel):
    ok: bool


@fc.handler(event_model=Order)
def with_model(event: Order, context: fc.FCContext) -> Receipt:
    return Receipt(ok=True)


@fc.handler
def bare(event: Order, context: fc.FCContext) -> Receipt:
    return Receipt(ok=True)


@fc.handler(event_model=Order)
def no_context(event: Order) -> str:
    return event.order_id


@fc.handler(event_model=list[Order])
def batch(event: list[Order], context: fc.FCContext) -> int:
    return len(event)


@fc.handler(event_model=Order | Receipt)
def union(event: Order | Receipt, context: fc.FCContext) -> None:
    return None


@fc.initializer
def init(context: fc.FCContext) -> None:
    return None


def check() -> None:
    assert_type(with_model, EventHandler[Order, Receipt])
    assert_type(bare, EventHandler[Order, Receipt])
    assert_type(no_context, EventHandler[Order, str])
    assert_type(batch, EventHandler[list[Order], int])
    assert_type(union, EventHandler[Any, None])
    assert_type(with_model(b"{}", object()), bytes | str)
    assert_type(with_model('{"order_id": "a"}', None), bytes | str)
    assert_type(with_model({"order_id": "a"}, None), bytes | str)
    assert_type(with_model.__wrapped__, Callable[..., Receipt])  # the user's function, kept
    assert_type(init, fc.LifecycleHook)
    assert_type(init(object()), None)


# The undecorated signature is checked against event_model:
@fc.handler(event_model=Order)  # type: ignore[arg-type]
def wrong_event(event: Receipt, context: fc.FCContext) -> None:
    return None


# The decorated handler only accepts what the runtime can pass as the event:
with_model(42, None)  # type: ignore[arg-type]


# A hook must take the typed context:
@fc.initializer  # type: ignore[arg-type]
def bad_hook(context: int) -> None:
    return None
