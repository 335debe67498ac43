"""DTS (data subscription) trigger batches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fcsdk.testing.events._common import _ACCOUNT, _REGION, BatchShape, _batch, _cloud_event, _epoch

__all__ = ["dts_batch"]


def dts_batch(
    *,
    operation: str = "INSERT",
    database: str = "mydb",
    table: str = "orders",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    count: int = 1,
    shape: BatchShape = "array",
) -> bytes:
    """Return a DTS trigger batch (CloudEvents, as FC delivers them).

    ``count`` row changes of ``operation`` on ``database.table``; ``after``
    (default: an image of row ``id=1``, none for a ``DELETE``) and
    ``before`` (default: none, the row for a ``DELETE``) are the images.

    Examples:
        >>> import json
        >>> json.loads(dts_batch(operation="DELETE"))[0]["data"]["operationType"]
        'DELETE'
    """
    row = {"recordSchema": None, "values": [1, "pending"], "size": 12}
    if after is None and operation != "DELETE":
        after = row
    if before is None and operation == "DELETE":
        before = row
    events = []
    for index in range(count):
        data: dict[str, Any] = {
            "id": 321 + index,
            "topicPartition": {"hash": 0, "partition": 0, "topic": f"{_REGION}_{database}"},
            "offset": 3218099 + index,
            "sourceTimestamp": _epoch(None, 1),
            "operationType": operation,
            "schema": {
                "recordFields": [
                    {"fieldName": "id", "rawDataTypeNum": 8, "isPrimaryKey": True},
                    {"fieldName": "status", "rawDataTypeNum": 253, "isPrimaryKey": False},
                ],
                "nameIndex": {"id": 0, "status": 1},
                "schemaId": f"({database},{table})",
                "databaseName": database,
                "tableName": table,
                "databaseInfo": {"databaseType": "MySQL", "version": "8.0.28"},
                "totalRows": 0,
            },
        }
        if before is not None:
            data["beforeImage"] = dict(before)
        if after is not None:
            data["afterImage"] = dict(after)
        subject = f"acs:dts:{_REGION}:{_ACCOUNT}:dtsabc123"
        events.append(_cloud_event("dts:ConsumeMessage:Message", "acs:dts", subject, data, index))
    return _batch(events, shape)
