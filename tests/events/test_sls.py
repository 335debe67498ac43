"""Tests for fcsdk.events.sls: the Log Service trigger's event."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

import fcsdk as fc
from fcsdk.events import SLSEvent
from fcsdk.testing import invoke
from fcsdk.testing.events import sls_event
from tests.events._fixtures import assert_round_trip, data, raw


@fc.handler(event_model=SLSEvent)
def etl(event: SLSEvent, context: fc.FCContext) -> list[object]:
    s = event.source
    return [s.project_name, s.logstore_name, s.shard_id, event.cursor_time.isoformat()]


class TestSLSEvent:
    def test_fixture_round_trips(self) -> None:
        """The SLS fixture parses and dumps back with cursorTime as epoch seconds."""
        event = SLSEvent.model_validate_json(raw("sls.json"))
        assert_round_trip(SLSEvent, event, data("sls.json"))

    def test_fields(self) -> None:
        """Source, cursors, shard and cursor time are typed."""
        event = SLSEvent.model_validate_json(raw("sls.json"))
        assert event.source.endpoint == "http://cn-hangzhou-intranet.log.aliyuncs.com"
        assert event.source.shard_id == 3
        assert event.source.begin_cursor == "MTY2MzE2NTYwMjU1NzM3OTQwNA=="
        assert event.source.end_cursor == "MTY2MzE2NTYwMjU1NzM3OTQxMA=="
        assert event.cursor_time == datetime(2025, 11, 23, 7, 49, tzinfo=timezone.utc)
        assert event.parameter == {"targetLogstore": "clean-logs", "dryRun": False}
        assert event.job_name
        assert event.task_id

    def test_invoke(self) -> None:
        """A handler gets the typed event from the factory's bytes."""
        out = invoke(etl, sls_event(project="p", logstore="l", shard_id=2, cursor_time=0))
        assert out == b'["p","l",2,"1970-01-01T00:00:00+00:00"]'


class TestSLSBadInput:
    @pytest.mark.parametrize("stamp", ["2026-11-23T07:49:00Z", 1.5, True, None, "soon"])
    def test_cursor_time_not_epoch(self, stamp: object) -> None:
        """cursorTime must be integer epoch seconds: text times, floats and booleans are refused."""
        payload = data("sls.json")
        payload["cursorTime"] = stamp
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(etl, payload)
        assert info.value.errors[0][0] == "event.cursorTime"

    def test_cursor_time_out_of_range(self) -> None:
        """An epoch too large for a datetime is a clear error, not an OverflowError."""
        payload = data("sls.json")
        payload["cursorTime"] = 10**20
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(etl, payload)
        assert "in range" in info.value.errors[0][1]

    def test_missing_source(self) -> None:
        """An event without its source is named."""
        payload = data("sls.json")
        del payload["source"]["endCursor"]
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(etl, payload)
        assert info.value.errors == [("event.source.endCursor", "Field required")]

    def test_shard_id_wrong_type(self) -> None:
        """A shard id that is not an integer is named."""
        payload = data("sls.json")
        payload["source"]["shardId"] = "three"
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(etl, payload)
        assert info.value.errors[0][0] == "event.source.shardId"
