"""MQTT trigger batches: the plain array FC documents, or the CloudEvents push format."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from fcsdk.testing.events._common import (
    _ACCOUNT,
    _REGION,
    BatchShape,
    _batch,
    _cloud_event,
    _value,
)

__all__ = ["mqtt_batch"]


def mqtt_batch(
    *,
    bodies: Sequence[Any] = ("hello",),
    topic: str = "home/lamp",
    client_id: str = "GID_demo@@@device-1",
    instance: str = "mqtt-cn-abc123",
    format: Literal["RawData", "CloudEvents"] = "RawData",
    shape: BatchShape = "array",
) -> bytes:
    """Return an MQTT trigger batch: one message per body.

    ``format="RawData"`` (the default) gives the shape FC's trigger event
    format page documents, a plain array of ``{"props", "body"}``;
    ``format="CloudEvents"`` wraps each message in a CloudEvent of type
    ``mqtt:Topic:SendMessage``. ``topic`` is split as MQTT sends it:
    ``firstTopic`` (the first level) and ``secondTopic`` (the rest, with its
    leading ``/``). A ``str`` body is sent as text, ``bytes`` as base64,
    anything else as a JSON object.

    Examples:
        >>> import json
        >>> json.loads(mqtt_batch(topic="home/lamp"))[0]["props"]["secondTopic"]
        '/lamp'
        >>> json.loads(mqtt_batch(format="CloudEvents"))[0]["type"]
        'mqtt:Topic:SendMessage'
    """
    first, slash, rest = topic.partition("/")
    props = {"firstTopic": first, "secondTopic": slash + rest, "clientId": client_id}
    messages = [{"props": dict(props), "body": _value(body)} for body in bodies]
    if format == "RawData":
        return _batch(messages, shape)
    events = [
        _cloud_event(
            "mqtt:Topic:SendMessage",
            "acs:mqtt",
            f"acs:mqtt:{_REGION}:{_ACCOUNT}:{instance}%{first}",
            message,
            index,
        )
        for index, message in enumerate(messages)
    ]
    return _batch(events, shape)
