"""Tablestore trigger: row changes of a table's stream, delivered as CBOR.

The payload is CBOR, not JSON. ``@fc.handler(event_model=TablestoreEvent)``
decodes it with the ``cbor2`` package (``pip install 'fcsdk[tablestore]'``);
an event that is a JSON object (a hand-written test event, or a ``dict``)
is accepted too.

Examples:
    >>> from fcsdk.events import TablestoreEvent
    >>> from fcsdk.testing.events import tablestore_event
    >>> event = TablestoreEvent.from_cbor(tablestore_event(primary_key={"id": 7}, columns={"n": 1}))
    >>> record = event.records[0]
    >>> record.type, record.primary_key_values, record.column_values
    ('PutRow', {'id': 7}, {'n': 1})
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field, TypeAdapter, ValidationError
from typing_extensions import Self

from fcsdk.events._base import EventModel
from fcsdk.exceptions import ConfigurationError, EventDecodeError

__all__ = [
    "TablestoreColumn",
    "TablestoreEvent",
    "TablestoreInfo",
    "TablestorePrimaryKeyColumn",
    "TablestoreRecord",
    "TablestoreValue",
]

TablestoreValue = bool | int | float | str | bytes
"""A cell value: Tablestore's BOOLEAN, INTEGER, DOUBLE, STRING or BINARY."""


class TablestoreInfo(EventModel):
    """The record's metadata: when the change was made (``Timestamp``, microseconds)."""

    timestamp: int = Field(alias="Timestamp")


class TablestorePrimaryKeyColumn(EventModel):
    """One column of the row's primary key."""

    column_name: str = Field(alias="ColumnName")
    value: TablestoreValue = Field(alias="Value")


class TablestoreColumn(EventModel):
    """One attribute-column change: ``Put`` carries the new value, deletes may not."""

    type: Literal["Put", "DeleteOneVersion", "DeleteAllVersions"] = Field(alias="Type")
    column_name: str = Field(alias="ColumnName")
    value: TablestoreValue | None = Field(default=None, alias="Value")
    timestamp: int | None = Field(default=None, alias="Timestamp")


class TablestoreRecord(EventModel):
    """One row change: put, update or delete."""

    type: Literal["PutRow", "UpdateRow", "DeleteRow"] = Field(alias="Type")
    info: TablestoreInfo = Field(alias="Info")
    primary_key: list[TablestorePrimaryKeyColumn] = Field(alias="PrimaryKey")
    columns: list[TablestoreColumn] = Field(default_factory=list, alias="Columns")

    @property
    def primary_key_values(self) -> dict[str, TablestoreValue]:
        """The primary key as ``{column name: value}``, in key order."""
        return {c.column_name: c.value for c in self.primary_key}

    @property
    def column_values(self) -> dict[str, TablestoreValue | None]:
        """The ``Put`` columns as ``{column name: value}`` (deletes left out)."""
        return {c.column_name: c.value for c in self.columns if c.type == "Put"}

    @property
    def deleted_columns(self) -> list[str]:
        """The names of the columns this change deletes (one version or all)."""
        return [c.column_name for c in self.columns if c.type != "Put"]


def _load_cbor(data: bytes) -> Any:
    try:
        import cbor2
    except ImportError as exc:
        raise ConfigurationError(
            "decoding a Tablestore event needs the cbor2 package: pip install 'fcsdk[tablestore]'"
        ) from exc
    import io

    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(stream).decode()
    except Exception as exc:  # cbor2 raises several types on malformed input
        raise EventDecodeError(
            f"cannot decode the event as CBOR: {exc} ({len(data)} bytes)",
            raw=data,
            errors=[("event", f"invalid CBOR: {exc}")],
        ) from exc
    if stream.tell() != len(data):
        raise EventDecodeError(
            f"cannot decode the event as CBOR: {len(data) - stream.tell()} bytes "
            "left over after the first item",
            raw=data,
            errors=[("event", "trailing data after the CBOR item")],
        )
    return value


def _json_object(data: bytes) -> Any:
    from pydantic_core import from_json

    try:
        return from_json(data)
    except ValueError as exc:
        raise EventDecodeError(
            f"cannot decode the event as JSON: {exc}",
            raw=data,
            errors=[("event", f"invalid JSON: {exc}")],
        ) from exc


def _payload(raw: Any) -> Any:
    """Return the event's content: CBOR decoded, a JSON object parsed, decoded data as is."""
    if isinstance(raw, dict | list):
        return raw
    from fcsdk._decode import to_bytes

    data = to_bytes(raw)  # str, bytearray, memoryview; anything else is an EventDecodeError
    # A CBOR map never starts with "{" (0x7b is a text string), so this is JSON.
    return _json_object(data) if data.lstrip()[:1] == b"{" else _load_cbor(data)


class TablestoreEvent(EventModel):
    """A Tablestore stream trigger's event: a batch of row changes."""

    version: str = Field(alias="Version")
    records: list[TablestoreRecord] = Field(alias="Records")

    @classmethod
    def from_cbor(cls, data: bytes) -> Self:
        """Decode the platform's CBOR payload.

        Raises:
            EventDecodeError: the bytes are not CBOR, or not a Tablestore event.
            ConfigurationError: ``cbor2`` is not installed.
        """
        from fcsdk._decode import format_validation_error

        try:
            return cls.model_validate(_payload(data))
        except ValidationError as exc:
            raise format_validation_error(exc, data) from exc

    @classmethod
    def __fcsdk_decoder__(cls, tp: Any) -> Callable[[Any], Any]:
        """Return the decoder ``@fc.handler`` uses: CBOR bytes (or a JSON object) to ``tp``."""
        validate: Callable[[Any], Any] = TypeAdapter(tp).validate_python

        def decode(raw: Any) -> Any:
            return validate(_payload(raw))

        return decode
