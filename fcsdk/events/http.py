"""Models of the HTTP-shaped events: the FC 3.0 HTTP trigger and API Gateway.

These are the one model of both shapes in fcsdk: :mod:`fcsdk.web` reads the
same events (on a faster path) and agrees with them. Attributes are
snake_case; the platform's camelCase names are the aliases, so a model
validates the raw event and dumps back to it with ``by_alias=True``. Unknown
fields are ignored (real events carry more, ``requestContext.triggerId``
say) and empty values are tolerated (``"requestId": ""``,
``"queryParameters": {}``, ``null`` maps).

Example:
    >>> from fcsdk.events.http import HTTPTriggerEvent
    >>> event = HTTPTriggerEvent.model_validate_json(
    ...     b'{"version": "v1", "rawPath": "/orders/a%20b", "headers": {},'
    ...     b' "queryParameters": {"tag": "a,b"}, "body": "", "isBase64Encoded": false,'
    ...     b' "requestContext": {"requestId": "r-1",'
    ...     b' "http": {"method": "GET", "path": "/orders/a b"}}}'
    ... )
    >>> event.raw_path, event.request_context.http.method, event.query_parameters["tag"]
    ('/orders/a%20b', 'GET', 'a,b')
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

from fcsdk.exceptions import EventDecodeError, InvalidResponseError

__all__ = [
    "APIGatewayEvent",
    "APIGatewayResponse",
    "HTTPRequestContext",
    "HTTPRequestInfo",
    "HTTPTriggerEvent",
    "HTTPTriggerResponse",
]

_CONFIG = ConfigDict(
    alias_generator=to_camel,
    populate_by_name=True,
    extra="ignore",
    frozen=True,
    # Built on first use: an HTTP function that never validates one pays nothing.
    defer_build=True,
)


def _none_to_empty(value: Any) -> Any:
    return {} if value is None else value


def _none_to_blank(value: Any) -> Any:
    return "" if value is None else value


def _decode_body(body: str | None, is_base64: bool, error: type[ValueError]) -> bytes:
    """Return the body bytes; raise ``error`` when a base64 body is not base64."""
    if not body:
        return b""
    if not is_base64:
        return body.encode("utf-8", "surrogatepass")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise error(f"isBase64Encoded is true but the body is not valid base64: {exc}") from exc


class HTTPRequestInfo(BaseModel):
    """``requestContext.http`` of an FC 3.0 HTTP trigger event."""

    model_config = _CONFIG

    method: str = Field(description="The HTTP method, upper case.")
    path: str = Field(default="/", description="The request path, percent-decoded.")
    protocol: str = "HTTP/1.1"
    source_ip: str = Field(default="", description="The client's IP address.")
    user_agent: str = ""

    _blank = field_validator("path", "protocol", "source_ip", "user_agent", mode="before")(
        _none_to_blank
    )


class HTTPRequestContext(BaseModel):
    """``requestContext`` of an FC 3.0 HTTP trigger event."""

    model_config = _CONFIG

    account_id: str = ""
    domain_name: str = ""
    domain_prefix: str = ""
    http: HTTPRequestInfo
    request_id: str = ""
    time: str = ""
    time_epoch: str = Field(default="", description="Milliseconds since the epoch, as a string.")

    @field_validator("time_epoch", mode="before")
    @classmethod
    def _epoch_as_text(cls, value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    _blank = field_validator(
        "account_id", "domain_name", "domain_prefix", "request_id", "time", mode="before"
    )(_none_to_blank)


class HTTPTriggerEvent(BaseModel):
    """The event an FC 3.0 built-in runtime hands a function behind an HTTP trigger.

    Repeated headers and query parameters arrive joined with commas;
    ``raw_path`` is percent-encoded, ``request_context.http.path`` decoded;
    ``body`` is base64 when ``is_base64_encoded`` (see :attr:`body_bytes`).
    """

    model_config = _CONFIG

    version: str = "v1"
    raw_path: str = "/"
    headers: dict[str, str] = Field(default_factory=dict)
    query_parameters: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    is_base64_encoded: bool = False
    request_context: HTTPRequestContext

    _empty = field_validator("headers", "query_parameters", mode="before")(_none_to_empty)

    @property
    def body_bytes(self) -> bytes:
        """The body as bytes, base64 undone.

        Raises:
            EventDecodeError: ``is_base64_encoded`` is true and ``body`` is not
                base64 (a ``ValueError``).
        """
        return _decode_body(self.body, self.is_base64_encoded, EventDecodeError)


class HTTPTriggerResponse(BaseModel):
    """What a function behind an FC 3.0 HTTP trigger answers.

    ``headers`` values are strings; a header sent several times (``Set-Cookie``)
    may be a list of strings.
    """

    model_config = _CONFIG

    status_code: int = 200
    headers: dict[str, str | list[str]] = Field(default_factory=dict)
    body: str = ""
    is_base64_encoded: bool = False

    _empty = field_validator("headers", mode="before")(_none_to_empty)
    _blank = field_validator("body", mode="before")(_none_to_blank)

    @property
    def body_bytes(self) -> bytes:
        """The body as bytes, base64 undone.

        Raises:
            InvalidResponseError: ``is_base64_encoded`` is true and ``body`` is
                not base64 (a ``ValueError``).
        """
        return _decode_body(self.body, self.is_base64_encoded, InvalidResponseError)


class APIGatewayEvent(BaseModel):
    """The event API Gateway hands a function it fronts.

    Example:
        >>> event = APIGatewayEvent.model_validate(
        ...     {"path": "/orders/7", "httpMethod": "GET", "pathParameters": {"id": "7"}}
        ... )
        >>> event.http_method, event.path_parameters
        ('GET', {'id': '7'})
    """

    model_config = _CONFIG

    path: str = "/"
    http_method: str
    headers: dict[str, str] = Field(default_factory=dict)
    query_parameters: dict[str, str] = Field(default_factory=dict)
    path_parameters: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    is_base64_encoded: bool = False

    _empty = field_validator("headers", "query_parameters", "path_parameters", mode="before")(
        _none_to_empty
    )

    @property
    def body_bytes(self) -> bytes:
        """The body as bytes, base64 undone.

        Raises:
            EventDecodeError: ``is_base64_encoded`` is true and ``body`` is not
                base64 (a ``ValueError``).
        """
        return _decode_body(self.body, self.is_base64_encoded, EventDecodeError)


class APIGatewayResponse(BaseModel):
    """What a function fronted by API Gateway answers.

    ``status_code`` is accepted as an int or a numeric string (some samples send
    ``"200"``).
    """

    model_config = _CONFIG

    is_base64_encoded: bool = False
    status_code: int = 200
    headers: dict[str, str | list[str]] = Field(default_factory=dict)
    body: str = ""

    _empty = field_validator("headers", mode="before")(_none_to_empty)
    _blank = field_validator("body", mode="before")(_none_to_blank)

    @property
    def body_bytes(self) -> bytes:
        """The body as bytes, base64 undone.

        Raises:
            InvalidResponseError: ``is_base64_encoded`` is true and ``body`` is
                not base64 (a ``ValueError``).
        """
        return _decode_body(self.body, self.is_base64_encoded, InvalidResponseError)
