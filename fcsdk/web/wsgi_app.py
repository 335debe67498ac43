"""``fc.from_wsgi(app)``: any WSGI application (Flask, Django...) in all three places.

* FC 2.0: the environ passes through to the app, with two additions: the
  typed :class:`~fcsdk.FCContext` under ``fcsdk.context`` (``fc.context``
  keeps the runtime's own object, so FC 2.0 code keeps working), and the
  ``/2016-08-15/proxy/<service>/<function>`` prefix moved from ``PATH_INFO``
  into ``SCRIPT_NAME``, so that the app's routes match and ``url_for`` builds
  links that work through the API endpoint.
* FC 3.0 and API Gateway: event → :class:`Request` → a PEP 3333 environ shaped
  as FC 2.0 builds it → the app → its response → the response JSON.

An exception escaping the app becomes a 500 with the request id (the
traceback goes to the log only).

Example:
    >>> import fcsdk as fc
    >>> def app(environ, start_response):
    ...     start_response("200 OK", [("Content-Type", "text/plain")])
    ...     return [environ["SCRIPT_NAME"].encode(), b" ", environ["PATH_INFO"].encode()]
    >>> handler = fc.from_wsgi(app)
    >>> from fcsdk.testing import HTTPClient
    >>> HTTPClient(handler).get("/2016-08-15/proxy/svc/fn/signin").text
    '/2016-08-15/proxy/svc/fn /signin'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fcsdk._invocation import TRACE, enter, leave
from fcsdk._platform.rules import FC_PROXY_PREFIX, parse_content_length
from fcsdk.exceptions import FCSDKError, HTTPError, PayloadTooLarge, RequestHeaderFieldsTooLarge
from fcsdk.web._types import WSGIApp, WSGIEnvironment
from fcsdk.web.adapter import PlaceApp, invocation_of, logger
from fcsdk.web.datastructures import MutableHeaders
from fcsdk.web.places import EventPlace, SelfClosingIterable, WSGIPlace, environ_from_request
from fcsdk.web.response import Response, internal_error_response

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from fcsdk.context import FCContext
    from fcsdk.web.options import HTTPOptionArgs

__all__ = ["WSGIHandler", "from_wsgi"]


def _typed_context(raw: object) -> FCContext | None:
    if raw is None:
        return None
    from fcsdk.context import FCContext

    try:
        return FCContext.from_runtime(raw)
    except FCSDKError:
        return None


def _request_id(raw: object) -> str:
    found = getattr(raw, "request_id", None)
    return str(found) if found else ""


class WSGIHandler(PlaceApp):
    """A WSGI app made deployable in all three places: what :func:`from_wsgi` returns."""

    def __init__(self, app: WSGIApp, **options: Unpack[HTTPOptionArgs]) -> None:
        super().__init__(**options)
        self.app = app
        self.__wrapped__ = app

    def _prepare(self, environ: WSGIEnvironment) -> None:
        """Add the typed context and move the FC 2.0 proxy prefix into ``SCRIPT_NAME``."""
        if "fcsdk.context" not in environ:
            environ["fcsdk.context"] = _typed_context(environ.get("fc.context"))
        if not self.options.strip_prefix:
            return
        path_info: str = environ.get("PATH_INFO") or ""
        match = FC_PROXY_PREFIX.match(path_info)
        if match is not None:
            environ["SCRIPT_NAME"] = (environ.get("SCRIPT_NAME") or "") + match.group(0)
            environ["PATH_INFO"] = path_info[match.end() :] or "/"
            return
        uri = environ.get("fc.request_uri")
        if isinstance(uri, str) and not environ.get("SCRIPT_NAME"):
            match = FC_PROXY_PREFIX.match(uri)
            if match is not None:  # the runtime already stripped PATH_INFO
                environ["SCRIPT_NAME"] = match.group(0)

    def serve_wsgi(self, place: WSGIPlace) -> Iterable[bytes]:
        """Run the app on one FC 2.0 request, the environ prepared as described above.

        The body size and header count are checked from the environ first
        (413, 431); the app reads the body itself.
        """
        environ = place.environ
        try:
            self._check_environ(environ)
        except HTTPError as exc:
            return place.refuse(exc)
        self._prepare(environ)
        request_id = _request_id(place.context)
        token = enter(place.context)
        try:
            if TRACE[0] is not None:
                return self._traced_wsgi(TRACE[0], place, request_id)
            return self._wsgi(place, request_id)
        finally:
            leave(token)

    def _traced_wsgi(self, tracer: Any, place: WSGIPlace, request_id: str) -> Iterable[bytes]:
        """:meth:`_wsgi` inside the invocation span; its status is the one the app started."""
        environ = place.environ
        opened = tracer.start(
            place.context,
            trigger="http",
            headers=place.request.headers,
            method=str(environ.get("REQUEST_METHOD", "GET")),
            path=place.request.path,
        )
        status: list[int] = []
        start_response = place.start_response

        def recording_start(status_line: str, *args: Any) -> Any:
            code = status_line.split(" ", 1)[0]
            if code.isdigit():
                status.append(int(code))
            return start_response(status_line, *args)

        place.start_response = recording_start
        try:
            result = self._wsgi(place, request_id)
        except BaseException as exc:
            tracer.finish(opened, exc, status[-1] if status else None)
            raise
        finally:
            place.start_response = start_response
        tracer.finish(opened, None, status[-1] if status else None)
        return result

    def _check_environ(self, environ: WSGIEnvironment) -> None:
        limits = self.options.limits
        declared = environ.get("CONTENT_LENGTH")
        if declared:
            length = parse_content_length(str(declared))
            if length > limits.max_body_size:
                raise PayloadTooLarge(
                    f"the body ({length} bytes) is over the limit of {limits.max_body_size} bytes"
                )
        count = sum(1 for key in environ if key.startswith("HTTP_"))
        count += sum(1 for key in ("CONTENT_TYPE", "CONTENT_LENGTH") if environ.get(key))
        if count > limits.max_headers:
            raise RequestHeaderFieldsTooLarge(
                f"the request has {count} header fields; at most {limits.max_headers} are accepted"
            )

    def _wsgi(self, place: WSGIPlace, request_id: str) -> Iterable[bytes]:
        started: list[bool] = []
        start_response = place.start_response

        def tracking_start(*args: Any) -> Any:
            started.append(True)
            return start_response(*args)

        try:
            result = self.app(place.environ, tracking_start)
        except Exception:
            logger.exception("the WSGI app failed on request %s", request_id)
            if started:
                raise
            return place.write_failure(internal_error_response(request_id))
        close = getattr(result, "close", None)
        if callable(close):
            # FC 2.0's runtime never calls close(): run it when the body is exhausted.
            return SelfClosingIterable(result, close)
        return result

    def serve_event(self, place: EventPlace) -> bytes:
        """Run the app on one FC 3.0 or API Gateway request; return the response JSON."""
        request = place.request
        try:
            environ = environ_from_request(request)
        except HTTPError as exc:
            return place.refuse(exc)
        self._prepare(environ)
        invocation = invocation_of(request)
        token = enter(invocation)
        tracer = TRACE[0]
        opened = None
        if tracer is not None:
            opened = tracer.start(
                invocation,
                trigger="http",
                headers=request.headers,
                method=request.method,
                path=request.path,
            )
        error: Exception | None = None
        try:
            response = self._collect(environ)
        except Exception as exc:
            error = exc
            logger.exception("the WSGI app failed on request %s", request.request_id)
            response = internal_error_response(request.request_id)
        finally:
            leave(token)
        if opened is not None:
            tracer.finish(opened, error, response.status)
        return place.send(response)

    def _collect(self, environ: WSGIEnvironment) -> Response:
        """Run the app and gather its status, headers and body into a :class:`Response`."""
        from fcsdk._platform.http import run_wsgi

        status, headers, body = run_wsgi(self.app, environ)
        response = Response(body, status=status)
        response.headers = MutableHeaders(headers)
        return response


def from_wsgi(app: WSGIApp, **options: Unpack[HTTPOptionArgs]) -> WSGIHandler:
    """Make any WSGI application deployable on FC 2.0, FC 3.0 and API Gateway.

    Args:
        app: the WSGI application (a Flask or Django app, say).
        options: see :class:`~fcsdk.web.options.HTTPOptions`. On FC 2.0 the
            environ goes to the app as it is: ``max_body_size`` and
            ``limits.max_headers`` are checked from it, the app reads the body.

    Raises:
        InvalidArgumentError: ``app`` is an ASGI app (FastAPI): use ``fc.from_asgi``.
    """
    from fcsdk._runtime import is_asgi_app
    from fcsdk.exceptions import InvalidArgumentError

    if is_asgi_app(app):
        raise InvalidArgumentError(
            f"from_wsgi: {type(app).__name__} is an ASGI app (FastAPI, Starlette), not a WSGI "
            "app: wrap it with fc.from_asgi(app)"
        )
    return WSGIHandler(app, **options)
