"""``@fc.http``: one request handler, deployable unchanged in all three of FC's HTTP places.

The decorated object tells the places apart by what it is given:

* ``handler(environ, start_response)``: FC 2.0's WSGI call;
* ``handler(event, context)`` with an FC 3.0 HTTP trigger event: answers the
  ``statusCode/headers/body/isBase64Encoded`` JSON;
* ``handler(event, context)`` with an API Gateway event: answers API Gateway's JSON.

Anything else raises :class:`~fcsdk.EventDecodeError`. Each place is a class
of :mod:`fcsdk.web.places`; whatever the place, the user's function gets the
:class:`Request`, the return value becomes a :class:`Response` (:func:`~fcsdk.web.response.to_response`),
an :class:`~fcsdk.HTTPError` becomes its status with a JSON problem body, and
any other exception a 500 whose body carries the request id (the traceback
goes to the log only).

Example:
    >>> import fcsdk as fc
    >>> @fc.http
    ... def hello(request: fc.Request) -> fc.Response:
    ...     return fc.Response(f"Hello {request.query.get('name', 'world')}!", content_type="text/plain")
    >>> from fcsdk.testing import HTTPClient
    >>> HTTPClient(hello, via="fc3").get("/", params={"name": "FC"}).text
    'Hello FC!'
"""  # noqa: E501

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from fcsdk._invocation import TRACE, enter, leave
from fcsdk._invocation import current as _current
from fcsdk._lazy import deprecated_aliases
from fcsdk.exceptions import HTTPError
from fcsdk.handler import is_async_callable, run_sync
from fcsdk.web._types import MultiValueHeaders, StartResponse, WSGIEnvironment
from fcsdk.web.limits import Limits
from fcsdk.web.options import HTTPOptions
from fcsdk.web.places import EventPlace, Place, WSGIPlace, is_wsgi_call, select_event_place
from fcsdk.web.request import Request
from fcsdk.web.response import Response, error_response, internal_error_response, to_response

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from fcsdk.web.options import HTTPOptionArgs

__all__ = [
    "HTTPHandler",
    "PlaceApp",
    "error_response",
    "http",
    "internal_error_response",
    "invocation_of",
    "is_wsgi_call",
]

R = TypeVar("R")
T = TypeVar("T")

logger = logging.getLogger("fcsdk.web")


def invocation_of(request: Request) -> object:
    """What to mark as the current invocation for ``request`` (see :mod:`fcsdk.logging`).

    The runtime's context when it has a request id, else the request itself
    (whose ``request_id`` falls back to the event's and the header's).
    """
    raw = request.raw_context
    if raw is not None and (getattr(raw, "request_id", None) or getattr(raw, "requestId", None)):
        return raw
    return request


