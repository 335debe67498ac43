"""Tests for fcsdk.events.mqtt: MQTT batches."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk import events
from fcsdk.events import Base64, MQTTEvent, MQTTProperties, parse
from fcsdk.testing import invoke
from fcsdk.testing.events import mqtt_batch
from tests.events._fixtures import assert_round_trip, data, raw


class Lamp(BaseModel):
    power: str
    brightness: int = 100


@fc.handler(event_model=list[events.MQTTEvent[Lamp]])
def lamps(batch: list[events.MQTTEvent[Lamp]], context: fc.FCContext) -> list[object]:
    return [[e.data.props.topic, e.data.body.power] for e in batch]


class TestMQTTEvent:
    def test_fixture_round_trips(self) -> None:
        """The MQTT fixture parses and round-trips."""
        batch = parse(list[MQTTEvent], raw("mqtt.json"))
        assert_round_trip(list[MQTTEvent], batch, data("mqtt.json"))

    def test_props(self) -> None:
        """The topic is rebuilt from its two parts; the client id is kept."""
        props = parse(list[MQTTEvent], raw("mqtt.json"))[0].data.props
        assert props.topic == "home/livingroom/lamp"
        assert props.client_id == "GID_lamp@@@device-17"
        assert MQTTProperties().topic is None
        assert MQTTProperties(first_topic="t").topic == "t"

    def test_invoke(self) -> None:
        """A list[MQTTEvent[Lamp]] handler gets typed bodies, object or base64."""
        assert invoke(lamps, raw("mqtt.json")) == b'[["home/livingroom/lamp","on"]]'
        out = invoke(lamps, mqtt_batch(bodies=['{"power": "off"}'], topic="a/b"))
        assert out == b'[["a/b","off"]]'
        b64 = parse(list[MQTTEvent[Base64[Lamp]]], mqtt_batch(bodies=[b'{"power": "on"}']))
        assert b64[0].data.body == Lamp(power="on")

    def test_bad_body(self) -> None:
        """A body that does not fit names its path."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(lamps, mqtt_batch(bodies=[{"brightness": 1}]))
        assert info.value.errors == [("event[0].data.body.power", "Field required")]
