"""What each FC HTTP place hands a handler, built from request parts, and its answer read back.

Pure functions, shared by :class:`fcsdk.testing.HTTPClient` and the local
server (``fcsdk serve``):

* :func:`wsgi_environ`: the PEP 3333 environ FC 2.0 builds (its own keys
  ``fc.context`` and ``fc.request_uri``, ``SERVER_NAME`` ``FCRUNTIME``,
  repeated headers joined with commas, the process environment copied in);
* :func:`fc3_http_event`: the FC 3.0 HTTP trigger event;
* :func:`apigw_event`: the API Gateway event;
* :func:`read_fc3_response`, :func:`read_apigw_response`: the handler's JSON
  answer read back into ``(status, header pairs, body bytes)``.

Request parts are given the same way to all three: ``path`` is the
percent-encoded path as a client sends it (it may carry FC 2.0's
``/2016-08-15/proxy/<service>/<function>`` prefix), ``query`` a query string
or ``(name, value)`` pairs or a mapping, ``headers`` pairs or a mapping.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlencode

__all__ = [
    "HeaderInput",
    "QueryInput",
    "apigw_event",
    "build_environ",
    "fc3_http_event",
    "read_apigw_response",
    "read_fc3_response",
    "run_wsgi",
    "validated_wsgi",
    "wsgi_environ",
]

QueryInput = str | Mapping[str, str] | Iterable[tuple[str, str]] | None
"""A query string (``"a=1&a=2"``), a mapping, or ``(name, value)`` pairs."""

HeaderInput = Mapping[str, str] | Iterable[tuple[str, str]] | None
"""Headers as a mapping or as ``(name, value)`` pairs (repeats allowed)."""

_TEXTUAL = ("text/", "application/json", "application/xml", "application/x-www-form-urlencoded")


def _query_pairs(query: QueryInput) -> list[tuple[str, str]]:
    if query is None:
        return []
    if isinstance(query, str):
        from urllib.parse import parse_qsl

        return parse_qsl(query, keep_blank_values=True)
    if isinstance(query, Mapping):
        return [(str(k), str(v)) for k, v in query.items()]
    return [(str(k), str(v)) for k, v in query]


def _query_string(query: QueryInput) -> str:
    if isinstance(query, str):
        return query
    return urlencode(_query_pairs(query), quote_via=quote)


def _header_pairs(headers: HeaderInput) -> list[tuple[str, str]]:
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers]


def _joined_query(query: QueryInput) -> dict[str, str]:
    """Repeated query parameters joined with commas, as FC 3.0 and API Gateway send them."""
    joined: dict[str, str] = {}
    for name, value in _query_pairs(query):
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _joined_headers(headers: HeaderInput) -> dict[str, str]:
    """Repeated headers joined with commas under the first spelling, as FC 3.0 sends them."""
    joined: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for name, value in _header_pairs(headers):
        key = spelled.setdefault(name.lower(), name)
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def _split_path(path: str) -> tuple[str, str]:
    raw_path, _, query = path.partition("?")
    return raw_path or "/", query


def wsgi_environ(
    method: str = "GET",
    path: str = "/",
    *,
    query: QueryInput = None,
    headers: HeaderInput = None,
    body: bytes = b"",
    client_ip: str = "127.0.0.1",
    context: object = None,
    process_environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Return the WSGI environ FC 2.0 builds for this request.

    Args:
        method: the HTTP method.
        path: the percent-encoded path; a ``?query`` part is used when ``query`` is None.
        query: the query (string, mapping or pairs).
        headers: request headers; repeats are joined with commas into one ``HTTP_*`` key.
        body: the body bytes (``CONTENT_LENGTH`` is their length).
        client_ip: ``REMOTE_ADDR``.
        context: the runtime's context object, under ``fc.context``.
        process_environ: the process environment copied in (``os.environ`` by default).

    Example:
        >>> env = wsgi_environ("POST", "/a%20b?x=1", headers=[("X-T", "1"), ("X-T", "2")])
        >>> env["PATH_INFO"], env["QUERY_STRING"], env["HTTP_X_T"], env["fc.request_uri"]
        ('/a b', 'x=1', '1,2', '/a%20b?x=1')
    """
    raw_path, inline_query = _split_path(path)
    query_string = _query_string(query) if query is not None else inline_query
    process: dict[str, Any] = dict(os.environ if process_environ is None else process_environ)
    for key in [
        k for k in process if k.startswith("HTTP_") or k in ("CONTENT_TYPE", "CONTENT_LENGTH")
    ]:
        del process[key]  # a process variable must not pose as a request header
    pairs = _header_pairs(headers)
    environ = build_environ(
        method=method.upper(),
        script_name="",
        path_info=unquote_to_bytes(raw_path).decode("latin-1"),
        query_string=query_string.encode("utf-8").decode("latin-1"),
        headers=pairs,
        body=body,
        client_ip=client_ip,
        context=context,
        request_uri=raw_path + (f"?{query_string}" if query_string else ""),
        base=process,
    )
    for name, value in pairs:  # a test may declare a length the body does not have
        if name.lower() == "content-length":
            environ["CONTENT_LENGTH"] = value
    return environ


