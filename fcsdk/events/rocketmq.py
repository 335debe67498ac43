"""RocketMQ triggers: ApsaraMQ for RocketMQ (through EventBridge) and self-built Apache RocketMQ.

Which model a handler declares depends on the trigger:

- an **ApsaraMQ for RocketMQ** trigger sends a JSON array of CloudEvents of
  type ``mq:Topic:SendMessage``: ``list[RocketMQEvent[B]]``;
- a **self-built Apache RocketMQ** trigger sends a plain JSON array of
  messages, ``[{"msgId", "topic", "systemProperties", "userProperties",
  "body"}]``, as FC's trigger event format page and Alibaba's Go runtime SDK
  (``events/rocketmq.go``, ``OffCloudRocketMQInstances``) document it:
  ``list[ApacheRocketMQMessage[B]]``.

Examples:
    >>> from fcsdk.events import RocketMQEvent, parse
    >>> from fcsdk.testing.events import rocketmq_batch
    >>> batch = parse(list[RocketMQEvent], rocketmq_batch(bodies=["hi"], tags="TagA"))
    >>> [event.data.tags for event in batch]
    ['TagA']
"""

from __future__ import annotations

from typing import Annotated, Any, Generic

from pydantic import Field
from typing_extensions import TypeVar

from fcsdk.events._base import EventModel
from fcsdk.events._fields import EMBEDDED_VALUE
from fcsdk.events.cloudevents import CloudEvent

__all__ = ["ApacheRocketMQMessage", "RocketMQData", "RocketMQEvent"]

B = TypeVar("B", default=Any)


class _RocketMQMessage(EventModel, Generic[B]):
    """What every RocketMQ message carries: topic, properties, body."""

    topic: str
    system_properties: dict[str, Any] = Field(default_factory=dict, alias="systemProperties")
    user_properties: dict[str, Any] = Field(default_factory=dict, alias="userProperties")
    body: Annotated[B, EMBEDDED_VALUE]

    @property
    def tags(self) -> str | None:
        """The message's tag (``TAGS``), if any."""
        value = self.system_properties.get("TAGS")
        return None if value is None else str(value)

    @property
    def keys(self) -> str | None:
        """The message's keys (``KEYS``), if any."""
        value = self.system_properties.get("KEYS")
        return None if value is None else str(value)


class RocketMQData(_RocketMQMessage[B], Generic[B]):
    """The ``data`` of a RocketMQ event: one message.

    ``system_properties`` holds the broker's own keys (``TAGS``, ``KEYS``,
    ``UNIQ_KEY``, offsets...), ``user_properties`` the producer's.
    """

    @property
    def message_id(self) -> str | None:
        """The message id the producer saw (``UNIQ_KEY``), if any."""
        value = self.system_properties.get("UNIQ_KEY")
        return None if value is None else str(value)


class RocketMQEvent(CloudEvent[RocketMQData[B]], Generic[B]):
    """A RocketMQ trigger's CloudEvent (type ``mq:Topic:SendMessage``); a batch is ``list[...]``."""


class ApacheRocketMQMessage(_RocketMQMessage[B], Generic[B]):
    """One message of a self-built Apache RocketMQ trigger; a batch is ``list[...]``.

    ``msg_id`` is the broker's message id; ``system_properties`` holds the
    broker's keys (``TAGS``, ``KEYS``...), ``user_properties`` the producer's.
    ``body`` is text: ``ApacheRocketMQMessage[M]`` parses it as ``M``.
    """

    msg_id: str = Field(alias="msgId")

    @property
    def message_id(self) -> str:
        """The message id (``msgId``)."""
        return self.msg_id
