"""Tests for fcsdk/handler.py and fcsdk/_decode.py: @fc.handler and the lifecycle hooks."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import functools
import json
import uuid
from typing import Any, Literal, get_origin

import pytest
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from typing_extensions import TypedDict

import fcsdk as fc
from fcsdk._decode import build_decoder
from fcsdk.testing import fake_context, invoke


class Order(BaseModel):
    order_id: str
    amount: int


class Receipt(BaseModel):
    order_id: str
    accepted: bool


class StrictOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: str


@fc.handler(event_model=Order)
def main(event: Order, context: fc.FCContext) -> Receipt:
    """The issue's example handler."""
    return Receipt(order_id=event.order_id, accepted=event.amount > 0)


ORDER = b'{"order_id": "A1", "amount": 3}'


class TestTheExample:
    def test_runtime_call_returns_compact_json_bytes(self) -> None:
        """The runtime's call with bytes and its context gets the compact JSON bytes back."""
        assert main(ORDER, fake_context()) == b'{"order_id":"A1","accepted":true}'

    def test_every_event_form_gives_the_same_result(self) -> None:
        """bytes, str, bytearray, memoryview, dict and list-free dict inputs all decode alike."""
        expected = b'{"order_id":"A1","accepted":true}'
        ctx = fake_context()
        for event in (
            ORDER,
            ORDER.decode(),
            bytearray(ORDER),
            memoryview(ORDER),
            {"order_id": "A1", "amount": 3},
        ):
            assert main(event, ctx) == expected

    def test_keeps_the_user_function(self) -> None:
        """The decorated handler keeps __wrapped__, name, docstring and module."""
        assert main.__name__ == "main"
        assert main.__doc__ == "The issue's example handler."
        assert main.__module__ == __name__
        assert main.__wrapped__(Order(order_id="x", amount=0), None) == Receipt(
            order_id="x", accepted=False
        )
        assert main.event_model is Order

    def test_runtime_shapes_of_every_generation(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The handler works with the 3.10 and 3.12 context shapes, and a typed context."""
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.x")
        seen: list[fc.FCContext] = []

        @fc.handler
        def probe(event: bytes, context: fc.FCContext) -> str:
            seen.append(context)
            return "ok"

        for raw in (fake_context(), fake_context(runtime="python3.12")):
            assert probe(b"", raw) == "ok"
        typed = fc.FCContext(request_id="typed")
        assert probe(b"", typed) == "ok"
        assert seen[-1] is typed
        assert all(isinstance(c, fc.FCContext) for c in seen)
        assert seen[1].credentials is not None


class TestEventModelResolution:
    def test_annotation_used_without_event_model(self) -> None:
        """Bare @fc.handler decodes into the first parameter's annotation."""

        @fc.handler
        def h(event: Order, context: fc.FCContext) -> int:
            return event.amount

        assert h(ORDER, fake_context()) == b"3"
        assert h.event_model is Order

    def test_no_annotation_passes_bytes(self) -> None:
        """Without event_model or annotation, the raw bytes are passed."""

        @fc.handler
        def h(event, context):
            return event

        assert h(b"\x00\xff", fake_context()) == b"\x00\xff"

    def test_bytes_annotation_passes_bytes(self) -> None:
        """A bytes annotation passes the payload unchanged, whatever it holds."""

        @fc.handler()
        def h(event: bytes) -> bytes:
            return event[::-1]

        assert h("abc", None) == b"cba"

    def test_explicit_model_wins_over_annotation(self) -> None:
        """event_model= takes precedence over the annotation."""

        @fc.handler(event_model=Any)
        def h(event: Any, context: fc.FCContext) -> Any:
            return event

        assert h(b'{"a": [1, 2]}', fake_context()) == b'{"a":[1,2]}'

    def test_one_parameter_function_gets_no_context(self) -> None:
        """A one-parameter handler is called without context, so None is fine."""

        @fc.handler(event_model=Order)
        def h(event: Order) -> str:
            return event.order_id

        assert h(ORDER, None) == "A1"

    def test_varargs_function_gets_context(self) -> None:
        """A *args function is given the context too."""

        @fc.handler(event_model=str)
        def h(*args: Any) -> int:
            return len(args)

        assert h(b"x", fake_context()) == b"2"

    def test_unresolvable_annotation(self) -> None:
        """An annotation that cannot be resolved raises ConfigurationError naming event_model."""

        @fc.handler
        def h(event: NoSuchType, context: fc.FCContext) -> None:  # type: ignore[name-defined]  # noqa: F821
            return None

        assert h.event_model is None
        with pytest.raises(fc.ConfigurationError, match="event_model"):
            h(b"{}", fake_context())

    def test_callable_object_handler(self) -> None:
        """A callable object without __code__ works; its arity comes from its signature."""

        class Callable1:
            __name__ = "c1"
            __qualname__ = "c1"

            def __call__(self, event: bytes, context: Any) -> str:
                return "two"

        h = fc.handler(event_model=bytes)(Callable1())
        assert h(b"", fake_context()) == "two"

    def test_partial_handler(self) -> None:
        """A functools.partial gets the context only if two positional parameters are left."""

        def with_context(prefix: str, event: bytes, context: fc.FCContext) -> str:
            return f"{prefix}:{event.decode()}:{context.function.name}"

        def without(prefix: str, event: bytes) -> str:
            return f"{prefix}:{event.decode()}"

        both = fc.handler(event_model=bytes)(functools.partial(with_context, "p"))
        assert both(b"e", fake_context(function_name="fn")) == "p:e:fn"
        one = fc.handler(event_model=bytes)(functools.partial(without, "p"))
        assert one(b"e", fake_context()) == "p:e"

    def test_adapter_built_once(self) -> None:
        """The decoder is built on the first call, not at decoration, and reused afterwards."""
        built: list[int] = []

        class Counted(int):
            @classmethod
            def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
                built.append(1)
                return handler(int)

        h = fc.handler(event_model=list[Counted])(len)
        assert built == []
        assert h(b"[1, 2]", None) == b"2"
        assert h(b"[3]", None) == b"1"
        assert built == [1]


class TestEventTypes:
    @pytest.mark.parametrize(
        ("model", "event", "expected"),
        [
            (list[Order], b'[{"order_id":"a","amount":1}]', [Order(order_id="a", amount=1)]),
            (
                Order | Receipt,
                b'{"order_id":"a","accepted":true}',
                Receipt(order_id="a", accepted=True),
            ),
            (dict[str, Any], b'{"k": {"n": 1}}', {"k": {"n": 1}}),
            (str, "héllo".encode(), "héllo"),
            (bytes, b"\x01\x02", b"\x01\x02"),
            (Any, b"[1, 2.5, null]", [1, 2.5, None]),
            (int, b"42", 42),
        ],
    )
    def test_type_adapter_types(self, model: Any, event: bytes, expected: Any) -> None:
        """Every TypeAdapter-able event_model decodes the bytes into that type."""
        seen: list[Any] = []
        h = fc.handler(event_model=model)(lambda e, c: seen.append(e))
        h(event, fake_context())
        assert seen == [expected]

    def test_dataclass_and_typeddict(self) -> None:
        """Dataclasses and TypedDicts are decoded too."""

        @dataclasses.dataclass
        class Point:
            x: int
            y: int

        class Named(TypedDict):
            name: str

        seen: list[Any] = []
        fc.handler(event_model=Point)(seen.append)(b'{"x": 1, "y": 2}', None)
        fc.handler(event_model=Named)(seen.append)(b'{"name": "n"}', None)
        assert seen == [Point(1, 2), {"name": "n"}]

    def test_custom_decoder_hook(self) -> None:
        """A type with __fcsdk_decoder__ decodes itself, also inside list[...]."""

        class Upper(BaseModel):
            text: str

            @classmethod
            def __fcsdk_decoder__(cls, tp: Any) -> Any:
                def decode(raw: Any) -> Any:
                    value = cls(text=bytes(raw).decode().upper())
                    return [value] if tp is not cls else value

                return decode

        seen: list[Any] = []
        fc.handler(event_model=Upper)(seen.append)(b"ab", None)
        fc.handler(event_model=list[Upper])(seen.append)(b"cd", None)
        assert seen == [Upper(text="AB"), [Upper(text="CD")]]

    def test_custom_decoder_validation_error_is_wrapped(self) -> None:
        """A ValidationError from a custom decoder becomes an EventDecodeError."""

        class Picky(BaseModel):
            n: int

            @classmethod
            def __fcsdk_decoder__(cls, tp: Any) -> Any:
                return lambda raw: cls.model_validate({"n": "x"})

        h = fc.handler(event_model=Picky)(lambda e: e)
        with pytest.raises(fc.EventDecodeError, match=r"event\.n: Input should be a valid integer"):
            h(b"", None)


class TestBadInput:
    def decode_error(self, event: Any, model: Any = Order) -> fc.EventDecodeError:
        h = fc.handler(event_model=model)(lambda e: e)
        with pytest.raises(fc.EventDecodeError) as info:
            h(event, None)
        return info.value

    def test_empty_event(self) -> None:
        """An empty payload is an EventDecodeError that says it is empty."""
        error = self.decode_error(b"")
        assert "empty" in str(error)
        assert isinstance(error, ValueError)
        assert isinstance(error.__cause__, ValidationError)
        assert error.raw == b""

    def test_null(self) -> None:
        """b'null' for a model names the model's expectation."""
        error = self.decode_error(b"null")
        assert "event: Input should be an object" in str(error) or "valid dictionary" in str(error)

    def test_invalid_json(self) -> None:
        """Invalid JSON is an EventDecodeError about JSON."""
        assert "JSON" in str(self.decode_error(b"{not json"))

    def test_trailing_garbage(self) -> None:
        """JSON followed by a garbage byte is rejected, not silently truncated."""
        assert "trailing" in str(self.decode_error(ORDER + b"x"))

    def test_non_utf8_for_str(self) -> None:
        """Non-UTF-8 bytes for a str model give an EventDecodeError naming the byte."""
        error = self.decode_error(b"ok\xff\xfe", str)
        assert "UTF-8" in str(error)
        assert "byte 2" in str(error)

    def test_non_utf8_for_model(self) -> None:
        """Non-UTF-8 bytes for a model are an EventDecodeError, not a crash."""
        self.decode_error(b'{"order_id": "\xff", "amount": 1}')

    def test_ten_megabyte_event(self) -> None:
        """A 10 MB event decodes or fails cleanly, and the message shows only a short prefix."""
        big = b'{"order_id": "' + b"x" * (10 * 1024 * 1024) + b'", "amount": "many"}'
        error = self.decode_error(big)
        assert len(str(error)) < 600
        assert "bytes)" in str(error)
        ok = fc.handler(event_model=Order)(lambda e: len(e.order_id))(big.replace(b'"many"', b"1"))
        assert ok == str(10 * 1024 * 1024).encode()

    def test_deep_nesting(self) -> None:
        """10,000 levels of nesting give an EventDecodeError, not a RecursionError."""
        deep = b"[" * 10_000 + b"]" * 10_000
        self.decode_error(deep, Any)
        self.decode_error(deep, list[Any])
        self.decode_error(b'{"order_id": ' + deep + b', "amount": 1}')

    def test_wrong_type_names_field_path(self) -> None:
        """A number where a string is required names the field path and reason."""
        error = self.decode_error(b'{"order_id": 5, "amount": 1}')
        assert "event.order_id: Input should be a valid string" in str(error)
        assert error.errors == [("event.order_id", "Input should be a valid string")]

    def test_nested_path(self) -> None:
        """Nested failures are named with indexes: event[1].amount."""
        error = self.decode_error(
            b'[{"order_id": "a", "amount": 1}, {"order_id": "b", "amount": "x"}]', list[Order]
        )
        assert "event[1].amount" in str(error)

    def test_many_errors_are_capped(self) -> None:
        """Many failing fields are listed up to a cap, with the rest counted."""
        event = json.dumps([{"order_id": 1}] * 20).encode()
        error = self.decode_error(event, list[Order])
        assert "40 errors" in str(error)
        assert "and 30 more" in str(error)

    def test_odd_keys_are_quoted(self) -> None:
        """Keys that are not identifiers are shown as subscripts."""
        error = self.decode_error(b'{"a b": "x"}', dict[str, int])
        assert "event['a b']" in str(error)

    def test_unknown_field_ignored_by_default(self) -> None:
        """Unknown fields are ignored unless the user's model forbids them."""
        h = fc.handler(event_model=Order)(lambda e: e.order_id)
        assert h(b'{"order_id": "a", "amount": 1, "extra": true}', None) == "a"
        error = self.decode_error(b'{"order_id": "a", "extra": 1}', StrictOrder)
        assert "event.extra: Extra inputs are not permitted" in str(error)

    def test_message_never_echoes_values(self) -> None:
        """Field messages name the field and reason, not the input value."""
        error = self.decode_error(b'{"order_id": "a", "amount": "secret-looking-value-123"}')
        field_lines = str(error).split("\n")[1:]
        assert all("secret-looking-value-123" not in line for line in field_lines)

    def test_unsupported_event_type(self) -> None:
        """An event that is not bytes/str/dict/list is an EventDecodeError."""
        error = self.decode_error(3.5)
        assert "not float" in str(error)

    def test_context_none_when_context_is_needed(self) -> None:
        """A context of None, for a handler that takes one, is a clear ContextError."""
        with pytest.raises(fc.ContextError, match="fake_context"):
            main(ORDER, None)

    def test_context_missing_attributes(self) -> None:
        """A context object missing everything but request_id still works."""

        class Bare:
            request_id = "r"

        assert main(ORDER, Bare()) == b'{"order_id":"A1","accepted":true}'


class TestResults:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (None, b"null"),
            (1, b"1"),
            (1.5, b"1.5"),
            (True, b"true"),
            ({"a": [1, None]}, b'{"a":[1,null]}'),
            ("text", "text"),
            (b"\x00bytes", b"\x00bytes"),
            (bytearray(b"ba"), b"ba"),
            ({"when": datetime.datetime(2026, 11, 23, 8, 0)}, b'{"when":"2026-11-23T08:00:00"}'),
            ({"d": decimal.Decimal("1.10")}, b'{"d":"1.10"}'),
            (uuid.UUID(int=1), b'"00000000-0000-0000-0000-000000000001"'),
            ([Receipt(order_id="a", accepted=True)], b'[{"order_id":"a","accepted":true}]'),
            ({"é": "ü"}, '{"é":"ü"}'.encode()),
        ],
    )
    def test_encodings(self, value: Any, expected: bytes | str) -> None:
        """Return values become compact UTF-8 JSON bytes; str and bytes pass through."""
        assert fc.handler(event_model=bytes)(lambda e: value)(b"", None) == expected

    def test_dataclass_result(self) -> None:
        """A dataclass result is dumped like pydantic does."""

        @dataclasses.dataclass
        class Out:
            n: int

        assert fc.handler(event_model=bytes)(lambda e: Out(2))(b"", None) == b'{"n":2}'

    def test_to_json_method(self) -> None:
        """An object with to_json() is sent as its result, as the runtime does."""

        class Legacy:
            def to_json(self) -> dict[str, int]:
                return {"v": 1}

        assert fc.handler(event_model=bytes)(lambda e: Legacy())(b"", None) == b'{"v":1}'

    def test_unencodable_result(self) -> None:
        """An object the runtime cannot send raises ResultEncodeError naming its type."""

        class Opaque:
            pass

        with pytest.raises(fc.ResultEncodeError, match="Opaque"):
            fc.handler(event_model=bytes)(lambda e: Opaque())(b"", None)
        with pytest.raises(fc.ResultEncodeError, match="Opaque"):
            fc.handler(event_model=bytes)(lambda e: {"o": Opaque()})(b"", None)

    @pytest.mark.parametrize("nested", [False, True])
    def test_unencodable_result_says_it_once(self, nested: bool) -> None:
        """The message names the type once, without pydantic's wrapper repeating it."""

        class Opaque:
            pass

        result = {"o": Opaque()} if nested else Opaque()
        with pytest.raises(fc.ResultEncodeError) as caught:
            fc.handler(event_model=bytes)(lambda e: result)(b"", None)
        message = str(caught.value)
        assert message.count("Opaque") == 1
        assert "Error serializing" not in message
        assert "ResultEncodeError" not in message
        assert message.startswith("the handler returned a ")

    def test_unencodable_model_field(self) -> None:
        """A model whose field cannot be serialised raises ResultEncodeError."""

        class Holder(BaseModel):
            model_config = ConfigDict(arbitrary_types_allowed=True)
            thing: object

        with pytest.raises(fc.ResultEncodeError, match="Holder"):
            fc.handler(event_model=bytes)(lambda e: Holder(thing=object()))(b"", None)

    def test_float_nan(self) -> None:
        """NaN, which JSON cannot carry, is sent as null like pydantic does."""
        assert fc.handler(event_model=bytes)(lambda e: float("nan"))(b"", None) == b"null"


