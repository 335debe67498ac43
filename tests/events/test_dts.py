"""Tests for fcsdk.events.dts: DTS change-tracking batches."""

from __future__ import annotations

import pytest

import fcsdk as fc
from fcsdk import events
from fcsdk.events import DTSEvent, parse
from fcsdk.testing import invoke
from fcsdk.testing.events import dts_batch
from tests.events._fixtures import assert_round_trip, data, raw


@fc.handler(event_model=list[events.DTSEvent])
def changes(batch: list[events.DTSEvent], context: fc.FCContext) -> list[object]:
    return [
        [e.data.operation_type, e.data.table_schema.table_name, e.data.before_image is None]
        for e in batch
    ]


class TestDTSEvent:
    def test_fixture_round_trips(self) -> None:
        """The DTS fixture parses and round-trips (``schema`` is ``table_schema`` in Python)."""
        batch = parse(list[DTSEvent], raw("dts.json"))
        assert_round_trip(list[DTSEvent], batch, data("dts.json"))

    def test_fields(self) -> None:
        """Row change, position, schema and images are exposed."""
        change = parse(list[DTSEvent], raw("dts.json"))[0].data
        assert change.operation_type == "UPDATE"
        assert change.topic_partition.partition == 0
        assert change.offset == 3218099
        assert change.table_schema.database_name == "shop"
        assert change.table_schema.record_fields[1]["fieldName"] == "status"
        assert change.before_image is not None
        assert change.before_image["values"] == [1, "pending"]
        assert change.after_image is not None
        assert change.after_image["values"] == [1, "paid"]

    @pytest.mark.parametrize(
        ("operation", "expected"),
        [("INSERT", b'[["INSERT","orders",true]]'), ("DELETE", b'[["DELETE","orders",false]]')],
    )
    def test_invoke(self, operation: str, expected: bytes) -> None:
        """Inserts carry only an after image, deletes only a before image."""
        assert invoke(changes, dts_batch(operation=operation)) == expected

    def test_count(self) -> None:
        """dts_batch(count=3) gives three changes with increasing offsets."""
        batch = parse(list[DTSEvent], dts_batch(count=3, table="t"))
        assert [e.data.offset for e in batch] == [3218099, 3218100, 3218101]

    def test_bad_operation_type(self) -> None:
        """A missing operationType names its path."""
        batch = data("dts.json")
        del batch[0]["data"]["operationType"]
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(changes, batch)
        assert info.value.errors == [("event[0].data.operationType", "Field required")]
