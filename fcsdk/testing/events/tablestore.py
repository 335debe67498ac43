"""Tablestore stream events, as CBOR bytes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from fcsdk.exceptions import ConfigurationError

__all__ = ["tablestore_event"]


def tablestore_event(
    *,
    primary_key: Mapping[str, Any] | None = None,
    columns: Mapping[str, Any] | None = None,
    type: Literal["PutRow", "UpdateRow", "DeleteRow"] = "PutRow",
    deleted_columns: Sequence[str] = (),
    timestamp: int = 1763884140000000,
) -> bytes:
    """Return a Tablestore stream event as **CBOR** bytes.

    One record: ``primary_key`` (``{"id": 1}`` by default) and ``columns``
    as ``Put`` columns; ``deleted_columns`` adds ``DeleteAllVersions``
    columns. Needs ``cbor2`` (``pip install 'fcsdk[tablestore]'``).

    Examples:
        >>> tablestore_event(primary_key={"id": 1})[:4]
        b'\\xa2gVe'
    """
    try:
        import cbor2
    except ImportError as exc:
        raise ConfigurationError(
            "tablestore_event needs the cbor2 package: pip install 'fcsdk[tablestore]'"
        ) from exc
    record_columns: list[dict[str, Any]] = [
        {"Type": "Put", "ColumnName": name, "Value": value, "Timestamp": timestamp // 1000}
        for name, value in (columns or {}).items()
    ]
    record_columns += [
        {"Type": "DeleteAllVersions", "ColumnName": name, "Timestamp": timestamp // 1000}
        for name in deleted_columns
    ]
    record = {
        "Type": type,
        "Info": {"Timestamp": timestamp},
        "PrimaryKey": [
            {"ColumnName": name, "Value": value}
            for name, value in (primary_key if primary_key is not None else {"id": 1}).items()
        ],
        "Columns": record_columns,
    }
    data: bytes = cbor2.dumps({"Version": "Sync-v1", "Records": [record]})
    return data
