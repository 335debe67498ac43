"""What every factory shares: fixed defaults, JSON encoding, times, the CloudEvent envelope."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any, Literal

from fcsdk.exceptions import InvalidArgumentError

__all__ = ["BatchShape"]

BatchShape = Literal["array", "object", "strings"]
"""How an EventBridge batch is delivered: a JSON array (today), one object, or JSON strings."""

_DEFAULT_TIME = datetime(2026, 11, 23, 7, 49, tzinfo=timezone.utc)
_ACCOUNT = "1234567890123456"
_REGION = "cn-hangzhou"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _utc(value: datetime | None) -> datetime:
    """Return ``value`` (default: the fixed instant) in UTC; a naive time is taken as UTC."""
    moment = value or _DEFAULT_TIME
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _iso(value: datetime | str | None, *, millis: bool = False) -> str:
    if isinstance(value, str):
        return value
    moment = _utc(value)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def _epoch(value: datetime | int | None, scale: int) -> int:
    if isinstance(value, int):
        return value
    return round(_utc(value).timestamp() * scale)


def _plain(value: Any) -> Any:
    """Return ``value`` as JSON-ready data: a pydantic model is dumped by alias."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True)
    return value


def _text(value: Any) -> str:
    """Return ``value`` as the text the platform would carry: JSON unless it is already text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    return json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False)


def _value(value: Any) -> Any:
    """Return ``value`` as an object-or-string field: bytes base64, text as is, objects as JSON."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    return _plain(value)


def _cloud_event(kind: str, source: str, subject: str, data: Any, index: int) -> dict[str, Any]:
    return {
        "id": f"6a7d0c1e-2b3f-4a5d-8e9f-{index:012x}",
        "source": source,
        "specversion": "1.0",
        "type": kind,
        "datacontenttype": "application/json;charset=utf-8",
        "subject": subject,
        "time": _iso(None, millis=True),
        "aliyunaccountid": _ACCOUNT,
        "aliyunpublishtime": _iso(None, millis=True),
        "aliyunoriginalaccountid": _ACCOUNT,
        "aliyuneventbusname": "MNS-Function-trigger",
        "aliyunregionid": _REGION,
        "aliyunpublishaddr": "10.0.0.1",
        "data": data,
    }


def _batch(events: list[dict[str, Any]], shape: BatchShape) -> bytes:
    if shape == "object":
        if len(events) != 1:
            raise InvalidArgumentError(f"shape='object' delivers one event, not {len(events)}")
        return _dumps(events[0])
    if shape == "strings":
        return _dumps([_dumps(event).decode("utf-8") for event in events])
    return _dumps(events)
