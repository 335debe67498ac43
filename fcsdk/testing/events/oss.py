"""OSS trigger events."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from fcsdk.testing.events._common import _ACCOUNT, _REGION, _dumps, _iso

__all__ = ["oss_event"]


def oss_event(
    *,
    bucket: str = "my-bucket",
    key: str | Sequence[str] = "photos/cat.png",
    size: int = 1024,
    delta_size: int | None = None,
    event_name: str = "ObjectCreated:PutObject",
    etag: str = "688A7BF4F233DC9C88A80BF985AB7329",
    region: str = _REGION,
    account_id: str = _ACCOUNT,
    event_time: datetime | str | None = None,
    mime_type: str | None = None,
    user_meta: Mapping[str, str] | None = None,
) -> bytes:
    """Return an OSS trigger event.

    ``key`` may be a list of keys: one record each. ``delta_size`` defaults
    to ``size`` for a created object and ``-size`` for a removed one.
    ``mime_type``/``user_meta`` add the optional ``objectMeta``.

    Examples:
        >>> import json
        >>> json.loads(oss_event(key="a.png"))["events"][0]["oss"]["object"]["key"]
        'a.png'
    """
    keys = [key] if isinstance(key, str) else list(key)
    if delta_size is None:
        delta_size = -size if event_name.startswith("ObjectRemoved:") else size
    records = []
    for index, one_key in enumerate(keys):
        obj: dict[str, Any] = {
            "deltaSize": delta_size,
            "eTag": etag,
            "key": one_key,
            "size": size,
        }
        if mime_type is not None or user_meta is not None:
            obj["objectMeta"] = {"mimeType": mime_type or "application/octet-stream"}
            if user_meta is not None:
                obj["objectMeta"]["userMeta"] = dict(user_meta)
        records.append(
            {
                "eventName": event_name,
                "eventSource": "acs:oss",
                "eventTime": _iso(event_time, millis=True),
                "eventVersion": "1.0",
                "oss": {
                    "bucket": {
                        "arn": f"acs:oss:{region}:{account_id}:{bucket}",
                        "name": bucket,
                        "ownerIdentity": account_id,
                        "virtualBucket": "",
                    },
                    "object": obj,
                    "ossSchemaVersion": "1.0",
                    "ruleId": "9adac8e253828f4f7c0466d941fa3db81161e853",
                },
                "region": region,
                "requestParameters": {"sourceIPAddress": "203.0.113.7"},
                "responseElements": {"requestId": f"6560A1B2C3D4E5F60718293{index:X}"},
                "userIdentity": {"principalId": account_id},
            }
        )
    return _dumps({"events": records})
