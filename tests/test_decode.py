"""fcsdk._decode: the event's bytes into the handler's type, the result back, and their errors."""

from __future__ import annotations

import array
import inspect
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import pytest
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

import fcsdk as fc
from fcsdk._decode import build_decoder, encode_result, format_validation_error, to_bytes

T = TypeVar("T")


class Order(BaseModel):
    order_id: str
    amount: int


def _validation_error(tp: Any, data: Any) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(tp).validate_python(data)
    return caught.value


class TestToBytes:
    def test_lone_surrogate_is_an_event_decode_error(self) -> None:
        """A str event with a lone high surrogate is an EventDecodeError, not UnicodeEncodeError."""
        event = "ab\ud800"
        with pytest.raises(fc.EventDecodeError) as caught:
            to_bytes(event)
        assert str(caught.value) == (
            "cannot encode the event as UTF-8: surrogates not allowed at character 2 "
            "(payload 3 characters)"
        )
        assert caught.value.raw is event

    def test_bytes_handler_refuses_a_lone_surrogate(self) -> None:
        """A bytes handler answers a str event with a lone surrogate with EventDecodeError."""
        h = fc.handler(lambda e: e)
        with pytest.raises(fc.EventDecodeError, match="cannot encode the event as UTF-8"):
            h("\ud800", None)

    def test_surrogate_escaped_bytes_round_trip(self) -> None:
        """A str made from bytes with surrogateescape gives those bytes back."""
        assert to_bytes(b"a\xff".decode("utf-8", "surrogateescape")) == b"a\xff"

    def test_unencodable_dict_names_the_failure_and_keeps_the_event(self) -> None:
        """A dict JSON cannot carry is an EventDecodeError that says so and keeps the event."""
        event = {"when": object()}
        with pytest.raises(fc.EventDecodeError) as caught:
            to_bytes(event)
        assert str(caught.value).startswith("cannot encode the event as JSON: ")
        assert caught.value.raw is event

    def test_unsupported_type_names_it_and_keeps_the_event(self) -> None:
        """An event of another type is an EventDecodeError naming the accepted types."""
        event = 42
        with pytest.raises(fc.EventDecodeError) as caught:
            to_bytes(event)
        assert str(caught.value) == (
            "event must be bytes, str, bytearray, memoryview, dict or list, not int"
        )
        assert caught.value.raw is event


class TestDecodeStr:
    def test_invalid_utf8_error(self) -> None:
        """Invalid UTF-8 for a str handler names the byte, the payload size, and keeps the event."""
        event = bytearray(b"a\xffb")
        with pytest.raises(fc.EventDecodeError) as caught:
            build_decoder(str)(event)
        error = caught.value
        assert str(error) == (
            "cannot decode the event as UTF-8 text: invalid start byte at byte 1 (payload 3 bytes)"
        )
        assert error.raw is event
        assert error.errors == [("event", "invalid UTF-8 at byte 1")]


class TestHookLookup:
    def test_hook_of_a_plain_generic_class(self) -> None:
        """A plain Generic class's hook serves its parametrised alias, alone and in a list."""

        class Box(Generic[T]):
            @classmethod
            def __fcsdk_decoder__(cls, tp: Any) -> Any:
                return lambda raw: ("box", tp)

        assert build_decoder(Box[int])(b"1") == ("box", Box[int])
        assert build_decoder(list[Box[int]])(b"1") == ("box", list[Box[int]])

    def test_hook_of_a_pydantic_generic_model(self) -> None:
        """A parametrised pydantic model finds the hook its generic class defines."""

        class Envelope(BaseModel, Generic[T]):
            data: T

            @classmethod
            def __fcsdk_decoder__(cls, tp: Any) -> Any:
                return lambda raw: ("envelope", tp)

        assert build_decoder(Envelope[int])(b"{}") == ("envelope", Envelope[int])

    def test_no_hook_validates_with_pydantic(self) -> None:
        """A type without a hook is validated by pydantic."""
        assert build_decoder(list[int])(b"[1, 2]") == [1, 2]

    def test_hook_validation_error_keeps_the_event(self) -> None:
        """A hook's ValidationError becomes an EventDecodeError carrying the original event."""

        class Picky(BaseModel):
            n: int

            @classmethod
            def __fcsdk_decoder__(cls, tp: Any) -> Any:
                return lambda raw: cls.model_validate({"n": "x"})

        event = b"payload"
        with pytest.raises(fc.EventDecodeError) as caught:
            build_decoder(Picky)(event)
        assert caught.value.raw is event


