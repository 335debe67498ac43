"""Tests for fcsdk.events.timer: the timer trigger's event, generic over its payload."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any, Literal

import pytest
from pydantic import BaseModel
from typing_extensions import assert_type

import fcsdk as fc
from fcsdk import events
from fcsdk.events import Base64, TimerEvent
from fcsdk.testing import invoke
from fcsdk.testing.events import timer_event
from tests.events._fixtures import assert_round_trip, data, raw


class JobSpec(BaseModel):
    job: str
    batch_size: int = 100


class Mode(enum.Enum):
    FULL = "full"
    QUICK = "quick"


@fc.handler(event_model=events.TimerEvent[JobSpec])
def tick(event: events.TimerEvent[JobSpec], context: fc.FCContext) -> dict[str, Any]:
    return {"job": event.payload.job, "size": event.payload.batch_size, "by": event.trigger_name}


@fc.handler(event_model=events.TimerEvent)
def plain_tick(event: events.TimerEvent, context: fc.FCContext) -> str:
    return event.payload


class TestTimerEvent:
    @pytest.mark.parametrize("name", ["timer.json", "timer_json_payload.json"])
    def test_fixture_round_trips(self, name: str) -> None:
        """Both timer fixtures parse and dump back unchanged (payload kept as text)."""
        event = TimerEvent.model_validate_json(raw(name))
        assert isinstance(event.payload, str)
        assert_round_trip(TimerEvent, event, data(name))

    def test_fields(self) -> None:
        """Trigger time is a UTC datetime and the name is kept."""
        event = TimerEvent.model_validate_json(raw("timer.json"))
        assert event.trigger_time == datetime(2026, 11, 23, 7, 49, tzinfo=timezone.utc)
        assert event.trigger_name == "every-5m"
        assert event.payload == "nightly-cleanup"

    def test_default_keeps_json_text(self) -> None:
        """Without a parameter a JSON payload stays the raw string."""
        event = TimerEvent.model_validate_json(raw("timer_json_payload.json"))
        assert event.payload == '{"job": "sync", "batch_size": 500}'

    def test_parametrised_parses_payload(self) -> None:
        """TimerEvent[JobSpec] parses the JSON payload into JobSpec, and dumps it back as text."""
        event = TimerEvent[JobSpec].model_validate_json(raw("timer_json_payload.json"))
        assert event.payload == JobSpec(job="sync", batch_size=500)
        dumped = event.model_dump(by_alias=True, mode="json")
        assert dumped["payload"] == '{"job":"sync","batch_size":500}'
        assert TimerEvent[JobSpec].model_validate(dumped) == event

    def test_non_json_payload_for_text_types(self) -> None:
        """A payload that is not JSON still parses into a type that takes text (enum, Literal)."""
        assert (
            TimerEvent[Mode].model_validate_json(timer_event(payload="full")).payload is Mode.FULL
        )
        lit = TimerEvent[Literal["a", "b"]].model_validate_json(timer_event(payload="b"))
        assert lit.payload == "b"

    def test_json_scalars(self) -> None:
        """A numeric payload parses as a number, a JSON list as a list."""
        assert TimerEvent[int].model_validate_json(timer_event(payload="5")).payload == 5
        assert TimerEvent[list[int]].model_validate_json(timer_event(payload="[1,2]")).payload == [
            1,
            2,
        ]

    def test_base64_payload(self) -> None:
        """TimerEvent[Base64[JobSpec]] undoes base64 then parses; bytes gives raw bytes."""
        encoded = "eyJqb2IiOiAic3luYyJ9"
        event = TimerEvent[Base64[JobSpec]].model_validate_json(timer_event(payload=encoded))
        assert event.payload == JobSpec(job="sync")
        assert TimerEvent[bytes].model_validate_json(timer_event(payload="aGk=")).payload == b"hi"


class TestTimerHandler:
    def test_invoke_parsed(self) -> None:
        """A handler declared with TimerEvent[JobSpec] gets the parsed payload."""
        out = invoke(tick, timer_event(payload={"job": "sync", "batch_size": 5}, trigger_name="t"))
        assert out == b'{"job":"sync","size":5,"by":"t"}'

    def test_invoke_plain(self) -> None:
        """The unparametrised model hands over the payload text unchanged."""
        assert invoke(plain_tick, raw("timer.json")) == b"nightly-cleanup"


class TestTimerTyping:
    def test_static_types(self) -> None:
        """mypy sees payload as str by default and as the parameter when given."""
        plain = TimerEvent.model_validate_json(raw("timer.json"))
        parsed = TimerEvent[JobSpec].model_validate_json(raw("timer_json_payload.json"))
        assert_type(plain.payload, str)
        assert_type(parsed.payload, JobSpec)
        assert_type(plain.trigger_time, datetime)


class TestTimerBadInput:
    def test_payload_wrong_shape(self) -> None:
        """A JSON payload that does not fit the model names the inner field."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(tick, timer_event(payload={"job": 3}))
        assert info.value.errors[0][0] == "event.payload.job"

    def test_payload_not_json(self) -> None:
        """A payload that is neither JSON nor acceptable text is an error at event.payload."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(tick, timer_event(payload="not json"))
        assert info.value.errors[0][0] == "event.payload"

    def test_bad_base64(self) -> None:
        """A payload that is not base64 says so, at event.payload."""
        with pytest.raises(fc.EventDecodeError) as info:
            fc.handler(event_model=TimerEvent[Base64[JobSpec]])(lambda e: e)(
                timer_event(payload="%%%")
            )
        assert info.value.errors[0][0] == "event.payload"
        assert "base64" in info.value.errors[0][1]

    def test_missing_trigger_time(self) -> None:
        """A missing triggerTime is named."""
        payload = data("timer.json")
        del payload["triggerTime"]
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(plain_tick, payload)
        assert info.value.errors == [("event.triggerTime", "Field required")]

    def test_epoch_trigger_time_refused(self) -> None:
        """An epoch number as triggerTime is a format the platform never sends."""
        payload = data("timer.json")
        payload["triggerTime"] = 1763884140
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(plain_tick, payload)
        assert info.value.errors[0] == (
            "event.triggerTime",
            "Input should be an ISO 8601 time string",
        )
