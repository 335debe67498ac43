"""Tests for fcsdk.events.cdn: CDN records discriminated by event name."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import fcsdk as fc
from fcsdk import events
from fcsdk.events import (
    CDNCachedObjectsRecord,
    CDNDomainRecord,
    CDNDomainStatusRecord,
    CDNEvent,
    CDNLogFileCreatedRecord,
    CDNOtherRecord,
)
from fcsdk.testing import invoke
from fcsdk.testing.events import cdn_event
from tests.events._fixtures import assert_round_trip, data, raw

FIXTURES = {
    "cdn_log_file_created.json": CDNLogFileCreatedRecord,
    "cdn_cached_objects_refreshed.json": CDNCachedObjectsRecord,
    "cdn_cached_objects_pushed.json": CDNCachedObjectsRecord,
    "cdn_domain_stopped.json": CDNDomainStatusRecord,
    "cdn_domain_added.json": CDNDomainRecord,
}


@fc.handler(event_model=events.CDNEvent)
def on_cdn(event: events.CDNEvent, context: fc.FCContext) -> list[str]:
    out = []
    for record in event.events:
        match record:
            case CDNLogFileCreatedRecord():
                out.append(f"log {record.event_parameter.file_path}")
            case CDNCachedObjectsRecord():
                out.append(f"cache {','.join(record.event_parameter.object_path)}")
            case CDNDomainStatusRecord():
                out.append(f"status {record.event_parameter.status}")
            case CDNDomainRecord():
                out.append(f"domain {record.event_name}")
            case _:
                out.append(f"other {record.event_name}")
    return out


class TestCDNEvent:
    @pytest.mark.parametrize(("name", "cls"), list(FIXTURES.items()))
    def test_fixture_round_trips(self, name: str, cls: type) -> None:
        """Each CDN fixture parses into the record class its eventName names, and round-trips."""
        event = CDNEvent.model_validate_json(raw(name))
        assert type(event.events[0]) is cls
        assert_round_trip(CDNEvent, event, data(name))

    def test_log_file_parameter(self) -> None:
        """LogFileCreated's times are UTC datetimes from epoch seconds; size and path are typed."""
        record = CDNEvent.model_validate_json(raw("cdn_log_file_created.json")).events[0]
        assert isinstance(record, CDNLogFileCreatedRecord)
        param = record.event_parameter
        assert param.file_size == 1184
        assert param.start_time == datetime(2025, 11, 23, 6, 0, tzinfo=timezone.utc)
        assert param.end_time == datetime(2025, 11, 23, 7, 0, tzinfo=timezone.utc)
        assert record.event_time.utcoffset() is not None
        assert record.user_identity is not None
        assert record.user_identity.ali_uid
        assert record.resource is not None
        assert record.resource.domain == "cdn.example.com"

    def test_cached_objects_parameter(self) -> None:
        """A refresh record has its object paths, type and task id."""
        record = CDNEvent.model_validate_json(raw("cdn_cached_objects_pushed.json")).events[0]
        assert isinstance(record, CDNCachedObjectsRecord)
        assert record.event_parameter.object_type == "Directory"
        assert record.event_parameter.object_path == ["/static/"]
        assert record.event_parameter.task_id == 2089687231

    def test_unknown_event_name(self) -> None:
        """An event name this SDK does not know parses as CDNOtherRecord with a dict parameter."""
        event = CDNEvent.model_validate_json(
            cdn_event(event_name="CdnDomainCertUpdated", parameter={"domain": "d", "cert": "c"})
        )
        record = event.events[0]
        assert isinstance(record, CDNOtherRecord)
        assert record.event_parameter == {"domain": "d", "cert": "c"}

    @pytest.mark.parametrize(
        "name",
        [
            "LogFileCreated",
            "CachedObjectsRefreshed",
            "CachedObjectsPushed",
            "CdnDomainStarted",
            "CdnDomainStopped",
            "CdnDomainAdded",
            "CdnDomainDeleted",
        ],
    )
    def test_factory_every_name(self, name: str) -> None:
        """The factory builds a valid parameter for every documented event name."""
        record = CDNEvent.model_validate_json(cdn_event(event_name=name)).events[0]
        assert record.event_name == name
        assert not isinstance(record, CDNOtherRecord)


class TestCDNHandler:
    def test_invoke_each_kind(self) -> None:
        """A handler can match on the record classes."""
        assert invoke(on_cdn, raw("cdn_domain_stopped.json")) == b'["status offline"]'
        assert invoke(on_cdn, raw("cdn_domain_added.json")) == b'["domain CdnDomainAdded"]'
        assert invoke(on_cdn, cdn_event(event_name="Future")) == b'["other Future"]'
        assert invoke(on_cdn, raw("cdn_cached_objects_refreshed.json")).startswith(b'["cache /2026')
        assert invoke(on_cdn, cdn_event()).startswith(b'["log http://cdnlog.')


class TestCDNBadInput:
    def _errors(self, payload: object) -> list[tuple[str, str]]:
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(on_cdn, payload)
        return info.value.errors

    def test_parameter_missing_field(self) -> None:
        """A LogFileCreated parameter without fileSize names the variant and the field."""
        payload = data("cdn_log_file_created.json")
        del payload["events"][0]["eventParameter"]["fileSize"]
        assert self._errors(payload) == [
            ("event.events[0].LogFileCreated.eventParameter.fileSize", "Field required")
        ]

    def test_missing_event_name(self) -> None:
        """A record without eventName is reported at the record."""
        payload = data("cdn_domain_added.json")
        del payload["events"][0]["eventName"]
        assert self._errors(payload) == [
            ("event.events[0]", "Record should have a string eventName")
        ]

    def test_bad_object_type(self) -> None:
        """objectType outside File/Directory is refused."""
        payload = data("cdn_cached_objects_refreshed.json")
        payload["events"][0]["eventParameter"]["objectType"] = "Folder"
        assert self._errors(payload)[0][0].endswith("eventParameter.objectType")

    def test_empty_events(self) -> None:
        """No records is an error."""
        assert self._errors({"events": []})[0][0] == "event.events"
