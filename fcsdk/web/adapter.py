"""``@fc.http``: one request handler, deployable unchanged in all three of FC's HTTP places.

The decorated object tells the places apart by what it is given:

* ``handler(environ, start_response)``: FC 2.0's WSGI call;
* ``handler(event, context)`` with an FC 3.0 HTTP trigger event: answers the
  ``statusCode/headers/body/isBase64Encoded`` JSON;
* ``handler(event, context)`` with an API Gateway event: answers API Gateway's JSON.

Anything else raises :class:`~fcsdk.EventDecodeError`. Whatever the place,
the request goes through :func:`run_user_code` into the user's function, the
return value becomes a :class:`Response` (:func:`~fcsdk.web.response.to_response`),
an :class:`~fcsdk.HTTPError` becomes its status with a JSON problem body, and
any other exception a 500 whose body carries the request id (the traceback
goes to the log only).

Example:
    >>> import fcsdk as fc
    >>> @fc.http
    ... def hello(request: fc.Request) -> fc.Response:
    ...     return fc.Response(f"Hello {request.query.get('name', 'world')}!", content_type="text/plain")
    >>> from fcsdk.testing import HttpClient
    >>> HttpClient(hello, via="fc3").get("/", params={"name": "FC"}).text
    'Hello FC!'
"""  # noqa: E501

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Generic, TypeVar, overload

from fcsdk._invocation import enter, leave
from fcsdk.exceptions import HTTPError
from fcsdk.handler import is_async_callable, run_sync
from fcsdk.web.events import (
    DEFAULT_TEXT_TYPES,
    MultiValueHeaders,
    encode_event_response,
    request_from_event,
)
from fcsdk.web.limits import DEFAULT_LIMITS, Limits
from fcsdk.web.request import DEFAULT_MAX_BODY_SIZE, Request
from fcsdk.web.response import JSONResponse, Response, to_response
from fcsdk.web.wsgi import StartResponse, WSGIEnvironment, request_from_environ, write_wsgi