class TestBuildDecoder:
    def test_dict_event_for_a_model(self) -> None:
        """An already-decoded dict event validates into a model."""
        assert build_decoder(Order)({"order_id": "A1", "amount": 3}) == Order(
            order_id="A1", amount=3
        )

    def test_list_event_for_an_adapter_type(self) -> None:
        """An already-decoded list event validates into a list type."""
        assert build_decoder(list[Order])([{"order_id": "A1", "amount": 3}]) == [
            Order(order_id="A1", amount=3)
        ]

    def test_str_event_with_a_lone_surrogate(self) -> None:
        """A str event with a lone surrogate for a model is an EventDecodeError."""
        with pytest.raises(fc.EventDecodeError) as caught:
            build_decoder(Order)('"\ud800"')
        assert str(caught.value).startswith(
            "cannot decode the event (1 error; payload 3 characters)"
        )

    def test_memoryview_event(self) -> None:
        """A memoryview event is validated as its bytes."""
        assert build_decoder(list[int])(memoryview(b"[1]")) == [1]

    def test_bad_dict_event_keeps_the_event(self) -> None:
        """A dict event that fails validation is an EventDecodeError carrying that dict."""
        event = {"order_id": "A1"}
        with pytest.raises(fc.EventDecodeError) as caught:
            build_decoder(Order)(event)
        assert caught.value.raw is event
        assert "payload a dict of 1 items" in str(caught.value)


class TestFormatValidationError:
    def test_one_error_message(self) -> None:
        """One failing field gives the exact singular message, path and reason."""
        exc = _validation_error(Order, {"order_id": "A1", "amount": "x"})
        error = format_validation_error(exc, b"abc")
        assert str(error) == (
            "cannot decode the event (1 error; payload 3 bytes):\n"
            "  event.amount: Input should be a valid integer, unable to parse string as an integer"
        )
        reason = "Input should be a valid integer, unable to parse string as an integer"
        assert error.errors == [("event.amount", reason)]
        assert error.__cause__ is exc

    def test_two_errors_message(self) -> None:
        """Two failing fields give the plural and one indented line each."""
        exc = _validation_error(Order, {})
        assert str(format_validation_error(exc, "")) == (
            "cannot decode the event (2 errors; payload empty):\n"
            "  event.order_id: Field required\n"
            "  event.amount: Field required"
        )

    def test_what_names_the_root_of_each_path(self) -> None:
        """``what`` names the decoded thing in the message and roots every field path."""
        exc = _validation_error(dict[str, int], {"a b": "x"})
        error = format_validation_error(exc, {}, what="event.data")
        assert str(error).startswith("cannot decode the event.data (1 error; payload a dict of 0")
        assert error.errors[0][0] == "event.data['a b']"

    def test_list_index_in_path(self) -> None:
        """A list position shows as [i] in the field path."""
        exc = _validation_error(list[int], [1, "x"])
        assert format_validation_error(exc, []).errors[0][0] == "event[1]"

    def test_exactly_the_listed_maximum(self) -> None:
        """Ten errors are all listed, with no "and more" line."""
        exc = _validation_error(list[int], ["x"] * 10)
        message = str(format_validation_error(exc, b"x"))
        assert "(10 errors;" in message
        assert message.count("\n  event[") == 10
        assert "more" not in message

    def test_past_the_listed_maximum(self) -> None:
        """Past ten errors, the first ten are listed and the rest counted."""
        exc = _validation_error(list[int], ["x"] * 12)
        message = str(format_validation_error(exc, b"x"))
        assert message.count("\n  event[") == 10
        assert message.endswith("\n  ... and 2 more")

    @pytest.mark.parametrize(
        ("raw", "prefix"),
        [
            (b"", "empty"),
            (b"abcd", "4 bytes"),
            (bytearray(b"ab"), "2 bytes"),
            (memoryview(array.array("i", [1, 2])), f"{2 * array.array('i').itemsize} bytes"),
            ("", "empty"),
            ("héllo", "5 characters"),
            ([1, 2], "a list of 2 items"),
            ({"a": 1}, "a dict of 1 items"),
            (42, "a int"),
        ],
    )
    def test_payload_prefix(self, raw: object, prefix: str) -> None:
        """The message gives the payload's size and kind, never its content."""
        exc = _validation_error(int, "x")
        assert f"; payload {prefix}):\n" in str(format_validation_error(exc, raw))


