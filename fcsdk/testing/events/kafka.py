"""Kafka trigger batches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fcsdk.testing.events._common import (
    _ACCOUNT,
    _REGION,
    BatchShape,
    _batch,
    _cloud_event,
    _epoch,
    _value,
)

__all__ = ["kafka_batch"]


def kafka_batch(
    *,
    values: Sequence[Any] = ("hello",),
    topic: str = "my-topic",
    partition: int = 0,
    offset: int = 0,
    key: str | None = None,
    instance: str = "alikafka_pre-cn-abc123",
    timestamp: datetime | int | None = None,
    shape: BatchShape = "array",
) -> bytes:
    """Return a Kafka trigger batch (CloudEvents, as FC delivers them).

    One CloudEvent per value, offsets counting up from ``offset``. A ``str``
    value is sent as text, ``bytes`` as base64, anything else as a JSON object.

    Examples:
        >>> import json
        >>> json.loads(kafka_batch(values=[{"page": "/"}]))[0]["data"]["value"]
        {'page': '/'}
    """
    events = [
        _cloud_event(
            "alikafka:Topic:Message",
            "acs:alikafka",
            f"acs:alikafka:{_REGION}:{_ACCOUNT}:{instance}/topic/{topic}",
            {
                "topic": topic,
                "partition": partition,
                "offset": offset + index,
                "timestamp": _epoch(timestamp, 1000),
                "headers": {"headers": [], "isReadOnly": False},
                "key": key,
                "value": _value(value),
            },
            index,
        )
        for index, value in enumerate(values)
    ]
    return _batch(events, shape)
