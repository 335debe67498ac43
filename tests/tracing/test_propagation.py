"""fcsdk.tracing._propagation: FC's Jaeger span context, W3C traceparent, the context's fields."""

from __future__ import annotations

from typing import ClassVar

import pytest
from pydantic import BaseModel

from fcsdk.events import KafkaEvent, TimerEvent
from fcsdk.testing import fake_context
from fcsdk.tracing._hook import trigger_of
from fcsdk.tracing._propagation import parse_jaeger, parse_traceparent, tracing_fields


class Job(BaseModel):
    """A timer's payload."""

    name: str


# parametrised at a module's top level, as a handler's annotation is: pydantic puts the
# new classes in this module, not in fcsdk.events
NightlyEvent = TimerEvent[Job]
OrdersEvent = KafkaEvent[Job]


class TestJaeger:
    def test_sixty_four_bit(self) -> None:
        """FC's usual form: 64-bit ids in hex, flags 1 = sampled."""
        assert parse_jaeger("5e2c3b7a9f104d6e:1a2b3c4d5e6f7081:0:1") == (
            0x5E2C3B7A9F104D6E,
            0x1A2B3C4D5E6F7081,
            True,
        )

    def test_one_hundred_twenty_eight_bit_and_short_ids(self) -> None:
        """A 128-bit trace id and ids with their leading zeros left out are read."""
        assert parse_jaeger("4bf92f3577b34da6a3ce929d0e0e4736:f:0:3") == (
            0x4BF92F3577B34DA6A3CE929D0E0E4736,
            0xF,
            True,
        )

    @pytest.mark.parametrize("flags", ["0", "2", "00", "10"])
    def test_not_sampled(self, flags: str) -> None:
        """Flags without bit 1 (2 is Jaeger's debug bit alone; 10 is hex, 0x10) mean not sampled."""
        assert parse_jaeger(f"abc:def:0:{flags}") == (0xABC, 0xDEF, False)

    @pytest.mark.parametrize("flags", ["1", "3", "1f", "0D"])
    def test_sampled_flags_are_hexadecimal(self, flags: str) -> None:
        """Flags are hexadecimal bits: any with bit 1 set mean sampled."""
        assert parse_jaeger(f"abc:def:0:{flags}") == (0xABC, 0xDEF, True)

    def test_smallest_and_largest_ids(self) -> None:
        """Id 1 and the largest ids (128-bit trace, 64-bit span) are ids; 0 is none."""
        assert parse_jaeger("1:1:0:1") == (1, 1, True)
        widest = "f" * 32 + ":" + "f" * 16 + ":0:1"
        assert parse_jaeger(widest) == ((1 << 128) - 1, (1 << 64) - 1, True)
        assert parse_traceparent(f"00-{'f' * 32}-{'f' * 16}-01") == (
            (1 << 128) - 1,
            (1 << 64) - 1,
            True,
        )

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "abc:def:0",
            "abc:def:0:1:5",
            "xyz:def:0:1",
            "abc:-1:0:1",
            "0:def:0:1",
            "abc:0:0:1",
            "abc:def:0:",
            "abc:def:0:z",
            "1" * 33 + ":def:0:1",
            "0" + "f" * 32 + ":def:0:1",  # 33 digits, even if the value would fit
            ":def:0:1",
            "abc::0:1",
            "abc:" + "f" * 17 + ":0:1",
            None,
            42,
        ],
    )
    def test_malformed(self, value: object) -> None:
        """Anything not of the form, zero ids and ids too wide give None, never an error."""
        assert parse_jaeger(value) is None


