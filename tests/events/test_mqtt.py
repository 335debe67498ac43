"""Tests for fcsdk.events.mqtt: MQTT batches, as FC documents them and in CloudEvents."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk import events
from fcsdk.events import Base64, MQTTData, MQTTEvent, MQTTMessage, MQTTProperties, parse
from fcsdk.testing import invoke
from fcsdk.testing.events import mqtt_batch
from tests.events._fixtures import assert_round_trip, data, raw


class Lamp(BaseModel):
    power: str
    brightness: int = 100


@fc.handler(event_model=list[events.MQTTMessage[Lamp]])
def lamps(batch: list[events.MQTTMessage[Lamp]], context: fc.FCContext) -> list[object]:
    return [[m.props.topic, m.body.power] for m in batch]


@fc.handler(event_model=list[events.MQTTEvent[Lamp]])
def lamp_events(batch: list[events.MQTTEvent[Lamp]], context: fc.FCContext) -> list[object]:
    return [[e.data.props.topic, e.data.body.power] for e in batch]


class TestMQTTMessage:
    def test_documented_fixture_round_trips(self) -> None:
        """The plain array FC documents parses and round-trips."""
        batch = parse(list[MQTTMessage], raw("mqtt_raw.json"))
        assert_round_trip(list[MQTTMessage], batch, data("mqtt_raw.json"))
        assert [m.props.topic for m in batch] == ["home/livingroom/lamp", "home/kitchen/lamp"]
        assert batch[0].props.client_id == "GID_lamp@@@device-17"

    def test_invoke_documented_shape(self) -> None:
        """A list[MQTTMessage[Lamp]] handler gets typed bodies from the documented array."""
        out = invoke(lamps, raw("mqtt_raw.json"))
        assert out == b'[["home/livingroom/lamp","on"],["home/kitchen/lamp","off"]]'

    def test_either_push_format(self) -> None:
        """The same handler takes the CloudEvents push format: the message is read from data."""
        assert invoke(lamps, raw("mqtt.json")) == b'[["home/livingroom/lamp","on"]]'
        raw_form = mqtt_batch(bodies=[{"power": "off"}], topic="a/b")
        wrapped = mqtt_batch(bodies=[{"power": "off"}], topic="a/b", format="CloudEvents")
        assert invoke(lamps, raw_form) == invoke(lamps, wrapped) == b'[["a/b","off"]]'

    def test_wrapped_data_as_a_json_string(self) -> None:
        """A CloudEvent whose data is a JSON string is unwrapped too; non-JSON text is refused."""
        message = '{"props": {"firstTopic": "t"}, "body": {"power": "on"}}'
        event = {"id": "1", "source": "acs:mqtt", "specversion": "1.0", "type": "t"}
        (parsed,) = parse(list[MQTTMessage[Lamp]], [{**event, "data": message}])
        assert parsed.body == Lamp(power="on")
        with pytest.raises(fc.EventDecodeError):
            parse(list[MQTTMessage[Lamp]], [{**event, "data": "not json"}])

    def test_cloud_event_without_data(self) -> None:
        """A CloudEvent-shaped message with no data is an EventDecodeError naming the body."""
        event = {"id": "1", "source": "acs:mqtt", "specversion": "1.0", "type": "t"}
        with pytest.raises(fc.EventDecodeError) as info:
            parse(list[MQTTMessage[Lamp]], [event])
        assert ("event[0].body", "Field required") in info.value.errors

    def test_wrapped_data_with_a_lone_surrogate_is_an_event_decode_error(self) -> None:
        """A dict event whose data is a str no JSON parser reads gives EventDecodeError."""
        event = {"id": "1", "source": "acs:mqtt", "specversion": "1.0", "type": "t"}
        with pytest.raises(fc.EventDecodeError):
            parse(list[MQTTMessage[Lamp]], [{**event, "data": "\ud800"}])

    def test_props(self) -> None:
        """The topic is rebuilt from its two parts; missing props give None."""
        assert MQTTProperties().topic is None
        assert MQTTProperties(first_topic="t").topic == "t"
        (message,) = parse(list[MQTTMessage], b'[{"body": "x"}]')
        assert message.props.topic is None

    def test_base64_body(self) -> None:
        """Base64[M] decodes a base64 body, in either format."""
        for fmt in ("RawData", "CloudEvents"):
            payload = mqtt_batch(bodies=[b'{"power": "on"}'], format=fmt)
            (message,) = parse(list[MQTTMessage[Base64[Lamp]]], payload)
            assert message.body == Lamp(power="on")

    def test_bad_body(self) -> None:
        """A body that does not fit names its path."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(lamps, mqtt_batch(bodies=[{"brightness": 1}]))
        assert info.value.errors == [("event[0].body.power", "Field required")]

    def test_old_name(self) -> None:
        """MQTTData, the CloudEvent's data, is the same model."""
        assert MQTTData is MQTTMessage


class TestMQTTEvent:
    def test_fixture_round_trips(self) -> None:
        """The CloudEvents fixture parses and round-trips with its envelope."""
        batch = parse(list[MQTTEvent], raw("mqtt.json"))
        assert_round_trip(list[MQTTEvent], batch, data("mqtt.json"))
        assert batch[0].type == "mqtt:Topic:SendMessage"

    def test_invoke(self) -> None:
        """A list[MQTTEvent[Lamp]] handler gets the envelope and typed bodies."""
        assert invoke(lamp_events, raw("mqtt.json")) == b'[["home/livingroom/lamp","on"]]'
        payload = mqtt_batch(bodies=['{"power": "off"}'], topic="a/b", format="CloudEvents")
        assert invoke(lamp_events, payload) == b'[["a/b","off"]]'

    def test_documented_shape_is_not_an_event(self) -> None:
        """The plain array has no envelope: MQTTEvent says so, naming the missing fields."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(lamp_events, raw("mqtt_raw.json"))
        assert ("event[0].specversion", "Field required") in info.value.errors
