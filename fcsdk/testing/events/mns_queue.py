"""MNS queue trigger batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fcsdk.testing.events._common import _ACCOUNT, _REGION, BatchShape, _batch, _cloud_event, _text

__all__ = ["mns_queue_batch"]


def mns_queue_batch(
    *,
    bodies: Sequence[Any] = ("hello",),
    queue: str = "my-queue",
    shape: BatchShape = "array",
) -> bytes:
    """Return an MNS queue trigger batch (CloudEvents, as FC delivers them).

    ``messageBody`` is text; a body that is not text is JSON-encoded into it.

    Examples:
        >>> import json
        >>> json.loads(mns_queue_batch(bodies=["a"]))[0]["data"]["messageBody"]
        'a'
    """
    events = [
        _cloud_event(
            "mns:Queue:SendMessage",
            "acs:mns",
            f"acs:mns:{_REGION}:{_ACCOUNT}:queues/{queue}",
            {
                "requestId": f"6560A1B2C3D4E5F6071829{index:02X}",
                "messageId": f"F4D1C2E1B8A3E9A2-1-18C0A1B2C3D-2000000{index:02d}",
                "messageBody": _text(body),
            },
            index,
        )
        for index, body in enumerate(bodies)
    ]
    return _batch(events, shape)
