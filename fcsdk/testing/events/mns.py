"""MNS topic pushes, in each subscription format."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from fcsdk.testing.events._common import _ACCOUNT, _dumps, _epoch, _text

__all__ = ["mns_topic_event"]


def mns_topic_event(
    *,
    message: Any = "hello",
    attributes: Mapping[str, Any] | None = None,
    format: Literal["JSON", "STREAM"] = "JSON",
    topic: str = "my-topic",
    subscription: str = "my-subscription",
    owner: str = _ACCOUNT,
    message_id: str = "F4D1C2E1B8A3E9A2-1-18C0A1B2C3D-200000001",
    publish_time: datetime | int | None = None,
) -> bytes:
    """Return an MNS topic push in the subscription's format.

    ``format="JSON"`` gives the JSON envelope with ``attributes`` merged at
    its top level; ``format="STREAM"`` gives ``{"body", "attrs"}`` when there
    are attributes and the bare message body when there are none.
    ``message`` that is not text is JSON-encoded (bytes: base64).

    Examples:
        >>> mns_topic_event(message="raw body", format="STREAM")
        b'raw body'
    """
    body = _text(message)
    if format == "STREAM":
        if not attributes:
            return body.encode("utf-8")
        return _dumps({"body": body, "attrs": dict(attributes)})

    envelope: dict[str, Any] = {
        "TopicOwner": owner,
        "Message": body,
        "Subscriber": owner,
        "PublishTime": _epoch(publish_time, 1000),
        "SubscriptionName": subscription,
        "MessageMD5": hashlib.md5(body.encode("utf-8")).hexdigest().upper(),
        "TopicName": topic,
        "MessageId": message_id,
    }
    envelope.update(attributes or {})
    return _dumps(envelope)
