"""Tests for fcsdk.events.oss: the OSS trigger's event."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import ValidationError

import fcsdk as fc
from fcsdk import events
from fcsdk.events import OSSEvent
from fcsdk.testing import invoke
from fcsdk.testing.events import oss_event
from tests.events._fixtures import assert_round_trip, data, raw

FIXTURES = ["oss_put_object.json", "oss_delete_object.json", "oss_multi_records_encoded_key.json"]


@fc.handler(event_model=events.OSSEvent)
def on_upload(event: events.OSSEvent, context: fc.FCContext) -> list[dict[str, object]]:
    return [
        {
            "bucket": r.oss.bucket.name,
            "key": r.oss.object.key,
            "decoded": r.oss.object.decoded_key,
            "size": r.oss.object.size,
            "created": r.is_created,
            "removed": r.is_removed,
        }
        for r in event.events
    ]


class TestOSSEvent:
    @pytest.mark.parametrize("name", FIXTURES)
    def test_fixture_round_trips(self, name: str) -> None:
        """Every OSS fixture parses and dumps back to the platform's names and values."""
        event = OSSEvent.model_validate_json(raw(name))
        assert_round_trip(OSSEvent, event, data(name))

    def test_put_object_fields(self) -> None:
        """A PutObject record exposes bucket, object, time and identity as typed attributes."""
        record = OSSEvent.model_validate_json(raw("oss_put_object.json")).events[0]
        assert record.event_name == "ObjectCreated:PutObject"
        assert record.event_time == datetime(2026, 11, 23, 6, 45, 43, tzinfo=timezone.utc)
        assert record.oss.bucket.name == record.bucket == "photo-uploads"
        assert record.oss.bucket.virtual_bucket == ""
        assert record.oss.object.key == record.key == "photos/cat.jpg"
        assert record.oss.object.size == 122539
        assert record.oss.object.etag == "688A7BF4F233DC9C88A80BF985AB7329"
        assert record.oss.object.object_meta is None
        assert record.request_parameters is not None
        assert record.request_parameters.source_ip_address == "203.0.113.7"
        assert record.response_elements is not None
        assert record.response_elements.request_id == "6560A1B2C3D4E5F607182930"
        assert record.user_identity is not None
        assert record.user_identity.principal_id == "1648956412345678"
        assert record.is_created
        assert not record.is_removed

    def test_delete_has_negative_delta(self) -> None:
        """A delete record is 'removed' and carries a negative delta size."""
        record = OSSEvent.model_validate_json(raw("oss_delete_object.json")).events[0]
        assert record.is_removed
        assert not record.is_created
        assert record.oss.object.delta_size == -122539

    def test_encoded_key_and_meta(self) -> None:
        """A URL-encoded key stays raw in ``key`` and is decoded in ``decoded_key``; meta parses."""
        first, second = OSSEvent.model_validate_json(
            raw("oss_multi_records_encoded_key.json")
        ).events
        assert first.oss.object.key == "reports/2026%2F11/q4%20summary.pdf"
        assert first.oss.object.decoded_key == "reports/2026/11/q4 summary.pdf"
        assert first.oss.object.object_meta is not None
        assert first.oss.object.object_meta.mime_type == "application/pdf"
        assert first.oss.object.object_meta.user_meta == {"x-oss-meta-owner": "finance"}
        assert second.oss.object.decoded_key == "reports/latest.pdf"

    def test_unknown_fields_ignored(self) -> None:
        """Fields the platform adds later are ignored, at any level."""
        payload = data("oss_put_object.json")
        payload["newTopLevel"] = 1
        payload["events"][0]["oss"]["object"]["storageClass"] = "IA"
        event = OSSEvent.model_validate(payload)
        assert "storageClass" not in event.events[0].oss.object.model_dump(by_alias=True)

    def test_owner_identity_both_forms(self) -> None:
        """The bucket owner is read from a string (FC) or a principalId object (OSS)."""
        payload = data("oss_put_object.json")
        assert OSSEvent.model_validate(payload).events[0].oss.bucket.owner_id == "1648956412345678"
        payload["events"][0]["oss"]["bucket"]["ownerIdentity"] = {"principalId": "42"}
        event = OSSEvent.model_validate(payload)
        assert event.events[0].oss.bucket.owner_id == "42"
        assert_round_trip(OSSEvent, event, payload)

    def test_immutable(self) -> None:
        """An event is a fact: assigning to a field is refused."""
        record = OSSEvent.model_validate_json(raw("oss_put_object.json")).events[0]
        with pytest.raises(ValidationError, match="frozen"):
            record.region = "cn-beijing"  # type: ignore[misc]

    def test_snake_case_names_construct(self) -> None:
        """A model can be built from the Python names too (populate by name)."""
        obj = events.OSSObject(key="k", size=1, delta_size=1, etag="e")
        assert obj.model_dump(by_alias=True) == {
            "key": "k",
            "size": 1,
            "deltaSize": 1,
            "eTag": "e",
            "objectMeta": None,
        }


