"""Tests for fcsdk.events._parse: decoding outside a handler, as @fc.handler does."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel
from typing_extensions import assert_type

import fcsdk as fc
from fcsdk import events
from fcsdk.events import _parse
from fcsdk.testing.events import kafka_batch, oss_event
from tests.events._fixtures import raw


class Click(BaseModel):
    page: str


class TestParse:
    def test_model(self) -> None:
        """parse(OSSEvent, bytes) gives the typed event."""
        event = events.parse(events.OSSEvent, oss_event(key="k"))
        assert_type(event, events.OSSEvent)
        assert event.events[0].key == "k"

    def test_batch_shapes_and_types(self) -> None:
        """parse(list[KafkaEvent[Click]], ...) takes the three shapes and is typed as the list."""
        for shape in ("array", "object", "strings"):
            batch = events.parse(
                list[events.KafkaEvent[Click]], kafka_batch(values=[{"page": "/"}], shape=shape)
            )
            assert_type(batch, list[events.KafkaEvent[Click]])
            assert batch[0].data.value == Click(page="/")

    def test_cbor(self) -> None:
        """parse(TablestoreEvent, cbor) decodes CBOR."""
        assert len(events.parse(events.TablestoreEvent, raw("tablestore.cbor")).records) == 3

    def test_errors(self) -> None:
        """A payload that does not fit is an EventDecodeError naming the path."""
        with pytest.raises(fc.EventDecodeError) as info:
            events.parse(events.OSSEvent, b'{"events": []}')
        assert info.value.errors[0][0] == "event.events"

    def test_decoder_reused(self) -> None:
        """The decoder is built once per type."""
        _parse._cached_decoder.cache_clear()
        events.parse(events.OSSEvent, oss_event())
        events.parse(events.OSSEvent, oss_event())
        info = _parse._cached_decoder.cache_info()
        assert (info.misses, info.hits) == (1, 1)

    def test_unhashable_type(self) -> None:
        """A type that cannot be a cache key still parses."""
        tp = Annotated[int, {"unhashable": "metadata"}]
        hash_fails = False
        try:
            hash(tp)
        except TypeError:
            hash_fails = True
        assert hash_fails
        assert events.parse(tp, b"5") == 5