def build_environ(
    *,
    method: str,
    script_name: str,
    path_info: str,
    query_string: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    client_ip: str,
    context: object,
    request_uri: str,
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The PEP 3333 environ FC 2.0 builds from request parts (the one builder of it).

    ``script_name``, ``path_info`` and ``query_string`` are PEP 3333 strings
    (bytes as latin-1). Repeated headers are joined with commas into one
    ``HTTP_*`` key, as FC does; ``CONTENT_LENGTH`` is the body's length and
    ``CONTENT_TYPE`` defaults to ``application/octet-stream`` as on FC.
    ``base`` (the process environment on FC 2.0) is copied in first.

    Example:
        >>> env = build_environ(method="GET", script_name="", path_info="/", query_string="",
        ...     headers=[("X-T", "1"), ("x-t", "2")], body=b"", client_ip="", context=None,
        ...     request_uri="/")
        >>> env["HTTP_X_T"], env["CONTENT_LENGTH"], env["SERVER_NAME"]
        ('1,2', '0', 'FCRUNTIME')
    """
    import io
    import sys

    environ: dict[str, Any] = dict(base) if base else {}
    environ.update(
        {
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": script_name,
            "PATH_INFO": path_info,
            "QUERY_STRING": query_string,
            "CONTENT_TYPE": "application/octet-stream",
            "CONTENT_LENGTH": str(len(body)),
            "SERVER_NAME": "FCRUNTIME",
            "SERVER_PORT": "9000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": client_ip,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "fc.context": context,
            "fc.request_uri": request_uri,
        }
    )
    seen: set[str] = set()
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key == "CONTENT_LENGTH":
            continue
        if key != "CONTENT_TYPE":
            key = "HTTP_" + key
        encoded = value.encode("utf-8").decode("latin-1")
        environ[key] = f"{environ[key]},{encoded}" if key in seen else encoded
        seen.add(key)
    return environ


def _status_code(status: object) -> int:
    if not isinstance(status, str):
        raise TypeError(f"start_response: status must be a str such as '200 OK', got {status!r}")
    word = status.split(" ", 1)[0]
    if not (word.isdigit() and len(word) == 3 and 100 <= int(word) <= 599):
        from fcsdk.exceptions import InvalidResponseError

        raise InvalidResponseError(
            f"start_response: status must start with a 3-digit code, got {status!r}"
        )
    return int(word)


def _response_headers(headers: object) -> list[tuple[str, str]]:
    if not isinstance(headers, list):
        raise TypeError(f"start_response: headers must be a list of (name, value), got {headers!r}")
    for item in headers:
        if not (
            isinstance(item, tuple) and len(item) == 2 and all(isinstance(p, str) for p in item)
        ):
            raise TypeError(f"start_response: each header must be a (str, str) tuple, got {item!r}")
    return headers


def run_wsgi(
    app: Callable[..., Iterable[bytes]], environ: dict[str, Any]
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Run a WSGI app once and collect ``(status, header pairs, body)``; ``close()`` is called.

    The one WSGI runner of fcsdk: ``from_wsgi`` on events, ``fcsdk serve``
    and ``HTTPClient`` on FC 2.0 all collect an app's answer with it.

    Raises:
        TypeError, InvalidResponseError: the app broke the WSGI protocol (the message says how).
        RuntimeError: the app returned without calling ``start_response``.
        Exception: whatever the app raised.

    Example:
        >>> def app(environ, start_response):
        ...     start_response("201 Created", [("X-A", "1")])
        ...     return [b"made"]
        >>> run_wsgi(app, {})
        (201, [('X-A', '1')], b'made')
    """
    started: list[Any] = []
    chunks: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and started and chunks:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [_status_code(status), _response_headers(headers)]
        return write

    def write(data: bytes) -> None:
        if not isinstance(data, bytes):
            raise TypeError(f"WSGI write() needs bytes, got {type(data).__name__}")
        chunks.append(data)

    result = app(environ, start_response)
    try:
        for chunk in result:
            if not isinstance(chunk, bytes):
                raise TypeError(f"a WSGI app must yield bytes, got {type(chunk).__name__}")
            chunks.append(chunk)
    finally:
        close = getattr(result, "close", None)
        if callable(close):
            close()
    if not started:
        raise RuntimeError("the WSGI app returned without calling start_response")
    return started[0], list(started[1]), b"".join(chunks)


def _empty_without_type(headers: list[tuple[str, str]]) -> bool:
    """Whether ``headers`` declare an empty body (``Content-Length: 0``) and no ``Content-Type``."""
    empty = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == "content-type":
            return False
        if lowered == "content-length":
            empty = value.strip() == "0"
    return empty


def validated_wsgi(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """``app`` under :func:`wsgiref.validate.validator`, less one check RFC 9110 does not make.

    The validator wants a ``Content-Type`` on every status but 204 and 304;
    RFC 9110 (section 8.3) asks for one only with content, and PEP 3333 says
    nothing of it. A response that declares an empty body (``Content-Length:
    0``: a redirect, say) passes without one; every other check is the
    validator's own.

    Example:
        >>> def moved(environ, start_response):
        ...     start_response("307 Temporary Redirect", [("Location", "/new"),
        ...                                               ("Content-Length", "0")])
        ...     return []
        >>> run_wsgi(validated_wsgi(moved), wsgi_environ())[:2]
        (307, [('Location', '/new'), ('Content-Length', '0')])
    """
    from wsgiref.validate import validator

    stand_in = ("Content-Type", "application/octet-stream")  # told apart by identity

    def typed(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            if type(headers) is list and _empty_without_type(headers):
                headers = [*headers, stand_in]
            return start_response(status, headers, *exc_info)

        return app(environ, start)

    checked = validator(typed)

    def untyped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            return start_response(status, [h for h in headers if h is not stand_in], *exc_info)

        return checked(environ, start)

    return untyped


def _event_body(body: bytes, headers: HeaderInput, is_base64: bool | None) -> tuple[str, bool]:
    if is_base64 is None:
        content_type = ""
        for name, value in _header_pairs(headers):
            if name.lower() == "content-type":
                content_type = value.lower()
        textual = not content_type or content_type.startswith(_TEXTUAL)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            textual = False
        else:
            if textual:
                return text, False
        is_base64 = True
    if is_base64:
        return base64.b64encode(body).decode("ascii"), True
    return body.decode("utf-8", "surrogateescape"), False


def fc3_http_event(
    method: str = "GET",
    path: str = "/",
    *,
    query: QueryInput = None,
    headers: HeaderInput = None,
    body: bytes = b"",
    client_ip: str = "127.0.0.1",
    request_id: str = "1-6560a1b2-0123456789abcdef",
    is_base64: bool | None = None,
    domain_prefix: str = "demo-abc",
    region: str = "cn-hangzhou",
    account_id: str = "1234567890",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Return the FC 3.0 HTTP trigger event for this request (as a dict; JSON-encode to send).

    Repeated headers and query parameters are joined with commas; ``rawPath``
    keeps the percent-encoding, ``requestContext.http.path`` is decoded; the
    body is base64 when it is binary (``is_base64=None`` decides by content
    type and UTF-8 validity). Shape: FC's HTTP trigger page.

    Example:
        >>> event = fc3_http_event("GET", "/a%20b", query=[("t", "1"), ("t", "2")])
        >>> event["rawPath"], event["requestContext"]["http"]["path"], event["queryParameters"]
        ('/a%20b', '/a b', {'t': '1,2'})
    """
    raw_path, inline_query = _split_path(path)
    joined_query = _joined_query(query if query is not None else inline_query)
    joined_headers = _joined_headers(headers)
    text, encoded = _event_body(body, headers, is_base64)
    when = now or datetime.now(timezone.utc)
    user_agent = next((v for k, v in joined_headers.items() if k.lower() == "user-agent"), "")
    return {
        "version": "v1",
        "rawPath": raw_path,
        "headers": joined_headers,
        "queryParameters": joined_query,
        "body": text,
        "isBase64Encoded": encoded,
        "requestContext": {
            "accountId": account_id,
            "domainName": f"{domain_prefix}.{region}.fcapp.run",
            "domainPrefix": domain_prefix,
            "http": {
                "method": method.upper(),
                "path": unquote_to_bytes(raw_path).decode("utf-8", "replace"),
                "protocol": "HTTP/1.1",
                "sourceIp": client_ip,
                "userAgent": user_agent,
            },
            "requestId": request_id,
            "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timeEpoch": str(int(when.timestamp() * 1000)),
        },
    }


def apigw_event(
    method: str = "GET",
    path: str = "/",
    *,
    query: QueryInput = None,
    headers: HeaderInput = None,
    body: bytes = b"",
    path_parameters: Mapping[str, str] | None = None,
    is_base64: bool | None = None,
) -> dict[str, Any]:
    """Return the API Gateway event for this request (``path`` decoded, as API Gateway sends it).

    Example:
        >>> apigw_event("POST", "/orders", body=b"hi")["httpMethod"]
        'POST'
    """
    raw_path, inline_query = _split_path(path)
    joined_query = _joined_query(query if query is not None else inline_query)
    text, encoded = _event_body(body, headers, is_base64)
    return {
        "path": unquote_to_bytes(raw_path).decode("utf-8", "replace"),
        "httpMethod": method.upper(),
        "headers": _joined_headers(headers),
        "queryParameters": joined_query,
        "pathParameters": dict(path_parameters or {}),
        "body": text,
        "isBase64Encoded": encoded,
    }


def _read(
    data: bytes | str | Mapping[str, Any], model: Any
) -> tuple[int, list[tuple[str, str]], bytes]:
    parsed = json.loads(data) if isinstance(data, bytes | str) else dict(data)
    answer = model.model_validate(parsed)
    pairs: list[tuple[str, str]] = []
    for name, value in answer.headers.items():
        if isinstance(value, list):
            pairs.extend((name, item) for item in value)
        else:
            pairs.append((name, value))
    return answer.status_code, pairs, answer.body_bytes


def read_fc3_response(
    data: bytes | str | Mapping[str, Any],
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Read an FC 3.0 HTTP answer back into ``(status, header pairs, body bytes)``.

    List-valued headers give one pair per value.

    Raises:
        pydantic.ValidationError: the answer is not shaped as FC 3.0 expects.
        ValueError: the answer is not JSON, or its base64 body is not base64.
    """
    from fcsdk.events.http import HTTPTriggerResponse

    return _read(data, HTTPTriggerResponse)


def read_apigw_response(
    data: bytes | str | Mapping[str, Any],
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Read an API Gateway answer back into ``(status, header pairs, body bytes)``.

    ``statusCode`` may be a number or a numeric string.

    Raises:
        pydantic.ValidationError: the answer is not shaped as API Gateway expects.
        ValueError: the answer is not JSON, or its base64 body is not base64.
    """
    from fcsdk.events.http import APIGatewayResponse

    return _read(data, APIGatewayResponse)