class TestTraceparent:
    def test_valid(self) -> None:
        """W3C's example header."""
        assert parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01") == (
            0x4BF92F3577B34DA6A3CE929D0E0E4736,
            0x00F067AA0BA902B7,
            True,
        )

    @pytest.mark.parametrize(("flags", "sampled"), [("10", False), ("0b", True), ("FF", True)])
    def test_flags_are_hexadecimal(self, flags: str, sampled: bool) -> None:
        """The flags are a hexadecimal byte: 10 is 0x10 (bit 0 clear), 0b and FF have bit 0 set."""
        value = f"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-{flags}"
        assert parse_traceparent(value) == (
            0x4BF92F3577B34DA6A3CE929D0E0E4736,
            0x00F067AA0BA902B7,
            sampled,
        )

    def test_later_version_may_add_fields(self) -> None:
        """A version above 00 may carry more fields after the flags."""
        value = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-extra"
        assert parse_traceparent(value) == (
            0x4BF92F3577B34DA6A3CE929D0E0E4736,
            0x00F067AA0BA902B7,
            False,
        )

    @pytest.mark.parametrize(
        "value",
        [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
            "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "garbage",
            None,
        ],
    )
    def test_malformed(self, value: object) -> None:
        """Version 00 with extra fields, version ff, zero ids, wrong widths: None."""
        assert parse_traceparent(value) is None


class TestContextFields:
    def test_typed_context(self) -> None:
        """An FCContext's tracing gives its span context and baggage."""
        context = fake_context(
            tracing={"span_context": "a:b:0:1", "span_baggages": {"tenant": "acme"}}
        )
        assert tracing_fields(context) == ("a:b:0:1", {"tenant": "acme"})

    def test_runtime_object_and_camel_case(self) -> None:
        """The runtime's plain object, in either spelling, and non-str baggage left out."""

        class Tracing:
            spanContext = "a:b:0:1"
            spanBaggages: ClassVar[dict[str, object]] = {"k": "v", "n": 1}

        class Context:
            tracing = Tracing()

        assert tracing_fields(Context()) == ("a:b:0:1", {"k": "v"})

    def test_mappings(self) -> None:
        """A context given as a dict, or as any other mapping, is read by key, either spelling."""
        from types import MappingProxyType

        tracing = {"spanContext": "a:b:0:1", "span_baggages": {"k": "v", 1: "x"}}
        assert tracing_fields({"tracing": tracing}) == ("a:b:0:1", {"k": "v"})
        read_only = MappingProxyType({"tracing": MappingProxyType(tracing)})
        assert tracing_fields(read_only) == ("a:b:0:1", {"k": "v"})
        assert tracing_fields({"tracing": {"span_context": 7}}) == (None, {})

    def test_no_tracing(self) -> None:
        """A context without tracing (or none at all) gives no parent and no baggage."""
        assert tracing_fields(None) == (None, {})
        assert tracing_fields(object()) == (None, {})


class TestTrigger:
    def test_triggers(self) -> None:
        """Trigger models map to OpenTelemetry's faas.trigger values; anything else is other."""
        from fcsdk.events import OSSEvent

        assert trigger_of(TimerEvent) == "timer"
        assert trigger_of(OSSEvent) == "datasource"
        assert trigger_of(KafkaEvent) == "pubsub"
        assert trigger_of(KafkaEvent[dict[str, int]]) == "pubsub"
        assert trigger_of(bytes) == "other"
        assert trigger_of(None) == "other"

    def test_trigger_of_derived_models(self) -> None:
        """A parametrised or subclassed event model (in the user's module) keeps its family.

        Inside Annotated the annotated model counts; a model of fcsdk's outside every
        trigger's family (the EventModel base) and a type of typing's are other.
        """
        from typing import Annotated, Optional

        from fcsdk.events._base import EventModel

        class Nightly(TimerEvent[Job]):
            pass

        class Mine(EventModel):
            pass

        assert NightlyEvent.__module__ == OrdersEvent.__module__ == __name__
        assert trigger_of(NightlyEvent) == "timer"
        assert trigger_of(OrdersEvent) == "pubsub"
        assert trigger_of(Nightly) == "timer"
        assert trigger_of(Annotated[NightlyEvent, "nightly"]) == "timer"
        assert trigger_of(Annotated[OrdersEvent, "orders"]) == "pubsub"
        assert trigger_of(EventModel) == "other"
        assert trigger_of(Mine) == "other"
        assert trigger_of(Optional[TimerEvent]) == "other"  # noqa: UP045 - typing's own alias
        assert trigger_of(list[TimerEvent]) == "other"
