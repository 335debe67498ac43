"""Tests for fcsdk.testing.events: the factories give the bytes each trigger sends."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import cbor2
import pytest
from pydantic import BaseModel

from fcsdk import events
from fcsdk.events import parse
from fcsdk.testing import events as factories
from tests.events._fixtures import data


class Order(BaseModel):
    order_id: str


def keys(value: Any) -> Any:
    """The nested key structure of a JSON value (lists reduced to their first item)."""
    if isinstance(value, dict):
        return {k: keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [keys(value[0])] if value else []
    return None


class TestShapesMatchFixtures:
    @pytest.mark.parametrize(
        ("payload", "fixture"),
        [
            (factories.oss_event(), "oss_put_object.json"),
            (factories.timer_event(), "timer.json"),
            (factories.sls_event(parameter={"a": 1}), "sls.json"),
            (factories.cdn_event(), "cdn_log_file_created.json"),
            (
                factories.cdn_event(event_name="CachedObjectsPushed"),
                "cdn_cached_objects_pushed.json",
            ),
            (factories.cdn_event(event_name="CdnDomainStopped"), "cdn_domain_stopped.json"),
            (factories.mns_topic_event(), "mns_topic_json_plain.json"),
            (
                factories.mns_topic_event(format="STREAM", attributes={"a": "b"}),
                "mns_topic_stream_attrs.json",
            ),
            (factories.mns_queue_batch(), "mns_queue.json"),
            (
                factories.rocketmq_batch(tags="t", keys="k", user_properties={"u": 1}),
                "rocketmq.json",
            ),
            (factories.rabbitmq_batch(), "rabbitmq.json"),
            (factories.kafka_batch(values=[{"page": "/", "ms": 1}]), "kafka_object.json"),
            (
                factories.dts_batch(
                    operation="UPDATE", before={"recordSchema": None, "values": [1], "size": 1}
                ),
                "dts.json",
            ),
            (
                factories.mqtt_batch(
                    bodies=[{"power": "on", "brightness": 1}], format="CloudEvents"
                ),
                "mqtt.json",
            ),
            (factories.mqtt_batch(bodies=['{"power": "on"}']), "mqtt_raw.json"),
            (factories.apache_rocketmq_batch(tags="t", keys="k"), "apache_rocketmq.json"),
            (factories.destination_event(error="E"), "destination_failure.json"),
        ],
    )
    def test_same_field_names_as_the_platform(self, payload: bytes, fixture: str) -> None:
        """Each factory's JSON has the platform fixture's field names, nested the same way."""
        made = keys(json.loads(payload))
        real = keys(data(fixture))
        if isinstance(real, dict) and "attrs" in real:
            real["attrs"] = made["attrs"]
        if fixture == "sls.json":
            real["parameter"] = made["parameter"]
        if fixture == "dts.json":  # the fixture's column metadata is richer
            for side in (made, real):
                side[0]["data"]["schema"] = None
        if fixture == "rabbitmq.json":
            for side in (made, real):
                side[0]["data"]["props"] = side[0]["data"]["body"] = None
        if fixture == "rocketmq.json":
            for side in (made, real):
                side[0]["data"]["systemProperties"] = side[0]["data"]["userProperties"] = None
        if fixture == "apache_rocketmq.json":
            for side in (made, real):
                side[0]["systemProperties"] = side[0]["userProperties"] = None
        assert made == real


class TestFactories:
    def test_oss_options(self) -> None:
        """oss_event fills the bucket, key, size, region, meta and time it is given."""
        moment = datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=timezone.utc)
        doc = json.loads(
            factories.oss_event(
                bucket="b",
                key="k",
                size=5,
                delta_size=-1,
                region="cn-beijing",
                event_time=moment,
                mime_type="text/plain",
                user_meta={"a": "b"},
            )
        )
        record = doc["events"][0]
        assert record["eventTime"] == "2026-01-02T03:04:05.006Z"
        assert record["oss"]["bucket"]["arn"] == "acs:oss:cn-beijing:1234567890123456:b"
        assert record["oss"]["object"] == {
            "deltaSize": -1,
            "eTag": "688A7BF4F233DC9C88A80BF985AB7329",
            "key": "k",
            "size": 5,
            "objectMeta": {"mimeType": "text/plain", "userMeta": {"a": "b"}},
        }
        only_type = json.loads(factories.oss_event(mime_type="image/png"))
        assert only_type["events"][0]["oss"]["object"]["objectMeta"] == {"mimeType": "image/png"}

    def test_naive_times_are_utc(self) -> None:
        """A naive datetime is taken as UTC, whatever the machine's time zone."""
        naive = datetime(2026, 1, 2, 3, 4, 5)
        aware = datetime(2026, 1, 2, 11, 4, 5, tzinfo=timezone(timedelta(hours=8)))
        assert (
            json.loads(factories.timer_event(trigger_time=naive))["triggerTime"]
            == "2026-01-02T03:04:05Z"
        )
        assert (
            json.loads(factories.timer_event(trigger_time=aware))["triggerTime"]
            == "2026-01-02T03:04:05Z"
        )
        assert json.loads(factories.sls_event(cursor_time=naive))["cursorTime"] == 1767323045

    def test_timer_payload_forms(self) -> None:
        """timer_event keeps text, JSON-encodes data and models, base64-encodes bytes."""

        def payload(value: Any) -> str:
            return str(
                json.loads(
                    factories.timer_event(payload=value, trigger_time="2026-11-23T00:00:00Z")
                )["payload"]
            )

        assert payload("x") == "x"
        assert payload({"a": 1}) == '{"a":1}'
        assert payload(Order(order_id="A")) == '{"order_id":"A"}'
        assert payload(b"hi") == "aGk="

    def test_mns_md5_and_attributes(self) -> None:
        """mns_topic_event computes MessageMD5 and merges attributes at the top level."""
        doc = json.loads(
            factories.mns_topic_event(message="hello world", attributes={"p": "1"}, publish_time=5)
        )
        assert doc["MessageMD5"] == "5EB63BBBE01EEED093CB22BB8F5ACDC3"
        assert doc["p"] == "1"
        assert doc["PublishTime"] == 5

    def test_tablestore_is_cbor(self) -> None:
        """tablestore_event returns CBOR with one record of the given key, columns and deletes."""
        doc = cbor2.loads(
            factories.tablestore_event(
                columns={"a": b"\x00"}, deleted_columns=["b"], type="DeleteRow"
            )
        )
        record = doc["Records"][0]
        assert doc["Version"] == "Sync-v1"
        assert record["Type"] == "DeleteRow"
        assert record["PrimaryKey"] == [{"ColumnName": "id", "Value": 1}]
        assert [c["Type"] for c in record["Columns"]] == ["Put", "DeleteAllVersions"]

    def test_batches_parse_with_their_models(self) -> None:
        """Every batch factory parses with its own model, one event per item."""
        pairs: list[tuple[bytes, Any]] = [
            (
                factories.kafka_batch(values=["a", "b"], key="k", timestamp=1),
                list[events.KafkaEvent],
            ),
            (factories.rocketmq_batch(bodies=["a", "b"]), list[events.RocketMQEvent]),
            (
                factories.rabbitmq_batch(bodies=["a", "b"], props={"x": 1}),
                list[events.RabbitMQEvent],
            ),
            (factories.mns_queue_batch(bodies=["a", "b"]), list[events.MNSQueueEvent]),
            (factories.dts_batch(count=2), list[events.DTSEvent]),
            (factories.mqtt_batch(bodies=["a", "b"], format="CloudEvents"), list[events.MQTTEvent]),
        ]
        for payload, tp in pairs:
            batch = parse(tp, payload)
            assert len(batch) == 2
            assert batch[0].id != batch[1].id
        plain: list[tuple[bytes, Any]] = [
            (factories.mqtt_batch(bodies=["a", "b"]), list[events.MQTTMessage]),
            (
                factories.apache_rocketmq_batch(bodies=["a", "b"]),
                list[events.ApacheRocketMQMessage],
            ),
        ]
        for payload, tp in plain:
            first, second = parse(tp, payload)
            assert (first.body, second.body) == ("a", "b")

    def test_mqtt_documented_shape_is_a_plain_array(self) -> None:
        """mqtt_batch's default is FC's documented form: props and body, no envelope."""
        (message,) = json.loads(factories.mqtt_batch(bodies=["on"], topic="a/b/c"))
        assert message == {
            "props": {"firstTopic": "a", "secondTopic": "/b/c", "clientId": "GID_demo@@@device-1"},
            "body": "on",
        }

    def test_destination_defaults(self) -> None:
        """destination_event is a success record unless an error is given."""
        ok = json.loads(factories.destination_event(response={"r": 1}))
        assert ok["requestContext"]["condition"] == "Success"
        assert "functionError" not in ok["responseContext"]
        assert ok["responsePayload"] == '{"r":1}'
        failed = json.loads(
            factories.destination_event(
                error="E", condition="C", timestamp=datetime(1970, 1, 1, tzinfo=timezone.utc)
            )
        )
        assert failed["requestContext"]["condition"] == "C"
        assert failed["timestamp"] == 0

    def test_top_level_access(self) -> None:
        """The factories are reachable as fcsdk.testing.events."""
        import fcsdk.testing

        assert fcsdk.testing.events.oss_event is factories.oss_event

    def test_split_keeps_the_public_names(self) -> None:
        """Every factory is importable from fcsdk.testing.events, defined in its family's module."""
        import importlib

        expected = {
            "apache_rocketmq_batch": "rocketmq",
            "cdn_event": "cdn",
            "destination_event": "destination",
            "dts_batch": "dts",
            "kafka_batch": "kafka",
            "mns_queue_batch": "mns_queue",
            "mns_topic_event": "mns",
            "mqtt_batch": "mqtt",
            "oss_event": "oss",
            "rabbitmq_batch": "rabbitmq",
            "rocketmq_batch": "rocketmq",
            "sls_event": "sls",
            "tablestore_event": "tablestore",
            "timer_event": "timer",
        }
        assert sorted(factories.__all__) == sorted([*expected, "BatchShape"])
        for name, family in expected.items():
            function = getattr(factories, name)
            assert function.__module__ == f"fcsdk.testing.events.{family}"
            module = importlib.import_module(f"fcsdk.events.{family}")
            assert (
                module.__name__ == f"fcsdk.events.{family}"
            )  # the model lives under the same name
