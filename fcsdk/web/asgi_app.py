"""``fc.from_asgi(app)``: any ASGI application (FastAPI, Starlette...) in all three places, natively.

No WSGI bridge and no thread per request: the request each place brings
(FC 2.0's environ, an FC 3.0 HTTP event, an API Gateway event) becomes an
ASGI ``http`` scope (:mod:`fcsdk.web.asgi`), the app runs on the instance's
one shared event loop (:mod:`fcsdk._aio`), and its collected response goes
back the way ``@fc.http``'s does: base64 by content type, repeated
``Set-Cookie`` as the place carries it, ``HEAD`` without a body.

An FC 3.0 event or an FC 2.0 environ of the usual shape (known header
names, ASCII values, nothing to unquote or re-decode) becomes its scope in
one pass over the JSON or the environ, and the answer is encoded without a
:class:`~fcsdk.web.response.Response` in between; anything else goes the
long way, through the place's :class:`~fcsdk.web.request.Request`, which
gives the same scope and refuses a bad request precisely.

Example:
    >>> import fcsdk as fc
    >>> async def app(scope, receive, send):
    ...     assert scope["type"] == "http"
    ...     await send({"type": "http.response.start", "status": 200,
    ...                 "headers": [(b"content-type", b"text/plain")]})
    ...     await send({"type": "http.response.body", "body": scope["path"].encode()})
    >>> handler = fc.from_asgi(app, lifespan="off")
    >>> from fcsdk.testing import HTTPClient
    >>> HTTPClient(handler, via="fc3").get("/items/7").text
    '/items/7'
"""  # noqa: E501

from __future__ import annotations

import atexit
import sys
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, unquote

from fcsdk import _aio
from fcsdk._invocation import TRACE, enter, enter_hook, leave
from fcsdk._platform.rules import PATH_SAFE
from fcsdk.exceptions import ConfigurationError, HTTPError, LifespanError
from fcsdk.web.adapter import PlaceApp, invocation_of, logger
from fcsdk.web.asgi import ASGIApp, Headers, Lifespan, LifespanMode, Scope, call_http, http_scope
from fcsdk.web.datastructures import MutableHeaders
from fcsdk.web.options import HTTPOptions
from fcsdk.web.places import EventPlace, FC3Place, Place, WSGIPlace
from fcsdk.web.response import Response, internal_error_response

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from fcsdk.web.options import HTTPOptionArgs

T = TypeVar("T")

__all__ = ["ASGIHandler", "from_asgi"]

MAX_RESPONSE_SIZE = 32 * 1024 * 1024
"""The most bytes of response body collected from an app: FC's limit on a synchronous
invocation's payload (a larger answer could not be delivered; it is a 500 instead)."""

_NO_WEBSOCKET = (
    "WebSocket is not available on FC's built-in runtimes, which answer each request in "
    "one piece; FC serves WebSocket from custom runtimes and custom containers"
)