class Thing:
    pass


class Aliased(BaseModel):
    amount: float = Field(serialization_alias="Amount")


class TestEncodeResult:
    def test_model_is_serialised_by_its_own_serializer(self) -> None:
        """A returned model is sent as model_dump_json() gives it: field names, not aliases."""
        value = Aliased(amount=1.5)
        assert encode_result(value) == value.model_dump_json().encode()
        assert encode_result(value) == b'{"amount":1.5}'

    def test_model_class_is_refused(self) -> None:
        """A returned model class (not an instance) is a ResultEncodeError naming its type."""
        with pytest.raises(fc.ResultEncodeError, match="the handler returned a pydantic"):
            encode_result(Aliased)

    def test_unknown_object_message(self) -> None:
        """An object JSON cannot carry gives a message naming its type and what to return."""
        with pytest.raises(fc.ResultEncodeError) as caught:
            encode_result(Thing())
        assert str(caught.value) == (
            "the handler returned a tests.test_decode.Thing, which cannot be sent as the "
            "invocation result: return bytes, str, a pydantic model, a dataclass, or "
            "JSON-compatible data"
        )  # said once, not wrapped in pydantic-core's own words

    def test_a_circular_value_is_named_after_any_other_failure(self) -> None:
        """A list holding itself is a ResultEncodeError naming the list, in a fresh thread
        and after an unknown object failed in the same thread (no stale error is re-raised)."""

        def circular_error() -> str:
            loop: list[object] = []
            loop.append(loop)
            with pytest.raises(fc.ResultEncodeError) as caught:
                encode_result(loop)
            return str(caught.value)

        def in_a_new_thread(work: Callable[[], str]) -> str:
            done: list[str | BaseException] = []

            def run() -> None:
                try:
                    done.append(work())
                except BaseException as exc:  # handed to the test's thread
                    done.append(exc)

            thread = threading.Thread(target=run)
            thread.start()
            thread.join(10)
            assert len(done) == 1, "the encoding thread did not finish"
            if isinstance(done[0], BaseException):
                raise done[0]
            return done[0]

        def after_an_unknown_object() -> str:
            for value in (Thing(), [Thing()], {"a": Thing()}):
                with pytest.raises(fc.ResultEncodeError, match="the handler returned a tests"):
                    encode_result(value)
            return circular_error()

        for message in (in_a_new_thread(circular_error), in_a_new_thread(after_an_unknown_object)):
            assert message.startswith("cannot encode the list the handler returned: "), message
            assert "ircular" in message

    def test_coroutine_message(self) -> None:
        """A coroutine returned by a plain function gives the exact advice, and is closed."""

        async def work() -> int:
            return 1

        coroutine = work()
        with pytest.raises(fc.ResultEncodeError) as caught:
            encode_result(coroutine)
        assert str(caught.value).endswith(
            "the handler returned a coroutine "
            "(TestEncodeResult.test_coroutine_message.<locals>.work) without being `async def`, "
            "so nothing awaited it: declare the function itself `async def`, or await the "
            "coroutine inside it"
        )
        assert inspect.getcoroutinestate(coroutine) == inspect.CORO_CLOSED
