"""Every trigger model has a JSON schema, in its wire forms.

That any input gives a model or an EventDecodeError is checked, for these
models and more, by tests/properties/test_decode_properties.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from fcsdk import events


class Order(BaseModel):
    order_id: str
    amount: int


MODELS: list[Any] = [
    events.OSSEvent,
    events.TimerEvent,
    events.TimerEvent[Order],
    events.SLSEvent,
    events.CDNEvent,
    events.MNSTopicEvent,
    events.MNSTopicEvent[events.Base64[Order]],
    events.MNSTopicStreamEvent[Order],
    events.TablestoreEvent,
    events.DestinationEvent,
    events.CloudEvent,
    list[events.CloudEvent[Order]],
    list[events.KafkaEvent[Order]],
    list[events.KafkaEvent[events.Base64[Order]]],
    list[events.KafkaEvent[bytes]],
    list[events.RocketMQEvent[Order]],
    list[events.RabbitMQEvent],
    list[events.MNSQueueEvent[Order]],
    list[events.DTSEvent],
    list[events.MQTTEvent[Order]],
    list[events.MQTTEvent[bytes]],
]


class TestJSONSchema:
    @pytest.mark.parametrize("tp", MODELS, ids=repr)
    def test_every_model_has_a_json_schema(self, tp: Any) -> None:
        """Every model (generic parameters and Base64 included) produces a JSON schema."""
        adapter: TypeAdapter[Any] = TypeAdapter(tp)
        assert adapter.json_schema()
        assert adapter.json_schema(mode="serialization")

    def test_wire_forms(self) -> None:
        """Epoch fields say integer and base64 fields say base64 string, as on the wire."""
        schema = TypeAdapter(list[events.KafkaEvent[events.Base64[Order]]]).json_schema()
        (name,) = [k for k in schema["$defs"] if k.startswith("KafkaData")]
        data_def = schema["$defs"][name]["properties"]
        assert data_def["timestamp"]["type"] == "integer"
        assert data_def["value"] == {"contentEncoding": "base64", "type": "string"}
