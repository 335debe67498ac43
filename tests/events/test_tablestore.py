"""Tests for fcsdk.events.tablestore: CBOR row-change batches."""

from __future__ import annotations

import sys

import cbor2
import pytest

import fcsdk as fc
from fcsdk import events
from fcsdk.events import TablestoreEvent
from fcsdk.testing import fake_context, invoke
from fcsdk.testing.events import tablestore_event
from tests.events._fixtures import assert_round_trip, raw


@fc.handler(event_model=events.TablestoreEvent)
def on_rows(event: events.TablestoreEvent, context: fc.FCContext) -> list[object]:
    return [[r.type, r.primary_key_values, r.deleted_columns] for r in event.records]


class TestTablestoreEvent:
    def test_fixture_round_trips(self) -> None:
        """The CBOR fixture decodes and dumps back to the decoded CBOR, bytes included."""
        payload = raw("tablestore.cbor")
        event = TablestoreEvent.from_cbor(payload)
        original = cbor2.loads(payload)
        assert event.model_dump(by_alias=True, exclude_unset=True) == original
        assert_round_trip(
            TablestoreEvent,
            event,
            TablestoreEvent.model_validate(original).model_dump(
                by_alias=True, exclude_unset=True, mode="json"
            ),
        )

    def test_values_keep_their_types(self) -> None:
        """Cell values come back as str, int, float, bool and bytes, not coerced."""
        put, update, delete = TablestoreEvent.from_cbor(raw("tablestore.cbor")).records
        assert put.type == "PutRow"
        assert put.info.timestamp == 1763884140123456
        assert put.primary_key_values == {"user_id": "u-1001", "seq": 42}
        values = put.column_values
        assert values == {
            "name": "Ada",
            "score": 97.5,
            "active": True,
            "avatar": b"\x89PNG\r\n\x1a\n",
        }
        assert [type(v) for v in values.values()] == [str, float, bool, bytes]
        assert update.deleted_columns == ["score", "avatar"]
        assert update.column_values == {}
        assert update.columns[1].timestamp is None
        assert delete.type == "DeleteRow"
        assert delete.columns == []

    def test_factory(self) -> None:
        """tablestore_event builds the CBOR the platform sends."""
        event = TablestoreEvent.from_cbor(
            tablestore_event(
                primary_key={"pk": "a"}, columns={"n": 1}, deleted_columns=["old"], type="UpdateRow"
            )
        )
        record = event.records[0]
        assert record.type == "UpdateRow"
        assert record.primary_key_values == {"pk": "a"}
        assert record.column_values == {"n": 1}
        assert record.deleted_columns == ["old"]


class TestTablestoreHandler:
    def test_invoke_cbor(self) -> None:
        """@fc.handler(event_model=TablestoreEvent) decodes CBOR bytes."""
        out = invoke(on_rows, raw("tablestore.cbor"))
        assert out.startswith(b'[["PutRow",{"user_id":"u-1001","seq":42},[]]')

    def test_invoke_json_object(self) -> None:
        """A JSON object (a hand-written test event) is accepted too, as bytes or as a dict."""
        doc = {
            "Version": "Sync-v1",
            "Records": [
                {
                    "Type": "DeleteRow",
                    "Info": {"Timestamp": 1},
                    "PrimaryKey": [{"ColumnName": "id", "Value": 1}],
                }
            ],
        }
        assert invoke(on_rows, doc) == b'[["DeleteRow",{"id":1},[]]]'
        assert on_rows(doc, fake_context()) == b'[["DeleteRow",{"id":1},[]]]'
        assert (
            on_rows(" " + str(doc).replace("'", '"'), fake_context())
            == b'[["DeleteRow",{"id":1},[]]]'
        )


class TestTablestoreBadInput:
    def test_truncated_cbor(self) -> None:
        """A truncated payload is an EventDecodeError that says CBOR."""
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(on_rows, raw("tablestore.cbor")[:-5])
        assert "CBOR" in str(info.value)
        assert info.value.errors[0][0] == "event"

    def test_trailing_bytes(self) -> None:
        """Bytes after the CBOR item are refused rather than ignored."""
        with pytest.raises(fc.EventDecodeError, match="left over"):
            invoke(on_rows, raw("tablestore.cbor") + b"\x00")

    def test_bad_json(self) -> None:
        """A JSON-looking payload that is not JSON is an EventDecodeError."""
        with pytest.raises(fc.EventDecodeError, match="JSON"):
            invoke(on_rows, b"{not json")

    def test_wrong_record_type(self) -> None:
        """An unknown record Type names its path."""
        doc = cbor2.loads(raw("tablestore.cbor"))
        doc["Records"][1]["Type"] = "Upsert"
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(on_rows, cbor2.dumps(doc))
        assert info.value.errors[0][0] == "event.Records[1].Type"

    def test_value_of_unsupported_type(self) -> None:
        """A cell value that is a list is not a Tablestore value."""
        doc = cbor2.loads(raw("tablestore.cbor"))
        doc["Records"][0]["PrimaryKey"][0]["Value"] = [1, 2]
        with pytest.raises(fc.EventDecodeError) as info:
            invoke(on_rows, cbor2.dumps(doc))
        assert info.value.errors[0][0].startswith("event.Records[0].PrimaryKey[0].Value")

    def test_not_bytes(self) -> None:
        """An event of a type the runtime never passes is an EventDecodeError, not zero bytes."""
        with pytest.raises(fc.EventDecodeError, match="must be bytes"):
            on_rows(5, fake_context())  # type: ignore[arg-type]
        out = on_rows(memoryview(raw("tablestore.cbor")), fake_context())
        assert isinstance(out, bytes)
        assert out.startswith(b'[["PutRow"')

    def test_not_a_map(self) -> None:
        """Valid CBOR that is not a map gives a typed error, via from_cbor too."""
        with pytest.raises(fc.EventDecodeError, match="valid dictionary"):
            TablestoreEvent.from_cbor(cbor2.dumps([1, 2]))

    def test_missing_cbor2(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without cbor2 the error says which extra to install."""
        monkeypatch.setitem(sys.modules, "cbor2", None)
        with pytest.raises(fc.ConfigurationError, match=r"pip install 'fcsdk\[tablestore\]'"):
            TablestoreEvent.from_cbor(b"\xa0")
        with pytest.raises(fc.ConfigurationError, match=r"fcsdk\[tablestore\]"):
            tablestore_event()