class TestOSSHandler:
    def test_invoke_with_factory(self) -> None:
        """A decorated handler gets a typed OSSEvent from the factory's bytes."""
        out = invoke(on_upload, oss_event(bucket="b", key="a%20b.png", size=7))
        assert out == (
            b'[{"bucket":"b","key":"a%20b.png","decoded":"a b.png","size":7,'
            b'"created":true,"removed":false}]'
        )

    def test_invoke_with_fixture(self) -> None:
        """The platform's own bytes go through the handler unchanged."""
        out = invoke(on_upload, raw("oss_multi_records_encoded_key.json"))
        assert out.count(b'"created":true') == 2

    def test_several_keys(self) -> None:
        """oss_event(key=[...]) gives one record per key."""
        event = OSSEvent.model_validate_json(
            oss_event(key=["a", "b"], event_name="ObjectRemoved:DeleteObject")
        )
        assert [r.key for r in event.events] == ["a", "b"]
        assert event.events[0].oss.object.delta_size == -1024


class TestOSSBadInput:
    def _error(self, payload: object) -> fc.EventDecodeError:
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(on_upload, payload)
        return info.value

    def test_missing_required_field(self) -> None:
        """A record without its object key names the path of the missing field."""
        payload = data("oss_put_object.json")
        del payload["events"][0]["oss"]["object"]["key"]
        error = self._error(payload)
        assert error.errors == [("event.events[0].oss.object.key", "Field required")]

    def test_wrong_type(self) -> None:
        """A size that is not an integer is reported at its path."""
        payload = data("oss_put_object.json")
        payload["events"][0]["oss"]["object"]["size"] = "big"
        error = self._error(payload)
        assert error.errors[0][0] == "event.events[0].oss.object.size"
        assert "event.events[0].oss.object.size: Input should be a valid integer" in str(error)

    @pytest.mark.parametrize("stamp", [1763884140, "1763884140", "23/11/2026 06:45", "yesterday"])
    def test_timestamp_format_never_sent(self, stamp: object) -> None:
        """An event time that is not ISO 8601 text (epoch numbers included) is refused."""
        payload = data("oss_put_object.json")
        payload["events"][0]["eventTime"] = stamp
        error = self._error(payload)
        assert error.errors[0][0] == "event.events[0].eventTime"

    def test_empty_events(self) -> None:
        """An event with no records is an error, not an empty loop."""
        error = self._error({"events": []})
        assert error.errors[0][0] == "event.events"

    def test_string_where_object_expected(self) -> None:
        """A JSON string in place of the ``oss`` object is an error at that path."""
        payload = data("oss_put_object.json")
        payload["events"][0]["oss"] = '{"bucket": {}}'
        assert self._error(payload).errors[0][0] == "event.events[0].oss"

    def test_object_where_string_expected(self) -> None:
        """An object in place of the key is an error at that path."""
        payload = data("oss_put_object.json")
        payload["events"][0]["oss"]["object"]["key"] = {"k": 1}
        assert self._error(payload).errors[0][0] == "event.events[0].oss.object.key"

    def test_not_json(self) -> None:
        """Bytes that are not JSON give an EventDecodeError, with a ValidationError as cause."""
        error = self._error(b"\x00not json")
        assert isinstance(error.__cause__, ValidationError)
