"""FC 3.0's and API Gateway's place: an HTTP event in, a :class:`Request` out; a response JSON out.

On FC 3.0 built-in runtimes an HTTP trigger calls the ordinary event handler
with a JSON event (:class:`~fcsdk.events.http.HTTPTriggerEvent`); API Gateway
does the same with its own shape (:class:`~fcsdk.events.http.APIGatewayEvent`).
Both answer with JSON: ``statusCode``, ``headers``, ``body`` and
``isBase64Encoded``.

Reading takes a fast path over the parsed JSON; when an event does not fit,
the pydantic models above are run to report exactly which field is wrong, so
both always agree on what is valid.

The answer's body is text when the content type is textual (see
:data:`DEFAULT_TEXT_TYPES`) and there is no ``Content-Encoding``; anything
else is sent base64. A header sent several times (``Set-Cookie``) is carried
as a list of strings (``multi_value_headers="list"``, the default) or joined
with ``", "`` (``"join"``): how the platform carries repeats is not
documented, so both are offered.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal
from urllib.parse import quote

from pydantic import ValidationError
from pydantic_core import from_json, to_json

from fcsdk._decode import format_validation_error, to_bytes
from fcsdk.exceptions import BadRequest, EventDecodeError, PayloadTooLarge
from fcsdk.web.datastructures import Headers, QueryParams, check_header, parse_content_length
from fcsdk.web.request import DEFAULT_MAX_BODY_SIZE, Request
from fcsdk.web.response import Response

__all__ = [
    "DEFAULT_TEXT_TYPES",
    "EventKind",
    "MultiValueHeaders",
    "encode_event_response",
    "is_text_response",
    "request_from_event",
]

EventKind = Literal["fc3", "apigw"]
MultiValueHeaders = Literal["list", "join"]

DEFAULT_TEXT_TYPES: tuple[str, ...] = (
    "text/",
    "application/json",
    "application/problem+json",
    "application/javascript",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/graphql",
    "image/svg+xml",
    "+json",
    "+xml",
)
"""Content types sent as text: a prefix (``text/``), an exact type, or a suffix (``+json``)."""

_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_NOT_HTTP = (
    "the event is not an HTTP event: expected an FC 3.0 HTTP trigger event "
    "(with requestContext.http) or an API Gateway event (with httpMethod)"
)


def _parse(event: object) -> dict[str, Any]:
    if isinstance(event, dict):
        return event
    data = event if type(event) is bytes else to_bytes(event)
    try:
        parsed = from_json(data)
    except ValueError as exc:
        if "recursion limit" in str(exc):
            message = f"{_NOT_HTTP}; the payload nests too deeply ({exc})"
            raise EventDecodeError(message, raw=event) from exc
        parsed = _parse_lenient(event, data)
    if not isinstance(parsed, dict):
        raise EventDecodeError(f"{_NOT_HTTP}; got a JSON {type(parsed).__name__}", raw=event)
    return parsed


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
        raise EventDecodeError(f"{_NOT_HTTP}; the payload is not JSON ({exc})", raw=event) from exc
    if not isinstance(parsed, dict):
        return parsed
    # Headers and the body are refused (400) when read; the path and the query,
    # which every response's URL is rebuilt from, are repaired.
    try:
        return {k: v if k in ("body", "headers") else _scrub(v) for k, v in parsed.items()}
    except RecursionError as exc:
        message = f"{_NOT_HTTP}; the payload nests too deeply (recursion limit)"
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


def _str_map(value: object) -> dict[str, str] | None:
    if value is None:
        return {}
    if type(value) is not dict:
        return None
    for item in value.values():
        if type(item) is not str:
            return None
    return value


def _model_error(kind: EventKind, data: dict[str, Any], raw: object) -> EventDecodeError:
    from fcsdk.events.http import APIGatewayEvent, HTTPTriggerEvent

    model = HTTPTriggerEvent if kind == "fc3" else APIGatewayEvent
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return format_validation_error(exc, raw)
    return EventDecodeError(f"malformed {kind} HTTP event", raw=raw)  # pragma: no cover


def _checked_headers(headers: dict[str, str]) -> Headers:
    items = list(headers.items())
    for name, value in items:
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeError:
                raise BadRequest(f"the value of header {name!r} is not valid UTF-8") from None
    return Headers._trusted(items)


def _body_loader(
    body: str | None, is_base64: object, headers: dict[str, str], limit: int
) -> Callable[[], bytes]:
    def load() -> bytes:
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
            raise PayloadTooLarge(
                f"the body ({len(data)} bytes) is over the limit of {limit} bytes"
            )
        declared = _declared_length(headers)
        if declared is not None:
            _check_length(declared, len(data))
        return data

    return load


def _check_length(declared: str, actual: int) -> None:
    length = parse_content_length(declared)
    if length != actual:
        raise BadRequest(f"Content-Length says {length} bytes but the body has {actual}")


def _declared_length(headers: dict[str, str]) -> str | None:
    found = headers.get("Content-Length") or headers.get("content-length")
    if found is not None:
        return found
    for name, value in headers.items():
        if len(name) == 14 and name.lower() == "content-length":
            return value
    return None


def request_from_event(
    event: object, context: object = None, *, max_body_size: int = DEFAULT_MAX_BODY_SIZE
) -> tuple[EventKind, Request]:
    """Build a :class:`Request` from an FC 3.0 HTTP trigger event or an API Gateway event.

    ``event`` may be the JSON bytes/str the runtime passes or the parsed dict.

    Returns:
        Which kind of event it was (``"fc3"`` or ``"apigw"``) and the request.

    Raises:
        EventDecodeError: the event is neither shape, or a field has the wrong type.
    """
    data = _parse(event)
    rc = data.get("requestContext")
    if isinstance(rc, dict) and "http" in rc:
        return "fc3", _fc3_request(data, rc, event, context, max_body_size)
    if "httpMethod" in data:
        return "apigw", _apigw_request(data, event, context, max_body_size)
    raise EventDecodeError(_NOT_HTTP, raw=event)


def _fc3_request(
    data: dict[str, Any], rc: dict[str, Any], raw: object, context: object, limit: int
) -> Request:
    http = rc["http"]
    headers = _str_map(data.get("headers"))
    query = _str_map(data.get("queryParameters"))
    method = http.get("method") if isinstance(http, dict) else None
    raw_path = data.get("rawPath")
    body = data.get("body")
    if (
        headers is None
        or query is None
        or type(method) is not str
        or not (raw_path is None or type(raw_path) is str)
        or not (body is None or type(body) is str)
    ):
        raise _model_error("fc3", data, raw)
    if not raw_path:
        path = http.get("path") or "/"
        raw_path = quote(str(path), safe=_PATH_SAFE)
    request_id = getattr(context, "request_id", None) or rc.get("requestId")
    return Request._lazy(
        method.upper(),
        raw_path,
        QueryParams.from_event(query),
        lambda: _checked_headers(headers),
        _body_loader(body, data.get("isBase64Encoded"), headers, limit),
        str(http.get("sourceIp") or ""),
        context,
        str(request_id or ""),
        "",
    )


def _apigw_request(data: dict[str, Any], raw: object, context: object, limit: int) -> Request:
    headers = _str_map(data.get("headers"))
    query = _str_map(data.get("queryParameters"))
    path_params = _str_map(data.get("pathParameters"))
    method = data.get("httpMethod")
    path = data.get("path")
    body = data.get("body")
    if (
        headers is None
        or query is None
        or path_params is None
        or type(method) is not str
        or not (path is None or type(path) is str)
        or not (body is None or type(body) is str)
    ):
        raise _model_error("apigw", data, raw)
    # API Gateway gives the decoded path: encode it so that raw_path is percent-encoded.
    request = Request._lazy(
        method.upper(),
        quote(path or "/", safe=_PATH_SAFE),
        QueryParams.from_event(query),
        lambda: _checked_headers(headers),
        _body_loader(body, data.get("isBase64Encoded"), headers, limit),
        "",
        context,
        None,
        "",
    )
    request.path_params.update(path_params)
    return request


def is_text_response(
    content_type: str | None, content_encoding: str | None, text_types: Iterable[str]
) -> bool:
    """Whether a body of this type and encoding can be sent as text rather than base64.

    Example:
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


