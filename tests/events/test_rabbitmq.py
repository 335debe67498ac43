"""Tests for fcsdk.events.rabbitmq: RabbitMQ batches."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk import events
from fcsdk.events import RabbitMQEvent, parse
from fcsdk.testing import invoke
from fcsdk.testing.events import rabbitmq_batch
from tests.events._fixtures import assert_round_trip, data, raw


class Order(BaseModel):
    order_id: str
    amount: int


@fc.handler(event_model=list[events.RabbitMQEvent[Order]])
def orders(batch: list[events.RabbitMQEvent[Order]], context: fc.FCContext) -> list[object]:
    return [
        [e.data.body.amount, e.data.envelope.routing_key, e.data.envelope.delivery_tag]
        for e in batch
    ]


class TestRabbitMQEvent:
    def test_fixture_round_trips(self) -> None:
        """The RabbitMQ fixture parses and round-trips; the object body stays an object."""
        batch = parse(list[RabbitMQEvent], raw("rabbitmq.json"))
        assert_round_trip(list[RabbitMQEvent], batch, data("rabbitmq.json"))
        message = batch[0].data
        assert message.body == {"order_id": "A1", "amount": 3}
        assert message.envelope.exchange == "orders-x"
        assert message.envelope.redeliver is False
        assert message.props["messageId"] == "f7622d51-e198-41de-a072-77c1ead7a4b1"

    def test_invoke(self) -> None:
        """A list[RabbitMQEvent[Order]] handler gets typed bodies and envelopes."""
        assert invoke(orders, raw("rabbitmq.json")) == b'[[3,"orders.created",98]]'
        out = invoke(
            orders, rabbitmq_batch(bodies=['{"order_id": "x", "amount": 2}'], routing_key="rk")
        )
        assert out == b'[[2,"rk",1]]'

    def test_bad_envelope(self) -> None:
        """An envelope without routingKey names its path."""
        batch = data("rabbitmq.json")
        del batch[0]["data"]["envelope"]["routingKey"]
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(orders, batch)
        assert info.value.errors == [("event[0].data.envelope.routingKey", "Field required")]
