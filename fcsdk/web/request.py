"""``fc.Request``: one HTTP request object, whichever of FC's three places it came from.

The object is sans-IO: it does not know about WSGI or events. The places
(:mod:`fcsdk.web.places`) hand it the raw parts and
loaders, and every derived view (decoded path, query, headers, cookies,
body, JSON, form, typed context) is computed on first read and kept. A
property that is never read costs nothing.

Malformed input surfaces as an :class:`~fcsdk.HTTPError` (400, 411, 413,
415, 422) when the part is read, which the adapters turn into a 4xx answer.

Example:
    >>> import fcsdk as fc
    >>> req = fc.Request(method="POST", raw_path="/orders/a%20b", query="tag=a&tag=b",
    ...                  headers={"Content-Type": "application/json"}, body=b'{"qty": 2}')
    >>> req.path, req.query.getall("tag"), req.json()
    ('/orders/a b', ['a', 'b'], {'qty': 2})
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, unquote_to_bytes

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import from_json

from fcsdk._platform.rules import MAX_SYNC_BODY_SIZE
from fcsdk.exceptions import BadRequest, RequestHeaderFieldsTooLarge, RequestValidationError
from fcsdk.web.datastructures import (
    FormData,
    Headers,
    QueryParams,
    check_percent_escapes,
    parse_cookie_header,
)
from fcsdk.web.limits import DEFAULT_LIMITS, Limits, check_json_depth

if TYPE_CHECKING:
    from fcsdk.context import FCContext

__all__ = ["DEFAULT_MAX_BODY_SIZE", "Request", "body_error", "validation_errors"]

M = TypeVar("M")

DEFAULT_MAX_BODY_SIZE = MAX_SYNC_BODY_SIZE
"""FC's own limit on a synchronous request's body: 6 MB."""

_UNSET: Any = object()

QuerySource = str | QueryParams | dict[str, str] | Callable[[], QueryParams]
"""Where a request's query comes from: a query string, the parameters, an event's
``queryParameters`` (repeats joined with commas), or a loader."""


def validation_errors(
    exc: ValidationError, *, prefix: tuple[str | int, ...] = ()
) -> list[dict[str, Any]]:
    """Return pydantic's errors as ``{loc, msg, type}`` dicts, without the offending input."""
    return [
        {"loc": [*prefix, *err["loc"]], "msg": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False, include_context=False)
    ]


