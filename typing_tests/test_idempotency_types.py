"""Static checks of the idempotency types (mypy runs this file; nothing executes it)."""

from __future__ import annotations

from pydantic import BaseModel
from typing_extensions import assert_type

import fcsdk as fc
from fcsdk.handler import EventHandler
from fcsdk.idempotency import MemoryStore, RedisStore, aprocess_batch, process_batch

store = MemoryStore()
redis_store = RedisStore.from_url("redis://127.0.0.1:6379/0")


class Order(BaseModel):
    order_id: str


class Receipt(BaseModel):
    ok: bool


@fc.idempotent(store, key="order_id")
def charge(order: Order, *, retries: int = 1) -> Receipt:
    return Receipt(ok=True)


@fc.idempotent(redis_store, key=lambda o: o.order_id)
async def acharge(order: Order, context: fc.FCContext) -> Receipt:
    return Receipt(ok=True)


@fc.handler
@fc.idempotent(store, key="order_id")
def main(event: Order, context: fc.FCContext) -> Receipt:
    return Receipt(ok=True)


def check(context: fc.FCContext) -> None:
    # The decorator keeps the function's own signature, sync and async.
    assert_type(charge(Order(order_id="a"), retries=2), Receipt)
    assert_type(main, EventHandler[Order, Receipt])
    assert_type(process_batch(store, [1, 2], str, key=lambda n: n), list[str])

    async def double(n: int) -> int:
        return n * 2

    assert_type(process_batch(store, [1], double, key=lambda n: n), list[int])

    async def in_a_loop() -> None:
        assert_type(await acharge(Order(order_id="a"), context), Receipt)
        assert_type(await aprocess_batch(store, [1], double, key=lambda n: n), list[int])
