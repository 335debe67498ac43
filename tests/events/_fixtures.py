"""Helpers for the trigger-event tests: fixture loading and the round-trip check."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

HERE = Path(__file__).parent

# The FC 3.0 HTTP trigger event as FC's documentation shows it, plus the extra field
# real events carry.
FC3_HTTP_SAMPLE: dict[str, Any] = {
    "version": "v1",
    "rawPath": "/orders/a%20b",
    "headers": {"Content-Type": "application/json", "Accept": "text/html,application/json"},
    "queryParameters": {"page": "2", "tag": "a,b"},
    "body": "eyJrIjoxfQ==",
    "isBase64Encoded": True,
    "requestContext": {
        "accountId": "1234567890",
        "domainName": "demo-abc.cn-hangzhou.fcapp.run",
        "domainPrefix": "demo-abc",
        "http": {
            "method": "POST",
            "path": "/orders/a b",
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.7",
            "userAgent": "curl/8.5.0",
        },
        "requestId": "1-6560a1b2-0123456789abcdef",
        "time": "2026-11-23T08:00:00Z",
        "timeEpoch": "1763884800000",
        "triggerId": "trigger-1",
    },
}


def raw(name: str) -> bytes:
    """Return a fixture's bytes exactly as the platform sends them."""
    return (HERE / name).read_bytes()


def data(name: str) -> Any:
    """Return a JSON fixture decoded."""
    return json.loads(raw(name))


def _normalize(value: Any) -> Any:
    """Make equal instants compare equal however they are written (``.000Z`` vs ``Z``)."""
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def dump(tp: Any, value: Any) -> Any:
    """Dump ``value`` of type ``tp`` by alias, as JSON data, leaving out defaults never sent."""
    return TypeAdapter(tp).dump_python(value, by_alias=True, exclude_unset=True, mode="json")


def assert_round_trip(tp: Any, value: Any, original: Any) -> None:
    """Assert that ``value`` dumps back to ``original``: the platform's names and values."""
    assert _normalize(dump(tp, value)) == _normalize(original)
