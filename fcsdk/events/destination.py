"""Async invocation destinations: the record FC sends on an invocation's success or failure.

Examples:
    >>> from fcsdk.events import DestinationEvent
    >>> from fcsdk.testing.events import destination_event
    >>> event = DestinationEvent.model_validate_json(
    ...     destination_event(request={"order": 1}, error="UnhandledInvocationError")
    ... )
    >>> event.failed, event.request_data
    (True, {'order': 1})
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import Field, TypeAdapter, ValidationError

from fcsdk.events._base import EventModel
from fcsdk.events._fields import EpochMillisOrISO

__all__ = ["DestinationEvent", "DestinationRequestContext", "DestinationResponseContext"]

T = TypeVar("T")


class DestinationRequestContext(EventModel):
    """Which invocation this is about, and why the record was sent (``condition``)."""

    request_id: str = Field(alias="requestId")
    function_arn: str = Field(alias="functionArn")
    condition: str
    approximate_invoke_count: int = Field(alias="approximateInvokeCount")


class DestinationResponseContext(EventModel):
    """The invocation's outcome: status code and, on failure, the error kind."""

    status_code: int = Field(alias="statusCode")
    function_error: str | None = Field(default=None, alias="functionError")


def _json_or_text(text: str) -> Any:
    from pydantic_core import from_json

    try:
        return from_json(text)
    except ValueError:
        return text


class DestinationEvent(EventModel):
    """An async invocation's destination record.

    ``request_payload`` and ``response_payload`` are the original event and
    the function's result, as text; ``request_data``/``response_data`` give
    them parsed as JSON (the text itself when it is not JSON), and
    ``parse_request(Model)``/``parse_response(Model)`` validate them.
    """

    timestamp: EpochMillisOrISO
    request_context: DestinationRequestContext = Field(alias="requestContext")
    request_payload: str = Field(default="", alias="requestPayload")
    response_context: DestinationResponseContext = Field(alias="responseContext")
    response_payload: str = Field(default="", alias="responsePayload")

    @property
    def failed(self) -> bool:
        """Whether the invocation failed (the response carries a function error)."""
        return bool(self.response_context.function_error)

    @property
    def request_data(self) -> Any:
        """The original event parsed as JSON (the text when it is not JSON)."""
        return _json_or_text(self.request_payload)

    @property
    def response_data(self) -> Any:
        """The function's result parsed as JSON (the text when it is not JSON)."""
        return _json_or_text(self.response_payload)

    def parse_request(self, tp: type[T]) -> T:
        """Return the original event validated as ``tp`` (JSON text, or text for ``str``).

        Raises:
            EventDecodeError: the payload does not fit ``tp``; paths start at ``requestPayload``.
        """
        return _parse(self.request_payload, tp, "requestPayload")

    def parse_response(self, tp: type[T]) -> T:
        """Return the function's result validated as ``tp``.

        Raises:
            EventDecodeError: the payload does not fit ``tp``; paths start at ``responsePayload``.
        """
        return _parse(self.response_payload, tp, "responsePayload")


def _parse(text: str, tp: type[T], field: str) -> T:
    from fcsdk._decode import format_validation_error

    adapter: TypeAdapter[T] = TypeAdapter(tp)
    try:
        if tp is str:
            return adapter.validate_python(text)
        return adapter.validate_json(text)
    except ValidationError as exc:
        raise format_validation_error(exc, text, what=f"event.{field}") from exc