class PlaceApp(ABC):
    """What every deployable HTTP object shares: its options, and a call served by its place.

    A call ``app(environ, start_response)`` is served by :meth:`serve_wsgi`
    over a :class:`~fcsdk.web.places.WSGIPlace`; ``app(event, context)`` by
    :meth:`serve_event` over the event place that recognises the event.

    Args:
        options: see :class:`~fcsdk.web.options.HTTPOptions`; ``max_body_size=``
            sets ``limits.max_body_size``.
    """

    options: HTTPOptions

    def __init__(self, **options: Unpack[HTTPOptionArgs]) -> None:
        self.options = HTTPOptions.of(**options)

    @property
    def max_body_size(self) -> int:
        """The largest body accepted (413 above it): ``limits.max_body_size``."""
        return self.options.limits.max_body_size

    @property
    def strip_prefix(self) -> bool:
        """Whether FC 2.0's proxy prefix moves out of the path (see :class:`HTTPOptions`)."""
        return self.options.strip_prefix

    @property
    def text_types(self) -> tuple[str, ...]:
        """Content types answered as text on FC 3.0 / API Gateway."""
        return self.options.text_types

    @property
    def multi_value_headers(self) -> MultiValueHeaders:
        """How FC 3.0 / API Gateway answers carry a repeated header."""
        return self.options.multi_value_headers

    @property
    def limits(self) -> Limits:
        """The request limits (see :class:`~fcsdk.web.limits.Limits`)."""
        return self.options.limits

    @overload
    def __call__(  # type: ignore[overload-overlap]  # an environ is a dict too
        self, environ: WSGIEnvironment, start_response: StartResponse, /
    ) -> Iterable[bytes]: ...
    @overload
    def __call__(self, event: bytes | str | bytearray, context: object = None, /) -> bytes: ...
    @overload
    def __call__(self, event: dict[str, Any], context: object = None, /) -> bytes: ...
    def __call__(self, first: Any, second: Any = None, /) -> Any:
        """Run as a WSGI app or as an event handler, as the arguments say."""
        if type(first) is dict and "REQUEST_METHOD" in first and callable(second):  # is_wsgi_call
            return self.serve_wsgi(WSGIPlace(first, second, self.options))
        return self.serve_event(select_event_place(first, second, self.options))

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one FC 2.0 (WSGI) request."""
        return self.serve_wsgi(WSGIPlace(environ, start_response, self.options))

    def event(self, event: object, context: object = None) -> bytes:
        """Serve one FC 3.0 or API Gateway request; return the response JSON.

        Raises:
            EventDecodeError: the event is not an HTTP event.
        """
        return self.serve_event(select_event_place(event, context, self.options))

    @abstractmethod
    def serve_wsgi(self, place: WSGIPlace) -> Iterable[bytes]:
        """Serve one request of FC 2.0."""

    @abstractmethod
    def serve_event(self, place: EventPlace) -> bytes:
        """Serve one request of FC 3.0 or API Gateway."""


class HTTPHandler(PlaceApp, Generic[R]):
    """A request handler made deployable: what ``@fc.http`` returns.

    The user's function stays available as ``__wrapped__``; :meth:`handle`
    runs one :class:`Request` through it and returns the :class:`Response`.
    """

    __name__: str
    __qualname__: str

    def __init__(self, func: Callable[[Request], R], **options: Unpack[HTTPOptionArgs]) -> None:
        super().__init__(**options)
        self.__wrapped__ = func
        # An async def function runs on the instance's shared loop (fcsdk._aio).
        self._call = run_sync(func) if is_async_callable(func) else func  # type: ignore[arg-type]
        # What handle() calls: the function itself unless a subclass changes endpoint().
        self._endpoint = (
            self._call if type(self).endpoint is HTTPHandler.endpoint else self.endpoint
        )
        for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
            value = getattr(func, attribute, None)
            if value is not None:
                setattr(self, attribute, value)

    def endpoint(self, request: Request) -> object:
        """Produce the handler's result for ``request`` (the user's function, called directly)."""
        return self._call(request)

    def handle_exception(self, request: Request, exc: Exception) -> Response | None:
        """Turn an exception into a response, or return ``None`` to let it be a 500."""
        if isinstance(exc, HTTPError):
            return error_response(exc)
        return None

    def handle(self, request: Request) -> Response:
        """Run ``request`` through the handler and return the response; never raises.

        The request is the current invocation for ``fc.logger`` meanwhile.
        """
        raw = request.raw_context  # invocation_of(request), inlined: the hot path
        if raw is not None and (
            getattr(raw, "request_id", None) or getattr(raw, "requestId", None)
        ):
            token = enter(raw)
        else:
            token = enter(request)
        try:
            if TRACE[0] is not None:
                return self._traced(TRACE[0], request)
            result = self._endpoint(request)
            return result if isinstance(result, Response) else to_response(result)
        except Exception as exc:
            return self._failed(request, exc)
        finally:
            leave(token)

    def _failed(self, request: Request, exc: Exception) -> Response:
        """The answer to an exception of the endpoint: :meth:`handle_exception`'s, else a 500."""
        try:
            response = self.handle_exception(request, exc)
        except Exception:
            logger.exception("an exception handler failed on request %s", request.request_id)
            response = None
        if response is not None:
            return response
        logger.exception("unhandled %s in request %s", type(exc).__name__, request.request_id)
        return internal_error_response(request.request_id)

    def _traced(self, tracer: Any, request: Request) -> Response:
        """:meth:`handle`'s work inside the invocation span (see :mod:`fcsdk.tracing`)."""
        current = _current()
        opened = tracer.start(
            current[0] if current is not None else request,
            trigger="http",
            headers=request.headers,
            method=request.method,
            path=request.path,
        )
        try:
            result = self._endpoint(request)
            response = result if isinstance(result, Response) else to_response(result)
        except Exception as exc:
            response = self._failed(request, exc)
            tracer.finish(opened, exc if response.status >= 500 else None, response.status)
            return response
        tracer.finish(opened, None, response.status)
        return response

    def serve(self, place: Place[T]) -> T:
        """Serve the request of ``place`` and encode the answer there."""
        return place.send(self.handle(place.request))

    def serve_wsgi(self, place: WSGIPlace) -> Iterable[bytes]:
        """Serve one FC 2.0 (WSGI) request."""
        return place.send(self.handle(place.request))  # self.serve(place), inlined

    def serve_event(self, place: EventPlace) -> bytes:
        """Serve one FC 3.0 or API Gateway request; return the response JSON."""
        return place.send(self.handle(place.request))  # self.serve(place), inlined

    def __repr__(self) -> str:
        return f"<fcsdk http handler {getattr(self, '__qualname__', '?')}>"


class _HTTPDecorator:
    """``@fc.http(max_body_size=...)``: the decorator with options."""

    def __init__(self, options: HTTPOptionArgs) -> None:
        HTTPOptions.of(**options)  # unknown options fail here, at decoration
        self._options = options

    @overload
    def __call__(self, func: Callable[[Request], Coroutine[Any, Any, R]], /) -> HTTPHandler[R]: ...
    @overload
    def __call__(self, func: Callable[[Request], R], /) -> HTTPHandler[R]: ...
    def __call__(self, func: Callable[[Request], Any], /) -> HTTPHandler[Any]:
        return HTTPHandler(func, **self._options)


@overload
def http(func: Callable[[Request], Coroutine[Any, Any, R]], /) -> HTTPHandler[R]: ...
@overload
def http(func: Callable[[Request], R], /) -> HTTPHandler[R]: ...
@overload
def http(**options: Unpack[HTTPOptionArgs]) -> _HTTPDecorator: ...
def http(func: Callable[[Request], Any] | None = None, /, **options: Unpack[HTTPOptionArgs]) -> Any:
    """Make ``func(request) -> result`` an HTTP handler for FC 2.0, FC 3.0 and API Gateway.

    Use bare (``@fc.http``) or with options (``@fc.http(max_body_size=1_000_000)``,
    see :class:`~fcsdk.web.options.HTTPOptions`). The result may be a
    :class:`Response` or anything :func:`~fcsdk.web.response.to_response` accepts.
    ``func`` may be ``async def``; it runs on the instance's shared event loop.

    Raises:
        ConfigurationError: an unknown option.
    """
    if func is not None:
        return HTTPHandler(func, **options)
    return _HTTPDecorator(options)


if TYPE_CHECKING:
    HttpHandler = HTTPHandler  # deprecated: warns at run time
else:
    __getattr__ = deprecated_aliases(__name__, globals(), {"HttpHandler": "HTTPHandler"})
