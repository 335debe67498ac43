"""RabbitMQ trigger batches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fcsdk.testing.events._common import _ACCOUNT, _REGION, BatchShape, _batch, _cloud_event, _value

__all__ = ["rabbitmq_batch"]


def rabbitmq_batch(
    *,
    bodies: Sequence[Any] = ("hello",),
    exchange: str = "",
    routing_key: str = "my-queue",
    props: Mapping[str, Any] | None = None,
    redeliver: bool = False,
    instance: str = "amqp-cn-abc123",
    shape: BatchShape = "array",
) -> bytes:
    """Return a RabbitMQ trigger batch (CloudEvents, as FC delivers them).

    Examples:
        >>> import json
        >>> json.loads(rabbitmq_batch(routing_key="rk"))[0]["data"]["envelope"]["routingKey"]
        'rk'
    """
    events = [
        _cloud_event(
            "amqp:Queue:SendMessage",
            "acs:amqp",
            f"acs:amqp:{_REGION}:{_ACCOUNT}:/instances/{instance}/vhosts/vhost/queues/{routing_key}",
            {
                "envelope": {
                    "deliveryTag": index + 1,
                    "exchange": exchange,
                    "redeliver": redeliver,
                    "routingKey": routing_key,
                },
                "body": _value(body),
                "props": dict(props or {"contentEncoding": "UTF-8", "deliveryMode": 2}),
            },
            index,
        )
        for index, body in enumerate(bodies)
    ]
    return _batch(events, shape)
