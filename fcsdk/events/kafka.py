"""Kafka trigger (ApsaraMQ for Kafka through EventBridge): a batch of records.

Examples:
    >>> from pydantic import BaseModel
    >>> from fcsdk.events import KafkaEvent, parse
    >>> from fcsdk.testing.events import kafka_batch
    >>> class Click(BaseModel):
    ...     page: str
    >>> batch = parse(list[KafkaEvent[Click]], kafka_batch(values=['{"page": "/"}']))
    >>> [event.data.value for event in batch]
    [Click(page='/')]
"""

from __future__ import annotations

from typing import Annotated, Any, Generic

from pydantic import Field
from typing_extensions import TypeVar

from fcsdk.events._base import EventModel
from fcsdk.events._fields import EMBEDDED_VALUE, EpochMillis
from fcsdk.events.cloudevents import CloudEvent

__all__ = ["KafkaData", "KafkaEvent", "KafkaHeaders"]

V = TypeVar("V", default=Any)


class KafkaHeaders(EventModel):
    """The record's headers, as the Kafka client library holds them."""

    headers: list[Any] = Field(default_factory=list)
    is_read_only: bool = Field(default=False, alias="isReadOnly")


class KafkaData(EventModel, Generic[V]):
    """The ``data`` of a Kafka event: one record.

    ``value`` arrives as an object, a string, or base64, depending on the
    trigger's configuration: it stays as it came (``Any``) with no parameter
    (``KafkaEvent``), is parsed as ``V`` with one (``KafkaEvent[Click]``),
    and ``KafkaEvent[Base64[Click]]`` or ``KafkaEvent[bytes]`` undo base64.
    """

    topic: str
    partition: int
    offset: int
    timestamp: EpochMillis
    headers: KafkaHeaders = Field(default_factory=KafkaHeaders)
    key: str | None = None
    value: Annotated[V, EMBEDDED_VALUE]


class KafkaEvent(CloudEvent[KafkaData[V]], Generic[V]):
    """A Kafka trigger's CloudEvent (type ``alikafka:Topic:Message``); a batch is ``list[...]``."""
