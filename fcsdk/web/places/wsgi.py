"""FC 2.0's place: a WSGI environ in, a :class:`Request` out; the answer out through ``start_response``.

FC 2.0 calls an HTTP function as a PEP 3333 application. The environ carries
FC's own keys ``fc.context`` (the runtime's context) and ``fc.request_uri``
(the path as requested, with its query string). A request through the API
endpoint has a path under ``/2016-08-15/proxy/<service>/<function>``; that
prefix is moved to the request's ``root_path`` (``SCRIPT_NAME`` for WSGI apps)
so that routes and ``url_for`` see the application's own paths.

The reverse, :func:`environ_from_request`, builds a PEP 3333 environ from any
:class:`Request`; :func:`fcsdk.from_wsgi` uses it to run a WSGI app on FC 3.0.

Example:
    >>> from fcsdk._platform.http import wsgi_environ
    >>> from fcsdk.web.options import DEFAULT_OPTIONS
    >>> place = WSGIPlace(wsgi_environ("GET", "/2016-08-15/proxy/s/f/a%20b"), print, DEFAULT_OPTIONS)
    >>> place.root_path, place.raw_path
    ('/2016-08-15/proxy/s/f', '/a%20b')
"""  # noqa: E501

from __future__ import annotations

import operator
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from fcsdk._platform.rules import PATH_SAFE, parse_content_length, split_proxy_prefix
from fcsdk.exceptions import BadRequest, LengthRequired, PayloadTooLarge
from fcsdk.web._types import HeaderList, StartResponse, WSGIEnvironment
from fcsdk.web.datastructures import _VALID_NAMES, Headers, QueryParams, check_header
from fcsdk.web.options import HTTPOptions
from fcsdk.web.places.base import Place
from fcsdk.web.request import Request
from fcsdk.web.response import Response, status_line

__all__ = ["SelfClosingIterable", "WSGIPlace", "environ_from_request", "is_wsgi_call"]


def is_wsgi_call(first: object, second: object) -> bool:
    """Whether ``(first, second)`` is a WSGI call rather than ``(event, context)``."""
    return type(first) is dict and callable(second) and "REQUEST_METHOD" in first


class WSGIPlace(Place[Iterable[bytes]]):
    """FC 2.0: ``handler(environ, start_response)``.

    Args:
        environ: the PEP 3333 environ.
        start_response: PEP 3333's ``start_response``.
        options: the app's options (``strip_prefix``, ``limits``).
    """

    __slots__ = ("environ", "start_response")

    label = "FC 2.0 (WSGI)"

    def __init__(
        self, environ: WSGIEnvironment, start_response: StartResponse, options: HTTPOptions
    ) -> None:
        # Place.__init__'s three attributes, set here: this runs once per request.
        self.context = environ.get("fc.context")
        self.options = options
        self._request = None
        self.environ = environ
        self.start_response = start_response

    @classmethod
    def infer(cls, incoming: object, context: object, /) -> bool:
        """A dict with ``REQUEST_METHOD`` called with a callable ``start_response``."""
        return is_wsgi_call(incoming, context)

    def build_request(self) -> Request:
        """The request of the environ; the raw path from ``fc.request_uri`` when present.

        ``fc.request_uri`` keeps the client's percent-encoding (``%2F`` included);
        without it the path is re-encoded from ``PATH_INFO``.
        """
        environ = self.environ
        uri = environ.get("fc.request_uri")
        script_name = environ.get("SCRIPT_NAME") or ""
        if isinstance(uri, str) and uri.startswith("/"):
            raw_path = uri.partition("?")[0]
            if script_name and raw_path.startswith(script_name):
                raw_path = raw_path[len(script_name) :] or "/"
        else:
            path_info = environ.get("PATH_INFO") or "/"
            raw_path = quote(path_info.encode("latin-1", "replace"), safe=PATH_SAFE)
        root_path = (
            quote(script_name.encode("latin-1", "replace"), safe=PATH_SAFE) if script_name else ""
        )
        options = self.options
        if options.strip_prefix and raw_path.startswith("/2016-08-15/proxy/"):
            prefix, raw_path = split_proxy_prefix(raw_path)
            root_path += prefix
        raw_query: str = environ.get("QUERY_STRING") or ""
        return Request._of_source(
            environ.get("REQUEST_METHOD", "GET"),
            raw_path,
            raw_query if raw_query.isascii() else _utf8_query(raw_query),
            environ,
            _environ_headers,
            _read_body,
            environ.get("REMOTE_ADDR") or "",
            self.context,
            None,
            root_path,
            options.limits,
        )

    @property
    def server(self) -> tuple[str, int | None] | None:
        """``SERVER_NAME`` and ``SERVER_PORT`` of the environ."""
        name = self.environ.get("SERVER_NAME")
        if not name:
            return super().server
        port = str(self.environ.get("SERVER_PORT") or "")
        return str(name), int(port) if port.isascii() and port.isdigit() else None

    @property
    def scheme(self) -> str:
        """``wsgi.url_scheme``."""
        return str(self.environ.get("wsgi.url_scheme") or "http")

    def encode(
        self, status: int, headers: Sequence[tuple[str, str]], body: bytes
    ) -> Iterable[bytes]:
        """Call ``start_response`` with the status line and headers; return the body chunks.

        A complete body gets a ``Content-Length``; 204 and 304 carry neither
        ``Content-Type`` nor ``Content-Length`` (PEP 3333, RFC 9110).
        """
        self.start_response(status_line(status), _header_list(status, headers, len(body)))
        return [body] if body else []

    def write(self, response: Response) -> Iterable[bytes]:
        """Send ``response``; a streaming body is passed on as it is produced.

        Its ``close()`` runs when the body is exhausted or the server closes it
        (:class:`SelfClosingIterable`).
        """
        if type(response) is Response or type(response).iter_body is Response.iter_body:
            head = (self._request or self.request).method == "HEAD"
            body = response.body
            self.start_response(
                response.status_line,
                _header_list(response.status, response.headers._items, len(body)),
            )
            return [] if head or not body else [body]
        self.start_response(
            response.status_line, _header_list(response.status, response.headers._items, None)
        )
        if self.request.method == "HEAD":
            response.close()
            return []
        return SelfClosingIterable(response.iter_body(), response.close)

    def write_failure(self, response: Response) -> Iterable[bytes]:
        """Start the response again, passing ``exc_info`` as PEP 3333 allows a second call."""
        start_response = self.start_response

        def again(status: str, headers: HeaderList) -> object:
            return start_response(status, headers, sys.exc_info())

        self.start_response = again
        return self.write(response)


