"""Event handlers and lifecycle hooks for the invoke and serve tests."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

CALLS = {"init": 0}


def init(context: Any) -> None:
    """Count initializer runs and leave a mark."""
    CALLS["init"] += 1
    logging.getLogger().info("initializing %s", context.request_id)


def bad_init(context: Any) -> None:
    """An initializer that fails."""
    raise RuntimeError("cannot connect to the database")


def stop(context: Any) -> None:
    """Write a mark file named by MARK_FILE, to show pre_stop ran."""
    Path(os.environ["MARK_FILE"]).write_text(f"pre_stop {context.request_id}")


def handler(event: bytes, context: Any) -> Any:
    """Answer by the event's content."""
    logging.getLogger().info("got %d bytes", len(event))
    if event == b"crash":
        raise ValueError("boom")
    if event == b"exit":
        sys.exit(3)
    if event.startswith(b"sleep"):
        time.sleep(float(event[5:] or 10))
        return "slept"
    if event == b"set":
        return {1, 2}
    if event == b"info":
        return {
            "init_calls": CALLS["init"],
            "request_id": context.request_id,
            "has_credentials": hasattr(context, "credentials"),
            "logger": context.logger is not None,
            "function": context.function.name,
            "timeout": context.function.timeout,
            "env": {k: v for k, v in os.environ.items() if k.startswith(("FC_", "MY_", "ALI"))},
        }
    if event == b"mark":
        Path(os.environ["MARK_FILE"]).write_text("async ran")
        return "marked"
    if event == b"big":
        return b"y" * (6 * 1024 * 1024 + 1)
    return event.upper()


def to_json_result(event: bytes, context: Any) -> Any:
    """Return a value the runtime serialises with indent=4 and sorted keys."""
    return {"b": 1, "a": [1, 2]}


def as_json(event: bytes, context: Any) -> str:
    """Echo the event JSON's keys."""
    return json.dumps(sorted(json.loads(event)))
