"""Tests for fcsdk.events.mns: MNS topic pushes in JSON and STREAM formats."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk import events
from fcsdk.events import Base64, MNSTopicEvent, MNSTopicStreamEvent
from fcsdk.testing import invoke
from fcsdk.testing.events import mns_topic_event
from tests.events._fixtures import assert_round_trip, data, raw


class Order(BaseModel):
    order_id: str
    amount: int


@fc.handler(event_model=events.MNSTopicEvent[Order])
def on_order(event: events.MNSTopicEvent[Order], context: fc.FCContext) -> dict[str, object]:
    return {"id": event.message.order_id, "attrs": event.attributes}


@fc.handler(event_model=events.MNSTopicStreamEvent[Order])
def on_stream(event: events.MNSTopicStreamEvent[Order]) -> str:
    return f"{event.body.order_id} {event.attributes.get('priority')}"


@fc.handler(event_model=bytes)
def on_raw(event: bytes) -> bytes:
    return event.upper()


class TestMNSTopicEvent:
    @pytest.mark.parametrize("name", ["mns_topic_json.json", "mns_topic_json_plain.json"])
    def test_fixture_round_trips(self, name: str) -> None:
        """JSON-format fixtures parse and dump back with attributes at the top level."""
        event = MNSTopicEvent.model_validate_json(raw(name))
        assert_round_trip(MNSTopicEvent, event, data(name))

    def test_attributes_collected(self) -> None:
        """Keys beside the fixed fields are the message attributes."""
        event = MNSTopicEvent.model_validate_json(raw("mns_topic_json.json"))
        assert event.attributes == {"priority": "high", "region": "cn-hangzhou"}
        assert event.publish_time == datetime(2025, 11, 23, 7, 49, 0, 123000, tzinfo=timezone.utc)
        assert event.topic_name == "orders"
        assert event.message_id.startswith("F4D1")
        assert event.model_dump()["attributes"] == event.attributes

    def test_no_attributes(self) -> None:
        """Without extra keys, attributes is empty."""
        event = MNSTopicEvent.model_validate_json(raw("mns_topic_json_plain.json"))
        assert event.attributes == {}
        assert event.message == "hello world"

    def test_parametrised_message(self) -> None:
        """MNSTopicEvent[Order] parses the message text as JSON into Order and dumps it back."""
        event = MNSTopicEvent[Order].model_validate_json(raw("mns_topic_json.json"))
        assert event.message == Order(order_id="A1", amount=3)
        again = MNSTopicEvent[Order].model_validate(event.model_dump(by_alias=True))
        assert again == event

    def test_base64_message(self) -> None:
        """MNSTopicEvent[Base64[Order]] undoes base64 first."""
        raw_event = mns_topic_event(message="eyJvcmRlcl9pZCI6IkEyIiwiYW1vdW50IjoxfQ==")
        assert MNSTopicEvent[Base64[Order]].model_validate_json(raw_event).message.order_id == "A2"

    def test_attribute_named_like_a_field(self) -> None:
        """An attribute whose key is a Python field name ("message") stays an attribute."""
        event = MNSTopicEvent.model_validate_json(
            mns_topic_event(message="body", attributes={"message": "m"})
        )
        assert event.message == "body"
        assert event.attributes == {"message": "m"}

    def test_python_names(self) -> None:
        """A dict keyed by the Python names validates too, extra keys becoming attributes."""
        event = MNSTopicEvent.model_validate(
            {
                **MNSTopicEvent.model_validate_json(raw("mns_topic_json_plain.json")).model_dump(
                    exclude={"attributes"}
                ),
                "k": 1,
            }
        )
        assert event.message == "hello world"
        assert event.attributes == {"k": 1}

    def test_python_names_with_attributes(self) -> None:
        """A dict that already holds ``attributes`` is taken as is."""
        event = MNSTopicEvent.model_validate(
            {**data("mns_topic_json_plain.json"), "attributes": {"a": 1}}
        )
        assert event.attributes == {"a": 1}


class TestMNSTopicStreamEvent:
    def test_fixture_round_trips(self) -> None:
        """STREAM with attributes parses into body and attributes, and round-trips."""
        event = MNSTopicStreamEvent.model_validate_json(raw("mns_topic_stream_attrs.json"))
        assert event.body == '{"order_id": "A1", "amount": 3}'
        assert event.attributes["priority"] == "high"
        assert_round_trip(MNSTopicStreamEvent, event, data("mns_topic_stream_attrs.json"))


class TestMNSHandlers:
    def test_json_format(self) -> None:
        """A handler on MNSTopicEvent[Order] gets the parsed order and attributes."""
        out = invoke(
            on_order,
            mns_topic_event(message={"order_id": "A9", "amount": 1}, attributes={"k": "v"}),
        )
        assert out == b'{"id":"A9","attrs":{"k":"v"}}'

    def test_stream_with_attributes(self) -> None:
        """A STREAM push with attributes reaches MNSTopicStreamEvent[Order]."""
        assert invoke(on_stream, raw("mns_topic_stream_attrs.json")) == b"A1 high"
        factory = mns_topic_event(
            message=Order(order_id="B", amount=2), format="STREAM", attributes={"priority": "low"}
        )
        assert invoke(on_stream, factory) == b"B low"

    def test_stream_without_attributes(self) -> None:
        """A STREAM push without attributes is the raw body: event_model=bytes."""
        assert invoke(on_raw, raw("mns_topic_stream_raw.txt")) == b"ORDER A1 SHIPPED"
        assert invoke(on_raw, mns_topic_event(message="x", format="STREAM")) == b"X"


class TestMNSBadInput:
    def test_message_wrong_shape(self) -> None:
        """A message that does not fit the model names event.Message and the inner field."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(on_order, mns_topic_event(message={"order_id": "A"}))
        assert info.value.errors == [("event.Message.amount", "Field required")]

    def test_publish_time_as_text(self) -> None:
        """PublishTime must be integer milliseconds."""
        payload = data("mns_topic_json.json")
        payload["PublishTime"] = "2026-11-23T07:49:00Z"
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(on_order, payload)
        assert info.value.errors[0][0] == "event.PublishTime"

    def test_attrs_not_object(self) -> None:
        """STREAM attrs that are not an object are named."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(on_stream, {"body": '{"order_id": "A", "amount": 1}', "attrs": "x"})
        assert info.value.errors[0][0] == "event.attrs"
