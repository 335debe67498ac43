"""Tests for fcsdk.events.mns_queue: MNS queue batches through EventBridge."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk import events
from fcsdk.events import Base64, MNSQueueEvent, parse
from fcsdk.testing import invoke
from fcsdk.testing.events import mns_queue_batch
from tests.events._fixtures import assert_round_trip, data, raw


class Order(BaseModel):
    order_id: str
    amount: int


@fc.handler(event_model=list[events.MNSQueueEvent[Order]])
def orders(batch: list[events.MNSQueueEvent[Order]], context: fc.FCContext) -> list[str]:
    return [e.data.message_body.order_id for e in batch]


class TestMNSQueueEvent:
    @pytest.mark.parametrize("name", ["mns_queue.json", "mns_queue_base64.json"])
    def test_fixture_round_trips(self, name: str) -> None:
        """MNS queue fixtures parse and round-trip, bodies as text."""
        batch = parse(list[MNSQueueEvent], raw(name))
        assert_round_trip(list[MNSQueueEvent], batch, data(name))
        assert isinstance(batch[0].data.message_body, str)

    def test_fields(self) -> None:
        """requestId and messageId are kept."""
        message = parse(list[MNSQueueEvent], raw("mns_queue.json"))[1].data
        assert message.request_id == "6560A1B2C3D4E5F607182931"
        assert message.message_id.endswith("200000011")

    def test_base64_body(self) -> None:
        """MNSQueueEvent[Base64[Order]] decodes the SDK's base64 bodies."""
        batch = parse(list[MNSQueueEvent[Base64[Order]]], raw("mns_queue_base64.json"))
        assert batch[0].data.message_body == Order(order_id="A3", amount=1)

    def test_parametrised_dumps_text(self) -> None:
        """A parsed body dumps back to the text form the platform sends."""
        batch = parse(list[MNSQueueEvent[Order]], raw("mns_queue.json"))
        dumped = batch[0].model_dump(by_alias=True)["data"]["messageBody"]
        assert dumped == '{"order_id":"A1","amount":3}'

    def test_invoke(self) -> None:
        """A list[MNSQueueEvent[Order]] handler gets parsed bodies."""
        assert invoke(orders, raw("mns_queue.json")) == b'["A1","A2"]'
        assert invoke(orders, mns_queue_batch(bodies=[{"order_id": "Z", "amount": 0}])) == b'["Z"]'

    def test_bad_body(self) -> None:
        """A body that does not fit names event[i].data.messageBody.<field>."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(orders, mns_queue_batch(bodies=['{"order_id": "Z"}']))
        assert info.value.errors == [("event[0].data.messageBody.amount", "Field required")]
