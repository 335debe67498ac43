"""FC 3.0's and API Gateway's places: an HTTP event in, a :class:`Request` out; the response JSON out.

On FC 3.0 built-in runtimes an HTTP trigger calls the ordinary event handler
with a JSON event (:class:`~fcsdk.events.http.HTTPTriggerEvent`); API Gateway
does the same with its own shape (:class:`~fcsdk.events.http.APIGatewayEvent`).
Both answer with JSON: ``statusCode``, ``headers``, ``body`` and
``isBase64Encoded``.

Reading takes a fast path over the parsed JSON; when an event does not fit,
the pydantic models above are run to report exactly which field is wrong, so
both always agree on what is valid.

The answer's body is text when the content type is textual (see
:data:`~fcsdk.web.options.DEFAULT_TEXT_TYPES`) and there is no
``Content-Encoding``; anything else is sent base64. A header sent several
times (``Set-Cookie``) is carried as a list of strings
(``multi_value_headers="list"``, the default) or joined with ``", "``
(``"join"``): how the platform carries repeats is not documented, so both
are offered.

Example:
    >>> from fcsdk.web.options import DEFAULT_OPTIONS
    >>> place = FC3Place.from_event(b'{"requestContext": {"http": {"method": "GET"}}}', None,
    ...                             DEFAULT_OPTIONS)
    >>> place.encode(201, [("Content-Type", "text/plain")], b"made")
    b'{"statusCode":201,"headers":{"Content-Type":"text/plain"},"isBase64Encoded":false,"body":"made"}'
"""  # noqa: E501

from __future__ import annotations

import base64
import binascii
import functools
from abc import abstractmethod
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from pydantic import ValidationError
from pydantic_core import from_json, to_json

from fcsdk._decode import format_validation_error, to_bytes
from fcsdk._platform.rules import PATH_SAFE, parse_content_length
from fcsdk.exceptions import BadRequest, EventDecodeError, PayloadTooLarge
from fcsdk.web.datastructures import _VALID_NAMES, Headers, _DictHeaders, check_header
from fcsdk.web.options import DEFAULT_TEXT_TYPES, HTTPOptions
from fcsdk.web.places.base import Place
from fcsdk.web.request import Request

if TYPE_CHECKING:
    from pydantic import BaseModel
    from typing_extensions import Self

__all__ = [
    "NOT_HTTP",
    "APIGatewayPlace",
    "EventPlace",
    "FC3Place",
    "is_text_response",
    "parse_event",
]

NOT_HTTP = (
    "the event is not an HTTP event: expected an FC 3.0 HTTP trigger event "
    "(with requestContext.http) or an API Gateway event (with httpMethod)"
)
"""The message of the :class:`~fcsdk.EventDecodeError` for an event no place recognises."""


def parse_event(event: object) -> dict[str, Any]:
    """The event as a dict: JSON bytes/str parsed, a dict as it is.

    A dict holding ``dict`` subclasses (an ``OrderedDict``, a ``defaultdict``,
    ``json.loads(..., object_pairs_hook=OrderedDict)``'s objects) is copied
    into plain dicts and lists first, as the event's model reads them.

    Raises:
        EventDecodeError: not JSON, not an object, or nested too deeply.
    """
    if isinstance(event, dict):
        try:
            if _plain_json(event):
                return event
            return _as_plain(event)  # type: ignore[no-any-return]
        except RecursionError as exc:
            message = f"{NOT_HTTP}; the payload nests too deeply (recursion limit)"
            raise EventDecodeError(message, raw=event) from exc
    data = event if type(event) is bytes else to_bytes(event)
    try:
        parsed = from_json(data, cache_strings="keys")
    except ValueError as exc:
        if "recursion limit" in str(exc):
            message = f"{NOT_HTTP}; the payload nests too deeply ({exc})"
            raise EventDecodeError(message, raw=event) from exc
        parsed = _parse_lenient(event, data)
    if not isinstance(parsed, dict):
        raise EventDecodeError(f"{NOT_HTTP}; got a JSON {type(parsed).__name__}", raw=event)
    return parsed