def _latin1(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


_SCOPE_NAMES: dict[str, bytes] = {}
"""Header name -> its scope spelling, lower case (bounded): most requests repeat a few names."""


def _scope_name(name: str) -> bytes:
    lowered = _latin1(name.lower())
    if len(_SCOPE_NAMES) < 4096:
        _SCOPE_NAMES[name] = lowered
    return lowered


def _header_bytes(items: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    """The scope's header list: lower-case names, latin-1 bytes (UTF-8 past latin-1)."""
    names = _SCOPE_NAMES
    try:
        return [
            (names.get(name) or _scope_name(name), value.encode("latin-1")) for name, value in items
        ]
    except UnicodeEncodeError:
        return [(_latin1(name.lower()), _latin1(value)) for name, value in items]


_ENVIRON_NAMES: dict[str, bytes] = {}
"""Environ key -> the scope's header name (``HTTP_X_TENANT`` -> ``x-tenant``), ``b""`` if none."""


def _environ_name(key: str) -> bytes:
    if key.startswith("HTTP_"):
        name = key[5:].replace("_", "-").title()
    elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        name = key.replace("_", "-").title()
    else:
        name = ""
    scope_name = _latin1(name.lower())
    if len(_ENVIRON_NAMES) < 4096:
        _ENVIRON_NAMES[key] = scope_name
    return scope_name


def _wsgi_headers(environ: dict[str, Any], max_headers: int) -> Headers | None:
    """The scope's headers straight from an FC 2.0 environ, or ``None`` to go the long way.

    What the place's ``header_list`` and :func:`_header_bytes` give, in one
    pass, when every header value is ASCII (the long way re-decodes others
    as UTF-8) and there are no more than ``max_headers`` of them (431 the
    long way); an ``Upgrade`` (WebSocket, perhaps) goes the long way too.
    """
    names = _ENVIRON_NAMES
    headers: Headers = []
    for key, value in environ.items():
        name = names.get(key)
        if name is None:
            if type(key) is not str:
                return None
            name = _environ_name(key)
        if not name or not isinstance(value, str):
            continue
        if not value.isascii() or name == b"upgrade":
            return None
        if value or name != b"content-length":  # an empty CONTENT_LENGTH is no header
            headers.append((name, value.encode("ascii")))
    return headers if len(headers) <= max_headers else None


_RAW_PATH_SAFE = PATH_SAFE + "%"
"""What a raw path keeps when its non-ASCII characters are percent-encoded (its escapes too)."""

_Parts = tuple[Scope, bytes, str, object, bool]
"""A request made ready for the app: scope, body, request id, invocation, whether ``HEAD``."""

_KNOWN_NAMES: dict[str, bytes] = {}
"""FC 3.0 header names a request has already validated, and their scope spelling (bounded)."""
_QUOTE_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~,")
"""What ``quote(..., safe=",")`` leaves as it is: how a request's query string is rebuilt."""


_SPECIAL = frozenset((b"host", b"x-forwarded-proto", b"content-length", b"upgrade"))
_SPECIAL_NAMES: set[str] = set()
"""The known names that are one of these four, however spelled."""


def _learn_names(header_list: list[tuple[str, str]]) -> None:
    """Remember the names of headers an FC 3.0 request had validated (see :func:`_fc3_parts`)."""
    known = _KNOWN_NAMES
    for name, _ in header_list:
        if name not in known and len(known) < 4096 and type(name) is str:
            lowered = known[name] = _latin1(name.lower())
            if lowered in _SPECIAL:
                _SPECIAL_NAMES.add(name)


def _fc3_parts(
    place: FC3Place, options: HTTPOptions, state: dict[str, Any] | None
) -> _Parts | None:
    """The scope of an FC 3.0 event read straight from its JSON, or ``None`` to go the long way.

    Only for an event the long way (through the place's :class:`Request`)
    would take exactly as it is: every header name already validated by an
    earlier request, ASCII header values without CR, LF or NUL, an encoded
    ``rawPath`` without escapes, query parameters that need no quoting, a
    text body within the limit that its ``Content-Length`` states exactly,
    a context with a request id. Anything else (a refusal among them) goes
    the long way, so both give the same scope and the same errors.
    """
    data = place.data
    headers = data.get("headers")
    http = data["requestContext"]["http"]
    raw_path = data.get("rawPath")
    body = data.get("body")
    query = data.get("queryParameters")
    flag = data.get("isBase64Encoded")
    request_id = getattr(place.context, "request_id", None)
    if (
        type(headers) is not dict
        or type(http) is not dict
        or type(raw_path) is not str
        or not raw_path
        or "%" in raw_path
        or not raw_path.isascii()
        or not (body is None or type(body) is str)
        or (flag is not None and flag is not False)
        or not (query is None or type(query) is dict)
        or not request_id
        or len(headers) > options.limits.max_headers
    ):
        return None
    method = http.get("method")
    if type(method) is not str:
        return None
    # Every value a str of ASCII without CR, LF or NUL, every name known: checked in bulk.
    try:
        values = "".join(headers.values())
        known = _KNOWN_NAMES
        scope_headers: Headers = [(known[name], value.encode()) for name, value in headers.items()]
    except (TypeError, KeyError, UnicodeError):
        return None
    if not values.isascii() or "\r" in values or "\n" in values or "\0" in values:
        return None
    host = proto = declared = None
    special = headers.keys() & _SPECIAL_NAMES
    if special:
        seen = set()
        for name in special:
            lowered = known[name]
            if lowered in seen:
                return None  # "Host" and "host" both: which comes first is the long way's to say
            seen.add(lowered)
            if lowered == b"host":
                host = headers[name]
            elif lowered == b"x-forwarded-proto":
                proto = headers[name]
            elif lowered == b"content-length":
                declared = headers[name]
            else:
                return None  # an upgrade, perhaps to WebSocket: refused the long way
    if body:
        limit = options.limits.max_body_size
        if len(body) > limit:
            return None
        try:
            content = body.encode("utf-8")
        except UnicodeError:
            return None
        if len(content) > limit:
            return None
    else:
        content = b""
    if declared is not None and declared != str(len(content)):
        return None
    if query:
        pairs = []
        safe = _QUOTE_SAFE
        for key, item in query.items():
            if type(key) is not str or type(item) is not str:
                return None
            if not (safe.issuperset(key) and safe.issuperset(item)):
                return None
            pairs.append(f"{key}={item}")
        query_string = "&".join(pairs).encode("ascii")
    else:
        query_string = b""
    # Place.scheme and Place.server, from the same headers.
    scheme = "https" if proto and proto.split(",", 1)[0].strip().lower() == "https" else "http"
    server: tuple[str, int] | None = None
    if host:
        name, colon, port = host.rpartition(":")
        if colon and port.isascii() and port.isdigit():
            server = (name, int(port))
        else:
            server = (host, 443 if scheme == "https" else 80)
    ip = str(http.get("sourceIp") or "")
    method = method.upper()
    scope = http_scope(
        method,
        scheme,
        "",
        raw_path,
        raw_path.encode("ascii"),
        query_string,
        scope_headers,
        (ip, 0) if ip else None,
        server,
        state,
    )
    return scope, content, str(request_id), place.context, method == "HEAD"


def _function_timeout(raw_context: object) -> float | None:
    function = getattr(raw_context, "function", None)
    timeout = getattr(function, "timeout", None)
    return float(timeout) if isinstance(timeout, (int, float)) and timeout > 0 else None


class ASGIHandler(PlaceApp):
    """An ASGI app made deployable in all three places: what :func:`from_asgi` returns.

    ``handler.initializer`` and ``handler.pre_stop`` are the lifecycle hooks
    that run the app's lifespan startup and shutdown; wire them as FC's
    initializer and PreStop handlers (``index.initializer``,
    ``index.pre_stop``), or leave them: startup then runs before the
    instance's first request.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        lifespan: LifespanMode = "auto",
        timeout: float | None = None,
        **options: Unpack[HTTPOptionArgs],
    ) -> None:
        if lifespan not in ("auto", "on", "off"):
            raise ConfigurationError(f"lifespan must be 'auto', 'on' or 'off', not {lifespan!r}")
        super().__init__(**options)
        self.app = app
        self.__wrapped__ = app
        self.timeout = timeout
        self.lifespan = Lifespan(app, lifespan)
        self._starting = threading.Lock()

    # -- lifecycle ----------------------------------------------------------------------

    def startup(self, timeout: float | None = None) -> None:
        """Run the app's lifespan startup now, once per instance (later calls return at once).

        With ``timeout``, a startup still running after that many seconds is
        cancelled and counts as failed.

        Raises:
            LifespanError: the startup failed (or ran past ``timeout``); every
                later request raises it too.
        """
        if self.lifespan.started or self.lifespan.mode == "off":
            return
        with self._starting:
            if self.lifespan.error is None:
                # Local tools and tests end without PreStop: shut down cleanly at exit.
                atexit.register(self._shutdown_at_exit)
            try:
                _aio.run(self.lifespan.startup(), timeout=timeout)
            except TimeoutError:
                self.lifespan.error = LifespanError(
                    f"lifespan startup failed: it did not finish within {timeout:g} s"
                )
                raise self.lifespan.failure() from None

    def shutdown(self, timeout: float | None = None) -> None:
        """Run the app's lifespan shutdown (after a startup); its own failure is logged.

        Raises:
            LifespanError: the shutdown ran past ``timeout`` seconds (it is cancelled).
        """
        try:
            _aio.run(self.lifespan.shutdown(), timeout=timeout)
        except TimeoutError:
            raise LifespanError(
                f"lifespan shutdown did not finish within {timeout:g} s; not waiting longer"
            ) from None

    def _shutdown_at_exit(self) -> None:
        try:
            self.shutdown()
        except Exception:  # at interpreter exit: no traceback on every local run
            logger.debug("lifespan shutdown at exit failed", exc_info=True)

    def initializer(self, context: Any = None, /) -> None:
        """FC's initializer hook: the lifespan startup (``initializer = handler.initializer``)."""
        token = enter_hook(context)
        try:
            self.startup()
        finally:
            leave(token)

    def pre_stop(self, context: Any = None, /) -> None:
        """FC's PreStop hook: the lifespan shutdown (``pre_stop = handler.pre_stop``)."""
        token = enter_hook(context)
        try:
            self.shutdown()
        finally:
            leave(token)

    # -- serving ------------------------------------------------------------------------

    def serve(self, place: Place[T]) -> T:
        """Run the request of ``place`` through the app and encode the answer there.

        A request the limits refuse (413, 431, a malformed header) never
        reaches the app; a WebSocket upgrade answers 501.

        Raises:
            LifespanError: the app's startup failed (the invocation fails with its message).
        """
        if not self.lifespan.started:
            self.startup()
        state = self.lifespan.state if self.lifespan.supported else None
        parts = _fc3_parts(place, self.options, state) if type(place) is FC3Place else None
        if parts is None:
            prepared = self._parts(place, state)
            if isinstance(prepared, HTTPError):
                return place.refuse(prepared)
            parts = prepared
        scope, body, request_id, invocation, head = parts
        raw_context = place.context
        scope["fc.context"] = raw_context
        result = self._run(scope, body, request_id, invocation, raw_context)
        if result is None:
            return place.send(internal_error_response(request_id))
        status, header_list, content = result
        # A body-less answer (a redirect, say) goes without a Content-Type, as the app sent it.
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in header_list]
        if not head:
            try:
                # What place.send() does for a complete, non-HEAD response, minus the Response.
                return place.encode(status, headers, content)
            except Exception:  # send() below fails the same way, and answers 500
                pass
        response = Response(content, status=status)
        response.headers = MutableHeaders._trusted(headers)
        return place.send(response)

    def _parts(self, place: Place[Any], state: dict[str, Any] | None) -> _Parts | HTTPError:
        """The scope of any place's request, through its :class:`Request`; or why it is refused."""
        try:
            headers = None
            if type(place) is WSGIPlace:
                headers = _wsgi_headers(place.environ, place.options.limits.max_headers)
            if headers is None:
                header_list = place.header_list
                headers = _header_bytes(header_list)
                if type(place) is FC3Place:
                    _learn_names(header_list)
                for name, value in headers:
                    if name == b"upgrade" and b"websocket" in value.lower():
                        return HTTPError(_NO_WEBSOCKET, status=501)
            body = place.body
        except HTTPError as exc:
            return exc
        request = place.request
        scheme = place.scheme
        server = place.server
        if server is not None and server[1] is None:
            server = (server[0], 443 if scheme == "https" else 80)
        raw_root = place.root_path
        root_path = unquote(raw_root) if raw_root else ""
        raw_path = raw_root + place.raw_path
        if not raw_path.isascii():  # an event's rawPath as typed ("/é"): encode it as sent
            raw_path = quote(raw_path, safe=_RAW_PATH_SAFE)
        scope = http_scope(
            place.method,
            scheme,
            root_path,
            root_path + request.path,
            raw_path.encode("ascii"),
            place.raw_query,
            headers,
            place.client,
            server,
            state,
        )
        return scope, body, request.request_id, invocation_of(request), request.method == "HEAD"

    def _run(
        self, scope: Any, body: bytes, request_id: str, invocation: object, raw_context: object
    ) -> tuple[int, Headers, bytes] | None:
        """Run the app on ``scope``; its response, or ``None`` on a failure or a timeout."""
        timeout = self.timeout if self.timeout is not None else _function_timeout(raw_context)
        token = enter(invocation)
        tracer = TRACE[0]
        opened = None
        if tracer is not None:
            opened = tracer.start(
                invocation,
                trigger="http",
                headers=scope["headers"],
                method=scope["method"],
                path=scope["path"],
            )
            scope["headers"] = tracer.asgi_headers(opened, scope["headers"])
        answer = None
        try:
            answer = _aio.run(
                call_http(self.app, scope, body, request_id=request_id, max_body=MAX_RESPONSE_SIZE),
                timeout=timeout,
            )
            return answer
        except TimeoutError as exc:
            logger.error(
                "the ASGI app did not finish request %s within %s s; it was cancelled",
                request_id,
                timeout,
            )
            if opened is not None:
                tracer.finish(opened, exc, 500)
                opened = None
            return None
        finally:
            leave(token)
            if opened is not None:  # an exception in flight is the invocation's failure
                tracer.finish(opened, sys.exc_info()[1], answer[0] if answer is not None else 500)

    def serve_wsgi(self, place: WSGIPlace) -> Iterable[bytes]:
        """Serve one FC 2.0 (WSGI) request."""
        return self.serve(place)

    def serve_event(self, place: EventPlace) -> bytes:
        """Serve one FC 3.0 or API Gateway request; return the response JSON."""
        return self.serve(place)

    def __repr__(self) -> str:
        return f"<fcsdk ASGI handler {getattr(self.app, '__qualname__', type(self.app).__name__)}>"


def from_asgi(
    app: ASGIApp,
    *,
    lifespan: LifespanMode = "auto",
    timeout: float | None = None,
    **options: Unpack[HTTPOptionArgs],
) -> ASGIHandler:
    """Make any ASGI 3 application deployable on FC 2.0, FC 3.0 and API Gateway.

    Args:
        app: the ASGI application (a FastAPI or Starlette app, say).
        lifespan: ``"auto"`` runs the app's lifespan startup once per instance
            and tolerates apps without lifespan support; ``"on"`` makes missing
            support an error; ``"off"`` never sends the lifespan scope.
        timeout: seconds a request may run before the app is cancelled and
            the request answers 500; the function's timeout from the context
            by default.
        max_body_size: the largest body accepted (413 above it).
        strip_prefix: move FC 2.0's ``/2016-08-15/proxy/<service>/<function>``
            prefix into the scope's ``root_path``.
        text_types: content types answered as text on FC 3.0 / API Gateway.
        multi_value_headers: carry repeated response headers as a list or joined.
        limits: header, form and JSON-nesting limits (see :class:`~fcsdk.web.limits.Limits`).

    Raises:
        ConfigurationError: ``lifespan`` is not one of the three modes, or
            ``app`` is a WSGI app (Flask, Django: use ``fc.from_wsgi``).
    """
    from fcsdk._runtime import is_wsgi_app
    from fcsdk.exceptions import InvalidArgumentError

    if is_wsgi_app(app):
        raise InvalidArgumentError(
            f"from_asgi: {type(app).__name__} is a WSGI app (Flask, Django), not an ASGI "
            "app: wrap it with fc.from_wsgi(app)"
        )
    return ASGIHandler(app, lifespan=lifespan, timeout=timeout, **options)
