"""Static checks of the web function server's public types (mypy runs this file)."""

from __future__ import annotations

from typing import Any

from typing_extensions import assert_type

import fcsdk as fc
from fcsdk.webfunction import HeaderContext, WebFunction, listen_port, load, serve
from fcsdk.webfunction.headers import read_headers


@fc.handler
def handler(event: dict[str, int], context: fc.FCContext) -> int:
    return len(event)


async def app(scope: Any, receive: Any, send: Any) -> None: ...


web = WebFunction(app, handler=handler, threads=8)
assert_type(web, WebFunction)
assert_type(load("index"), WebFunction)
assert_type(listen_port(), int)
assert_type(serve(web, port=9000), None)
context, headers = read_headers([(b"x-fc-request-id", b"r")])
assert_type(context, HeaderContext)
assert_type(context.request_id, str)
assert_type(fc.FCContext.from_runtime(context), fc.FCContext)
assert_type(headers, list[tuple[bytes, bytes]])