def _plain_json(value: Any) -> bool:
    """Whether ``value`` holds no ``dict`` or ``list`` subclass, however deep."""
    kind = type(value)
    if kind is dict:
        return all(map(_plain_json, value.values()))
    if kind is list:
        return all(map(_plain_json, value))
    return not isinstance(value, dict | list)


def _as_plain(value: Any) -> Any:
    """``value`` with every dict (sub)class copied into a dict, every list subclass a list."""
    if isinstance(value, dict):
        return {key: _as_plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_plain(item) for item in value]
    return value


def _parse_lenient(event: object, data: bytes) -> Any:
    """The slow path, for JSON that escapes lone surrogates (``"\\ud800"``).

    They are not valid Unicode: in the path and the query each becomes U+FFFD,
    as an invalid byte does when bytes are decoded with ``errors="replace"``.
    pydantic's parser refuses such documents outright.
    """
    import json

    try:
        parsed = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise EventDecodeError(f"{NOT_HTTP}; the payload is not JSON ({exc})", raw=event) from exc
    if not isinstance(parsed, dict):
        return parsed
    # Headers and the body are refused (400) when read; the path and the query,
    # which every response's URL is rebuilt from, are repaired.
    try:
        return {k: v if k in ("body", "headers") else _scrub(v) for k, v in parsed.items()}
    except RecursionError as exc:
        message = f"{NOT_HTTP}; the payload nests too deeply (recursion limit)"
        raise EventDecodeError(message, raw=event) from exc


