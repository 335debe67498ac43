"""MNS topic trigger, in the subscription's three formats.

- JSON format: :class:`MNSTopicEvent` (``MNSTopicEvent[Order]`` parses the
  message as JSON into ``Order``); the message attributes, which the platform
  merges into the top level, are collected into ``attributes``.
- STREAM format with attributes: :class:`MNSTopicStreamEvent`
  (``{"body": ..., "attrs": {...}}``).
- STREAM format without attributes: the event *is* the message body; use
  ``event_model=bytes`` (or ``str`` for text).

The MNS *queue* trigger arrives through EventBridge: see :class:`~fcsdk.events.MNSQueueEvent`.

Examples:
    >>> from fcsdk.events import MNSTopicEvent
    >>> from fcsdk.testing.events import mns_topic_event
    >>> raw = mns_topic_event(message="hi", attributes={"k": "v"})
    >>> event = MNSTopicEvent.model_validate_json(raw)
    >>> event.message, event.attributes
    ('hi', {'k': 'v'})
"""

from __future__ import annotations

from typing import Annotated, Any, Generic

from pydantic import (
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from typing_extensions import TypeVar

from fcsdk.events._base import EventModel
from fcsdk.events._fields import EMBEDDED, EpochMillis

__all__ = ["MNSTopicEvent", "MNSTopicStreamEvent"]

B = TypeVar("B", default=str)

_JSON_FIELDS = (
    "TopicOwner",
    "Message",
    "Subscriber",
    "PublishTime",
    "SubscriptionName",
    "MessageMD5",
    "TopicName",
    "MessageId",
)
_PYTHON_FIELDS = (
    "topic_owner",
    "message",
    "subscriber",
    "publish_time",
    "subscription_name",
    "message_md5",
    "topic_name",
    "message_id",
    "attributes",
)
_JSON_SET = frozenset(_JSON_FIELDS)
_PYTHON_SET = frozenset(_PYTHON_FIELDS)


class MNSTopicEvent(EventModel, Generic[B]):
    """A message pushed by an MNS topic subscription in JSON format.

    ``message`` is the message body, ``str`` by default, parsed as ``B`` when
    given (``MNSTopicEvent[Base64[Order]]`` when the publisher base64-encodes).
    ``publish_time`` (milliseconds on the wire) is a UTC ``datetime``.
    """

    topic_owner: str = Field(alias="TopicOwner")
    message: Annotated[B, EMBEDDED] = Field(alias="Message")
    subscriber: str = Field(alias="Subscriber")
    publish_time: EpochMillis = Field(alias="PublishTime")
    subscription_name: str = Field(alias="SubscriptionName")
    message_md5: str = Field(alias="MessageMD5")
    topic_name: str = Field(alias="TopicName")
    message_id: str = Field(alias="MessageId")
    attributes: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _collect_attributes(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "attributes" in data:
            return data
        # The platform's shape uses its own names; Python names only when none are present,
        # so an attribute called "message" is never mistaken for the body.
        known = _JSON_SET if _JSON_SET.intersection(data) else _PYTHON_SET
        attributes = {k: v for k, v in data.items() if k not in known}
        if not attributes:
            return data
        fields = {k: v for k, v in data.items() if k in known}
        fields["attributes"] = attributes
        return fields

    @model_serializer(mode="wrap")
    def _merge_attributes(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if info.by_alias and "attributes" in data:
            # The platform's shape: attributes sit beside the fixed fields.
            data.update(data.pop("attributes"))
        return data


class MNSTopicStreamEvent(EventModel, Generic[B]):
    """A message pushed in STREAM format with attributes: ``{"body": ..., "attrs": {...}}``."""

    body: Annotated[B, EMBEDDED]
    attributes: dict[str, Any] = Field(default_factory=dict, alias="attrs")
