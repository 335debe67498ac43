"""What every HTTP place is: its input recognised, a :class:`Request` built, an answer encoded.

A place object lives for one request. It is made by :func:`select_place`
(the short loop over :data:`PLACES`) or by an app that already knows where
it runs, and is used in this order:

1. :attr:`Place.request` (or the neutral parts an adapter for another
   interface needs: :attr:`~Place.method`, :attr:`~Place.raw_path`,
   :attr:`~Place.root_path`, :attr:`~Place.raw_query`,
   :attr:`~Place.header_list`, :attr:`~Place.body`, :attr:`~Place.client`,
   :attr:`~Place.server`, :attr:`~Place.scheme`);
2. :meth:`Place.send` with a :class:`~fcsdk.web.response.Response`, or
   :meth:`Place.encode` with ``(status, header list, body bytes)``: the
   platform's output (the WSGI body iterable, or the response JSON).

Example:
    >>> from fcsdk.web.places import select_place
    >>> from fcsdk.web.options import DEFAULT_OPTIONS
    >>> place = select_place({"httpMethod": "GET", "path": "/hi"}, None, DEFAULT_OPTIONS)
    >>> type(place).__name__, place.method, place.raw_path
    ('APIGatewayPlace', 'GET', '/hi')
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar

from fcsdk.exceptions import HTTPError
from fcsdk.web._types import HeaderList
from fcsdk.web.options import HTTPOptions
from fcsdk.web.request import Request
from fcsdk.web.response import _STATUS_LINES, Response, error_response, internal_error_response

__all__ = ["Out_co", "Place"]

Out_co = TypeVar("Out_co", covariant=True)
"""What a place hands back to the platform: WSGI body chunks, or the response JSON bytes."""

logger = logging.getLogger("fcsdk.web")


class Place(ABC, Generic[Out_co]):
    """One of FC's HTTP places, for one request.

    Subclasses say how to recognise their input (:meth:`infer`), how to
    build the request (:meth:`build_request`) and how to encode an answer
    (:meth:`encode`).

    Attributes:
        context: the runtime's context object (``None`` when there is none).
        options: the app's :class:`~fcsdk.web.options.HTTPOptions`.
    """

    __slots__ = ("_request", "context", "options")

    label: ClassVar[str]
    """A human name of the place, for messages: ``"FC 2.0 (WSGI)"``."""

    def __init__(self, context: object, options: HTTPOptions) -> None:
        self.context = context
        self.options = options
        self._request: Request | None = None

    @classmethod
    @abstractmethod
    def infer(cls, incoming: object, context: object, /) -> bool:
        """Whether ``(incoming, context)`` is this place's input (a parsed event or an environ)."""

    @abstractmethod
    def build_request(self) -> Request:
        """Build the :class:`Request` of this input; nothing is parsed until it is read."""

    @abstractmethod
    def encode(self, status: int, headers: Sequence[tuple[str, str]], body: bytes) -> Out_co:
        """Encode a complete answer as the platform expects it.

        Raises:
            ResultEncodeError: a header would split the response, or the status is invalid.
        """

    # -- the request, and its neutral parts ----------------------------------------------

    @property
    def request(self) -> Request:
        """The request, built on first use with the app's limits."""
        request = self._request
        if request is None:
            request = self._request = self.build_request()
            request.limits = self.options.limits
        return request

    @property
    def method(self) -> str:
        """The request method, upper case."""
        return self.request.method

    @property
    def raw_path(self) -> str:
        """The percent-encoded path below :attr:`root_path`."""
        return self.request.raw_path

    @property
    def root_path(self) -> str:
        """The percent-encoded path in front of :attr:`raw_path` (FC 2.0's proxy prefix)."""
        return self.request.root_path

    @property
    def raw_query(self) -> bytes:
        """The query string as bytes, percent-encoded (rebuilt from the parameters of events)."""
        return self.request.query_string.encode("utf-8", "surrogateescape")

    @property
    def header_list(self) -> HeaderList:
        """The request's header fields in order.

        Raises:
            BadRequest: a header is malformed.
            RequestHeaderFieldsTooLarge: past ``limits.max_headers``.
        """
        return self.request.headers.multi_items()

    @property
    def body(self) -> bytes:
        """The body bytes.

        Raises:
            BadRequest: the body or its ``Content-Length`` is malformed.
            PayloadTooLarge: the body is over ``limits.max_body_size``.
        """
        return self.request.body

    @property
    def client(self) -> tuple[str, int] | None:
        """The client's ``(address, port)`` (port 0: FC does not say), or ``None``."""
        ip = self.request.client_ip
        return (ip, 0) if ip else None

    @property
    def server(self) -> tuple[str, int | None] | None:
        """The server's ``(host, port)`` as the client addressed it, or ``None``."""
        host = self.request.headers.get("host")
        if not host:
            return None
        name, colon, port = host.rpartition(":")
        if colon and port.isascii() and port.isdigit():  # "[::1]" has no port: "1]" is no number
            return name, int(port)
        return host, None

    @property
    def scheme(self) -> str:
        """``"https"`` or ``"http"``, as the client spoke to FC (``X-Forwarded-Proto``)."""
        proto = self.request.headers.get("x-forwarded-proto")
        if proto and proto.split(",", 1)[0].strip().lower() == "https":
            return "https"
        return "http"

    # -- the answer ---------------------------------------------------------------------

    def send(self, response: Response) -> Out_co:
        """Encode ``response`` (no body for ``HEAD``); a response that cannot be sent is a 500.

        The response's body is read to the end and its ``close()`` runs.
        """
        try:
            return self.write(response)
        except Exception:
            request = self.request
            logger.exception("cannot send the response of request %s", request.request_id)
            return self.write_failure(internal_error_response(request.request_id))

    def write(self, response: Response) -> Out_co:
        """Encode ``response``; the body of a streaming response is joined.

        Raises:
            ResultEncodeError: a header would split the response, or the status is invalid.
        """
        if response.status not in _STATUS_LINES:
            _ = response.status_line  # validates the status
        head = (self._request or self.request).method == "HEAD"
        if type(response).iter_body is Response.iter_body:  # complete: nothing to close
            body = b"" if head else response.body
        else:
            try:
                body = b"" if head else b"".join(response.iter_body())
            finally:
                response.close()
        return self.encode(response.status, response.headers._items, body)

    def write_failure(self, response: Response) -> Out_co:
        """Encode the 500 sent when the first answer could not be encoded."""
        return self.write(response)

    def refuse(self, exc: HTTPError) -> Out_co:
        """Answer with the problem response of ``exc`` (a 4xx the request earned)."""
        return self.send(error_response(exc))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label}>"
