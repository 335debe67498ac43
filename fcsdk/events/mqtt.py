"""MQTT trigger (ApsaraMQ for MQTT): a batch of messages.

FC's trigger event format page (and Alibaba's Go runtime SDK,
``events/mqtt.go``) documents the event as a plain JSON array of messages,
``[{"props": {"firstTopic", "secondTopic", "clientId"}, "body": ...}]``:
declare ``list[MQTTMessage[B]]``. A trigger set to push CloudEvents wraps
each message in a CloudEvent of type ``mqtt:Topic:SendMessage``;
``MQTTMessage`` accepts that form too (it reads the message from ``data``),
and ``list[MQTTEvent[B]]`` keeps the envelope's attributes.

Examples:
    >>> from fcsdk.events import MQTTMessage, parse
    >>> from fcsdk.testing.events import mqtt_batch
    >>> batch = parse(list[MQTTMessage], mqtt_batch(bodies=["on"], topic="home/lamp"))
    >>> batch[0].props.topic, batch[0].body
    ('home/lamp', 'on')
    >>> wrapped = mqtt_batch(bodies=["on"], format="CloudEvents")
    >>> parse(list[MQTTMessage], wrapped) == batch
    True
"""

from __future__ import annotations

from typing import Annotated, Any, Generic

from pydantic import Field, model_validator
from pydantic_core import from_json
from typing_extensions import TypeVar

from fcsdk.events._base import EventModel
from fcsdk.events._fields import EMBEDDED_VALUE
from fcsdk.events.cloudevents import CloudEvent

__all__ = ["MQTTData", "MQTTEvent", "MQTTMessage", "MQTTProperties"]

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


class MQTTMessage(EventModel, Generic[B]):
    """One MQTT message as FC documents it: ``props`` and ``body`` (``Base64[M]`` for base64).

    Given a CloudEvent (the CloudEvents push format), it reads the message
    from the event's ``data``, so one ``list[MQTTMessage[M]]`` handler takes
    either push format.
    """

    props: MQTTProperties = Field(default_factory=MQTTProperties)
    body: Annotated[B, EMBEDDED_VALUE]

    @model_validator(mode="before")
    @classmethod
    def _unwrap_cloud_event(cls, value: Any) -> Any:
        if isinstance(value, dict) and "specversion" in value and "data" in value:
            data = value["data"]
            if isinstance(data, str | bytes):
                try:
                    return from_json(data)
                except (ValueError, TypeError):  # TypeError: a lone surrogate in a str
                    return data  # not JSON: let validation name the problem
            return data
        return value


MQTTData = MQTTMessage
"""The ``data`` of an :class:`MQTTEvent`: the same message model (kept under its older name)."""


class MQTTEvent(CloudEvent[MQTTMessage[B]], Generic[B]):
    """An MQTT message in a CloudEvent (``mqtt:Topic:SendMessage``); a batch is ``list[...]``."""
