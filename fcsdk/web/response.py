"""``fc.Response`` and friends, and turning whatever a handler returns into one.

A response is status, headers and a body. Subclasses change the default
media type and how the content is rendered (:meth:`Response.render`), in the
manner of starlette. The adapters write a response out per place: through
``start_response`` on FC 2.0, as the response JSON on FC 3.0 and API Gateway.

Example:
    >>> import fcsdk as fc
    >>> r = fc.JSONResponse({"ok": True}, status=201)
    >>> r.status, r.body, r.headers["content-type"]
    (201, b'{"ok":true}', 'application/json')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from http import HTTPStatus
from types import CoroutineType
from typing import Any, ClassVar, Literal
from urllib.parse import quote

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_json

from fcsdk.exceptions import HTTPError, ResultEncodeError
from fcsdk.web.datastructures import Headers, MutableHeaders

__all__ = [
    "JSONResponse",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
    "error_response",
    "internal_error_response",
    "render_json",
    "status_line",
    "to_response",
]

HeadersInput = Mapping[str, str] | Iterable[tuple[str, str]] | Headers | None
"""What ``headers=`` accepts."""

SameSite = Literal["lax", "strict", "none"]

_new = object.__new__


class Response:
    """An HTTP response with a complete body.

    Args:
        body: ``str`` (encoded as UTF-8), ``bytes``, or ``None`` for no body.
        status: the status code.
        headers: response headers (pairs keep repeats).
        content_type: the ``Content-Type``; a ``text/*`` type gets ``; charset=utf-8``.

    Example:
        >>> r = Response("Hello!\\n", content_type="text/plain")
        >>> r.headers["Content-Type"], r.body
        ('text/plain; charset=utf-8', b'Hello!\\n')
    """

    media_type: ClassVar[str | None] = None
    charset: ClassVar[str] = "utf-8"
    _type_header: ClassVar[tuple[str, str] | None] = None
    """The class's ``Content-Type`` header, from ``media_type`` (set for each subclass)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        media = cls.media_type
        cls._type_header = None if media is None else ("Content-Type", _typed(media, cls.charset))

    def __init__(
        self,
        body: Any = None,
        *,
        status: int = 200,
        headers: HeadersInput = None,
        content_type: str | None = None,
    ) -> None:
        self.status = status
        if headers is None:
            own = _new(MutableHeaders)  # MutableHeaders._trusted([]), inlined: once per response
            own._lowered = None
            self.headers = own
            self.body: bytes = self.render(body)
            header = self._type_header
            if header is not None and content_type is None:  # the common case: the class's type
                own._items = [header]
                return
            own._items = []
        else:
            own = MutableHeaders(headers)
            self.headers = own
            self.body = self.render(body)
        media = content_type or self.media_type
        if media is None and body is not None and status not in (204, 304):
            # Content gets a type (RFC 9110 8.3): str is text, anything else opaque bytes. A
            # body-less answer (a redirect, say) goes without one, as RFC 9110 allows.
            media = "text/plain" if isinstance(body, str) else _OCTETS
        if media is not None and (headers is None or "content-type" not in own):
            own._items.append(("Content-Type", _typed(media, self.charset)))

    def render(self, content: Any) -> bytes:
        """Return the body bytes for ``content``."""
        if content is None:
            return b""
        if isinstance(content, bytes):
            return content
        if isinstance(content, str):
            return content.encode(self.charset)
        if isinstance(content, bytearray | memoryview):
            return bytes(content)
        raise ResultEncodeError(
            f"a Response body must be str or bytes, not {type(content).__name__}: "
            "use JSONResponse for data, StreamingResponse for an iterable"
        )

    # -- cookies --------------------------------------------------------------------------

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        max_age: int | None = None,
        expires: datetime | int | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: SameSite | None = "lax",
    ) -> None:
        """Add a ``Set-Cookie`` header (several cookies give several headers).

        ``expires`` is a datetime or seconds from now. The value is
        percent-quoted when it holds characters a cookie cannot carry (or a
        ``%``); :attr:`Request.cookies <fcsdk.Request.cookies>` decodes it again.

        Example:
            >>> r = Response()
            >>> r.set_cookie("sid", "abc", httponly=True)
            >>> r.headers.getall("set-cookie")
            ['sid=abc; Path=/; HttpOnly; SameSite=Lax']
        """
        if not key or not _TOKEN.issuperset(key):
            raise ResultEncodeError(f"invalid cookie name {key!r}: it must be an RFC 6265 token")
        _check_attribute("path", path, _PATH_OCTETS)
        _check_attribute("domain", domain, _DOMAIN_CHARS)
        if samesite is not None and samesite not in ("lax", "strict", "none"):
            raise ResultEncodeError(f"samesite must be 'lax', 'strict' or 'none', not {samesite!r}")
        if any(c in value for c in ' ;,"\\%\t\r\n') or not value.isascii():
            value = quote(value, safe="")
        parts = [f"{key}={value}"]
        if max_age is not None:
            parts.append(f"Max-Age={int(max_age)}")
        if expires is not None:
            from email.utils import format_datetime  # only when a cookie expires: cold start

            when = (
                expires
                if isinstance(expires, datetime)
                else datetime.fromtimestamp(
                    datetime.now(timezone.utc).timestamp() + expires, timezone.utc
                )
            )
            parts.append(f"Expires={format_datetime(when.astimezone(timezone.utc), usegmt=True)}")
        if domain:
            parts.append(f"Domain={domain}")
        if path:
            parts.append(f"Path={path}")
        if secure:
            parts.append("Secure")
        if httponly:
            parts.append("HttpOnly")
        if samesite:
            parts.append(f"SameSite={samesite.capitalize()}")
        self.headers.add("Set-Cookie", "; ".join(parts))

    def delete_cookie(
        self,
        key: str,
        *,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: SameSite | None = "lax",
    ) -> None:
        """Tell the client to drop cookie ``key`` (an expired, empty ``Set-Cookie``)."""
        self.set_cookie(
            key,
            "",
            max_age=0,
            expires=datetime(1970, 1, 1, tzinfo=timezone.utc),
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )

    # -- writing ------------------------------------------------------------------------

    def iter_body(self) -> Iterator[bytes]:
        """Yield the body in chunks (one chunk for a complete body)."""
        if self.body:
            yield self.body

    def close(self) -> None:
        """Release what the body holds (nothing for a complete body)."""

    @property
    def status_line(self) -> str:
        """The WSGI status line, ``"200 OK"``.

        Raises:
            ResultEncodeError: the status is not a three-digit code.
        """
        return status_line(self.status)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status} {self.headers.get('content-type')!r}>"


_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
"""A cookie name: an RFC 6265 / RFC 9110 token."""
_PATH_OCTETS = frozenset(chr(c) for c in range(0x20, 0x7F) if c != 0x3B)
"""A ``Path`` attribute: any printable ASCII but ``;`` (RFC 6265 ``av-octet``)."""
_DOMAIN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
"""A ``Domain`` attribute: letters, digits, hyphens and dots (RFC 6265 section 4.1.2.3)."""


def _check_attribute(name: str, value: str | None, allowed: frozenset[str]) -> None:
    """Refuse a cookie attribute that would add attributes of its own (``/; Domain=evil``).

    Raises:
        ResultEncodeError: ``value`` holds ``;``, a control character, or another
            character RFC 6265 does not allow there.
    """
    if value and not allowed.issuperset(value):
        bad = next(c for c in value if c not in allowed)
        raise ResultEncodeError(
            f"refusing cookie {name} {value!r}: {bad!r} is not allowed there (RFC 6265)"
        )


_OCTETS = "application/octet-stream"


def _typed(media: str, charset: str) -> str:
    """``media``, with ``; charset=`` when it is a ``text/*`` type that names none."""
    if media.startswith("text/") and "charset=" not in media:
        return f"{media}; charset={charset}"
    return media


_STATUS_LINES = {s.value: f"{s.value} {s.phrase}" for s in HTTPStatus}


def status_line(status: int) -> str:
    """The WSGI status line of ``status``: ``"201 Created"``, ``"599 Unknown"``.

    Raises:
        ResultEncodeError: the status is not a three-digit code.
    """
    line = _STATUS_LINES.get(status)
    if line is not None:
        return line
    if type(status) is not int or not 100 <= status <= 999:
        raise ResultEncodeError(f"invalid HTTP status {status!r}: expected 100..999")
    return f"{status} Unknown"


def _json_fallback(value: Any) -> Any:
    to_json_method = getattr(value, "to_json", None)
    if callable(to_json_method):
        return to_json_method()
    raise ResultEncodeError(
        f"cannot send a {type(value).__qualname__} as JSON: return data, a pydantic model, "
        "a dataclass, or a Response"
    )


def render_json(content: Any) -> bytes:
    """Encode ``content`` as compact UTF-8 JSON (models by alias, datetimes as ISO 8601).

    Raises:
        ResultEncodeError: the content cannot be encoded.
    """
    try:
        return to_json(content, by_alias=True, fallback=_json_fallback)
    except ResultEncodeError:
        raise
    except (PydanticSerializationError, ValueError, TypeError, RecursionError) as exc:
        raise ResultEncodeError(f"cannot encode the response as JSON: {exc}") from exc


class JSONResponse(Response):
    """A JSON response: dicts, lists, pydantic models, dataclasses, datetimes...

    Example:
        >>> JSONResponse([1, "two"]).body
        b'[1,"two"]'
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Return ``content`` as compact JSON."""
        try:  # render_json, inlined: once per response
            return to_json(content, by_alias=True, fallback=_json_fallback)
        except ResultEncodeError:
            raise
        except (PydanticSerializationError, ValueError, TypeError, RecursionError) as exc:
            raise ResultEncodeError(f"cannot encode the response as JSON: {exc}") from exc


class RedirectResponse(Response):
    """A redirect to ``url`` (307 by default, so the method and body are kept).

    Example:
        >>> r = RedirectResponse("/orders/7", status=303)
        >>> r.status, r.headers["location"]
        (303, '/orders/7')
    """

    def __init__(self, url: str, *, status: int = 307, headers: HeadersInput = None) -> None:
        super().__init__(None, status=status, headers=headers)
        self.headers["Location"] = quote(url, safe=":/%#?=@[]!$&'()*+,;~")


class StreamingResponse(Response):
    """A response whose body is an iterable of ``bytes``/``str``, written as it is produced.

    On FC 2.0 (WSGI) each chunk goes out as it is yielded; the FC 3.0 and API
    Gateway answers are one JSON document, so there the chunks are joined.
    The iterable's ``close()`` is called when the response is done.

    Example:
        >>> r = StreamingResponse((f"line {i}\\n" for i in range(2)), content_type="text/plain")
        >>> b"".join(r.iter_body())
        b'line 0\\nline 1\\n'
    """

    def __init__(
        self,
        content: Iterable[bytes | str],
        *,
        status: int = 200,
        headers: HeadersInput = None,
        content_type: str | None = None,
    ) -> None:
        self._content = content
        media = content_type or self.media_type
        if media is None and status not in (204, 304):
            media = "text/plain"  # there is content: typed, as a str body is
        super().__init__(None, status=status, headers=headers, content_type=media)

    def iter_body(self) -> Iterator[bytes]:
        """Yield each chunk of the iterable, ``str`` encoded as UTF-8."""
        for chunk in self._content:
            if isinstance(chunk, str):
                yield chunk.encode(self.charset)
            elif isinstance(chunk, bytes | bytearray | memoryview):
                yield bytes(chunk)
            else:
                raise ResultEncodeError(
                    f"a StreamingResponse chunk must be bytes or str, not {type(chunk).__name__}"
                )

    def close(self) -> None:
        """Call the iterable's ``close()``, if it has one."""
        close = getattr(self._content, "close", None)
        if callable(close):
            close()


def error_response(exc: HTTPError) -> Response:
    """The JSON problem response (RFC 9457) for an :class:`~fcsdk.HTTPError`."""
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


def _looks_like_html(text: str) -> bool:
    return text.lstrip()[:1] == "<"


def to_response(value: object) -> Response:
    """Turn a handler's return value into a :class:`Response`.

    ``Response`` as is; ``dict``/``list``/pydantic model/dataclass as JSON;
    ``str`` as ``text/html`` when it starts with ``<``, else ``text/plain``;
    ``bytes`` as ``application/octet-stream``; ``None`` as ``204 No Content``;
    ``(body, status)`` and ``(body, status, headers)`` tuples.

    Raises:
        ResultEncodeError: the value cannot be sent.

    Example:
        >>> to_response(("created", 201)).status
        201
    """
    if isinstance(value, Response):
        return value
    if isinstance(value, tuple):
        if len(value) not in (2, 3) or not isinstance(value[1], int):
            raise ResultEncodeError(
                "a tuple result must be (body, status) or (body, status, headers), "
                f"got a {len(value)}-tuple"
            )
        response = to_response(value[0])
        response.status = value[1]
        if len(value) == 3:
            for name, header in Headers(value[2]).items():
                response.headers[name] = header
        return response
    if isinstance(value, str):
        return Response(
            value, content_type="text/html" if _looks_like_html(value) else "text/plain"
        )
    if isinstance(value, bytes | bytearray | memoryview):
        return Response(bytes(value), content_type="application/octet-stream")
    if value is None:
        return Response(None, status=204)
    if isinstance(value, dict | list | BaseModel) or dataclasses.is_dataclass(value):
        return JSONResponse(value)
    if isinstance(value, CoroutineType):
        from fcsdk._decode import not_awaited_error

        raise not_awaited_error(value, "HTTP handler")
    raise ResultEncodeError(
        f"a handler returned a {type(value).__module__}.{type(value).__qualname__}, "
        "which is not a response: return a Response, str, bytes, a dict/list, a pydantic "
        "model, a dataclass, None, or a (body, status[, headers]) tuple"
    )
