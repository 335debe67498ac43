"""FC's three HTTP places, one class each, and the loop that picks one for a call.

* :class:`~fcsdk.web.places.wsgi.WSGIPlace`: FC 2.0, ``handler(environ, start_response)``;
* :class:`~fcsdk.web.places.event.FC3Place`: FC 3.0, ``handler(event, context)``
  with an HTTP trigger event;
* :class:`~fcsdk.web.places.event.APIGatewayPlace`: ``handler(event, context)``
  with an API Gateway event.

Each recognises its input (``infer``), builds the :class:`~fcsdk.Request`
and the neutral request parts an adapter for another interface needs, and
encodes an answer (:class:`~fcsdk.web.places.base.Place`). The apps
(``@fc.http``, ``fc.HTTPApp``, ``fc.from_wsgi``) run over them.

Example:
    >>> from fcsdk.web.options import DEFAULT_OPTIONS
    >>> type(select_place(b'{"requestContext": {"http": {}}}', None, DEFAULT_OPTIONS)).__name__
    'FC3Place'
"""

from __future__ import annotations

from typing import cast

from fcsdk.exceptions import EventDecodeError
from fcsdk.web._types import StartResponse, WSGIEnvironment
from fcsdk.web.options import HTTPOptions
from fcsdk.web.places.base import Place
from fcsdk.web.places.event import (
    NOT_HTTP,
    APIGatewayPlace,
    EventPlace,
    FC3Place,
    is_text_response,
    parse_event,
)
from fcsdk.web.places.wsgi import SelfClosingIterable, WSGIPlace, environ_from_request, is_wsgi_call

__all__ = [
    "EVENT_PLACES",
    "APIGatewayPlace",
    "EventPlace",
    "FC3Place",
    "Place",
    "SelfClosingIterable",
    "WSGIPlace",
    "environ_from_request",
    "is_text_response",
    "is_wsgi_call",
    "select_event_place",
    "select_place",
]

EVENT_PLACES: tuple[type[EventPlace], ...] = (FC3Place, APIGatewayPlace)
"""The places that call with ``(event, context)``, tried in this order."""


def select_event_place(event: object, context: object, options: HTTPOptions) -> EventPlace:
    """The place of an ``(event, context)`` call; ``event`` may be JSON bytes/str or a dict.

    Raises:
        EventDecodeError: the event is not an HTTP event of any place.
    """
    data = parse_event(event)
    raw = data if isinstance(event, dict) else event  # a dict's plain copy is read as a dict
    rc = data.get("requestContext")
    if type(rc) is dict and "http" in rc:  # FC3Place.infer, inlined: the most common place
        return FC3Place(data, context, options, raw)
    for place in EVENT_PLACES:
        if place.infer(data, context):
            return place(data, context, options, raw)
    raise EventDecodeError(NOT_HTTP, raw=event)


def select_place(first: object, second: object, options: HTTPOptions) -> Place[object]:
    """The place of a call ``handler(first, second)``: WSGI, else an event place.

    Raises:
        EventDecodeError: neither a WSGI call nor an HTTP event.
    """
    if WSGIPlace.infer(first, second):
        return WSGIPlace(cast("WSGIEnvironment", first), cast("StartResponse", second), options)
    return select_event_place(first, second, options)