__all__ = [
    "HttpHandler",
    "PlaceAdapter",
    "error_response",
    "http",
    "internal_error_response",
    "is_wsgi_call",
    "invocation_of",
    "run_user_code",
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


def run_user_code(request_id: str, func: Callable[..., T], /, *args: Any) -> T:
    """Call user code for one request: every request of every place enters user code here.

    ``request_id`` identifies the request (per-request logging hooks in here).
    """
    return func(*args)


def is_wsgi_call(first: object, second: object) -> bool:
    """Whether ``(first, second)`` is a WSGI call rather than ``(event, context)``."""
    return type(first) is dict and callable(second) and "REQUEST_METHOD" in first


def error_response(exc: HTTPError) -> Response:
    """The JSON problem response (RFC 9457) for an :class:`HTTPError`."""
    response = JSONResponse(exc.to_problem(), status=exc.status, headers=exc.headers)
    response.headers["Content-Type"] = "application/problem+json"
    return response


def internal_error_response(request_id: str) -> Response:
    """A 500 problem response naming the request id, never the exception's details."""
    problem = {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "The function failed; search its logs for the request id.",
        "request_id": request_id,
    }
    response = JSONResponse(problem, status=500)
    response.headers["Content-Type"] = "application/problem+json"
    return response


class PlaceAdapter:
    """What every deployable HTTP object shares: options and the three entry points.

    Subclasses implement :meth:`wsgi` and :meth:`event`.

    Args:
        max_body_size: the largest body accepted (413 above it); FC's 6 MB by default.
        strip_prefix: move FC 2.0's ``/2016-08-15/proxy/<service>/<function>``
            prefix out of the path into ``root_path``/``SCRIPT_NAME``.
        text_types: content types answered as text on FC 3.0 / API Gateway.
        multi_value_headers: carry repeated response headers as a list (``"list"``)
            or joined with ``", "`` (``"join"``) on FC 3.0 / API Gateway.
        limits: header, form and JSON-nesting limits (see :class:`~fcsdk.web.limits.Limits`).
    """

    def __init__(
        self,
        *,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        strip_prefix: bool = True,
        text_types: Iterable[str] = DEFAULT_TEXT_TYPES,
        multi_value_headers: MultiValueHeaders = "list",
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.max_body_size = max_body_size
        self.strip_prefix = strip_prefix
        self.text_types = tuple(text_types)
        self.multi_value_headers: MultiValueHeaders = multi_value_headers
        self.limits = limits

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
        if is_wsgi_call(first, second):
            return self.wsgi(first, second)
        return self.event(first, second)

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one FC 2.0 (WSGI) request."""
        raise NotImplementedError

    def event(self, event: object, context: object = None) -> bytes:
        """Serve one FC 3.0 or API Gateway request; return the response JSON."""
        raise NotImplementedError

    def _write_event(self, kind: Any, response: Response, request: Request) -> bytes:
        head = request.method == "HEAD"
        try:
            return encode_event_response(
                kind,
                response,
                head=head,
                text_types=self.text_types,
                multi_value_headers=self.multi_value_headers,
            )
        except Exception:
            logger.exception("cannot send the response of request %s", request.request_id)
            return encode_event_response(kind, internal_error_response(request.request_id))

    def _write_wsgi(
        self, response: Response, start_response: StartResponse, request: Request
    ) -> Iterable[bytes]:
        try:
            return write_wsgi(response, start_response, head=request.method == "HEAD")
        except Exception:
            logger.exception("cannot send the response of request %s", request.request_id)
            return write_wsgi(internal_error_response(request.request_id), _restart(start_response))


def _restart(start_response: StartResponse) -> StartResponse:
    """``start_response`` that passes ``exc_info`` so a second call is allowed by PEP 3333."""

    def again(status: str, headers: list[tuple[str, str]]) -> Any:
        return start_response(status, headers, sys.exc_info())

    return again


class HttpHandler(PlaceAdapter, Generic[R]):
    """A request handler made deployable: what ``@fc.http`` returns.

    The user's function stays available as ``__wrapped__``; :meth:`handle`
    runs one :class:`Request` through it and returns the :class:`Response`.
    """

    __name__: str
    __qualname__: str

    def __init__(
        self,
        func: Callable[[Request], R],
        *,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        strip_prefix: bool = True,
        text_types: Iterable[str] = DEFAULT_TEXT_TYPES,
        multi_value_headers: MultiValueHeaders = "list",
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        super().__init__(
            max_body_size=max_body_size,
            strip_prefix=strip_prefix,
            text_types=text_types,
            multi_value_headers=multi_value_headers,
            limits=limits,
        )
        self.__wrapped__ = func
        # An async def function runs on the instance's shared loop (fcsdk._aio).
        self._call = run_sync(func) if is_async_callable(func) else func  # type: ignore[arg-type]
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
        token = enter(invocation_of(request))
        try:
            return self._handle(request)
        finally:
            leave(token)

    def _handle(self, request: Request) -> Response:
        try:
            return to_response(run_user_code(request.request_id, self.endpoint, request))
        except Exception as exc:
            try:
                response = self.handle_exception(request, exc)
            except Exception:
                logger.exception("an exception handler failed on request %s", request.request_id)
                response = None
            if response is not None:
                return response
            logger.exception("unhandled %s in request %s", type(exc).__name__, request.request_id)
            return internal_error_response(request.request_id)

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one FC 2.0 (WSGI) request."""
        request = request_from_environ(
            environ, max_body_size=self.max_body_size, strip_prefix=self.strip_prefix
        )
        request.limits = self.limits
        return self._write_wsgi(self.handle(request), start_response, request)

    def event(self, event: object, context: object = None) -> bytes:
        """Serve one FC 3.0 or API Gateway request; return the response JSON.

        Raises:
            EventDecodeError: the event is not an HTTP event.
        """
        kind, request = request_from_event(event, context, max_body_size=self.max_body_size)
        request.limits = self.limits
        return self._write_event(kind, self.handle(request), request)

    def __repr__(self) -> str:
        return f"<fcsdk http handler {getattr(self, '__qualname__', '?')}>"


class _HttpDecorator:
    """``@fc.http(max_body_size=...)``: the decorator with options."""

    def __init__(self, options: dict[str, Any]) -> None:
        self._options = options

    @overload
    def __call__(self, func: Callable[[Request], Coroutine[Any, Any, R]], /) -> HttpHandler[R]: ...
    @overload
    def __call__(self, func: Callable[[Request], R], /) -> HttpHandler[R]: ...
    def __call__(self, func: Callable[[Request], Any], /) -> HttpHandler[Any]:
        return HttpHandler(func, **self._options)


@overload
def http(func: Callable[[Request], Coroutine[Any, Any, R]], /) -> HttpHandler[R]: ...
@overload
def http(func: Callable[[Request], R], /) -> HttpHandler[R]: ...
@overload
def http(
    *,
    max_body_size: int = ...,
    strip_prefix: bool = ...,
    text_types: Iterable[str] = ...,
    multi_value_headers: MultiValueHeaders = ...,
    limits: Limits = ...,
) -> _HttpDecorator: ...
def http(func: Callable[[Request], Any] | None = None, /, **options: Any) -> Any:
    """Make ``func(request) -> result`` an HTTP handler for FC 2.0, FC 3.0 and API Gateway.

    Use bare (``@fc.http``) or with options (``@fc.http(max_body_size=1_000_000)``,
    see :class:`PlaceAdapter`). The result may be a :class:`Response` or
    anything :func:`~fcsdk.web.response.to_response` accepts. ``func`` may be
    ``async def``; it runs on the instance's shared event loop.

    Raises:
        ConfigurationError: an unknown option.
    """
    allowed = {"max_body_size", "strip_prefix", "text_types", "multi_value_headers", "limits"}
    unknown = set(options) - allowed
    if unknown:
        from fcsdk.exceptions import ConfigurationError

        raise ConfigurationError(f"unknown fc.http option(s): {', '.join(sorted(unknown))}")
    if func is not None:
        return HttpHandler(func, **options)
    return _HttpDecorator(options)
