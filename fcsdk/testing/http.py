"""``HTTPClient``: drive an HTTP handler exactly as one of FC's three places would.

``via="wsgi"`` builds the PEP 3333 environ FC 2.0 builds and runs the
handler under the standard library's :func:`wsgiref.validate.validator`, so
any breach of the WSGI protocol fails the test (a body-less response,
``Content-Length: 0``, may go without a ``Content-Type``, as RFC 9110
allows). ``via="fc3"`` sends the FC 3.0 HTTP trigger event as JSON bytes
and reads the response JSON back; ``via="apigw"`` does the same with API
Gateway's shapes. Cookies set by a response are sent with the following
requests, as a browser would.

Example:
    >>> import fcsdk as fc
    >>> from fcsdk.testing import HTTPClient
    >>> @fc.http
    ... def echo(request: fc.Request) -> dict[str, str]:
    ...     return {"method": request.method, "path": request.path}
    >>> for via in ("wsgi", "fc3", "apigw"):
    ...     print(HTTPClient(echo, via=via).post("/a%20b").json())
    {'method': 'POST', 'path': '/a b'}
    {'method': 'POST', 'path': '/a b'}
    {'method': 'POST', 'path': '/a b'}
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlencode

from fcsdk._lazy import deprecated_aliases
from fcsdk._platform.context import fake_context
from fcsdk._platform.http import (
    HeaderInput,
    QueryInput,
    apigw_event,
    fc3_http_event,
    read_apigw_response,
    read_fc3_response,
    run_wsgi,
    validated_wsgi,
    wsgi_environ,
)
from fcsdk.web.datastructures import Headers

__all__ = ["HTTPClient", "HTTPResponse", "Via"]

Via = Literal["wsgi", "fc3", "apigw"]
FileInput = bytes | tuple[str, bytes] | tuple[str, bytes, str]
"""A file for ``files=``: its bytes, or ``(filename, bytes[, content type])``."""


class HTTPResponse:
    """What :class:`HTTPClient` got back.

    Attributes:
        status_code: the HTTP status.
        headers: the response headers (repeats kept).
        content: the body bytes.
    """

    def __init__(self, status_code: int, headers: Headers, content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return jsonlib.loads(self.content)

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies this response set (``name -> value``; a deletion gives ``''``)."""
        return {name: value for name, value, _ in _set_cookies(self.headers)}

    def __repr__(self) -> str:
        return f"<HTTPResponse {self.status_code} {self.headers.get('content-type')!r}>"


def _set_cookies(headers: Headers) -> list[tuple[str, str, bool]]:
    """``(name, value, expired)`` for each ``Set-Cookie`` of ``headers``."""
    found: list[tuple[str, str, bool]] = []
    for header in headers.getall("set-cookie"):
        first, *attributes = header.split(";")
        name, _, value = first.partition("=")
        expired = False
        for attribute in attributes:
            key, _, attr_value = attribute.strip().partition("=")
            if key.lower() == "max-age" and attr_value.strip().lstrip("-").isdigit():
                expired = expired or int(attr_value) <= 0
            elif key.lower() == "expires":
                with contextlib.suppress(TypeError, ValueError):
                    when = parsedate_to_datetime(attr_value)
                    expired = expired or when <= datetime.now(timezone.utc)
        found.append((name.strip(), value.strip(), expired))
    return found


