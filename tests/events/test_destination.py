"""Tests for fcsdk.events.destination: async invocation destination records."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk import events
from fcsdk.events import DestinationEvent
from fcsdk.testing import invoke
from fcsdk.testing.events import destination_event
from tests.events._fixtures import assert_round_trip, data, raw


class Job(BaseModel):
    key: str


class Failure(BaseModel):
    errorMessage: str
    errorType: str


@fc.handler(event_model=events.DestinationEvent)
def on_result(event: events.DestinationEvent, context: fc.FCContext) -> dict[str, object]:
    return {
        "failed": event.failed,
        "request": event.request_data,
        "count": event.request_context.approximate_invoke_count,
    }


class TestDestinationEvent:
    @pytest.mark.parametrize("name", ["destination_success.json", "destination_failure.json"])
    def test_fixture_round_trips(self, name: str) -> None:
        """Both records parse and round-trip."""
        event = DestinationEvent.model_validate_json(raw(name))
        assert_round_trip(DestinationEvent, event, data(name))

    def test_success(self) -> None:
        """A success record: payloads as text, parsed, and validated."""
        event = DestinationEvent.model_validate_json(raw("destination_success.json"))
        assert not event.failed
        assert event.timestamp == datetime(2025, 11, 23, 7, 49, 0, 123000, tzinfo=timezone.utc)
        assert event.request_context.condition == "Success"
        assert event.request_context.function_arn.endswith("functions/resize")
        assert event.response_context.status_code == 200
        assert event.request_payload == '{"key": "photos/cat.jpg"}'
        assert event.request_data == {"key": "photos/cat.jpg"}
        assert event.response_data == {"thumbnail": "thumbs/cat.jpg"}
        assert event.parse_request(Job) == Job(key="photos/cat.jpg")

    def test_failure(self) -> None:
        """A failure record: non-JSON request text stays text; the error parses."""
        event = DestinationEvent.model_validate_json(raw("destination_failure.json"))
        assert event.failed
        assert event.response_context.function_error == "UnhandledInvocationError"
        assert event.request_data == "not json at all"
        assert event.parse_request(str) == "not json at all"
        assert event.parse_response(Failure).errorType == "OSError"

    def test_iso_timestamp(self) -> None:
        """A timestamp sent as ISO text is accepted as well as epoch milliseconds."""
        payload = data("destination_success.json")
        payload["timestamp"] = "2026-11-23T07:49:00Z"
        assert DestinationEvent.model_validate(payload).timestamp.year == 2026

    @pytest.mark.parametrize("stamp", ["yesterday", 1.5, None, True])
    def test_bad_timestamp(self, stamp: object) -> None:
        """A timestamp that is neither epoch milliseconds nor ISO text is named."""
        payload = data("destination_success.json")
        payload["timestamp"] = stamp
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(on_result, payload)
        assert [path for path, _ in info.value.errors] == ["event.timestamp"]

    def test_parse_error_names_payload(self) -> None:
        """A payload that does not fit names event.requestPayload.<field>."""
        event = DestinationEvent.model_validate_json(raw("destination_success.json"))
        with pytest.raises(fc.EventDecodeError) as info:
            event.parse_response(Job)
        assert info.value.errors == [("event.responsePayload.key", "Field required")]
        with pytest.raises(fc.EventDecodeError) as info:
            event.parse_request(int)
        assert info.value.errors[0][0] == "event.requestPayload"

    def test_invoke(self) -> None:
        """A handler gets the typed record from the factory's bytes."""
        out = invoke(
            on_result,
            destination_event(request={"a": 1}, error="UnhandledInvocationError", invoke_count=3),
        )
        assert out == b'{"failed":true,"request":{"a":1},"count":3}'
        assert invoke(on_result, destination_event()) == b'{"failed":false,"request":{},"count":1}'

    def test_missing_context(self) -> None:
        """A record without requestContext names it."""
        payload = data("destination_success.json")
        del payload["requestContext"]
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(on_result, payload)
        assert info.value.errors == [("event.requestContext", "Field required")]
