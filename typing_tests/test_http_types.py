"""Static checks of the HTTP types (mypy runs this file; nothing executes it)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel
from typing_extensions import assert_type

import fcsdk as fc
from fcsdk.testing import HTTPClient, HTTPResponse
from fcsdk.web.adapter import HTTPHandler
from fcsdk.web.wsgi_app import WSGIHandler


class Order(BaseModel):
    order_id: int


@fc.http
def hello(request: fc.Request) -> fc.Response:
    return fc.Response("hi", content_type="text/plain")


@fc.http(max_body_size=1024)
def limited(request: fc.Request) -> dict[str, int]:
    return {"n": len(request.body)}


assert_type(hello, HTTPHandler[fc.Response])
assert_type(limited, HTTPHandler[dict[str, int]])
assert_type(hello.__wrapped__(fc.Request()), fc.Response)


def start_response(
    status: str, headers: list[tuple[str, str]], exc_info: object = None
) -> Callable[[bytes], object]:
    return print


assert_type(hello({"REQUEST_METHOD": "GET"}, start_response), Iterable[bytes])
assert_type(hello(b"{}", object()), bytes)
assert_type(hello.handle(fc.Request()), fc.Response)

app = fc.HTTPApp()


@app.get("/orders/{order_id}")
def get_order(request: fc.Request, order_id: int) -> Order:
    return Order(order_id=order_id)


# Route decorators keep the function's own signature.
same_signature: Callable[[fc.Request, int], Order] = get_order
assert_type(get_order(fc.Request(), 1), Order)
assert_type(app(b"{}", None), bytes)


def wsgi_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    return [b""]


assert_type(fc.from_wsgi(wsgi_app), WSGIHandler)
assert_type(HTTPClient(app, via="fc3").get("/"), HTTPResponse)
assert_type(fc.Request().query.getall("a"), list[str])
assert_type(fc.Request().headers.get("a"), str | None)
assert_type(fc.Request().headers.get("a", ""), str)
assert_type(fc.Request().model(Order), Order)
