"""``HTTPClient``: drive an HTTP handler exactly as one of FC's three places would.

``via="wsgi"`` builds the PEP 3333 environ FC 2.0 builds and runs the
handler under the standard library's :func:`wsgiref.validate.validator`, so
any breach of the WSGI protocol fails the test (a body-less response,
``Content-Length: 0``, may go without a ``Content-Type``, as RFC 9110
allows). ``via="fc3"`` sends the FC 3.0 HTTP trigger event as JSON bytes and
reads the response JSON back; ``via="apigw"`` does the same with API
Gateway's shapes. Cookies set by a response are sent with the following
requests, as a browser would; every request carries a ``Host``
(``testserver`` unless ``base_url``, an absolute URL or a ``Host`` header
says otherwise), as FC's always do.

It stands in for Starlette's ``TestClient``: ``content=``, ``json=``,
``data=``, ``files=``, ``follow_redirects=``, ``timeout=``, absolute URLs,
gzip bodies decoded, ``raise_for_status()``, and ``with HTTPClient(handler)
as client:`` running an ``fc.from_asgi`` app's lifespan startup and shutdown.

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
import math
import uuid
import zlib
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, urlencode, urljoin, urlsplit

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
from fcsdk.exceptions import HTTPError, InvalidArgumentError
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

    def __init__(
        self, status_code: int, headers: Headers, content: bytes, *, url: str = ""
    ) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = _decoded(headers, content)
        self.url = url
        self.history: list[HTTPResponse] = []

    @property
    def is_success(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status_code < 300

    def raise_for_status(self) -> HTTPResponse:
        """Return the response when its status is below 400, else raise.

        Raises:
            HTTPError: a 4xx or 5xx status, with the status and the body as detail.
        """
        if self.status_code >= 400:
            raise HTTPError(
                f"{self.status_code} for {self.url or 'the request'}: {self.text[:500]}",
                status=self.status_code,
            )
        return self

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


def _decoded(headers: Headers, content: bytes) -> bytes:
    """The body with its gzip or deflate ``Content-Encoding`` undone, as an HTTP client does."""
    coding = (headers.get("content-encoding") or "").strip().lower()
    if not content or coding not in ("gzip", "x-gzip", "deflate"):
        return content
    try:
        wbits = 47 if coding != "deflate" else zlib.MAX_WBITS  # 47: gzip or zlib header
        return zlib.decompress(content, wbits)
    except zlib.error:
        return zlib.decompress(content, -zlib.MAX_WBITS) if coding == "deflate" else content


REDIRECTS = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 20


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
        base_url: the scheme and host of relative URLs (``Host: testserver``
            by default, as Starlette's ``TestClient``).
        follow_redirects: follow 3xx answers with a ``Location`` (off by
            default; ``TestClient`` follows them).

    Example:
        >>> import fcsdk as fc
        >>> @fc.http
        ... def where(request: fc.Request) -> str:
        ...     return request.headers["host"]
        >>> HTTPClient(where, via="fc3").get("/").text
        'testserver'
    """

    def __init__(
        self,
        handler: Callable[..., Any],
        *,
        via: Via = "wsgi",
        context: object = None,
        client_ip: str = "127.0.0.1",
        base_url: str = "http://testserver",
        follow_redirects: bool = False,
    ) -> None:
        if via not in ("wsgi", "fc3", "apigw"):
            from fcsdk.exceptions import ConfigurationError

            raise ConfigurationError(f"via must be 'wsgi', 'fc3' or 'apigw', not {via!r}")
        base = urlsplit(base_url)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise InvalidArgumentError(
                f"base_url must be http:// or https:// with a host, not {base_url!r}"
            )
        from fcsdk.handler import is_async_callable

        if is_async_callable(handler):
            from fcsdk.testing._invoke import not_awaited_by_runtime

            raise not_awaited_by_runtime(handler)
        self.handler = handler
        self.via: Via = via
        self.context = context
        self.client_ip = client_ip
        self.base_url = f"{base.scheme}://{base.netloc}"
        self.follow_redirects = follow_redirects
        self.cookies: dict[str, str] = {}

    # -- lifespan ----------------------------------------------------------------------

    def __enter__(self) -> HTTPClient:
        """Run the app's lifespan startup (an ``fc.from_asgi`` handler's), as ``TestClient`` does.

        Raises:
            LifespanError: the startup failed.
        """
        initializer = getattr(self.handler, "initializer", None)
        if callable(initializer) and callable(getattr(self.handler, "pre_stop", None)):
            initializer(self.context if self.context is not None else fake_context())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Run the app's lifespan shutdown."""
        pre_stop = getattr(self.handler, "pre_stop", None)
        if callable(pre_stop) and callable(getattr(self.handler, "initializer", None)):
            pre_stop(self.context if self.context is not None else fake_context())

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
        content: bytes | str | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, FileInput] | None = None,
        cookies: Mapping[str, str] | None = None,
        follow_redirects: bool | None = None,
        timeout: float | None = None,
    ) -> HTTPResponse:
        """Send one request through the handler as the chosen place would.

        Args:
            method: the HTTP method.
            path: the percent-encoded path, optionally with ``?query``, or an
                absolute ``http(s)://host/path`` URL (its host becomes ``Host``).
            params: query parameters (added to any in ``path``).
            headers: request headers (pairs keep repeats); a ``Host`` here wins.
            body: the raw body (``str`` is UTF-8 encoded).
            content: the same as ``body``, under httpx's name.
            json: a value sent as a JSON body.
            data: form fields (urlencoded, or multipart with ``files``).
            files: file parts for a ``multipart/form-data`` body.
            cookies: cookies for this request, on top of the kept ones.
            follow_redirects: follow 3xx answers (the client's setting by default).
            timeout: the function's timeout in seconds, as the fake context
                carries it (``fc.from_asgi`` cancels a request past it).

        Raises:
            InvalidArgumentError: ``body`` and ``content`` both given, a
                ``timeout`` with your own ``context``, or a URL that is not http(s).
        """
        if body is not None and content is not None:
            raise InvalidArgumentError("give the body as content= or body=, not both")
        if timeout is not None and self.context is not None:
            raise InvalidArgumentError(
                "timeout= sets the fake context's function timeout: set it on your own "
                "context instead"
            )
        if path.startswith(("http://", "https://")):
            url = path
        else:
            url = self.base_url + (path if path.startswith("/") else "/" + path)
        response = self._send(
            method,
            url,
            params=params,
            headers=headers,
            body=content if content is not None else body,
            json=json,
            data=data,
            files=files,
            cookies=cookies,
            timeout=timeout,
        )
        follow = self.follow_redirects if follow_redirects is None else follow_redirects
        history: list[HTTPResponse] = []
        while follow and response.status_code in REDIRECTS and "location" in response.headers:
            if len(history) == MAX_REDIRECTS:
                raise InvalidArgumentError(f"more than {MAX_REDIRECTS} redirects from {url}")
            history.append(response)
            url = urljoin(response.url, response.headers["location"])
            same_body = response.status_code in (307, 308)
            if not same_body and method.upper() != "HEAD":
                method = "GET"
            response = self._send(
                method,
                url,
                params=None,
                headers=_without_body_headers(headers) if not same_body else headers,
                body=(content if content is not None else body) if same_body else None,
                json=json if same_body else None,
                data=data if same_body else None,
                files=files if same_body else None,
                cookies=cookies,
                timeout=timeout,
            )
        response.history = history
        return response

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: QueryInput,
        headers: HeaderInput,
        body: bytes | str | None,
        json: Any,
        data: Mapping[str, str] | None,
        files: Mapping[str, FileInput] | None,
        cookies: Mapping[str, str] | None,
        timeout: float | None,
    ) -> HTTPResponse:
        """Send one request to the absolute ``url`` (no redirects followed)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidArgumentError(f"not an http(s) URL with a host: {url!r}")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        header_pairs = (
            list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
        )
        names = {name.lower() for name, _ in header_pairs}
        if "host" not in names:
            header_pairs.insert(0, ("Host", parts.netloc))
        if self.via != "wsgi" and parts.scheme == "https" and "x-forwarded-proto" not in names:
            header_pairs.append(("X-Forwarded-Proto", "https"))
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
        if self.context is not None:
            context = self.context
        elif timeout is not None:
            context = fake_context(timeout=max(1, math.ceil(timeout)))
        else:
            context = fake_context()
        if self.via == "wsgi":
            response = self._via_wsgi(
                method,
                raw_path,
                query=query,
                headers=header_pairs,
                content=content,
                context=context,
                scheme=parts.scheme,
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
        response.url = url
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
        scheme: str = "http",
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
        environ["wsgi.url_scheme"] = scheme
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


def _without_body_headers(headers: HeaderInput) -> list[tuple[str, str]]:
    """``headers`` without the ones that describe a body, for a redirect that drops it."""
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])
    return [(k, v) for k, v in pairs if k.lower() not in ("content-type", "content-length")]


if TYPE_CHECKING:
    HttpClient = HTTPClient  # deprecated: warns at run time
    HttpResponse = HTTPResponse  # deprecated: warns at run time
else:
    __getattr__ = deprecated_aliases(
        __name__, globals(), {"HttpClient": "HTTPClient", "HttpResponse": "HTTPResponse"}
    )