class TestInvokeHelper:
    def test_invoke_encodes_dict_and_model_events(self) -> None:
        """fcsdk.testing.invoke JSON-encodes a dict or model event, as a caller would send it."""
        assert invoke(main, {"order_id": "A1", "amount": 3}) == b'{"order_id":"A1","accepted":true}'
        assert invoke(main, Order(order_id="A1", amount=0)) == b'{"order_id":"A1","accepted":false}'
        assert invoke(main, ORDER.decode()) == b'{"order_id":"A1","accepted":true}'
        assert invoke(main, bytearray(ORDER)) == b'{"order_id":"A1","accepted":true}'

    def test_invoke_plain_function_uses_runtime_json(self) -> None:
        """An undecorated handler's dict goes through the runtime's json.dumps(indent=4)."""
        out = invoke(lambda e, c: {"b": 1, "a": decimal.Decimal("1.5")}, b"")
        assert out == b'{\n    "a": 1.5,\n    "b": 1\n}'

    def test_invoke_plain_function_model_fails_like_runtime(self) -> None:
        """A pydantic model returned by an undecorated handler fails as on the runtime."""
        with pytest.raises(TypeError, match="not JSON serializable"):
            invoke(lambda e, c: Receipt(order_id="a", accepted=True), b"")

    def test_invoke_passes_given_context(self) -> None:
        """invoke uses the context it is given."""
        ctx = fake_context(request_id="given")
        out = invoke(fc.handler(event_model=bytes)(lambda e, c: c.request_id), b"", ctx)
        assert out == b"given"

    def test_fc_context_fixture(self, fc_context: Any) -> None:
        """The pytest plugin's fc_context fixture is a runtime-shaped context."""
        assert fc_context.request_id.startswith("1-")
        assert fc.FCContext.from_runtime(fc_context).function.name == "my-function"


