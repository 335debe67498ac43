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
    >>> from fcsdk.testing import HttpClient
    >>> HttpClient(handler).get("/2016-08-15/proxy/svc/fn/signin").text
    '/2016-08-15/proxy/svc/fn /signin'
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

from fcsdk._invocation import enter, leave
from fcsdk.exceptions import (
    FCSDKError,
    HTTPError,
    PayloadTooLarge,
    RequestHeaderFieldsTooLarge,
)
from fcsdk.web.adapter import (
    PlaceAdapter,
    error_response,
    internal_error_response,
    invocation_of,
    logger,
    run_user_code,
)
from fcsdk.web.datastructures import Headers, parse_content_length
from fcsdk.web.events import DEFAULT_TEXT_TYPES, MultiValueHeaders, request_from_event
from fcsdk.web.limits import DEFAULT_LIMITS, Limits
from fcsdk.web.request import DEFAULT_MAX_BODY_SIZE
from fcsdk.web.response import Response
from fcsdk.web.wsgi import (
    FC_PROXY_PREFIX,
    SelfClosingIterable,
    StartResponse,
    WSGIApp,
    WSGIEnvironment,
    environ_from_request,
    write_wsgi,
)

__all__ = ["WSGIHandler", "from_wsgi"]


def _typed_context(raw: object) -> Any:
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


class WSGIHandler(PlaceAdapter):
    """A WSGI app made deployable in all three places: what :func:`from_wsgi` returns."""

    def __init__(
        self,
        app: WSGIApp,
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
        self.app = app
        self.__wrapped__ = app

    def _prepare(self, environ: WSGIEnvironment) -> None:
        """Add the typed context and move the FC 2.0 proxy prefix into ``SCRIPT_NAME``."""
        if "fcsdk.context" not in environ:
            environ["fcsdk.context"] = _typed_context(environ.get("fc.context"))
        if not self.strip_prefix:
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

    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Run the app on one FC 2.0 request, the environ prepared as described above.

        The body size and header count are checked from the environ first
        (413, 431); the app reads the body itself.
        """
        try:
            self._check_environ(environ)
        except HTTPError as exc:
            return write_wsgi(error_response(exc), start_response)
        self._prepare(environ)
        request_id = _request_id(environ.get("fc.context"))
        token = enter(environ.get("fc.context"))
        try:
            return self._wsgi(environ, start_response, request_id)
        finally:
            leave(token)

    def _check_environ(self, environ: WSGIEnvironment) -> None:
        declared = environ.get("CONTENT_LENGTH")
        if declared:
            length = parse_content_length(str(declared))
            if length > self.max_body_size:
                raise PayloadTooLarge(
                    f"the body ({length} bytes) is over the limit of {self.max_body_size} bytes"
                )
        count = sum(1 for key in environ if key.startswith("HTTP_"))
        count += sum(1 for key in ("CONTENT_TYPE", "CONTENT_LENGTH") if environ.get(key))
        if count > self.limits.max_headers:
            raise RequestHeaderFieldsTooLarge(
                f"the request has {count} header fields; "
                f"at most {self.limits.max_headers} are accepted"
            )

    def _wsgi(
        self, environ: WSGIEnvironment, start_response: StartResponse, request_id: str
    ) -> Iterable[bytes]:
        started: list[bool] = []

        def tracking_start(*args: Any) -> Any:
            started.append(True)
            return start_response(*args)

        try:
            result = run_user_code(request_id, self.app, environ, tracking_start)
        except Exception:
            logger.exception("the WSGI app failed on request %s", request_id)
            if started:
                raise
            return write_wsgi(
                internal_error_response(request_id),
                lambda status, headers: start_response(status, headers, sys.exc_info()),
            )
        close = getattr(result, "close", None)
        if callable(close):
            # FC 2.0's runtime never calls close(): run it when the body is exhausted.
            return SelfClosingIterable(result, close)
        return result

    def event(self, event: object, context: object = None) -> bytes:
        """Run the app on one FC 3.0 or API Gateway request; return the response JSON.

        Raises:
            EventDecodeError: the event is not an HTTP event.
        """
        kind, request = request_from_event(event, context, max_body_size=self.max_body_size)
        request.limits = self.limits
        try:
            environ = environ_from_request(request)
        except HTTPError as exc:
            return self._write_event(kind, error_response(exc), request)
        self._prepare(environ)
        token = enter(invocation_of(request))
        try:
            response = self._collect(environ, request.request_id)
        except Exception:
            logger.exception("the WSGI app failed on request %s", request.request_id)
            response = internal_error_response(request.request_id)
        finally:
            leave(token)
        return self._write_event(kind, response, request)

    def _collect(self, environ: WSGIEnvironment, request_id: str) -> Response:
        """Run the app and gather its status, headers and body into a :class:`Response`."""
        state: dict[str, Any] = {}
        written: list[bytes] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            if exc_info is not None and state.get("sent"):
                raise exc_info[1].with_traceback(exc_info[2])
            state["status"] = status
            state["headers"] = headers
            return written.append

        result = run_user_code(request_id, self.app, environ, start_response)
        try:
            for chunk in result:
                if chunk:
                    state["sent"] = True
                    written.append(chunk)
        finally:
            close = getattr(result, "close", None)
            if callable(close):
                close()
        if "status" not in state:
            raise RuntimeError("the WSGI app returned without calling start_response")
        response = Response(b"".join(written), status=int(state["status"].split(None, 1)[0]))
        response.headers = Headers(state["headers"])
        return response


def from_wsgi(
    app: WSGIApp,
    *,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    strip_prefix: bool = True,
    text_types: Iterable[str] = DEFAULT_TEXT_TYPES,
    multi_value_headers: MultiValueHeaders = "list",
    limits: Limits = DEFAULT_LIMITS,
) -> WSGIHandler:
    """Make any WSGI application deployable on FC 2.0, FC 3.0 and API Gateway.

    Args:
        app: the WSGI application (a Flask or Django app, say).
        max_body_size: the largest body accepted from an event (413 above it).
        strip_prefix: move FC 2.0's ``/2016-08-15/proxy/<service>/<function>`` prefix
            into ``SCRIPT_NAME`` (on by default; it only acts when the prefix is there).
        text_types: content types answered as text on FC 3.0 / API Gateway.
        multi_value_headers: carry repeated response headers as a list or joined.
        limits: header, form and JSON-nesting limits (see :class:`~fcsdk.web.limits.Limits`).
    """
    return WSGIHandler(
        app,
        max_body_size=max_body_size,
        strip_prefix=strip_prefix,
        text_types=text_types,
        multi_value_headers=multi_value_headers,
        limits=limits,
    )
