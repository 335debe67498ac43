"""``parse``: decode a trigger's payload outside a handler, exactly as ``@fc.handler`` would."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from fcsdk._decode import Decoder, RawEvent, build_decoder

__all__ = ["parse"]

T = TypeVar("T")


@functools.lru_cache(maxsize=128)
def _cached_decoder(tp: Any) -> Decoder:
    return build_decoder(tp)


def parse(tp: type[T], raw: RawEvent) -> T:
    """Return ``raw`` decoded as ``tp``, the way ``@fc.handler(event_model=tp)`` decodes it.

    Handy for events that reach you some other way (a dead-letter queue, a
    log, a test): the same shapes are accepted (the three EventBridge batch
    forms, CBOR for Tablestore) and the same errors raised. The decoder is
    built once per type and reused.

    Raises:
        EventDecodeError: ``raw`` does not decode into ``tp``; the message and
            ``errors`` name each failing field by its path.

    Examples:
        >>> from fcsdk import events
        >>> from fcsdk.testing.events import kafka_batch
        >>> batch = events.parse(list[events.KafkaEvent], kafka_batch(values=["a", "b"]))
        >>> [event.data.value for event in batch]
        ['a', 'b']
    """
    key: Any = tp
    try:
        decode = _cached_decoder(key)
    except TypeError:  # an unhashable type (Annotated with unhashable metadata, say)
        decode = build_decoder(tp)
    value: T = decode(raw)
    return value