class TestLifecycleHooks:
    @pytest.mark.parametrize("decorator", [fc.initializer, fc.pre_stop, fc.pre_freeze])
    def test_hook_gets_typed_context(self, decorator: Any) -> None:
        """The runtime's hook(raw_context) reaches the function with an FCContext."""
        seen: list[Any] = []

        def hook(context: fc.FCContext) -> None:
            seen.append(context)

        wrapped = decorator(hook)
        assert wrapped(fake_context(request_id="init")) is None
        assert isinstance(seen[0], fc.FCContext)
        assert seen[0].request_id == "init"
        assert wrapped.__wrapped__ is hook
        assert wrapped.__name__ == "hook"
        assert decorator.__name__ in repr(wrapped)

    def test_hook_none_context(self) -> None:
        """A hook called with None raises ContextError."""
        with pytest.raises(fc.ContextError):
            fc.initializer(lambda c: None)(None)


def test_decoder_literal_and_adapter_equivalence() -> None:
    """A Literal event model decodes like TypeAdapter(Literal).validate_json."""
    model = Literal["a", "b"]
    h = fc.handler(event_model=model)(lambda e: [e])
    assert h(b'"a"', None) == b'["a"]' == TypeAdapter(list[model]).dump_json(["a"])
    with pytest.raises(fc.EventDecodeError, match="'a' or 'b'"):
        h(b'"c"', None)