def _header_list(
    status: int, items: Sequence[tuple[str, str]], body_length: int | None
) -> HeaderList:
    has_length = False
    valid = _VALID_NAMES
    for name, value in items:
        if type(value) is not str or name not in valid or not value.isprintable():
            check_header(name, value)
        if len(name) == 14 and name.lower() == "content-length":
            has_length = True
    if status in (204, 304):
        return [(k, v) for k, v in items if k.lower() not in ("content-type", "content-length")]
    if body_length is not None and not has_length:
        return [*items, ("Content-Length", str(body_length))]
    return list(items)


_NAMES: dict[str, str] = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}
"""Environ key -> header name (``HTTP_X_TENANT`` -> ``X-Tenant``); ``""`` for other keys."""
_NAMES_MAX = 4096

_Layout = tuple[Callable[[Mapping[str, Any]], Any] | None, tuple[str, ...], tuple[str, ...]]
_LAYOUTS: dict[tuple[str, ...], _Layout] = {}
"""The environ's keys in order -> a getter of the header values, their names, in lower case.

A runtime builds its environs alike: requests with the same headers have the
same keys in the same order, so where the header fields are is found once.
"""
_LAYOUTS_MAX = 256


def _header_name(key: str) -> str:
    name = key[5:].replace("_", "-").title() if key.startswith("HTTP_") else ""
    if len(_NAMES) < _NAMES_MAX:  # a client inventing header names cannot grow it forever
        _NAMES[key] = name
    return name


def _layout(keys: tuple[str, ...]) -> _Layout:
    known = _NAMES
    found = []
    for key in keys:
        name = known.get(key)
        if name is None:
            name = _header_name(key)
        if name:
            found.append((key, name))
    getter = operator.itemgetter(*[key for key, _ in found]) if len(found) > 1 else None
    if any(name == "Content-Length" and key != "CONTENT_LENGTH" for key, name in found):
        getter = None  # HTTP_CONTENT_LENGTH: the slow path decides whether it is empty
    names = tuple(name for _, name in found)
    layout = getter, names, tuple(name.lower() for name in names)
    if len(_LAYOUTS) < _LAYOUTS_MAX:  # bounded, as _NAMES
        _LAYOUTS[keys] = layout
    return layout


def _environ_headers(environ: Mapping[str, Any]) -> Headers:
    """The headers of ``environ``, in its order.

    Raises:
        BadRequest: a header value is not valid UTF-8.
    """
    keys = tuple(environ)
    layout = _LAYOUTS.get(keys) or _layout(keys)
    getter, names, lowered = layout
    if getter is not None and environ.get("CONTENT_LENGTH", None) != "":
        values = getter(environ)
        try:
            text = "".join(values)
        except TypeError:  # a value that is not a str: the slow path skips it
            pass
        else:
            if text.isascii():  # the common case: nothing to re-decode
                return Headers._trusted(list(zip(names, values, strict=True)), lowered)
    return _environ_headers_slowly(environ)


