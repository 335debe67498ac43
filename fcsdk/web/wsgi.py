"""FC 2.0's place: a WSGI environ in, a :class:`Request` out; a :class:`Response` out through ``start_response``.

FC 2.0 calls an HTTP function as a PEP 3333 application. The environ carries
FC's own keys ``fc.context`` (the runtime's context) and ``fc.request_uri``
(the path as requested, with its query string). A request through the API
endpoint has a path under ``/2016-08-15/proxy/<service>/<function>``; that
prefix is moved to the request's ``root_path`` (``SCRIPT_NAME`` for WSGI apps)
so that routes and ``url_for`` see the application's own paths.

The reverse, :func:`environ_from_request`, builds a PEP 3333 environ from any
:class:`Request`; :func:`fcsdk.from_wsgi` uses it to run a WSGI app on FC 3.0.
"""  # noqa: E501

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

from fcsdk.exceptions import BadRequest, LengthRequired, PayloadTooLarge
from fcsdk.web.datastructures import Headers, QueryParams, check_header, parse_content_length
from fcsdk.web.request import DEFAULT_MAX_BODY_SIZE, Request
from fcsdk.web.response import Response

__all__ = [
    "FC_PROXY_PREFIX",
    "SelfClosingIterable",
    "StartResponse",
    "WSGIApp",
    "WSGIEnvironment",
    "environ_from_request",
    "request_from_environ",
    "split_proxy_prefix",
    "write_wsgi",
]

WSGIEnvironment = dict[str, Any]
StartResponse = Callable[..., Any]
"""PEP 3333's ``start_response(status, headers, exc_info=None) -> write``."""
WSGIApp = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]

FC_PROXY_PREFIX = re.compile(r"^/2016-08-15/proxy/[^/?]+/[^/?]+")
"""The path prefix of a request through the FC 2.0 API endpoint."""


_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def split_proxy_prefix(raw_path: str) -> tuple[str, str]:
    """Split ``raw_path`` into the FC 2.0 proxy prefix (or ``''``) and the rest.

    Example:
        >>> split_proxy_prefix("/2016-08-15/proxy/svc/fn/signin")
        ('/2016-08-15/proxy/svc/fn', '/signin')
        >>> split_proxy_prefix("/signin")
        ('', '/signin')
    """
    match = FC_PROXY_PREFIX.match(raw_path)
    if match is None:
        return "", raw_path
    return match.group(0), raw_path[match.end() :] or "/"


def _environ_headers(environ: Mapping[str, Any]) -> Headers:
    items: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").title()
        elif key == "CONTENT_TYPE":
            name = "Content-Type"
        elif key == "CONTENT_LENGTH":
            if not value:
                continue
            name = "Content-Length"
        else:
            continue
        if not isinstance(value, str):
            continue
        if not value.isascii():
            try:
                items.append((name, value.encode("latin-1").decode("utf-8")))
            except UnicodeError:
                raise BadRequest(f"the value of header {name!r} is not valid UTF-8") from None
        else:
            items.append((name, value))
    return Headers._trusted(items)


def _body_reader(environ: Mapping[str, Any], limit: int) -> Callable[[], bytes]:
    def read() -> bytes:
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
            raise BadRequest(
                f"the body ended after {len(data)} bytes but Content-Length says {length}"
            )
        # PEP 3333 servers give EOF past CONTENT_LENGTH; FC's stream holds the whole
        # body, so a byte more means the header was shorter than the body.
        if stream.read(1):
            raise BadRequest(f"the body is longer than its Content-Length ({length} bytes)")
        return data

    return read


def request_from_environ(
    environ: WSGIEnvironment,
    *,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    strip_prefix: bool = True,
) -> Request:
    """Build a :class:`Request` from an FC 2.0 (or any PEP 3333) environ; nothing is parsed yet.

    The raw path comes from ``fc.request_uri`` when present (it keeps the
    client's percent-encoding, ``%2F`` included), else from ``PATH_INFO``.
    """
    uri = environ.get("fc.request_uri")
    script_name = environ.get("SCRIPT_NAME") or ""
    if isinstance(uri, str) and uri.startswith("/"):
        raw_path, _, _ = uri.partition("?")
        if script_name and raw_path.startswith(script_name):
            raw_path = raw_path[len(script_name) :] or "/"
    else:
        path_info = environ.get("PATH_INFO") or "/"
        raw_path = quote(path_info.encode("latin-1", "replace"), safe=_PATH_SAFE)
    root_path = quote(script_name.encode("latin-1", "replace"), safe=_PATH_SAFE)
    if strip_prefix and raw_path.startswith("/2016-08-15/proxy/"):
        prefix, raw_path = split_proxy_prefix(raw_path)
        root_path += prefix
    raw_query: str = environ.get("QUERY_STRING") or ""
    query = raw_query if raw_query.isascii() else _utf8_query(raw_query)
    return Request._lazy(
        environ.get("REQUEST_METHOD", "GET"),
        raw_path,
        query,
        lambda: _environ_headers(environ),
        _body_reader(environ, max_body_size),
        environ.get("REMOTE_ADDR") or "",
        environ.get("fc.context"),
        None,
        root_path,
    )