JSON_DEPTH = 201  # pydantic-core refuses a document nested deeper than this


def brackets(depth: int) -> bytes:
    """A bare JSON array nested exactly ``depth`` levels deep."""
    return b"[" * depth + b"]" * depth


class TestEventJSONDepth:
    """Events nest up to pydantic-core's fixed 201 levels; past it, an EventDecodeError."""

    @pytest.mark.parametrize("tp", [Any, list[Any], dict[str, Any]])
    def test_event_decoding(self, tp: Any) -> None:
        """Event decoding takes 201 levels and refuses 202 with an EventDecodeError."""
        decode = build_decoder(tp)
        if get_origin(tp) is dict:
            assert decode(b'{"a":' + brackets(JSON_DEPTH - 1) + b"}") is not None
            deeper = b'{"a":' + brackets(JSON_DEPTH) + b"}"
        else:
            assert decode(brackets(JSON_DEPTH)) is not None
            deeper = brackets(JSON_DEPTH + 1)
        with pytest.raises(fc.EventDecodeError, match="recursion limit"):
            decode(deeper)

    def test_decorated_handler(self) -> None:
        """@fc.handler answers a too-deep event with an EventDecodeError, not a RecursionError."""

        @fc.handler
        def main(event: list[Any], context: fc.FCContext) -> int:
            return len(event)

        assert main(brackets(JSON_DEPTH), fake_context()) == b"1"
        with pytest.raises(fc.EventDecodeError):
            main(brackets(JSON_DEPTH + 1), fake_context())