def _scrub(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings replaced by U+FFFD."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _str_map(value: object, *, parsed: bool) -> dict[str, str] | None:
    """``value`` when it is a str -> str object (``{}`` for ``None``), else ``None``.

    ``parsed``: the object comes from parsed JSON, whose keys are always str.
    """
    if value is None:
        return {}
    if type(value) is not dict:
        return None
    try:  # join takes str (and its subclasses) only: the types checked in C
        "".join(value.values() if parsed else [*value, *value.values()])
    except TypeError:
        return None
    return value


_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
"""The characters of a header name (RFC 9110 ``token``)."""
_KNOWN_NAMES: set[str] = set()
"""Header names already checked (bounded): most requests repeat the same few."""


_LOWERED: dict[tuple[str, ...], tuple[str, ...]] = {}
"""An event's header names, in order -> the same in lower case (bounded)."""


_VALID_LAYOUTS: set[tuple[str, ...]] = set()
"""Header names (in order, as spelled) that are all tokens, checked before (bounded)."""


def _valid_layout(names: tuple[str, ...]) -> bool:
    """Whether every one of ``names`` is a known token; the layout is remembered if so."""
    if not _KNOWN_NAMES.issuperset(names):
        return False
    if len(_VALID_LAYOUTS) < 256:
        _VALID_LAYOUTS.add(names)
    return True


def _check_name(name: str) -> None:
    if name in _KNOWN_NAMES:
        return
    if not name or not _TCHAR.issuperset(name):
        shown = name.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        raise BadRequest(f"{shown[:64]!r} is not a valid header name (RFC 9110 token)")
    if len(_KNOWN_NAMES) < 4096:
        _KNOWN_NAMES.add(name)


_EventSource = tuple[dict[str, str], str | None, bool, tuple[str, ...], str, tuple[str, ...]]
"""What an event's request loads its headers and body from: the headers, the body, the
base64 flag, the header names in lower case, the header values joined, and the names."""


def _all_str(value: dict[Any, Any]) -> bool:
    """Whether every key and value of ``value`` is a str (a str subclass is a str)."""
    try:  # join takes str (and its subclasses) only: every key and value checked in C
        "".join([*value, *value.values()])
    except TypeError:
        return False
    return True


def _header_parts(
    value: object,
) -> tuple[dict[str, str], tuple[str, ...], str, tuple[str, ...]] | None:
    """The event's headers, their names in lower case, their values joined and their names;
    ``None`` when they are not a str -> str object."""
    if value is None:
        return {}, (), "", ()
    if type(value) is not dict:
        return None
    try:  # join takes str (and its subclasses) only: every value checked in C
        joined = "".join(value.values())
    except TypeError:
        return None
    names = tuple(value)
    lowered = _LOWERED.get(names)  # names seen before are str: no need to check them again
    if lowered is None:
        if not _all_str(value):
            return None
        lowered = _lower_names(names)
    return value, lowered, joined, names


def _lower_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` in lower case, remembered (bounded)."""
    lowered = tuple([name.lower() for name in names])
    if len(_LOWERED) < 256:
        _LOWERED[names] = lowered
    return lowered


def _event_headers(source: _EventSource) -> Headers:
    """The event's headers, every name a token and every value UTF-8 without CR, LF or NUL.

    Raises:
        BadRequest: the first header (in order) that is not.
    """
    headers, _, _, lowered, joined, names = source
    if (
        (names in _VALID_LAYOUTS or _valid_layout(names))
        and joined.isascii()
        and "\r" not in joined
        and "\n" not in joined
        and "\0" not in joined
    ):  # the common case, checked in C
        return _DictHeaders._over(headers, names, lowered)
    for name, value in headers.items():
        _check_name(name)
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeError:
                raise BadRequest(f"the value of header {name!r} is not valid UTF-8") from None
        if "\r" in value or "\n" in value or "\0" in value:
            raise BadRequest(f"the value of header {name!r} holds CR, LF or NUL")
    return _DictHeaders._over(headers, names, lowered)


def _event_body(source: _EventSource, limit: int) -> bytes:
    """The body of an event, checked against its ``Content-Length`` and ``limit``.

    Raises:
        BadRequest: not valid base64 or UTF-8, or not as long as its ``Content-Length``.
        PayloadTooLarge: the body is over ``limit``.
    """
    headers, body, is_base64, lowered, _, _ = source
    if not body:
        data = b""
    elif is_base64:
        if len(body) * 3 // 4 > limit + 3:
            raise PayloadTooLarge(f"the body is over the limit of {limit} bytes")
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            message = "the event's body is flagged base64 but is not valid base64"
            raise BadRequest(message) from None
    else:
        if len(body) > limit:  # at least as many bytes as characters: refuse before copying
            raise PayloadTooLarge(f"the body is over the limit of {limit} bytes")
        try:
            data = body.encode("utf-8")
        except UnicodeError:
            raise BadRequest("the event's body is not valid UTF-8 text") from None
    if len(data) > limit:
        raise PayloadTooLarge(f"the body ({len(data)} bytes) is over the limit of {limit} bytes")
    if "content-length" in lowered:
        declared = _declared_length(headers)
        if declared is not None:
            length = parse_content_length(declared)
            if length != len(data):
                raise BadRequest(f"Content-Length says {length} bytes but the body has {len(data)}")
    return data


def _client_ip(headers: dict[str, str]) -> str:
    """The caller's address as API Gateway reports it: ``CaClientIp``, else ``X-Forwarded-For``.

    ``CaClientIp`` (the system parameter, when the API maps it to a header)
    is set by API Gateway itself and wins. Otherwise the last address of
    ``X-Forwarded-For`` is the one API Gateway appended (the peer that
    connected to it); the ones before it are what the client claimed.
    """
    found: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in ("caclientip", "x-forwarded-for"):
            found.setdefault(lowered, value)
    direct = found.get("caclientip", "").strip()
    if direct:
        return direct
    chain = [part.strip() for part in found.get("x-forwarded-for", "").split(",")]
    chain = [part for part in chain if part]
    return chain[-1] if chain else ""


def _declared_length(headers: dict[str, str]) -> str | None:
    found = headers.get("Content-Length") or headers.get("content-length")
    if found is not None:
        return found
    for name, value in headers.items():
        if len(name) == 14 and name.lower() == "content-length":
            return value
    return None


def is_text_response(
    content_type: str | None, content_encoding: str | None, text_types: Iterable[str]
) -> bool:
    """Whether a body of this type and encoding can be sent as text rather than base64.

    Example:
        >>> from fcsdk.web.options import DEFAULT_TEXT_TYPES
        >>> is_text_response("application/json; charset=utf-8", None, DEFAULT_TEXT_TYPES)
        True
        >>> is_text_response("text/html", "gzip", DEFAULT_TEXT_TYPES)
        False
    """
    if content_encoding and content_encoding.strip().lower() not in ("", "identity"):
        return False
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    for text_type in text_types:
        if text_type.endswith("/"):
            if media.startswith(text_type):
                return True
        elif text_type.startswith("+"):
            if media.endswith(text_type):
                return True
        elif media == text_type:
            return True
    return False


@functools.lru_cache(maxsize=256)
def _is_text_cached(
    content_type: str | None, content_encoding: str | None, text_types: tuple[str, ...]
) -> bool:
    return is_text_response(content_type, content_encoding, text_types)


_METHODS = {m: m for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")}
"""The usual methods, already upper case (the one lookup that saves an ``upper()``)."""

_DEFAULT_TEXT: dict[str | None, bool] = {}
"""Content type -> sent as text, without a content encoding, under the default text types
(bounded)."""


class EventPlace(Place[bytes]):
    """A place that hands the handler a JSON event and takes a JSON answer (FC 3.0, API Gateway).

    Args:
        data: the parsed event.
        context: the runtime's context object.
        options: the app's options.
        raw: the event as it arrived (kept on errors); ``data`` when omitted.
    """

    __slots__ = ("data", "raw")

    heads: ClassVar[dict[tuple[int, tuple[str, str]], bytes]]
    """(status, (header name, value)) of a text answer with one header under the default
    text types -> its :meth:`answer_head` (bounded, one dict per place)."""

    def __init__(
        self, data: dict[str, Any], context: object, options: HTTPOptions, raw: object = None
    ) -> None:
        # Place.__init__'s three attributes, set here: this runs once per request.
        self.context = context
        self.options = options
        self._request = None
        self.data = data
        self.raw = data if raw is None else raw

    @classmethod
    def from_event(cls, event: object, context: object, options: HTTPOptions) -> Self:
        """This place for a JSON event (bytes, str or dict).

        Raises:
            EventDecodeError: the event is not JSON or is not this place's shape.
        """
        data = parse_event(event)
        if not cls.infer(data, context):
            raise EventDecodeError(NOT_HTTP, raw=event)
        return cls(data, context, options, data if isinstance(event, dict) else event)

    @classmethod
    @abstractmethod
    def model(cls) -> type[BaseModel]:
        """The pydantic model of this event (:mod:`fcsdk.events.http`), run to explain a bad one."""

    def base64_flag(self) -> bool:
        """``isBase64Encoded`` read as the event's model reads it.

        ``true``/``false`` as they should be; anything else (API Gateway's own
        documentation shows ``"true|false"`` strings) goes through the model,
        so ``"false"`` is false here as it is there, and a value the model
        refuses is the model's error.

        Raises:
            EventDecodeError: the model refuses the value.
        """
        flag = self.data.get("isBase64Encoded")
        if flag is None or type(flag) is bool:
            return bool(flag)
        try:
            parsed = self.model().model_validate(self.data)
        except ValidationError as exc:
            raise format_validation_error(exc, self.raw) from None
        return bool(getattr(parsed, "is_base64_encoded", False))

    def model_error(self) -> EventDecodeError:
        """The error that names the first field of the event its model refuses."""
        try:
            self.model().model_validate(self.data)
        except ValidationError as exc:
            return format_validation_error(exc, self.raw)
        return EventDecodeError(f"malformed {self.label} event", raw=self.raw)

    @abstractmethod
    def answer_head(self, status: int, headers: dict[str, str | list[str]], b64: bool) -> bytes:
        """The answer JSON in this place's key order up to its last member's value, the body:
        ``{"statusCode":200,...,"body":``."""

    def answer(
        self, status: int, headers: dict[str, str | list[str]], body: str, b64: bool
    ) -> bytes:
        """The answer JSON: :meth:`answer_head`, the body as a JSON string, ``}``."""
        return self.answer_head(status, headers, b64) + to_json(body) + b"}"

    def encode(self, status: int, headers: Sequence[tuple[str, str]], body: bytes) -> bytes:
        """The response JSON: repeated headers as a list or joined, the body as text or base64."""
        one = len(headers) == 1 and type(status) is int  # 201.0 == 201, True == 1: not theirs
        if one and self.options.text_types is DEFAULT_TEXT_TYPES:
            # The common case: a text answer with one header (Content-Type) seen before.
            try:
                head = self.heads.get((status, headers[0]))
            except TypeError:  # not a pair of str: checked (and refused) below
                head = None
            if head is not None:
                try:
                    return head + to_json(body.decode()) + b"}"
                except UnicodeDecodeError:
                    pass
        grouped: dict[str, Any] = {}
        spelled: dict[str, str] = {}
        content_type = content_encoding = None
        options = self.options
        valid = _VALID_NAMES
        if len(headers) == 1:  # the common case: only a Content-Type
            name, value = headers[0]
            if type(value) is not str or name not in valid or not value.isprintable():
                check_header(name, value)
            grouped[name] = value
            lowered = name.lower()
            if lowered == "content-type":
                content_type = value
            elif lowered == "content-encoding":
                content_encoding = value
            headers = ()
        join = options.multi_value_headers == "join"
        for name, value in headers:
            if type(value) is not str or name not in valid or not value.isprintable():
                check_header(name, value)
            lowered = name.lower()
            if lowered == "content-type":
                content_type = content_type or value
            elif lowered == "content-encoding":
                content_encoding = content_encoding or value
            first = spelled.get(lowered)
            if first is None:
                spelled[lowered] = name
                grouped[name] = value
                continue
            current = grouped[first]
            if join:
                grouped[first] = f"{current}, {value}"
            else:
                grouped[first] = (
                    [*current, value] if isinstance(current, list) else [current, value]
                )
        text_types = options.text_types
        if text_types is DEFAULT_TEXT_TYPES and content_encoding is None:
            text = _DEFAULT_TEXT.get(content_type)
            if text is None:
                text = is_text_response(content_type, None, text_types)
                if len(_DEFAULT_TEXT) < 256:
                    _DEFAULT_TEXT[content_type] = text
        else:
            text = _is_text_cached(content_type, content_encoding, text_types)
        encoded: str
        if text:
            try:
                encoded = body.decode("utf-8")
            except UnicodeDecodeError:
                text = False
        if not text:
            encoded = base64.b64encode(body).decode("ascii")
            return self.answer(status, grouped, encoded, True)
        head = self.answer_head(status, grouped, False)
        if one and text_types is DEFAULT_TEXT_TYPES and len(self.heads) < 256:
            # A text answer with one header, checked above: the next one takes the fast path.
            self.heads[status, next(iter(grouped.items()))] = head
        return head + to_json(encoded) + b"}"


class FC3Place(EventPlace):
    """FC 3.0: ``handler(event, context)`` with an HTTP trigger event (``requestContext.http``)."""

    __slots__ = ()

    label = "FC 3.0 HTTP trigger"
    heads: ClassVar[dict[tuple[int, tuple[str, str]], bytes]] = {}

    @classmethod
    def model(cls) -> type[BaseModel]:
        """:class:`~fcsdk.events.http.HTTPTriggerEvent`."""
        from fcsdk.events.http import HTTPTriggerEvent

        return HTTPTriggerEvent

    @classmethod
    def infer(cls, incoming: object, context: object, /) -> bool:
        """A dict whose ``requestContext`` holds ``http``."""
        if type(incoming) is not dict:
            return False
        rc = incoming.get("requestContext")
        return isinstance(rc, dict) and "http" in rc

    def build_request(self) -> Request:
        """The request of the event; ``rawPath`` kept encoded, else ``http.path`` encoded.

        Raises:
            EventDecodeError: a field has the wrong type.
        """
        data = self.data
        rc = data["requestContext"]
        http = rc["http"]
        header_parts = _header_parts(data.get("headers"))
        query = _str_map(data.get("queryParameters"), parsed=self.raw is not data)
        method = http.get("method") if type(http) is dict else None
        raw_path = data.get("rawPath")
        body = data.get("body")
        if (
            header_parts is None
            or query is None
            or not isinstance(method, str)
            or not (raw_path is None or isinstance(raw_path, str))
            or not (body is None or isinstance(body, str))
        ):
            raise self.model_error()
        headers, lowered, joined, names = header_parts
        if self.raw is data:  # the caller's dict: the request reads copies
            headers, query = dict(headers), dict(query)
        if not raw_path:
            path = http.get("path") or "/"
            raw_path = quote(str(path), safe=PATH_SAFE)
        request_id = getattr(self.context, "request_id", None) or rc.get("requestId")
        flag = data.get("isBase64Encoded")
        ip = http.get("sourceIp")
        return Request._of_source(
            _METHODS.get(method) or method.upper(),
            raw_path,
            query,
            (
                headers,
                body,
                bool(flag) if flag is None or type(flag) is bool else self.base64_flag(),
                lowered,
                joined,
                names,
            ),
            _event_headers,
            _event_body,
            ip if type(ip) is str else str(ip or ""),
            self.context,
            request_id if type(request_id) is str else str(request_id or ""),
            "",
            self.options.limits,
        )

    def answer_head(self, status: int, headers: dict[str, str | list[str]], b64: bool) -> bytes:
        """``statusCode``, ``headers``, ``isBase64Encoded``, then ``body``."""
        head = to_json({"statusCode": status, "headers": headers, "isBase64Encoded": b64})
        return head[:-1] + b',"body":'


class APIGatewayPlace(EventPlace):
    """API Gateway: ``handler(event, context)`` with an API Gateway event (``httpMethod``)."""

    __slots__ = ()

    label = "API Gateway"
    heads: ClassVar[dict[tuple[int, tuple[str, str]], bytes]] = {}

    @classmethod
    def model(cls) -> type[BaseModel]:
        """:class:`~fcsdk.events.http.APIGatewayEvent`."""
        from fcsdk.events.http import APIGatewayEvent

        return APIGatewayEvent

    @classmethod
    def infer(cls, incoming: object, context: object, /) -> bool:
        """A dict with ``httpMethod``."""
        return type(incoming) is dict and "httpMethod" in incoming

    def build_request(self) -> Request:
        """The request of the event; API Gateway's decoded ``path`` is percent-encoded again.

        Raises:
            EventDecodeError: a field has the wrong type.
        """
        data = self.data
        header_parts = _header_parts(data.get("headers"))
        parsed = self.raw is not data
        query = _str_map(data.get("queryParameters"), parsed=parsed)
        path_params = _str_map(data.get("pathParameters"), parsed=parsed)
        method = data.get("httpMethod")
        path = data.get("path")
        body = data.get("body")
        if (
            header_parts is None
            or query is None
            or path_params is None
            or not isinstance(method, str)
            or not (path is None or isinstance(path, str))
            or not (body is None or isinstance(body, str))
        ):
            raise self.model_error()
        headers, lowered, joined, names = header_parts
        if self.raw is data:  # the caller's dict: the request reads copies
            headers, query = dict(headers), dict(query)
        request = Request._of_source(
            method.upper(),
            quote(path or "/", safe=PATH_SAFE),
            query,
            (headers, body, self.base64_flag(), lowered, joined, names),
            _event_headers,
            _event_body,
            _client_ip(headers),
            self.context,
            None,
            "",
            self.options.limits,
        )
        request.path_params.update(path_params)
        return request

    def answer_head(self, status: int, headers: dict[str, str | list[str]], b64: bool) -> bytes:
        """``isBase64Encoded``, ``statusCode``, ``headers``, then ``body``."""
        head = to_json({"isBase64Encoded": b64, "statusCode": status, "headers": headers})
        return head[:-1] + b',"body":'