class Request:
    """An HTTP request: method, path, query, headers, cookies, body, and the FC context.

    Build one directly in tests; the adapters build them from the platform's
    input. ``raw_path`` is the percent-encoded path below ``root_path`` (the
    FC 2.0 ``/2016-08-15/proxy/<service>/<function>`` prefix, when present).

    Args:
        method: the HTTP method (upper-cased).
        raw_path: the percent-encoded path.
        query: a query string or :class:`QueryParams`.
        headers: the request headers.
        body: the body bytes.
        client_ip: the client's address.
        context: the runtime's context object (or an ``FCContext``).
        request_id: the request id, when not taken from ``context``.
        root_path: the part of the URL path in front of ``raw_path``.
        path_params: parameters captured by a route.
    """

    __slots__ = (
        "_body",
        "_body_loader",
        "_context",
        "_cookies",
        "_form",
        "_headers",
        "_headers_loader",
        "_path",
        "_query",
        "_query_source",
        "_request_id",
        "_source",
        "client_ip",
        "limits",
        "method",
        "path_params",
        "raw_context",
        "raw_path",
        "root_path",
    )

    method: str
    raw_path: str
    root_path: str
    limits: Limits
    """The resource limits this request is read under (set by the adapter)."""
    client_ip: str
    raw_context: object
    path_params: dict[str, Any]

    def __init__(
        self,
        *,
        method: str = "GET",
        raw_path: str = "/",
        query: str | QueryParams = "",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | Headers | None = None,
        body: bytes = b"",
        client_ip: str = "",
        context: object = None,
        request_id: str | None = None,
        root_path: str = "",
        path_params: Mapping[str, Any] | None = None,
    ) -> None:
        self.method = method.upper()
        self.limits = DEFAULT_LIMITS
        self.raw_path = raw_path or "/"
        self.root_path = root_path
        self.client_ip = client_ip
        self.raw_context = context
        self.path_params = dict(path_params or {})
        self._query_source: QuerySource = query
        self._query: QueryParams | None = query if isinstance(query, QueryParams) else None
        self._headers: Headers | None = Headers(headers)
        self._headers_loader: Callable[[Any], Headers] | None = None
        self._body: bytes | None = bytes(body)
        self._body_loader: Callable[[Any, int], bytes] | None = None
        self._source: Any = None
        self._request_id = request_id
        self._path: str | None = None
        self._cookies: dict[str, str] | None = None
        self._form: FormData | None = None
        self._context: FCContext | None = None

    @classmethod
    def _lazy(  # noqa: PLR0917 - positional on purpose: it runs once per request
        cls,
        method: str,
        raw_path: str,
        query: str | QueryParams | Callable[[], QueryParams],
        headers: Callable[[], Headers],
        body: Callable[[], bytes],
        client_ip: str,
        context: object,
        request_id: str | None,
        root_path: str,
    ) -> Request:
        """A request of parts as they came and loaders called with no argument."""
        return cls._of_source(
            method,
            raw_path,
            query,
            (headers, body),
            _call_headers,
            _call_body,
            client_ip,
            context,
            request_id,
            root_path,
            DEFAULT_LIMITS,
        )

    @classmethod
    def _of_source(  # noqa: PLR0917 - positional on purpose: it runs once per request
        cls,
        method: str,
        raw_path: str,
        query: QuerySource,
        source: Any,
        headers: Callable[[Any], Headers],
        body: Callable[[Any, int], bytes],
        client_ip: str,
        context: object,
        request_id: str | None,
        root_path: str,
        limits: Limits,
    ) -> Request:
        """The places' constructor: parts as they came, derived views computed later.

        ``headers(source)`` and ``body(source, limits.max_body_size)`` load the
        headers and the body on first read: plain functions over the place's raw
        input, so a request makes no closures and holds no reference to its place.
        """
        self = cls.__new__(cls)
        self.method = method
        self.limits = limits
        self.raw_path = raw_path
        self.root_path = root_path
        self.client_ip = client_ip
        self.raw_context = context
        self.path_params = {}
        self._query_source = query
        self._query = None
        self._headers = None
        self._headers_loader = headers
        self._body = None
        self._body_loader = body
        self._source = source
        self._request_id = request_id
        self._path = None
        self._cookies = None
        self._form = None
        self._context = None
        return self

    # -- the URL ------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The percent-decoded path (UTF-8).

        Raises:
            BadRequest: bad percent-encoding, or bytes that are not UTF-8.
        """
        if self._path is None:
            raw = self.raw_path
            if "%" not in raw and raw.isascii():
                self._path = raw
            else:
                check_percent_escapes(raw, "path")
                try:
                    self._path = unquote_to_bytes(raw).decode("utf-8")
                except UnicodeError:
                    raise BadRequest("the path is not valid UTF-8 after percent-decoding") from None
        return self._path

    @property
    def query_string(self) -> str:
        """The query string, percent-encoded (rebuilt from the parameters for events).

        An event's value is kept whole, never split at its commas (``{"q": "a,b"}``
        gives ``q=a,b``): FC 3.0 joins a repeated parameter with commas, so a comma
        there may be the client's own (``?q=a,b``), and splitting would lose it.
        """
        source = self._query_source
        if isinstance(source, str):
            return source
        return "&".join(f"{quote(k, safe=',')}={quote(v, safe=',')}" for k, v in self.query._items)

    @property
    def request_uri(self) -> str:
        """The request's URI as the client sent it: root path, path and query string."""
        query = self.query_string
        return f"{self.root_path}{self.raw_path}" + (f"?{query}" if query else "")

    @property
    def query(self) -> QueryParams:
        """The query parameters (see :class:`QueryParams` for repeated values).

        Raises:
            BadRequest: bad percent-encoding or non-UTF-8 text.
        """
        query = self._query
        if query is None:
            source = self._query_source
            if isinstance(source, str):
                query = QueryParams.from_string(source)
            elif isinstance(source, dict):  # an event's (its place made it, and a copy if need be)
                query = QueryParams._over(source)
            elif isinstance(source, QueryParams):
                query = source
            else:
                query = source()
            self._query = query
        return query

    # -- headers ------------------------------------------------------------------------

    @property
    def headers(self) -> Headers:
        """The request headers: case-insensitive, multi-valued.

        Raises:
            BadRequest: a header value is not valid UTF-8.
        """
        headers = self._headers
        if headers is None:
            assert self._headers_loader is not None
            headers = self._headers_loader(self._source)
            count = headers._field_count()
            if count > self.limits.max_headers:
                raise RequestHeaderFieldsTooLarge(
                    f"the request has {count} header fields; "
                    f"at most {self.limits.max_headers} are accepted"
                )
            self._headers = headers
        return headers

    @property
    def content_type(self) -> str | None:
        """The ``Content-Type`` header, if any."""
        return self.headers.get("content-type")

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies of the ``Cookie`` header(s), by name."""
        cookies = self._cookies
        if cookies is None:
            values = self.headers._values("cookie")  # Cookie is no list header: never split
            if len(values) == 1:
                cookies = parse_cookie_header(values[0])
            else:
                cookies = {}
                for value in values:
                    for name, cookie in parse_cookie_header(value).items():
                        cookies.setdefault(name, cookie)
            self._cookies = cookies
        return cookies

    # -- the body -----------------------------------------------------------------------

    @property
    def body(self) -> bytes:
        """The body bytes (base64 already undone), read on first use.

        Raises:
            BadRequest: the body or its ``Content-Length`` is malformed.
            PayloadTooLarge: the body is over the configured limit.
        """
        body = self._body
        if body is None:
            assert self._body_loader is not None
            body = self._body = self._body_loader(self._source, self.limits.max_body_size)
        return body

    @property
    def text(self) -> str:
        """The body decoded with the ``Content-Type`` charset (UTF-8 by default).

        Raises:
            BadRequest: the body does not decode.
        """
        charset = "utf-8"
        content_type = self.content_type
        if content_type and "charset=" in content_type.lower():
            from fcsdk.web.forms import parse_content_type

            charset = parse_content_type(content_type)[1].get("charset", "utf-8")
        try:
            return self.body.decode(charset)
        except (UnicodeError, LookupError, ValueError) as exc:
            # UnicodeError covers codecs that cannot decode at all ("undefined", "idna").
            shown = charset.encode("ascii", "backslashreplace").decode()
            raise BadRequest(f"the body is not valid {shown} text") from exc

    def json(self) -> Any:
        """Parse the body as JSON.

        Raises:
            BadRequest: the body is empty or is not valid JSON (the error says where).
        """
        body = self.body
        if not body:
            raise BadRequest("expected a JSON body, got an empty body")
        max_depth = self.limits.max_json_depth
        if body.count(b"[") + body.count(b"{") > max_depth:  # else it cannot nest deeper
            check_json_depth(body, max_depth)
        try:
            return from_json(body)
        except (ValueError, RecursionError) as exc:
            raise BadRequest(f"the body is not valid JSON: {exc}") from None

    def model(self, model: type[M]) -> M:
        """Validate the JSON body straight from bytes into ``model`` (any pydantic-able type).

        Raises:
            BadRequest: the body is not JSON at all (400: nothing to validate).
            RequestValidationError: the JSON does not fit the model (422, every field error
                under ``errors`` with ``loc`` starting at ``"body"``).
        """
        body = self.body
        check_json_depth(body, self.limits.max_json_depth)
        target: Any = model
        try:
            if isinstance(target, type) and issubclass(target, BaseModel):
                return target.model_validate_json(body)  # type: ignore[return-value]
            return TypeAdapter(target).validate_json(body)  # type: ignore[no-any-return]
        except ValidationError as exc:
            raise body_error(exc) from None

    def form(self) -> FormData:
        """Parse an urlencoded or ``multipart/form-data`` body.

        Raises:
            BadRequest: the form is malformed (bad multipart, bad encoding).
            UnsupportedMediaType: the body is not a form.
        """
        if self._form is None:
            from fcsdk.web.forms import parse_form

            self._form = parse_form(self.body, self.content_type, limits=self.limits)
        return self._form

    # -- the FC side ----------------------------------------------------------------------

    @property
    def context(self) -> FCContext:
        """The typed :class:`~fcsdk.FCContext` of this invocation, built on first use.

        Raises:
            ContextError: the request carries no runtime context.
        """
        if self._context is None:
            from fcsdk.context import FCContext

            self._context = FCContext.from_runtime(self.raw_context)
        return self._context

    @property
    def request_id(self) -> str:
        """The invocation's request id, or ``''``; never raises.

        From the context, else the event's ``requestContext.requestId``, else
        FC's ``X-Fc-Request-Id`` request header.
        """
        if self._request_id is None:
            raw = self.raw_context
            found = getattr(raw, "request_id", None)
            if found is None and isinstance(raw, Mapping):
                found = raw.get("request_id") or raw.get("requestId")
            if not found:
                try:
                    found = self.headers.get("x-fc-request-id")
                except BadRequest:  # used while answering errors: must not fail
                    found = None
            self._request_id = str(found) if found else ""
        return self._request_id

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.root_path}{self.raw_path}>"


def _call_headers(source: tuple[Callable[[], Headers], Callable[[], bytes]]) -> Headers:
    return source[0]()


def _call_body(source: tuple[Callable[[], Headers], Callable[[], bytes]], limit: int) -> bytes:
    return source[1]()


def body_error(exc: ValidationError) -> BadRequest | RequestValidationError:
    """The error of a body that failed validation: 400 when it is not JSON at all, else 422.

    The one statement of the rule, for :meth:`Request.model` and the routes' body parameters.
    """
    errors = validation_errors(exc, prefix=("body",))
    for error in errors:
        if error["type"] == "json_invalid":
            # Not JSON at all: a syntax problem of the request (400), not a failed validation.
            return BadRequest(f"the body is not valid JSON: {error['msg']}")
    return RequestValidationError(errors)
