"""Tests for fcsdk.events.rocketmq: RocketMQ batches."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk import events
from fcsdk.events import ApacheRocketMQMessage, RocketMQEvent, parse
from fcsdk.testing import invoke
from fcsdk.testing.events import apache_rocketmq_batch, rocketmq_batch
from tests.events._fixtures import assert_round_trip, data, raw


class Order(BaseModel):
    order_id: str
    amount: int


@fc.handler(event_model=list[events.RocketMQEvent[Order]])
def orders(batch: list[events.RocketMQEvent[Order]], context: fc.FCContext) -> list[object]:
    return [[e.data.body.order_id, e.data.tags, e.data.keys] for e in batch]


class TestRocketMQEvent:
    def test_fixture_round_trips(self) -> None:
        """The RocketMQ fixture parses and round-trips."""
        batch = parse(list[RocketMQEvent], raw("rocketmq.json"))
        assert_round_trip(list[RocketMQEvent], batch, data("rocketmq.json"))

    def test_properties(self) -> None:
        """System properties give tags, keys and the message id; user properties are kept."""
        message = parse(list[RocketMQEvent], raw("rocketmq.json"))[0].data
        assert message.topic == "orders"
        assert message.tags == "created"
        assert message.keys == "A1"
        assert message.message_id == "AC14C305069E1B0A4AAC5AB00000000A"
        assert message.user_properties == {"tenant": "shop-1"}
        assert message.body == '{"order_id": "A1", "amount": 3}'

    def test_missing_properties(self) -> None:
        """Without TAGS/KEYS/UNIQ_KEY the helpers give None."""
        message = parse(list[RocketMQEvent], rocketmq_batch())[0].data
        assert message.tags is None
        assert message.keys is None
        assert message.message_id is not None

    def test_invoke(self) -> None:
        """A list[RocketMQEvent[Order]] handler gets parsed bodies."""
        out = invoke(
            orders, rocketmq_batch(bodies=[{"order_id": "B", "amount": 1}], tags="t", keys="k")
        )
        assert out == b'[["B","t","k"]]'
        assert invoke(orders, raw("rocketmq.json")) == b'[["A1","created","A1"]]'

    def test_bad_body(self) -> None:
        """A body that does not fit the model names event[0].data.body."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(orders, rocketmq_batch(bodies=["plain text"]))
        assert info.value.errors[0][0] == "event[0].data.body"


@fc.handler(event_model=list[events.ApacheRocketMQMessage[Order]])
def self_built(
    batch: list[events.ApacheRocketMQMessage[Order]], context: fc.FCContext
) -> list[object]:
    return [[m.msg_id, m.body.order_id, m.tags] for m in batch]


class TestApacheRocketMQMessage:
    def test_fixture_round_trips(self) -> None:
        """The self-built Apache RocketMQ fixture (a plain array) parses and round-trips."""
        batch = parse(list[ApacheRocketMQMessage], raw("apache_rocketmq.json"))
        assert_round_trip(list[ApacheRocketMQMessage], batch, data("apache_rocketmq.json"))

    def test_fields(self) -> None:
        """msgId, topic, both property maps and the text body are kept."""
        (message,) = parse(list[ApacheRocketMQMessage], raw("apache_rocketmq.json"))
        assert message.msg_id == message.message_id == "7F00000100002A9F0000000000000031"
        assert message.topic == "orders"
        assert (message.tags, message.keys) == ("created", "A1")
        assert message.user_properties == {"tenant": "shop-1"}
        assert message.body == '{"order_id": "A1", "amount": 3}'

    def test_invoke(self) -> None:
        """A list[ApacheRocketMQMessage[Order]] handler gets parsed bodies, from file or factory."""
        out = invoke(self_built, raw("apache_rocketmq.json"))
        assert out == b'[["7F00000100002A9F0000000000000031","A1","created"]]'
        made = apache_rocketmq_batch(bodies=[{"order_id": "B", "amount": 1}, "x"], tags="t")
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(self_built, made)
        assert info.value.errors[0][0] == "event[1].body"
        out = invoke(self_built, apache_rocketmq_batch(bodies=[{"order_id": "B", "amount": 1}]))
        assert out == b'[["7F00000100002A9F0000000000000000","B",null]]'

    def test_the_two_kinds_do_not_mix(self) -> None:
        """A CloudEvent batch is not a self-built batch (no msgId), and the reverse."""
        with pytest.raises(fc.EventDecodeError) as info:
            parse(list[ApacheRocketMQMessage], raw("rocketmq.json"))
        assert ("event[0].msgId", "Field required") in info.value.errors
        with pytest.raises(fc.EventDecodeError):
            parse(list[RocketMQEvent], raw("apache_rocketmq.json"))
