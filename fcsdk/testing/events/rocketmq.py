"""RocketMQ trigger batches: ApsaraMQ for RocketMQ (CloudEvents) and self-built Apache RocketMQ."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fcsdk.testing.events._common import (
    _ACCOUNT,
    _REGION,
    BatchShape,
    _batch,
    _cloud_event,
    _dumps,
    _epoch,
    _text,
)

__all__ = ["apache_rocketmq_batch", "rocketmq_batch"]


def rocketmq_batch(
    *,
    bodies: Sequence[Any] = ("hello",),
    topic: str = "my-topic",
    tags: str | None = None,
    keys: str | None = None,
    user_properties: Mapping[str, Any] | None = None,
    instance: str = "MQ_INST_1234567890123456_BXhFHJ8a",
    shape: BatchShape = "array",
) -> bytes:
    """Return an ApsaraMQ for RocketMQ trigger batch (CloudEvents, as FC delivers them).

    ``body`` is text; a body that is not text is JSON-encoded into it.

    Examples:
        >>> import json
        >>> event = json.loads(rocketmq_batch(bodies=["hi"], tags="TagA"))[0]
        >>> event["data"]["systemProperties"]["TAGS"]
        'TagA'
    """
    events = []
    for index, body in enumerate(bodies):
        system: dict[str, Any] = {
            "MIN_OFFSET": "0",
            "MAX_OFFSET": str(index + 1),
            "UNIQ_KEY": f"AC14C305069E1B0A4AAC5AB0000000{index:02d}",
            "CONSUME_START_TIME": _epoch(None, 1000),
        }
        if tags is not None:
            system["TAGS"] = tags
        if keys is not None:
            system["KEYS"] = keys
        data = {
            "topic": topic,
            "systemProperties": system,
            "userProperties": dict(user_properties or {}),
            "body": _text(body),
        }
        subject = f"acs:mq:{_REGION}:{_ACCOUNT}:{instance}%{topic}"
        events.append(_cloud_event("mq:Topic:SendMessage", "acs:mq", subject, data, index))
    return _batch(events, shape)


def apache_rocketmq_batch(
    *,
    bodies: Sequence[Any] = ("hello",),
    topic: str = "my-topic",
    tags: str | None = None,
    keys: str | None = None,
    user_properties: Mapping[str, Any] | None = None,
) -> bytes:
    """Return a self-built Apache RocketMQ trigger batch: a plain array of messages.

    The shape FC's trigger event format page documents for this trigger:
    ``[{"msgId", "topic", "systemProperties", "userProperties", "body"}]``,
    no CloudEvents envelope. ``body`` is text; a body that is not text is
    JSON-encoded into it.

    Examples:
        >>> import json
        >>> message = json.loads(apache_rocketmq_batch(bodies=["hi"], tags="TagA"))[0]
        >>> message["msgId"], message["systemProperties"]["TAGS"], message["body"]
        ('7F00000100002A9F0000000000000000', 'TagA', 'hi')
    """
    messages = []
    for index, body in enumerate(bodies):
        system: dict[str, Any] = {
            "MIN_OFFSET": "0",
            "MAX_OFFSET": str(index + 1),
            "CONSUME_START_TIME": str(_epoch(None, 1000)),
        }
        if tags is not None:
            system["TAGS"] = tags
        if keys is not None:
            system["KEYS"] = keys
        messages.append(
            {
                "msgId": f"7F00000100002A9F{index:016X}",
                "topic": topic,
                "systemProperties": system,
                "userProperties": dict(user_properties or {}),
                "body": _text(body),
            }
        )
    return _dumps(messages)
