"""Property tests over every trigger model: any input gives a model or an EventDecodeError."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter

import fcsdk as fc
from fcsdk import events
from fcsdk._decode import build_decoder
from tests.events._fixtures import data, raw


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
DECODERS = [build_decoder(tp) for tp in MODELS]

FIXTURES = {
    "oss_multi_records_encoded_key.json": events.OSSEvent,
    "timer_json_payload.json": events.TimerEvent[Order],
    "sls.json": events.SLSEvent,
    "cdn_cached_objects_refreshed.json": events.CDNEvent,
    "mns_topic_json.json": events.MNSTopicEvent[Order],
    "destination_failure.json": events.DestinationEvent,
    "kafka_object.json": list[events.KafkaEvent[Order]],
    "dts.json": list[events.DTSEvent],
    "rabbitmq.json": list[events.RabbitMQEvent[Order]],
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


def decode_or_error(decode: Any, payload: Any) -> None:
    with contextlib.suppress(fc.EventDecodeError):
        decode(payload)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*prefix, i))
    return out


def replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replace(value[path[0]], path[1:], new)
    return copy


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


class TestAnyInput:
    @settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
    @given(value=json_values, index=st.integers(0, len(MODELS) - 1))
    def test_any_json_value(self, value: Any, index: int) -> None:
        """Any JSON value, as bytes, gives a model or an EventDecodeError for every model."""
        decode_or_error(DECODERS[index], json.dumps(value).encode())

    @settings(max_examples=150)
    @given(payload=st.binary(max_size=64), index=st.integers(0, len(MODELS) - 1))
    def test_any_bytes(self, payload: bytes, index: int) -> None:
        """Arbitrary bytes (CBOR included) give a model or an EventDecodeError."""
        decode_or_error(DECODERS[index], payload)

    @settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
    @given(data_=st.data(), new=json_values)
    def test_mutated_fixture(self, data_: st.DataObject, new: Any) -> None:
        """A real fixture with any one part replaced by any JSON value decodes or fails cleanly."""
        name = data_.draw(st.sampled_from(sorted(FIXTURES)))
        original = data(name)
        path = data_.draw(st.sampled_from(paths(original)))
        decode_or_error(build_decoder(FIXTURES[name]), replace(original, path, new))

    @settings(max_examples=100)
    @given(cut=st.integers(0, 400), flip=st.integers(0, 400))
    def test_damaged_cbor(self, cut: int, flip: int) -> None:
        """Truncated or corrupted Tablestore CBOR gives a model or an EventDecodeError."""
        payload = bytearray(raw("tablestore.cbor"))
        if flip < len(payload):
            payload[flip] ^= 0xFF
        decode_or_error(build_decoder(events.TablestoreEvent), bytes(payload[: len(payload) - cut]))

    @settings(max_examples=60)
    @given(value=json_values)
    def test_cbor_of_any_value(self, value: Any) -> None:
        """Any value encoded as CBOR gives a TablestoreEvent or an EventDecodeError."""
        decode_or_error(build_decoder(events.TablestoreEvent), cbor2.dumps(value))
