"""Tests for fcsdk.events.kafka: Kafka batches, generic over the record value."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import BaseModel
from typing_extensions import assert_type

import fcsdk as fc
from fcsdk import events
from fcsdk.events import Base64, KafkaEvent, parse
from fcsdk.testing import invoke
from fcsdk.testing.events import kafka_batch
from tests.events._fixtures import assert_round_trip, data, raw


class Click(BaseModel):
    page: str
    ms: int = 0


@fc.handler(event_model=list[events.KafkaEvent[Click]])
def clicks(batch: list[events.KafkaEvent[Click]], context: fc.FCContext) -> list[str]:
    return [event.data.value.page for event in batch]


@fc.handler(event_model=list[events.KafkaEvent[Base64[Click]]])
def clicks_b64(batch: list[events.KafkaEvent[Base64[Click]]]) -> list[int]:
    return [event.data.value.ms for event in batch]


class TestKafkaEvent:
    @pytest.mark.parametrize(
        "name", ["kafka_object.json", "kafka_string.json", "kafka_base64.json"]
    )
    def test_fixture_round_trips(self, name: str) -> None:
        """Every value shape round-trips through the unparametrised model, value as it came."""
        batch = parse(list[KafkaEvent], raw(name))
        assert_round_trip(list[KafkaEvent], batch, data(name))
        assert batch[0].data.value == data(name)[0]["data"]["value"]

    def test_record_fields(self) -> None:
        """Topic, partition, offset, timestamp, headers and key are typed."""
        first, second = parse(list[KafkaEvent], raw("kafka_object.json"))
        assert (first.data.topic, first.data.partition, first.data.offset) == ("clicks", 7, 25)
        assert second.data.offset == 26
        assert first.data.timestamp == datetime(2025, 11, 23, 7, 49, 0, 934000, tzinfo=timezone.utc)
        assert first.data.headers.headers == []
        assert first.data.headers.is_read_only is False
        assert first.data.key == "A1"
        assert first.type == "alikafka:Topic:Message"

    def test_object_and_string_values_parse(self) -> None:
        """KafkaEvent[Click] takes the value as an object or as a JSON string."""
        assert parse(list[KafkaEvent[Click]], raw("kafka_object.json"))[0].data.value == Click(
            page="/home", ms=120
        )
        assert parse(list[KafkaEvent[Click]], raw("kafka_string.json"))[0].data.value == Click(
            page="/home", ms=120
        )

    def test_base64_value(self) -> None:
        """KafkaEvent[Base64[Click]] undoes base64; KafkaEvent[bytes] gives the raw bytes."""
        assert (
            parse(list[KafkaEvent[Base64[Click]]], raw("kafka_base64.json"))[0].data.value.ms == 120
        )
        value = parse(list[KafkaEvent[bytes]], raw("kafka_base64.json"))[0].data.value
        assert value == b'{"page": "/home", "ms": 120}'

    def test_parametrised_dump_keeps_object(self) -> None:
        """A parsed object value dumps back as an object, the platform's shape."""
        batch = parse(list[KafkaEvent[Click]], raw("kafka_object.json"))
        assert batch[0].model_dump(by_alias=True, mode="json")["data"]["value"] == {
            "page": "/home",
            "ms": 120,
        }


class TestKafkaTyping:
    def test_static_types(self) -> None:
        """mypy sees the value as Any by default and as the parameter when given."""
        plain = parse(list[KafkaEvent], raw("kafka_object.json"))[0]
        typed = parse(list[KafkaEvent[Click]], raw("kafka_object.json"))[0]
        assert_type(plain, KafkaEvent[Any])
        assert_type(plain.data.value, Any)
        assert_type(typed.data.value, Click)
        assert_type(typed.data.offset, int)
        assert typed.data.value.page == "/home"


class TestKafkaHandler:
    def test_invoke(self) -> None:
        """A list[KafkaEvent[Click]] handler gets parsed values from the factory."""
        out = invoke(clicks, kafka_batch(values=[{"page": "/a"}, '{"page": "/b"}']))
        assert out == b'["/a","/b"]'

    def test_invoke_base64(self) -> None:
        """bytes given to the factory are base64-encoded, as the platform does."""
        assert invoke(clicks_b64, kafka_batch(values=[b'{"page": "/", "ms": 9}'])) == b"[9]"

    def test_invoke_fixture_shapes(self) -> None:
        """The older single-object and string-array deliveries reach the handler."""
        assert invoke(clicks, raw("kafka_single_object.json")) == b'["/home"]'
        assert invoke(clicks, raw("kafka_strings.json")) == b'["/home","/cart"]'


class TestKafkaBadInput:
    def test_value_wrong_shape(self) -> None:
        """A value missing a field names event[i].data.value.<field>."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(clicks, kafka_batch(values=[{"page": "/"}, {"ms": 1}]))
        assert info.value.errors == [("event[1].data.value.page", "Field required")]

    def test_value_not_base64(self) -> None:
        """A value that is not base64 is named and says base64."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(clicks_b64, kafka_batch(values=["not base64!"]))
        assert info.value.errors[0][0] == "event[0].data.value"
        assert "base64" in info.value.errors[0][1]

    def test_base64_not_utf8(self) -> None:
        """Base64 of bytes that are not UTF-8 cannot be parsed as a model."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(clicks_b64, kafka_batch(values=[b"\xff\xfe"]))
        assert info.value.errors[0] == (
            "event[0].data.value",
            "Decoded base64 should be UTF-8 text",
        )

    def test_base64_value_not_string(self) -> None:
        """A base64 field given a number is a typed error."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(clicks_b64, kafka_batch(values=[{"page": "/"}]))
        assert info.value.errors[0] == ("event[0].data.value", "Input should be a base64 string")

    def test_offset_wrong_type(self) -> None:
        """A non-integer offset names its path."""
        batch = data("kafka_object.json")
        batch[0]["data"]["offset"] = "x"
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(clicks, batch)
        assert info.value.errors[0][0] == "event[0].data.offset"
