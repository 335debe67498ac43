"""MNS queue trigger (through EventBridge): a batch of queue messages.

Examples:
    >>> from fcsdk.events import MNSQueueEvent, parse
    >>> from fcsdk.testing.events import mns_queue_batch
    >>> batch = parse(list[MNSQueueEvent], mns_queue_batch(bodies=["a", "b"]))
    >>> [event.data.message_body for event in batch]
    ['a', 'b']
"""

from __future__ import annotations

from typing import Annotated, Generic

from pydantic import Field
from typing_extensions import TypeVar

from fcsdk.events._base import EventModel
from fcsdk.events._fields import EMBEDDED
from fcsdk.events.cloudevents import CloudEvent

__all__ = ["MNSQueueData", "MNSQueueEvent"]

B = TypeVar("B", default=str)


class MNSQueueData(EventModel, Generic[B]):
    """The ``data`` of an MNS queue event: one message.

    ``message_body`` is ``str`` by default; ``MNSQueueEvent[Order]`` parses
    it as JSON, ``MNSQueueEvent[Base64[Order]]`` when the sender
    base64-encoded it (the MNS SDKs' default).
    """

    request_id: str | None = Field(default=None, alias="requestId")
    message_id: str = Field(alias="messageId")
    message_body: Annotated[B, EMBEDDED] = Field(alias="messageBody")


class MNSQueueEvent(CloudEvent[MNSQueueData[B]], Generic[B]):
    """An MNS queue trigger's CloudEvent (``mns:Queue:SendMessage``); a batch: ``list[...]``."""
