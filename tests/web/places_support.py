"""Helpers for tests that read one request through a place, or encode one answer in it."""

from __future__ import annotations

from typing import Any

from fcsdk._platform.rules import MAX_SYNC_BODY_SIZE
from fcsdk.web import Request, Response
from fcsdk.web._types import MultiValueHeaders
from fcsdk.web.options import DEFAULT_TEXT_TYPES, HTTPOptions
from fcsdk.web.places import APIGatewayPlace, EventPlace, FC3Place, WSGIPlace, select_event_place


def event_request(
    event: object, context: object = None, *, max_body_size: int = MAX_SYNC_BODY_SIZE
) -> tuple[EventPlace, Request]:
    """The place an event selects and the request it builds."""
    place = select_event_place(event, context, HTTPOptions.of(max_body_size=max_body_size))
    return place, place.request


def environ_request(
    environ: dict[str, Any], *, max_body_size: int = MAX_SYNC_BODY_SIZE, strip_prefix: bool = True
) -> Request:
    """The request FC 2.0's place builds from ``environ``."""
    options = HTTPOptions.of(max_body_size=max_body_size, strip_prefix=strip_prefix)
    return WSGIPlace(environ, lambda *a: None, options).request


_EVENTS: dict[type[EventPlace], dict[str, Any]] = {
    FC3Place: {"requestContext": {"http": {"method": "GET"}}},
    APIGatewayPlace: {"httpMethod": "GET"},
}


def encode(
    place: type[EventPlace],
    response: Response,
    *,
    head: bool = False,
    text_types: tuple[str, ...] = DEFAULT_TEXT_TYPES,
    multi_value_headers: MultiValueHeaders = "list",
) -> bytes:
    """The answer JSON of ``response`` in ``place`` (errors raised, not turned into a 500)."""
    event = dict(_EVENTS[place])
    if head:
        event = (
            {"requestContext": {"http": {"method": "HEAD"}}}
            if place is FC3Place
            else {"httpMethod": "HEAD"}
        )
    options = HTTPOptions.of(text_types=text_types, multi_value_headers=multi_value_headers)
    return place.from_event(event, None, options).write(response)


def write_wsgi(response: Response, start_response: Any, *, head: bool = False) -> Any:
    """Send ``response`` through ``start_response`` as FC 2.0's place does."""
    from fcsdk.testing import wsgi_environ
    from fcsdk.web.options import DEFAULT_OPTIONS

    environ = wsgi_environ("HEAD" if head else "GET", process_environ={})
    return WSGIPlace(environ, start_response, DEFAULT_OPTIONS).write(response)
