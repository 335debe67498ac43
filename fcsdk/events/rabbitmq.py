"""RabbitMQ trigger (ApsaraMQ for RabbitMQ through EventBridge): a batch of messages.

Examples:
    >>> from fcsdk.events import RabbitMQEvent, parse
    >>> from fcsdk.testing.events import rabbitmq_batch
    >>> batch = parse(list[RabbitMQEvent], rabbitmq_batch(bodies=["hi"], routing_key="rk"))
    >>> batch[0].data.envelope.routing_key, batch[0].data.body
    ('rk', 'hi')
"""

from __future__ import annotations

from typing import Annotated, Any, Generic

from pydantic import Field
from typing_extensions import TypeVar

from fcsdk.events._base import EventModel
from fcsdk.events._fields import EMBEDDED_VALUE
from fcsdk.events.cloudevents import CloudEvent

__all__ = ["RabbitMQData", "RabbitMQEnvelope", "RabbitMQEvent"]

B = TypeVar("B", default=Any)


class RabbitMQEnvelope(EventModel):
    """How the message was delivered: exchange, routing key, redelivery."""

    delivery_tag: int = Field(alias="deliveryTag")
    exchange: str
    redeliver: bool
    routing_key: str = Field(alias="routingKey")


class RabbitMQData(EventModel, Generic[B]):
    """The ``data`` of a RabbitMQ event: one message; ``props`` are its AMQP properties."""

    envelope: RabbitMQEnvelope
    body: Annotated[B, EMBEDDED_VALUE]
    props: dict[str, Any] = Field(default_factory=dict)


class RabbitMQEvent(CloudEvent[RabbitMQData[B]], Generic[B]):
    """A RabbitMQ trigger's CloudEvent (type ``amqp:Queue:SendMessage``); a batch: ``list[...]``."""
