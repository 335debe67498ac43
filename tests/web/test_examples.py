"""The HTTP examples under examples/ work as documented in every place."""

from __future__ import annotations

from typing import Any

import pytest

from fcsdk._runtime import load_handler
from fcsdk.testing import HTTPClient
from fcsdk.testing.http import Via

PLACES: list[Via] = ["wsgi", "fc3", "apigw"]


@pytest.fixture(params=PLACES)
def orders(request: pytest.FixtureRequest) -> HTTPClient:
    handler: Any = load_handler("index.handler", "examples/orders_api")
    return HTTPClient(handler, via=request.param)


class TestOrdersApi:
    def test_create_read_list_delete(self, orders: HTTPClient) -> None:
        """The order API's whole life cycle answers as documented."""
        created = orders.post("/orders", json={"item": "tea", "qty": 2})
        assert created.status_code == 201
        order = created.json()
        assert created.headers["location"] == f"/orders/{order['order_id']}"
        assert orders.get(f"/orders/{order['order_id']}").json() == order
        assert order in orders.get("/orders", params={"item": "tea"}).json()
        assert orders.delete(f"/orders/{order['order_id']}").status_code == 204
        assert orders.get(f"/orders/{order['order_id']}").status_code == 404
        assert orders.delete(f"/orders/{order['order_id']}").status_code == 404

    def test_errors(self, orders: HTTPClient) -> None:
        """Validation (422), malformed JSON (400), the custom 409, bad query (422)."""
        assert orders.post("/orders", json={"item": "", "qty": 0}).status_code == 422
        assert (
            orders.post(
                "/orders", body=b"{", headers={"Content-Type": "application/json"}
            ).status_code
            == 400
        )
        assert orders.post("/orders", json={"item": "unobtainium", "qty": 1}).status_code == 409
        assert orders.get("/orders?limit=many").status_code == 422
        assert orders.put("/orders").status_code == 405
