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


@pytest.fixture(params=PLACES)
def notes(request: pytest.FixtureRequest) -> HTTPClient:
    handler: Any = load_handler("index.handler", "examples/notes_fastapi")
    return HTTPClient(handler, via=request.param)


class TestNotesFastAPI:
    def test_create_read_list(self, notes: HTTPClient) -> None:
        """The FastAPI notes example stores, lists and reads notes in every place."""
        created = notes.post("/notes", json={"text": "buy tea"})
        assert created.status_code == 201
        note = created.json()
        assert notes.get(f"/notes/{note['id']}").json() == note
        assert note in notes.get("/notes").json()

    def test_errors(self, notes: HTTPClient) -> None:
        """FastAPI's own 422 for a bad body, 404 for a missing note."""
        assert notes.post("/notes", json={"text": ""}).status_code == 422
        assert notes.get("/notes/99999").status_code == 404
