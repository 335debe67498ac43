"""Timer trigger events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fcsdk.testing.events._common import _dumps, _iso, _text

__all__ = ["timer_event"]


def timer_event(
    *,
    payload: Any = "",
    trigger_name: str = "timer",
    trigger_time: datetime | str | None = None,
) -> bytes:
    """Return a timer trigger event.

    ``payload`` is sent as the platform sends it, a string: anything else
    (a dict, a pydantic model) is JSON-encoded into that string first.

    Examples:
        >>> timer_event(payload={"job": "sync"})
        b'{"triggerTime":"2026-11-23T07:49:00Z","triggerName":"timer","payload":"{\\\\"job\\\\":\\\\"sync\\\\"}"}'
    """
    return _dumps(
        {
            "triggerTime": _iso(trigger_time),
            "triggerName": trigger_name,
            "payload": _text(payload),
        }
    )
