"""Async invocation destination records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fcsdk.testing.events._common import _ACCOUNT, _REGION, _dumps, _epoch, _text

__all__ = ["destination_event"]


def destination_event(
    *,
    request: Any = "{}",
    response: Any = "",
    error: str | None = None,
    status_code: int = 200,
    condition: str | None = None,
    function_arn: str = f"acs:fc:{_REGION}:{_ACCOUNT}:functions/my-function",
    request_id: str = "1-6560a1b2-0123456789abcdef01234567",
    invoke_count: int = 1,
    timestamp: datetime | int | None = None,
) -> bytes:
    """Return an async invocation's destination record.

    ``request`` and ``response`` become the text payloads (JSON-encoded
    unless already text). ``error`` (``UnhandledInvocationError``, say)
    makes it a failure record; ``condition`` defaults to ``Success`` or to
    the error.

    Examples:
        >>> import json
        >>> record = json.loads(destination_event(error="UnhandledInvocationError"))
        >>> record["requestContext"]["condition"]
        'UnhandledInvocationError'
    """
    response_context: dict[str, Any] = {"statusCode": status_code}
    if error is not None:
        response_context["functionError"] = error
    return _dumps(
        {
            "timestamp": _epoch(timestamp, 1000),
            "requestContext": {
                "requestId": request_id,
                "functionArn": function_arn,
                "condition": condition or error or "Success",
                "approximateInvokeCount": invoke_count,
            },
            "requestPayload": _text(request),
            "responseContext": response_context,
            "responsePayload": _text(response),
        }
    )
