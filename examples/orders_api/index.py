"""A typed order API on ``fc.HTTPApp``: one module, deployable on FC 2.0, FC 3.0 and API Gateway.

Handler: ``index.handler``. Orders live in memory (one instance's worth),
which is enough to show routing, typed path parameters, validated JSON
bodies, query parameters, error handlers and model responses.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

from pydantic import BaseModel, Field

import fcsdk as fc


class NewOrder(BaseModel):
    """What a client posts to create an order."""

    item: str = Field(min_length=1, max_length=100)
    qty: int = Field(gt=0, le=1000)


class Order(NewOrder):
    """A stored order."""

    order_id: int
    created_at: datetime


class OutOfStock(Exception):
    """The warehouse cannot serve the order."""


app = fc.HTTPApp()
_orders: dict[int, Order] = {}
_ids = itertools.count(1)


@app.get("/orders")
def list_orders(limit: int = 20, item: str | None = None) -> list[Order]:
    """List orders, optionally only those of one item."""
    found = [o for o in _orders.values() if item is None or o.item == item]
    return found[:limit]


@app.post("/orders")
def create_order(request: fc.Request, body: NewOrder) -> fc.Response:
    """Create an order; 201 with its Location."""
    if body.item == "unobtainium":
        raise OutOfStock(body.item)
    order = Order(order_id=next(_ids), created_at=datetime.now(timezone.utc), **body.model_dump())
    _orders[order.order_id] = order
    location = f"{request.root_path}/orders/{order.order_id}"
    return fc.JSONResponse(order, status=201, headers={"Location": location})


@app.get("/orders/{order_id:int}")
def get_order(order_id: int) -> Order:
    """One order, or 404."""
    order = _orders.get(order_id)
    if order is None:
        raise fc.NotFound(f"no order {order_id}")
    return order


@app.delete("/orders/{order_id:int}")
def delete_order(order_id: int) -> None:
    """Delete an order (204), or 404."""
    if _orders.pop(order_id, None) is None:
        raise fc.NotFound(f"no order {order_id}")


@app.exception_handler(OutOfStock)
def out_of_stock(request: fc.Request, exc: OutOfStock) -> tuple[dict[str, str], int]:
    """Answer 409 when an item cannot be ordered."""
    return {"error": f"{exc} is out of stock"}, 409


handler = app
