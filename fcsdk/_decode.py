"""Turning the runtime's event into the handler's typed object, and the result back.

``build_decoder(tp)`` returns a function ``raw -> value`` for any type
pydantic's ``TypeAdapter`` understands. It is called once per decorated
handler (on its first invocation, so that import stays cheap) and validates
straight from the bytes with ``validate_json``.

A type may take over its own decoding by defining a classmethod
``__fcsdk_decoder__(cls, tp) -> Callable[[bytes], Any]``; ``tp`` is the full
type asked for (``list[KafkaEvent[Click]]`` calls the hook of
``KafkaEvent[Click]`` with the list type). Trigger models use it for CBOR
payloads and for batches that arrive in several shapes. A hook's decoder may
raise ``pydantic.ValidationError`` or :class:`~fcsdk.EventDecodeError`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import CoroutineType
from typing import Any, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, to_json

from fcsdk.exceptions import EventDecodeError, ResultEncodeError

__all__ = [
    "RawEvent",
    "build_decoder",
    "encode_result",
    "format_validation_error",
    "to_bytes",
]

RawEvent = bytes | str | bytearray | memoryview | dict[str, Any] | list[Any]
"""Everything a decorated handler accepts as its event."""

Decoder = Callable[[Any], Any]

_MAX_LISTED_ERRORS = 10


def to_bytes(event: object) -> bytes:
    """Return the event as bytes: ``str`` is UTF-8 encoded, ``dict``/``list`` JSON encoded."""
    if type(event) is bytes:
        return event
    if isinstance(event, str):
        try:
            return event.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError as exc:
            raise EventDecodeError(
                f"cannot encode the event as UTF-8: {exc.reason} at character {exc.start} "
                f"(payload {_payload_prefix(event)})",
                raw=event,
            ) from exc
    if isinstance(event, bytearray | memoryview):
        return bytes(event)
    if isinstance(event, dict | list):
        try:
            return to_json(event)
        except (PydanticSerializationError, ValueError) as exc:
            raise EventDecodeError(f"cannot encode the event as JSON: {exc}", raw=event) from exc
    raise EventDecodeError(
        f"event must be bytes, str, bytearray, memoryview, dict or list, "
        f"not {type(event).__name__}",
        raw=event,
    )


def _payload_prefix(raw: object) -> str:
    """The payload's size and kind, never its content (it may carry passwords, personal data).

    The payload itself stays on the error, as ``raw``, for a caller who logs it on purpose.
    """
    if isinstance(raw, bytes | bytearray | memoryview):
        size = raw.nbytes if isinstance(raw, memoryview) else len(raw)
        return f"{size} bytes" if size else "empty"
    if isinstance(raw, str):
        return f"{len(raw)} characters" if raw else "empty"
    if isinstance(raw, dict | list):
        return f"a {type(raw).__name__} of {len(raw)} items"
    return f"a {type(raw).__name__}"


def _loc_path(loc: tuple[int | str, ...], root: str) -> str:
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.isidentifier():
            path += f".{part}"
        else:
            path += f"[{part!r}]"
    return path


def format_validation_error(
    exc: ValidationError, raw: object, *, what: str = "event"
) -> EventDecodeError:
    """Return an :class:`EventDecodeError` that names each failing field, without its value."""
    pairs: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False, include_input=False):
        pairs.append((_loc_path(tuple(err["loc"]), what), err["msg"]))
    lines = [f"{path}: {msg}" for path, msg in pairs[:_MAX_LISTED_ERRORS]]
    if len(pairs) > _MAX_LISTED_ERRORS:
        lines.append(f"... and {len(pairs) - _MAX_LISTED_ERRORS} more")
    count = len(pairs)
    message = (
        f"cannot decode the {what} ({count} error{'s' if count != 1 else ''}; "
        f"payload {_payload_prefix(raw)}):\n  " + "\n  ".join(lines)
    )
    error = EventDecodeError(message, raw=raw, errors=pairs)
    error.__cause__ = exc
    return error


def _decode_str(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    data = to_bytes(raw)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        error = EventDecodeError(
            f"cannot decode the event as UTF-8 text: {exc.reason} at byte {exc.start} "
            f"(payload {_payload_prefix(data)})",
            raw=raw,
            errors=[("event", f"invalid UTF-8 at byte {exc.start}")],
        )
        raise error from exc


def _hook_for(tp: Any) -> Any:
    target = tp
    if get_origin(tp) is list:
        args = get_args(tp)
        if args:
            target = args[0]
    # pydantic generic models are their own classes (no origin); a plain generic alias
    # hides its class's dunder attributes, so the hook is looked up on its origin.
    return getattr(get_origin(target) or target, "__fcsdk_decoder__", None)


def build_decoder(tp: Any) -> Decoder:
    """Return ``raw -> value`` for type ``tp``.

    ``bytes`` passes the event through; ``str`` decodes UTF-8; any other type
    is validated by pydantic straight from the JSON bytes (``Any`` gives the
    parsed JSON). A ``dict``/``list`` event (already decoded by the caller) is
    validated as Python data, giving the same result.
    """
    if tp is bytes:
        return to_bytes
    if tp is str:
        return _decode_str
    hook = _hook_for(tp)
    if hook is not None:
        custom: Decoder = hook(tp)
        return _wrap_errors(custom)
    validate_json: Callable[[Any], Any]
    validate_python: Callable[[Any], Any]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        validator = tp.__pydantic_validator__
        validate_json = validator.validate_json
        validate_python = validator.validate_python
    else:
        adapter: TypeAdapter[Any] = TypeAdapter(tp)
        validate_json = adapter.validate_json
        validate_python = adapter.validate_python

    def decode(raw: Any) -> Any:
        try:
            if type(raw) is bytes or isinstance(raw, str | bytearray):
                return validate_json(raw)
            if isinstance(raw, dict | list):
                return validate_python(raw)
            return validate_json(to_bytes(raw))
        except ValidationError as exc:
            raise format_validation_error(exc, raw) from exc

    return decode


def _wrap_errors(custom: Decoder) -> Decoder:
    def decode(raw: Any) -> Any:
        try:
            return custom(raw)
        except ValidationError as exc:
            raise format_validation_error(exc, raw) from exc

    return decode


def not_awaited_error(value: Any, what: str = "handler") -> ResultEncodeError:
    """The error for a coroutine returned by a function that is not ``async def``.

    The coroutine is closed so that Python does not also warn that it was never awaited.
    """
    value.close()
    return ResultEncodeError(
        f"the {what} returned a coroutine ({value.__qualname__}) without being `async def`, "
        "so nothing awaited it: declare the function itself `async def`, or await the "
        "coroutine inside it"
    )


# The error _fallback raised last in this thread: pydantic wraps it in its own.
_fallback_failure = threading.local()


def _fallback(value: Any) -> Any:
    to_json_method = getattr(value, "to_json", None)
    if callable(to_json_method):
        return to_json_method()
    if isinstance(value, CoroutineType):
        error = not_awaited_error(value)
    else:
        error = ResultEncodeError(
            f"the handler returned a {type(value).__module__}.{type(value).__qualname__}, "
            "which cannot be sent as the invocation result: return bytes, str, a pydantic model, "
            "a dataclass, or JSON-compatible data"
        )
    _fallback_failure.error = error
    raise error


def encode_result(value: object) -> bytes | str:
    """Return what the runtime should send for a handler's return value.

    ``str`` and ``bytes`` pass through unchanged; ``None``, numbers,
    ``dict``/``list``, pydantic models and dataclasses become compact UTF-8
    JSON (datetime, Decimal and UUID as pydantic serialises them); an object
    with a ``to_json()`` method is sent as its result, as the runtime does.

    Raises:
        ResultEncodeError: the value cannot be encoded; the message names its type.
    """
    kind = type(value)
    if kind is bytes or kind is str:
        return value  # type: ignore[return-value]
    if value is None:
        return b"null"
    # pydantic models and pydantic dataclasses carry their own serializer.
    serializer = getattr(kind, "__pydantic_serializer__", None)
    if serializer is not None and not isinstance(value, type):
        try:
            return serializer.to_json(value)  # type: ignore[no-any-return]
        except PydanticSerializationError as exc:
            raise ResultEncodeError(
                f"cannot encode the {kind.__qualname__} the handler returned: {exc}"
            ) from exc
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    try:
        return to_json(value, fallback=_fallback, inf_nan_mode="null")
    except ResultEncodeError:
        _fallback_failure.error = None
        raise
    except (PydanticSerializationError, ValueError, TypeError, RecursionError) as exc:
        inner: ResultEncodeError | None = getattr(_fallback_failure, "error", None)
        if inner is not None:  # our own message, once, not wrapped in pydantic's
            _fallback_failure.error = None
            raise inner from None
        raise ResultEncodeError(
            f"cannot encode the {kind.__qualname__} the handler returned: {exc}"
        ) from exc
