"""Log Service (SLS) trigger: a shard's new data between two cursors, for an ETL job.

Examples:
    >>> from fcsdk.events import SLSEvent
    >>> from fcsdk.testing.events import sls_event
    >>> event = SLSEvent.model_validate_json(sls_event(project="logs", shard_id=2))
    >>> event.source.project_name, event.source.shard_id
    ('logs', 2)
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from fcsdk.events._base import EventModel
from fcsdk.events._fields import EpochSeconds

__all__ = ["SLSEvent", "SLSSource"]


class SLSSource(EventModel):
    """Where to read the logs: the shard and its cursor range ``[begin_cursor, end_cursor)``."""

    endpoint: str
    project_name: str = Field(alias="projectName")
    logstore_name: str = Field(alias="logstoreName")
    shard_id: int = Field(alias="shardId")
    begin_cursor: str = Field(alias="beginCursor")
    end_cursor: str = Field(alias="endCursor")


class SLSEvent(EventModel):
    """A Log Service trigger's event.

    ``parameter`` is the JSON object configured on the trigger;
    ``cursor_time`` (epoch seconds on the wire) is a UTC ``datetime``.
    """

    parameter: dict[str, Any] = Field(default_factory=dict)
    source: SLSSource
    job_name: str = Field(alias="jobName")
    task_id: str = Field(alias="taskId")
    cursor_time: EpochSeconds = Field(alias="cursorTime")
