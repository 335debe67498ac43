"""Tests for async def under @fc.http and HTTPApp routes (fcsdk/web/adapter.py, routing.py)."""

from __future__ import annotations

import asyncio
import inspect
import logging

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.exceptions import ConfigurationError
from fcsdk.testing import HTTPClient, invoke
from fcsdk.testing.http import Via

PLACES: list[Via] = ["wsgi", "fc3", "apigw"]


@pytest.fixture(params=PLACES)
def via(request: pytest.FixtureRequest) -> Via:
    return request.param  # type: ignore[no-any-return]


@fc.http
async def hello(request: fc.Request) -> fc.Response:
    await asyncio.sleep(0)
    return fc.Response(f"Hello {request.query.get('name', 'world')}!", content_type="text/plain")


class NewOrder(BaseModel):
    item: str
    qty: int


class OutOfStock(Exception):
    pass


app = fc.HTTPApp()


@app.post("/orders")
async def create(body: NewOrder) -> dict[str, object]:
    await asyncio.sleep(0)
    return {"item": body.item, "qty": body.qty}


@app.get("/orders/{order_id:int}")
async def show(order_id: int, request: fc.Request) -> dict[str, object]:
    await asyncio.sleep(0)
    return {"id": order_id, "rid": request.request_id}


@app.get("/plain")
async def plain(request: fc.Request) -> str:
    return "plain"


@app.get("/stock")
async def stock() -> None:
    await asyncio.sleep(0)
    raise OutOfStock("tea")


@app.get("/gone")
async def gone() -> None:
    raise fc.NotFound("no such order")


@app.exception_handler(OutOfStock)
async def out_of_stock(request: fc.Request, exc: OutOfStock) -> tuple[dict[str, str], int]:
    await asyncio.sleep(0)
    return {"out_of_stock": str(exc)}, 409


class TestAsyncHttp:
    def test_async_http_handler_in_every_place(self, via: Via) -> None:
        """@fc.http on an async def answers in FC 2.0, FC 3.0 and API Gateway alike."""
        response = HTTPClient(hello, via=via).get("/", params={"name": "FC"})
        assert (response.status_code, response.text) == (200, "Hello FC!")

    def test_the_handler_is_not_a_coroutine_function(self) -> None:
        """The deployable object is sync; the user's coroutine function stays as __wrapped__."""
        assert not inspect.iscoroutinefunction(hello)
        assert inspect.iscoroutinefunction(hello.__wrapped__)

    def test_sync_http_returning_a_coroutine_is_a_logged_500(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A sync handler returning a coroutine answers 500 and the log says why."""

        async def real(request: fc.Request) -> str:
            return "never"

        def wrapper(request: fc.Request) -> object:
            return real(request)

        broken = fc.http(wrapper)
        with caplog.at_level(logging.ERROR, logger="fcsdk.web"):
            response = HTTPClient(broken, via="fc3").get("/")
        assert response.status_code == 500
        assert "without being `async def`" in caplog.text


class TestAsyncRoutes:
    def test_body_route(self, via: Via) -> None:
        """An async route with a JSON body model is bound and awaited."""
        response = HTTPClient(app, via=via).post("/orders", json={"item": "tea", "qty": 2})
        assert response.json() == {"item": "tea", "qty": 2}

    def test_validation_runs_before_the_coroutine(self, via: Via) -> None:
        """A bad body is a 422 from the binder, as for a sync route."""
        response = HTTPClient(app, via=via).post("/orders", json={"item": "tea", "qty": "x"})
        assert response.status_code == 422

    def test_path_parameter_and_request(self, via: Via) -> None:
        """Path parameters and the request reach an async endpoint."""
        client = HTTPClient(app, via=via)
        body = client.get("/orders/7").json()
        assert body["id"] == 7
        assert body["rid"]

    def test_request_only_route(self) -> None:
        """An async endpoint taking just the request is awaited too."""
        assert HTTPClient(app, via="fc3").get("/plain").text == "plain"

    def test_async_exception_handler(self, via: Via) -> None:
        """An exception raised in an async route reaches an async exception handler."""
        response = HTTPClient(app, via=via).get("/stock")
        assert (response.status_code, response.json()) == (409, {"out_of_stock": "tea"})

    def test_http_errors_from_async_routes(self, via: Via) -> None:
        """An HTTPError raised by an async route is its problem response."""
        assert HTTPClient(app, via=via).get("/gone").status_code == 404

    def test_routes_are_marked_at_registration(self) -> None:
        """The router knows which endpoints are async when they are registered."""
        assert {route.path: route.is_async for route in app.routes}["/orders"] is True


class TestBareAsyncRefused:
    def test_invoke_refuses_a_bare_async_function(self) -> None:
        """invoke() of an undecorated async def says to decorate it (FC would not await it)."""

        async def bare(event: bytes, context: object) -> bytes:
            return event

        with pytest.raises(ConfigurationError, match=r"Decorate it with @fc\.handler"):
            invoke(bare, b"x")

    def test_http_client_refuses_a_bare_async_function(self) -> None:
        """HTTPClient of an undecorated async def gives the same advice."""

        async def bare(environ: object, start_response: object) -> None:
            return None

        with pytest.raises(ConfigurationError, match=r"fc\.from_asgi"):
            HTTPClient(bare)