def _traced(func: Any) -> Any:
    """A pass-through decorator, as users write them (functools.wraps, *args)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


class TestFunctionShape:
    def test_one_parameter_annotation_is_the_event_model(self) -> None:
        """A one-parameter function's annotation is its event model; it gets no context."""

        @fc.handler
        def main(event: Order) -> int:
            return event.amount

        assert main.event_model is Order
        assert main.__wrapped__.__name__ == main.__name__ == "main"
        assert main(b'{"order_id": "A", "amount": 3}', fake_context()) == b"3"

    def test_zero_parameters_means_bytes(self) -> None:
        """A function without parameters has bytes as its event model."""

        def main() -> None:
            return None

        assert fc.handler(main).event_model is bytes  # type: ignore[arg-type]

    def test_callable_object(self) -> None:
        """A callable object (no __code__) gets bytes events and the context its signature asks."""

        class Main:
            def __call__(self, event: bytes, context: fc.FCContext) -> str:
                return context.request_id

        main = fc.handler(Main())
        assert main.event_model is bytes
        assert main(b"x", fake_context(request_id="r-9")) == "r-9"

    def test_unresolvable_annotation_message(self) -> None:
        """An annotation that cannot be resolved is a ConfigurationError telling what to do."""

        def main(event: Missing) -> None:  # type: ignore[name-defined]  # noqa: F821
            return None

        handler = fc.handler(main)
        assert handler.event_model is None
        with pytest.raises(fc.ConfigurationError) as caught:
            handler(b"{}", fake_context())
        message = str(caught.value)
        assert message.startswith("cannot resolve the annotations of ")
        assert message.endswith("; pass event_model= explicitly")

    def test_under_a_wraps_decorator_without_context(self) -> None:
        """Under a functools.wraps decorator, the inner function's model and parameters count."""

        @fc.handler
        @_traced
        def main(event: Order) -> int:
            return event.amount

        assert main.event_model is Order
        assert main(b'{"order_id": "A", "amount": 4}', fake_context()) == b"4"

    def test_under_a_wraps_decorator_with_context(self) -> None:
        """Under a functools.wraps decorator, a two-parameter inner function gets the context."""

        @fc.handler
        @_traced
        def main(event: Order, context: fc.FCContext) -> str:
            return f"{event.amount}:{context.request_id}"

        assert main(b'{"order_id": "A", "amount": 5}', fake_context(request_id="r")) == "5:r"