def encode_event_response(
    kind: EventKind,
    response: Response,
    *,
    head: bool = False,
    text_types: Iterable[str] = DEFAULT_TEXT_TYPES,
    multi_value_headers: MultiValueHeaders = "list",
) -> bytes:
    """Return the response JSON for FC 3.0 (``kind="fc3"``) or API Gateway (``"apigw"``).

    The body is read to the end (a streaming body is joined) and the
    response's ``close()`` is called.

    Raises:
        ResultEncodeError: a header would split the response, or the status is invalid.
    """
    _ = response.status_line  # validates the status
    if type(response).iter_body is Response.iter_body:  # a complete body: nothing to close
        body = b"" if head else response.body
    else:
        try:
            body = b"" if head else b"".join(response.iter_body())
        finally:
            response.close()
    headers: dict[str, Any] = {}
    spelled: dict[str, str] = {}
    content_type = content_encoding = None
    for name, value in response.headers._items:
        check_header(name, value)
        lowered = name.lower()
        if lowered == "content-type":
            content_type = content_type or value
        elif lowered == "content-encoding":
            content_encoding = content_encoding or value
        first = spelled.get(lowered)
        if first is None:
            spelled[lowered] = name
            headers[name] = value
            continue
        current = headers[first]
        if multi_value_headers == "list":
            headers[first] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            headers[first] = f"{current}, {value}"
    types = text_types if type(text_types) is tuple else tuple(text_types)
    text = _is_text_cached(content_type, content_encoding, types)
    encoded_body: str
    if text:
        try:
            encoded_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text = False
    if not text:
        encoded_body = base64.b64encode(body).decode("ascii")
    answer: Mapping[str, Any]
    if kind == "fc3":
        answer = {
            "statusCode": response.status,
            "headers": headers,
            "isBase64Encoded": not text,
            "body": encoded_body,
        }
    else:
        answer = {
            "isBase64Encoded": not text,
            "statusCode": response.status,
            "headers": headers,
            "body": encoded_body,
        }
    return to_json(answer)
