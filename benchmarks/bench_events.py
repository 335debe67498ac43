"""Benchmarks of the trigger models: an OSS event through ``@fc.handler`` against the floor.

decode: the 1-record OSS fixture (``tests/events/oss_put_object.json``, as
the platform sends it) through ``@fc.handler(event_model=events.OSSEvent)``
with a runtime-shaped context, the handler returning the object key, against
the bare floor ``OSSEvent.model_validate_json`` reading the same key. Its target is in
``benchmarks/targets.py``.

The same event through a handler that returns ``None`` is reported too
(no target): its result encoding (``null``) is part of the handler's cost.

batch: a 10-message Kafka batch through ``list[KafkaEvent[Click]]`` (shape
handling plus the per-value JSON parse) against validating the same batch
with a plain ``TypeAdapter`` over the array; reported, no target.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, TypeAdapter

import fcsdk as fc
from benchmarks._runner import Case
from benchmarks.bench_core import runtime_context
from fcsdk import events
from fcsdk.testing.events import kafka_batch

ROOT = Path(__file__).resolve().parents[1]
OSS_EVENT = (ROOT / "tests" / "events" / "oss_put_object.json").read_bytes()


class Click(BaseModel):
    """A user's own Kafka payload."""

    page: str
    ms: int


@fc.handler(event_model=events.OSSEvent)
def on_upload(event: events.OSSEvent, context: fc.FCContext) -> str:
    """Return the object key, what a thumbnailer reads first."""
    return event.events[0].oss.object.key


@fc.handler(event_model=events.OSSEvent)
def on_upload_none(event: events.OSSEvent, context: fc.FCContext) -> None:
    """Read the key and return nothing (the result is then encoded as ``null``)."""
    _ = event.events[0].oss.object.key


@fc.handler(event_model=list[events.KafkaEvent[Click]])
def on_clicks(batch: list[events.KafkaEvent[Click]], context: fc.FCContext) -> None:
    """Touch every value."""
    for event in batch:
        _ = event.data.value.page


def cases() -> list[Case]:
    """The OSS decode case (with its target) and the Kafka batch case."""
    context = runtime_context()
    oss_event = events.OSSEvent
    batch = kafka_batch(values=[{"page": f"/p{i}", "ms": i} for i in range(10)])
    plain = TypeAdapter(list[events.KafkaEvent[Click]])

    def floor_oss() -> str:
        return oss_event.model_validate_json(OSS_EVENT).events[0].oss.object.key

    assert on_upload(OSS_EVENT, context) == floor_oss()

    def fcsdk_oss() -> object:
        return on_upload(OSS_EVENT, context)

    def fcsdk_oss_none() -> object:
        return on_upload_none(OSS_EVENT, context)

    def fcsdk_kafka() -> object:
        return on_clicks(batch, context)

    def floor_kafka() -> object:
        return [e.data.value.page for e in plain.validate_json(batch)]

    return [
        Case(
            key="events.oss",
            name="decode: @fc.handler(event_model=events.OSSEvent), 1-record OSS fixture",
            subject=fcsdk_oss,
            baselines={"floor OSSEvent.model_validate_json": floor_oss},
        ),
        Case(
            key="events.oss_none",
            name="decode, handler returning None (result encoded as null): same event",
            subject=fcsdk_oss_none,
            baselines={"floor OSSEvent.model_validate_json": floor_oss},
        ),
        Case(
            key="events.kafka_batch",
            name="batch: list[KafkaEvent[Click]], 10 messages (3 delivery shapes accepted)",
            subject=fcsdk_kafka,
            baselines={"TypeAdapter.validate_json (array only)": floor_kafka},
            calls=200,
        ),
    ]
