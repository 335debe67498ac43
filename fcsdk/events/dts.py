"""DTS trigger (Data Transmission Service change tracking through EventBridge): row changes.

Examples:
    >>> from fcsdk.events import DTSEvent, parse
    >>> from fcsdk.testing.events import dts_batch
    >>> batch = parse(list[DTSEvent], dts_batch(operation="INSERT", table="orders"))
    >>> batch[0].data.operation_type, batch[0].data.table_schema.table_name
    ('INSERT', 'orders')
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from fcsdk.events._base import EventModel
from fcsdk.events.cloudevents import CloudEvent

__all__ = ["DTSData", "DTSEvent", "DTSSchema", "DTSTopicPartition"]


class DTSTopicPartition(EventModel):
    """Where the change was read from in DTS's change log."""

    hash: int | None = None
    partition: int
    topic: str


class DTSSchema(EventModel):
    """The changed table: database, table, and the column definitions as DTS sends them."""

    database_name: str | None = Field(default=None, alias="databaseName")
    table_name: str | None = Field(default=None, alias="tableName")
    schema_id: str | None = Field(default=None, alias="schemaId")
    record_fields: list[dict[str, Any]] = Field(default_factory=list, alias="recordFields")
    name_index: dict[str, Any] = Field(default_factory=dict, alias="nameIndex")
    primary_index_info: dict[str, Any] | None = Field(default=None, alias="primaryIndexInfo")
    database_info: dict[str, Any] | None = Field(default=None, alias="databaseInfo")
    total_rows: int | None = Field(default=None, alias="totalRows")


class DTSData(EventModel):
    """The ``data`` of a DTS event: one row change.

    ``before_image`` and ``after_image`` are the row before and after the
    change (absent for an insert and a delete respectively), as DTS sends
    them; ``source_timestamp`` is the source database's epoch seconds.
    """

    id: int
    topic_partition: DTSTopicPartition = Field(alias="topicPartition")
    offset: int
    source_timestamp: int = Field(alias="sourceTimestamp")
    operation_type: str = Field(alias="operationType")
    table_schema: DTSSchema = Field(alias="schema")
    before_image: dict[str, Any] | None = Field(default=None, alias="beforeImage")
    after_image: dict[str, Any] | None = Field(default=None, alias="afterImage")


class DTSEvent(CloudEvent[DTSData]):
    """A DTS trigger's CloudEvent; a batch is ``list[...]``."""