def _environ_headers_slowly(environ: Mapping[str, Any]) -> Headers:
    items: HeaderList = []
    names = _NAMES
    for key, value in environ.items():
        name = names.get(key)
        if name is None:
            name = _header_name(key)
        if not name or not isinstance(value, str):
            continue
        if value.isascii():
            if value or name != "Content-Length":  # an empty CONTENT_LENGTH is no header
                items.append((name, value))
            continue
        try:
            items.append((name, value.encode("latin-1").decode("utf-8")))
        except UnicodeError:
            raise BadRequest(f"the value of header {name!r} is not valid UTF-8") from None
    return Headers._trusted(items)


def _read_body(environ: Mapping[str, Any], limit: int) -> bytes:
    """The body of ``environ``'s ``wsgi.input``, checked against ``CONTENT_LENGTH`` and ``limit``.

    Raises:
        BadRequest: the body is shorter or longer than its ``Content-Length``.
        LengthRequired: a body without ``Content-Length`` (and no ``wsgi.input_terminated``).
        PayloadTooLarge: the body is over ``limit``.
    """
    stream = environ.get("wsgi.input")
    declared = environ.get("CONTENT_LENGTH") or ""
    if stream is None:
        return b""
    if not declared:
        if environ.get("wsgi.input_terminated"):
            data: bytes = stream.read(limit + 1)
            if len(data) > limit:
                raise PayloadTooLarge(f"the body is over the limit of {limit} bytes")
            return data
        if stream.read(1):
            raise LengthRequired("a request with a body must send Content-Length")
        return b""
    length = parse_content_length(declared)
    if length > limit:
        raise PayloadTooLarge(f"the body ({length} bytes) is over the limit of {limit} bytes")
    data = stream.read(length) if length else b""
    if len(data) < length:
        raise BadRequest(f"the body ended after {len(data)} bytes but Content-Length says {length}")
    # PEP 3333 servers give EOF past CONTENT_LENGTH; FC's stream holds the whole
    # body, so a byte more means the header was shorter than the body.
    if stream.read(1):
        raise BadRequest(f"the body is longer than its Content-Length ({length} bytes)")
    return data


def _utf8_query(query: str) -> str | Callable[[], QueryParams]:
    """PEP 3333 gives the raw bytes as latin-1: turn them back into UTF-8 text."""
    try:
        return query.encode("latin-1").decode("utf-8")
    except UnicodeError:

        def refuse() -> QueryParams:
            raise BadRequest("the query string is not valid UTF-8")

        return refuse


class SelfClosingIterable:
    """A WSGI body that runs ``close`` once, when exhausted, failing, or closed by the server.

    PEP 3333 has the server call the body's ``close()``; FC 2.0's runtime does
    not. Closing on exhaustion makes cleanup (a generator's ``finally``,
    Flask's teardown handlers) run there too; a server that does call
    ``close()`` is still served, and a second call does nothing.
    """

    __slots__ = ("_chunks", "_close", "_closed")

    def __init__(self, chunks: Iterable[bytes], close: Callable[[], object]) -> None:
        self._chunks = iter(chunks)
        self._close = close
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._chunks)
        except BaseException:  # StopIteration included: the body is over, clean up
            self.close()
            raise

    def close(self) -> None:
        """Run the close callback, once."""
        if not self._closed:
            self._closed = True
            self._close()


def environ_from_request(request: Request) -> WSGIEnvironment:
    """Return a PEP 3333 environ for ``request``, shaped as FC 2.0 builds one.

    Headers sent several times are joined with commas into one ``HTTP_*``
    key, as FC does; ``SCRIPT_NAME`` is the request's root path;
    ``PATH_INFO`` is the decoded path (UTF-8 bytes as latin-1, per PEP 3333);
    ``fc.request_uri`` is the full URI and ``fc.context`` the runtime's context.

    Raises:
        BadRequest: the request's path or headers are malformed.
    """
    from fcsdk._platform.http import build_environ

    return build_environ(
        method=request.method,
        script_name=_unquote_path(request.root_path).decode("latin-1"),
        path_info=_unquote_path(request.raw_path).decode("latin-1"),
        query_string=request.query_string.encode("utf-8", "surrogateescape").decode("latin-1"),
        headers=request.headers.multi_items(),
        body=request.body,
        client_ip=request.client_ip,
        context=request.raw_context,
        request_uri=request.request_uri,
    )


def _unquote_path(raw: str) -> bytes:
    from urllib.parse import unquote_to_bytes

    from fcsdk.web.datastructures import check_percent_escapes

    check_percent_escapes(raw, "path")
    return unquote_to_bytes(raw)