class TestHandlerInvocation:
    @pytest.mark.parametrize("form", ["bare", "called", "model"])
    def test_events_are_not_logged_by_default(
        self, form: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        """@fc.handler, @fc.handler() and @fc.handler(event_model=...) log nothing by default."""
        import logging

        def echo(event: bytes) -> str:
            return "ok"

        if form == "bare":
            main = fc.handler(echo)
        elif form == "called":
            main = fc.handler()(echo)
        else:
            main = fc.handler(event_model=bytes)(echo)
        with caplog.at_level(logging.DEBUG):
            assert main(b'{"password": "p"}', fake_context()) == "ok"
        assert caplog.records == []

    def test_async_handler_with_context_gets_the_event(self) -> None:
        """An async two-parameter handler gets the decoded event and the context."""

        @fc.handler
        async def main(event: Order, context: fc.FCContext) -> str:
            return f"{event.order_id}:{context.request_id}"

        assert main(b'{"order_id": "A", "amount": 1}', fake_context(request_id="r")) == "A:r"

    @pytest.mark.parametrize("with_context", [True, False])
    def test_cold_start_is_the_first_call_only(
        self, with_context: bool, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The instance's first invocation is cold, the next ones warm, with or without context."""
        from fcsdk import _invocation

        monkeypatch.setattr(_invocation, "COLD", [True])
        seen: list[tuple[str, bool]] = []

        def record() -> str:
            invocation = _invocation.current()
            assert invocation is not None
            seen.append((invocation[0].request_id, invocation[1]))
            return "ok"

        def with_ctx(event: bytes, context: fc.FCContext) -> str:
            return record()

        def without(event: bytes) -> str:
            return record()

        main = fc.handler(with_ctx) if with_context else fc.handler(without)
        for i in range(3):
            main(b"", fake_context(request_id=f"r-{i}"))
        assert seen == [("r-0", True), ("r-1", False), ("r-2", False)]
        assert _invocation.COLD == [False]


class TestLifecycleHookDetails:
    @pytest.mark.parametrize("decorator", [fc.initializer, fc.pre_stop, fc.pre_freeze])
    def test_repr_names_the_kind(self, decorator: Any) -> None:
        """A hook's repr names its kind and the function."""

        def hook(context: fc.FCContext) -> None:
            return None

        assert repr(decorator(hook)) == (
            f"<fcsdk {decorator.__name__} {__name__}.{hook.__qualname__}>"
        )

    def test_the_hook_invocation_is_current(self) -> None:
        """While a hook runs, its context is the current invocation's."""
        from fcsdk import _invocation

        seen: list[Any] = []

        @fc.initializer
        def init(context: fc.FCContext) -> None:
            invocation = _invocation.current()
            assert invocation is not None
            seen.append(invocation[0] is context)

        init(fake_context())
        assert seen == [True]


class TestHandlerAttributes:
    def test_explicit_event_model_is_known_before_the_first_call(self) -> None:
        """event_model= is the handler's event_model from decoration on."""

        def main(event: Any) -> None:
            """Main's docs."""

        handler = fc.handler(event_model=Order)(main)
        assert handler.event_model is Order
        assert handler.__wrapped__ is main
        assert (handler.__name__, handler.__doc__) == ("main", "Main's docs.")
