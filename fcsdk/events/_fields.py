"""Field types shared by the trigger models: embedded payloads, base64, platform timestamps.

The platform often wraps the user's own data in a string: a timer's
``payload``, an MNS ``Message``, a Kafka ``value``. A model field typed
``Annotated[P, EMBEDDED]`` keeps that string as ``str`` when ``P`` is
``str`` (the default of every generic trigger model) and otherwise parses it
as JSON into ``P``; ``Base64[P]`` undoes base64 first. Timestamps accept only
the form the platform sends: ISO 8601 text, or integer epoch seconds or
milliseconds, and serialise back to that form.

Examples:
    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(Base64[dict[str, int]]).validate_python("eyJuIjogMX0=")
    {'n': 1}
    >>> TypeAdapter(EpochSeconds).validate_python(0).isoformat()
    '1970-01-01T00:00:00+00:00'
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime, timezone
from typing import Annotated, Any, TypeVar

from pydantic import (
    BeforeValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema, from_json, to_json

__all__ = [
    "EMBEDDED",
    "EMBEDDED_VALUE",
    "Base64",
    "EpochMillis",
    "EpochMillisOrISO",
    "EpochSeconds",
    "ISOTime",
]

T = TypeVar("T")

_B64_FLAG = "fcsdk_base64"


def _resolve(source: Any) -> Any:
    """Return the type a field really has: a TypeVar's default (``str``) when unparametrised."""
    if isinstance(source, TypeVar):
        has_default = getattr(source, "has_default", None)
        if has_default is not None and has_default():
            return source.__default__  # type: ignore[attr-defined]
        return Any
    return source


def _json_text(value: Any, nxt: core_schema.ValidatorFunctionWrapHandler) -> Any:
    if not isinstance(value, str):
        return nxt(value)
    try:
        parsed = from_json(value)
    except (ValueError, TypeError):  # TypeError: a lone surrogate, which UTF-8 cannot carry
        return nxt(value)  # not JSON: the target type may still take the text
    if isinstance(parsed, dict | list):
        return nxt(parsed)
    try:
        return nxt(parsed)
    except ValidationError:
        # A scalar whose text is what the type wants: "1" for an enum of strings.
        return nxt(value)


def _json_dump(value: Any, nxt: core_schema.SerializerFunctionWrapHandler) -> str:
    return to_json(nxt(value)).decode()


def _b64_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("base64_type", "Input should be a base64 string")
    try:
        # Line breaks (MIME-style base64) are tolerated; anything else outside the alphabet is not.
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PydanticCustomError(
            "base64_decode", "Input should be valid base64: {reason}", {"reason": str(exc)}
        ) from None