def _encode_multipart(data: Mapping[str, str], files: Mapping[str, FileInput]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    chunks: list[bytes] = []
    for name, value in data.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, file in files.items():
        if isinstance(file, bytes):
            filename, content, content_type = name, file, "application/octet-stream"
        elif len(file) == 2:
            filename, content = file
            content_type = "application/octet-stream"
        else:
            filename, content, content_type = file
        chunks.append(
            (
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="{name}"; filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
            ).encode()
            + content
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


class HTTPClient:
    """A test client for an HTTP handler in one of FC's places (see the module docs).

    Args:
        handler: what FC would call: an ``@fc.http`` handler, an ``HTTPApp``,
            ``fc.from_wsgi(app)``, or a plain WSGI callable (``via="wsgi"``).
        via: ``"wsgi"`` (FC 2.0), ``"fc3"`` (FC 3.0 HTTP trigger) or ``"apigw"``.
        context: the runtime context to pass (a fresh :func:`fake_context` per
            request by default).
        client_ip: the client address the platform reports.
    """

    def __init__(
        self,
        handler: Callable[..., Any],
        *,
        via: Via = "wsgi",
        context: object = None,
        client_ip: str = "127.0.0.1",
    ) -> None:
        if via not in ("wsgi", "fc3", "apigw"):
            from fcsdk.exceptions import ConfigurationError

            raise ConfigurationError(f"via must be 'wsgi', 'fc3' or 'apigw', not {via!r}")
        from fcsdk.handler import is_async_callable

        if is_async_callable(handler):
            from fcsdk.testing._invoke import not_awaited_by_runtime

            raise not_awaited_by_runtime(handler)
        self.handler = handler
        self.via: Via = via
        self.context = context
        self.client_ip = client_ip
        self.cookies: dict[str, str] = {}

    # -- the verbs ----------------------------------------------------------------------

    def get(self, path: str, **kwargs: Any) -> HTTPResponse:
        """Send a ``GET``; keyword arguments as for :meth:`request`."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> HTTPResponse:
        """Send a ``POST``; keyword arguments as for :meth:`request`."""
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> HTTPResponse:
        """Send a ``PUT``; keyword arguments as for :meth:`request`."""
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> HTTPResponse:
        """Send a ``PATCH``; keyword arguments as for :meth:`request`."""
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> HTTPResponse:
        """Send a ``DELETE``; keyword arguments as for :meth:`request`."""
        return self.request("DELETE", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> HTTPResponse:
        """Send a ``HEAD``; keyword arguments as for :meth:`request`."""
        return self.request("HEAD", path, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryInput = None,
        headers: HeaderInput = None,
        body: bytes | str | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, FileInput] | None = None,
        cookies: Mapping[str, str] | None = None,
    ) -> HTTPResponse:
        """Send one request through the handler as the chosen place would.

        Args:
            method: the HTTP method.
            path: the percent-encoded path, optionally with ``?query``.
            params: query parameters (added to any in ``path``).
            headers: request headers (pairs keep repeats).
            body: the raw body (``str`` is UTF-8 encoded).
            json: a value sent as a JSON body.
            data: form fields (urlencoded, or multipart with ``files``).
            files: file parts for a ``multipart/form-data`` body.
            cookies: cookies for this request, on top of the kept ones.
        """
        header_pairs = (
            list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
        )
        names = {name.lower() for name, _ in header_pairs}
        content = body.encode() if isinstance(body, str) else (body or b"")
        if json is not None:
            content = jsonlib.dumps(json).encode()
            if "content-type" not in names:
                header_pairs.append(("Content-Type", "application/json"))
        elif files:
            content, content_type = _encode_multipart(data or {}, files)
            header_pairs.append(("Content-Type", content_type))
        elif data is not None:
            content = urlencode(list(data.items())).encode()
            if "content-type" not in names:
                header_pairs.append(("Content-Type", "application/x-www-form-urlencoded"))
        jar = {**self.cookies, **(cookies or {})}
        if jar and "cookie" not in names:
            header_pairs.append(("Cookie", "; ".join(f"{k}={v}" for k, v in jar.items())))
        raw_path, _, inline = path.partition("?")
        query = inline
        if params is not None:
            if isinstance(params, str):
                extra = params
            else:
                pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
                extra = urlencode(pairs, quote_via=quote)
            query = f"{inline}&{extra}" if inline and extra else inline or extra
        context = self.context if self.context is not None else fake_context()
        if self.via == "wsgi":
            response = self._via_wsgi(
                method,
                raw_path,
                query=query,
                headers=header_pairs,
                content=content,
                context=context,
            )
        else:
            response = self._via_event(
                method,
                raw_path,
                query=query,
                headers=header_pairs,
                content=content,
                context=context,
            )
        for name, value, expired in _set_cookies(response.headers):
            if expired:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    # -- the places ---------------------------------------------------------------------

    def _via_wsgi(
        self,
        method: str,
        raw_path: str,
        *,
        query: str,
        headers: list[tuple[str, str]],
        content: bytes,
        context: object,
    ) -> HTTPResponse:
        environ = wsgi_environ(
            method,
            raw_path,
            query=query,
            headers=headers,
            body=content,
            client_ip=self.client_ip,
            context=context,
        )
        status, pairs, body = run_wsgi(validated_wsgi(self.handler), environ)
        return HTTPResponse(status, Headers(pairs), body)

    def _via_event(
        self,
        method: str,
        raw_path: str,
        *,
        query: str,
        headers: list[tuple[str, str]],
        content: bytes,
        context: object,
    ) -> HTTPResponse:
        if self.via == "fc3":
            request_id = getattr(context, "request_id", None) or "1-00000000-test"
            event = fc3_http_event(
                method,
                raw_path,
                query=query,
                headers=headers,
                body=content,
                client_ip=self.client_ip,
                request_id=str(request_id),
            )
            read = read_fc3_response
        else:
            event = apigw_event(method, raw_path, query=query, headers=headers, body=content)
            read = read_apigw_response
        answer = self.handler(jsonlib.dumps(event).encode(), context)
        status, pairs, body = read(answer)
        return HTTPResponse(status, Headers(pairs), body)


if TYPE_CHECKING:
    HttpClient = HTTPClient  # deprecated: warns at run time
    HttpResponse = HTTPResponse  # deprecated: warns at run time
else:
    __getattr__ = deprecated_aliases(
        __name__, globals(), {"HttpClient": "HTTPClient", "HttpResponse": "HTTPResponse"}
    )