def _utf8_query(query: str) -> str | Callable[[], QueryParams]:
    """PEP 3333 gives the raw bytes as latin-1: turn them back into UTF-8 text."""
    try:
        return query.encode("latin-1").decode("utf-8")
    except UnicodeError:

        def refuse() -> QueryParams:
            raise BadRequest("the query string is not valid UTF-8")

        return refuse


def _header_list(response: Response, body_length: int | None) -> list[tuple[str, str]]:
    items = response.headers._items
    for name, value in items:
        check_header(name, value)
    if response.status in (204, 304):
        # These carry no content, so no Content-Type or Content-Length (PEP 3333, RFC 9110).
        return [(k, v) for k, v in items if k.lower() not in ("content-type", "content-length")]
    if body_length is not None and "content-length" not in response.headers:
        return [*items, ("Content-Length", str(body_length))]
    return list(items)


def write_wsgi(
    response: Response, start_response: StartResponse, *, head: bool = False
) -> Iterable[bytes]:
    """Send ``response`` through ``start_response``; return the WSGI body iterable.

    Every header goes out (repeats such as ``Set-Cookie`` stay separate); a
    complete body gets a ``Content-Length``; a streaming body is passed on as
    it is produced and its ``close()`` runs when the server closes the
    iterable. ``head=True`` sends no body.

    Raises:
        ResultEncodeError: a header would split the response, or the status is invalid.
    """
    status_line = response.status_line
    if type(response) is Response or not _is_streaming(response):
        body = response.body
        start_response(status_line, _header_list(response, len(body)))
        return [] if head or not body else [body]
    start_response(status_line, _header_list(response, None))
    if head:
        response.close()
        return []
    return SelfClosingIterable(response.iter_body(), response.close)


def _is_streaming(response: Response) -> bool:
    return type(response).iter_body is not Response.iter_body


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


def environ_from_request(
    request: Request,
    *,
    server_name: str = "FCRUNTIME",
    server_port: str = "9000",
    protocol: str = "HTTP/1.1",
    url_scheme: str = "http",
    extra: Mapping[str, Any] | None = None,
) -> WSGIEnvironment:
    """Return a PEP 3333 environ for ``request``, shaped as FC 2.0 builds one.

    Headers sent several times are joined with commas into one ``HTTP_*``
    key, as FC does; ``SCRIPT_NAME`` is the request's root path;
    ``PATH_INFO`` is the decoded path (UTF-8 bytes as latin-1, per PEP 3333);
    ``fc.request_uri`` is the full URI and ``fc.context`` the runtime's context.

    Raises:
        BadRequest: the request's path or headers are malformed.
    """
    body = request.body
    path_bytes = _unquote_path(request.raw_path)
    environ: WSGIEnvironment = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": _unquote_path(request.root_path).decode("latin-1"),
        "PATH_INFO": path_bytes.decode("latin-1"),
        "QUERY_STRING": request.query_string.encode("utf-8", "surrogateescape").decode("latin-1"),
        "CONTENT_TYPE": "application/octet-stream",
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": protocol,
        "REMOTE_ADDR": request.client_ip,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url_scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "fc.request_uri": request.request_uri,
        "fc.context": request.raw_context,
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_LENGTH":
            continue
        if key != "CONTENT_TYPE":
            key = "HTTP_" + key
        encoded = value.encode("utf-8").decode("latin-1")
        previous = environ.get(key) if key.startswith("HTTP_") else None
        environ[key] = f"{previous},{encoded}" if previous else encoded
    if extra:
        environ.update(extra)
    return environ


def _unquote_path(raw: str) -> bytes:
    from urllib.parse import unquote_to_bytes

    from fcsdk.web.datastructures import check_percent_escapes

    check_percent_escapes(raw, "path")
    return unquote_to_bytes(raw)
