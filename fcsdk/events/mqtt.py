"""MQTT trigger (ApsaraMQ for MQTT through EventBridge): a batch of messages.

Examples:
    >>> from fcsdk.events import MQTTEvent, parse
    >>> from fcsdk.testing.events import mqtt_batch
    >>> batch = parse(list[MQTTEvent], mqtt_batch(bodies=["on"], topic="home/lamp"))
    >>> batch[0].data.props.first_topic, batch[0].data.body
    ('home', 'on')
"""

from __future__ import annotations

from typing import Annotated, Any, Generic

from pydantic import Field
from typing_extensions import TypeVar

from fcsdk.events._base import EventModel
from fcsdk.events._fields import EMBEDDED_VALUE
from fcsdk.events.cloudevents import CloudEvent

__all__ = ["MQTTData", "MQTTEvent", "MQTTProperties"]

B = TypeVar("B", default=Any)


class MQTTProperties(EventModel):
    """The message's topic (first level and the rest) and the publishing client."""

    first_topic: str | None = Field(default=None, alias="firstTopic")
    second_topic: str | None = Field(default=None, alias="secondTopic")
    client_id: str | None = Field(default=None, alias="clientId")

    @property
    def topic(self) -> str | None:
        """The full topic: the first level joined with the rest."""
        if self.first_topic is None:
            return None
        return self.first_topic + (self.second_topic or "")


class MQTTData(EventModel, Generic[B]):
    """The ``data`` of an MQTT event: one message (``MQTTEvent[Base64[M]]`` for base64 bodies)."""

    props: MQTTProperties = Field(default_factory=MQTTProperties)
    body: Annotated[B, EMBEDDED_VALUE]


class MQTTEvent(CloudEvent[MQTTData[B]], Generic[B]):
    """An MQTT trigger's CloudEvent (type ``mqtt:Topic:SendMessage``); a batch is ``list[...]``."""
