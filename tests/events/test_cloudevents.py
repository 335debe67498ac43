"""Tests for fcsdk.events.cloudevents: the CloudEvents envelope and the three batch shapes."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk import events
from fcsdk.events import CloudEvent, parse
from fcsdk.events.cloudevents import normalize_batch
from fcsdk.testing import invoke
from fcsdk.testing.events import kafka_batch
from tests.events._fixtures import assert_round_trip, data, raw


class Point(BaseModel):
    x: int


@fc.handler(event_model=list[events.CloudEvent])
def ids(batch: list[events.CloudEvent], context: fc.FCContext) -> list[str]:
    return [e.id for e in batch]


@fc.handler(event_model=events.CloudEvent[Point])
def one(event: events.CloudEvent[Point]) -> int:
    return event.data.x


def envelope(data_value: Any, **extra: Any) -> dict[str, Any]:
    return {
        "id": "e1",
        "source": "s",
        "specversion": "1.0",
        "type": "t",
        "data": data_value,
        **extra,
    }


class TestCloudEvent:
    @pytest.mark.parametrize(
        "name",
        [
            "mns_queue.json",
            "rocketmq.json",
            "rabbitmq.json",
            "kafka_object.json",
            "dts.json",
            "mqtt.json",
        ],
    )
    def test_every_eventbridge_fixture(self, name: str) -> None:
        """The bare envelope parses every EventBridge fixture and round-trips it."""
        batch = parse(list[CloudEvent], raw(name))
        assert_round_trip(list[CloudEvent], batch, data(name))

    def test_extensions(self) -> None:
        """The CloudEvents attributes and Alibaba's aliyun* extensions are typed."""
        event = parse(list[CloudEvent], raw("mns_queue.json"))[0]
        assert event.specversion == "1.0"
        assert event.type == "mns:Queue:SendMessage"
        assert event.datacontenttype == "application/json;charset=utf-8"
        assert event.time == datetime(2026, 11, 23, 7, 49, 0, 768000, tzinfo=timezone.utc)
        assert event.aliyunpublishtime == datetime(
            2026, 11, 23, 7, 49, 0, 788000, tzinfo=timezone.utc
        )
        assert event.aliyunaccountid == event.aliyunoriginalaccountid == "1648956412345678"
        assert event.aliyuneventbusname == "MNS-Function-trigger"
        assert event.aliyunregionid == "cn-hangzhou"
        assert event.aliyunpublishaddr == "10.0.12.34"
        assert event.subject is not None
        assert event.subject.endswith("queues/orders")

    def test_generic_data(self) -> None:
        """CloudEvent[Point] validates data, also when it arrives as a JSON string."""
        assert CloudEvent[Point].model_validate(envelope({"x": 1})).data == Point(x=1)
        assert CloudEvent[Point].model_validate(envelope('{"x": 2}')).data == Point(x=2)

    def test_default_data_kept_as_is(self) -> None:
        """Without a parameter, data is whatever JSON came, a string included."""
        assert CloudEvent.model_validate(envelope('{"x": 2}')).data == '{"x": 2}'
        assert CloudEvent.model_validate(envelope([1])).data == [1]


class TestBatchShapes:
    @pytest.mark.parametrize(
        "name", ["kafka_object.json", "kafka_single_object.json", "kafka_strings.json"]
    )
    def test_three_shapes_parse(self, name: str) -> None:
        """An array, a single object and an array of JSON strings all give a list of events."""
        batch = parse(list[events.KafkaEvent], raw(name))
        assert [e.data.value["page"] for e in batch] == ["/home", "/cart"][: len(batch)]

    @pytest.mark.parametrize("shape", ["array", "object", "strings"])
    def test_factory_shapes_through_handler(self, shape: Any) -> None:
        """The factory's three shapes reach a list handler the same way."""
        assert (
            invoke(ids, kafka_batch(values=["a"], shape=shape))
            == b'["6a7d0c1e-2b3f-4a5d-8e9f-000000000000"]'
        )

    def test_factory_object_shape_needs_one(self) -> None:
        """shape='object' with several values is a ValueError in the test, not a silent drop."""
        with pytest.raises(ValueError, match="one event"):
            kafka_batch(values=["a", "b"], shape="object")

    def test_decoded_list_and_dict(self) -> None:
        """Already-decoded data (a list or dict) is accepted too."""
        assert normalize_batch([envelope(1)]) == [envelope(1)]
        assert normalize_batch(envelope(1)) == [envelope(1)]
        assert normalize_batch('["{\\"a\\": 1}"]') == [{"a": 1}]

    def test_single_model_takes_object_or_batch_of_one(self) -> None:
        """A handler on one CloudEvent takes a single object or a one-event batch."""
        assert invoke(one, envelope({"x": 5})) == b"5"
        assert invoke(one, [envelope({"x": 6})]) == b"6"


class TestBatchBadInput:
    def test_not_json(self) -> None:
        """A payload that is not JSON names event."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(ids, b"[{")
        assert info.value.errors[0][0] == "event"

    def test_bad_string_element(self) -> None:
        """A string in the array that is not JSON names its index."""
        good = raw("kafka_strings.json").decode().rstrip()
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(ids, good[:-1] + ',"{oops"]')
        assert info.value.errors[0][0] == "event[2]"
        assert "Invalid JSON" in str(info.value)

    def test_missing_envelope_field(self) -> None:
        """An event without id names event[i].id."""
        batch = data("mns_queue.json")
        del batch[1]["id"]
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(ids, batch)
        assert info.value.errors == [("event[1].id", "Field required")]

    def test_batch_for_single_model(self) -> None:
        """Two events for a single-event model is an error that says to use list[...]."""
        with pytest.raises(fc.EventDecodeError, match=r"list\[\.\.\.\]"):
            invoke(one, [envelope({"x": 1}), envelope({"x": 2})])

    def test_data_wrong_shape_path(self) -> None:
        """A data field that does not fit names event.data.x for a single event."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(one, envelope({"x": "nope"}))
        assert info.value.errors[0][0] == "event.data.x"

    def test_time_as_number(self) -> None:
        """A CloudEvent time that is a number is a format EventBridge never sends."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(ids, [envelope(1, time=1763884140)])
        assert info.value.errors[0][0] == "event[0].time"
