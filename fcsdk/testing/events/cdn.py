"""CDN trigger events, with the parameter shape each event name calls for."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fcsdk.testing.events._common import _ACCOUNT, _REGION, _dumps, _epoch, _iso

__all__ = ["cdn_event"]


def _cdn_parameter(event_name: str, domain: str, moment: int) -> dict[str, Any]:
    if event_name == "LogFileCreated":
        return {
            "domain": domain,
            "endTime": moment,
            "fileSize": 1024,
            "filePath": f"http://cdnlog.{_REGION}.oss.aliyun-inc.com/{domain}/2026_11_23/"
            f"{domain}_2026_11_23_0700_0800.gz",
            "startTime": moment - 3600,
        }
    if event_name in ("CachedObjectsRefreshed", "CachedObjectsPushed"):
        return {
            "objectPath": [f"/{domain}/index.html"],
            "createTime": moment - 60,
            "domain": domain,
            "completeTime": moment,
            "objectType": "File",
            "taskId": 2089687230,
        }
    if event_name in ("CdnDomainStarted", "CdnDomainStopped"):
        return {
            "domain": domain,
            "status": "online" if event_name.endswith("Started") else "offline",
        }
    return {"domain": domain}


def cdn_event(
    *,
    event_name: str = "LogFileCreated",
    domain: str = "www.example.com",
    parameter: Mapping[str, Any] | None = None,
    region: str = _REGION,
    ali_uid: str = _ACCOUNT,
    event_time: datetime | str | None = None,
) -> bytes:
    """Return a CDN trigger event.

    ``eventParameter`` gets the shape ``event_name`` calls for, with
    believable values; ``parameter`` replaces it entirely.

    Examples:
        >>> import json
        >>> json.loads(cdn_event(event_name="CdnDomainAdded"))["events"][0]["eventParameter"]
        {'domain': 'www.example.com'}
    """
    moment = _epoch(event_time if isinstance(event_time, datetime) else None, 1)
    record = {
        "eventName": event_name,
        "eventSource": "cdn",
        "region": region,
        "eventVersion": "1.0.0",
        "eventTime": _iso(event_time),
        "traceId": "c6459282-6a4d-4413-894c-e4ea3968****",
        "userIdentity": {"aliUid": ali_uid},
        "resource": {"domain": domain},
        "eventParameter": dict(parameter)
        if parameter is not None
        else _cdn_parameter(event_name, domain, moment),
    }
    return _dumps({"events": [record]})