def _b64_dump(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _bytes_schema() -> core_schema.CoreSchema:
    return core_schema.no_info_before_validator_function(
        _b64_bytes,
        core_schema.bytes_schema(),
        serialization=core_schema.plain_serializer_function_ser_schema(_b64_dump),
        metadata={_B64_FLAG: True},
    )


class _Embedded:
    """Annotation: the field holds the user's data, sent as a JSON string or as the value itself.

    ``str`` and ``Any`` (and an unparametrised TypeVar's default) keep the
    value as it came; ``bytes`` undoes base64; any other type parses a string
    as JSON first. With ``as_text`` (the platform always sends a string) a
    parsed value serialises back to a JSON string, so a dump by alias gives
    the platform's shape; without it (the platform sends an object or a
    string) it serialises as the value itself.
    """

    def __init__(self, *, as_text: bool) -> None:
        self.as_text = as_text

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        target = _resolve(source)
        if target is bytes:
            return _bytes_schema()
        inner = handler(target)
        if target is str or target is Any or inner.get("metadata", {}).get(_B64_FLAG):
            return inner
        serialization = (
            core_schema.wrap_serializer_function_ser_schema(
                _json_dump, schema=inner, when_used="always"
            )
            if self.as_text
            else None
        )
        return core_schema.no_info_wrap_validator_function(
            _json_text, inner, serialization=serialization
        )

    def __repr__(self) -> str:
        return "EMBEDDED" if self.as_text else "EMBEDDED_VALUE"


EMBEDDED = _Embedded(as_text=True)
"""The marker for the user's data sent as a string (a timer payload, an MNS message)."""

EMBEDDED_VALUE = _Embedded(as_text=False)
"""The marker for the user's data sent as an object or a string (a Kafka value, CloudEvent data)."""


class _Base64:
    """Annotation: the platform base64-encodes this field; decode, then parse as the type."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        target = _resolve(source)
        if target is bytes:
            return _bytes_schema()
        inner = handler(target)
        as_text = target is str

        def validate(value: Any, nxt: core_schema.ValidatorFunctionWrapHandler) -> Any:
            data = _b64_bytes(value)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise PydanticCustomError(
                    "base64_utf8", "Decoded base64 should be UTF-8 text"
                ) from None
            if as_text:
                return nxt(text)
            return _json_text(text, nxt)

        def dump(value: Any, nxt: core_schema.SerializerFunctionWrapHandler) -> str:
            dumped = nxt(value)
            raw = dumped.encode() if isinstance(dumped, str) and as_text else to_json(dumped)
            return base64.b64encode(raw).decode("ascii")

        return core_schema.no_info_wrap_validator_function(
            validate,
            inner,
            serialization=core_schema.wrap_serializer_function_ser_schema(
                dump, schema=inner, when_used="always"
            ),
            metadata={_B64_FLAG: True},
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "contentEncoding": "base64"}

    def __repr__(self) -> str:
        return "BASE64"


Base64 = Annotated[T, _Base64()]
"""``Base64[T]``: a field the platform base64-encodes, decoded and then parsed as ``T``.

``Base64[str]`` gives the UTF-8 text, ``Base64[Order]`` parses the decoded
text as JSON into ``Order``. A plain ``bytes`` parameter is base64-decoded
already (JSON has no other way to carry bytes).

Examples:
    >>> from pydantic import TypeAdapter
    >>> TypeAdapter(Base64[dict[str, int]]).validate_python("eyJuIjogMX0=")
    {'n': 1}
"""


_ISO_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_only(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_PREFIX.match(value)):
        return value
    raise PydanticCustomError("iso_time", "Input should be an ISO 8601 time string")


def _epoch(scale: int) -> Any:
    def parse(value: Any) -> Any:
        if isinstance(value, datetime):
            return value
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise PydanticCustomError("epoch_type", "Input should be an integer epoch time")
        try:
            number = int(value)
            return datetime.fromtimestamp(number / scale, tz=timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise PydanticCustomError(
                "epoch_value", "Input should be an integer epoch time in range"
            ) from None

    return parse


def _epoch_dump(scale: int) -> Any:
    def dump(value: datetime) -> int:
        return round(value.timestamp() * scale)

    return dump


ISOTime = Annotated[datetime, BeforeValidator(_iso_only)]
"""An ISO 8601 time as the platform writes it (``2026-11-23T07:49:00Z``); numbers are refused."""

EpochSeconds = Annotated[
    datetime,
    BeforeValidator(_epoch(1)),
    PlainSerializer(_epoch_dump(1), return_type=int),
    WithJsonSchema({"type": "integer", "description": "seconds since the epoch"}),
]
"""An integer count of seconds since the epoch, as a UTC ``datetime``; dumps back to the integer."""


def _millis_or_iso(value: Any) -> Any:
    if isinstance(value, str) and _ISO_PREFIX.match(value):
        return value
    return _epoch(1000)(value)


EpochMillis = Annotated[
    datetime,
    BeforeValidator(_epoch(1000)),
    PlainSerializer(_epoch_dump(1000), return_type=int),
    WithJsonSchema({"type": "integer", "description": "milliseconds since the epoch"}),
]
"""An integer count of milliseconds since the epoch, as a UTC ``datetime``; dumps back to it."""

EpochMillisOrISO = Annotated[
    datetime,
    BeforeValidator(_millis_or_iso),
    PlainSerializer(_epoch_dump(1000), return_type=int),
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer"}, {"type": "string", "format": "date-time"}],
            "description": "milliseconds since the epoch, or an ISO 8601 time",
        }
    ),
]
"""Integer epoch milliseconds or ISO 8601 text, as a UTC ``datetime``; dumps as milliseconds."""
