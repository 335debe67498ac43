"""Log Service (SLS) trigger events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fcsdk.testing.events._common import _REGION, _dumps, _epoch

__all__ = ["sls_event"]


def sls_event(
    *,
    project: str = "my-project",
    logstore: str = "my-logstore",
    shard_id: int = 0,
    begin_cursor: str = "MTY2MzE2NTYwMjU1NzM3OTQwNA==",
    end_cursor: str = "MTY2MzE2NTYwMjU1NzM3OTQxMA==",
    region: str = _REGION,
    job_name: str = "7f7e4b0b3e5a4d1c9f2e8a6b5c4d3e2f1a0b9c8d",
    task_id: str = "c2691505-38da-4d1b-998a-1d4ebbe35e7e",
    cursor_time: datetime | int | None = None,
    parameter: Mapping[str, Any] | None = None,
) -> bytes:
    """Return a Log Service trigger event.

    Examples:
        >>> import json
        >>> json.loads(sls_event(shard_id=3))["source"]["shardId"]
        3
    """
    return _dumps(
        {
            "parameter": dict(parameter or {}),
            "source": {
                "endpoint": f"http://{region}-intranet.log.aliyuncs.com",
                "projectName": project,
                "logstoreName": logstore,
                "shardId": shard_id,
                "beginCursor": begin_cursor,
                "endCursor": end_cursor,
            },
            "jobName": job_name,
            "taskId": task_id,
            "cursorTime": _epoch(cursor_time, 1),
        }
    )
