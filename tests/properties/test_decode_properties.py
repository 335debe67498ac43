"""Event decoding for every model: any event gives a value or an ``EventDecodeError``.

Inputs reach past the JSON parser: real fixtures of every trigger with one
field replaced or removed, damaged bytes, deep nesting, huge numbers,
invalid UTF-8, and every Python form the decorated handler accepts
(``bytes``, ``str``, ``bytearray``, ``memoryview``, ``dict``, ``list``),
including dicts JSON cannot carry.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import re
from pathlib import Path
from typing import Any

import cbor2
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from pydantic import BaseModel
from typing_extensions import TypedDict

import fcsdk as fc
from fcsdk import events
from fcsdk._decode import build_decoder, encode_result, to_bytes
from fcsdk.testing import fake_context
from tests.properties._support import (
    damaged_bytes,
    deep_json,
    huge_number_text,
    invalid_utf8,
    json_values,
    mutated,
    mutation_values,
    outcome,
    paths,
    peak_memory,
    profile,
    removed,
    replaced,
    weird_text,
)

FIXTURES = Path(__file__).parent.parent / "events"


class Order(BaseModel):
    order_id: str
    amount: int


@dataclasses.dataclass
class Point:
    x: float
    y: float


class Pair(TypedDict):
    key: str
    value: int


def _trigger_models() -> list[Any]:
    """Every pydantic model ``fcsdk.events`` exports, nested parts included."""
    found = []
    for name in events.__all__:
        value = getattr(events, name)
        if isinstance(value, type) and issubclass(value, BaseModel):
            found.append(value)
    return found


#: Every model and parametrisation a handler can ask for, trigger models and user types.
MODELS: list[Any] = [
    *_trigger_models(),
    events.TimerEvent[Order],
    events.MNSTopicEvent[events.Base64[Order]],
    events.MNSTopicStreamEvent[Order],
    list[events.CloudEvent[Order]],
    list[events.KafkaEvent[Order]],
    list[events.KafkaEvent[events.Base64[Order]]],
    list[events.KafkaEvent[bytes]],
    list[events.KafkaEvent[str]],
    list[events.RocketMQEvent[Order]],
    list[events.RabbitMQEvent[Order]],
    list[events.MNSQueueEvent[Order]],
    list[events.DTSEvent],
    list[events.MQTTEvent[Order]],
    list[events.MQTTEvent[bytes]],
    list[events.MQTTMessage[Order]],
    list[events.ApacheRocketMQMessage[Order]],
    Order,
    list[Order],
    Order | list[Order],
    Point,
    Pair,
    dict[str, Any],
    dict[str, int],
    list[int],
    int,
    float,
    bool,
    Any,
    str,
    bytes,
]

#: Each real payload with the models it is meant for (the fixtures of tests/events).
SAMPLES: list[tuple[str, list[Any]]] = [
    ("cdn_cached_objects_pushed.json", [events.CDNEvent]),
    ("cdn_cached_objects_refreshed.json", [events.CDNEvent]),
    ("cdn_domain_added.json", [events.CDNEvent]),
    ("cdn_domain_stopped.json", [events.CDNEvent]),
    ("cdn_log_file_created.json", [events.CDNEvent]),
    ("destination_failure.json", [events.DestinationEvent]),
    ("destination_success.json", [events.DestinationEvent]),
    ("dts.json", [list[events.DTSEvent], list[events.CloudEvent]]),
    ("kafka_base64.json", [list[events.KafkaEvent[events.Base64[Order]]], list[events.KafkaEvent]]),
    ("kafka_object.json", [list[events.KafkaEvent[Order]], list[events.KafkaEvent]]),
    ("kafka_single_object.json", [list[events.KafkaEvent]]),
    ("kafka_string.json", [list[events.KafkaEvent[str]], list[events.KafkaEvent]]),
    ("kafka_strings.json", [list[events.KafkaEvent]]),
    ("mns_queue.json", [list[events.MNSQueueEvent]]),
    ("mns_queue_base64.json", [list[events.MNSQueueEvent]]),
    ("mns_topic_json.json", [events.MNSTopicEvent, events.MNSTopicEvent[Order]]),
    ("mns_topic_json_plain.json", [events.MNSTopicEvent]),
    ("mns_topic_stream_attrs.json", [events.MNSTopicStreamEvent]),
    ("mqtt.json", [list[events.MQTTEvent], list[events.MQTTMessage]]),
    ("mqtt_raw.json", [list[events.MQTTMessage], list[events.MQTTMessage[str]]]),
    ("apache_rocketmq.json", [list[events.ApacheRocketMQMessage]]),
    ("oss_delete_object.json", [events.OSSEvent]),
    ("oss_multi_records_encoded_key.json", [events.OSSEvent]),
    ("oss_put_object.json", [events.OSSEvent]),
    ("rabbitmq.json", [list[events.RabbitMQEvent]]),
    ("rocketmq.json", [list[events.RocketMQEvent]]),
    ("sls.json", [events.SLSEvent]),
    ("timer.json", [events.TimerEvent]),
    ("timer_json_payload.json", [events.TimerEvent[Order]]),
    ("http_fc3", [events.HTTPTriggerEvent]),
    ("http_apigw", [events.APIGatewayEvent]),
]


def _sample(name: str) -> Any:
    if name == "http_fc3":
        from fcsdk.testing import fc3_http_event

        return fc3_http_event("POST", "/orders/a b", body=b'{"k":1}', headers={"X-A": "1"})
    if name == "http_apigw":
        from fcsdk.testing import apigw_event

        return apigw_event("POST", "/orders", query={"a": "1"}, body=b"\xff\x00")
    return json.loads((FIXTURES / name).read_bytes())


DECODERS = {repr(tp): build_decoder(tp) for tp in MODELS}
for _, _models in SAMPLES:
    for _tp in _models:
        DECODERS.setdefault(repr(_tp), build_decoder(_tp))

CBOR_SAMPLE = (FIXTURES / "tablestore.cbor").read_bytes()
STREAM_SAMPLE = (FIXTURES / "mns_topic_stream_raw.txt").read_bytes()


def decode(tp: Any, event: object) -> Any:
    """Decode ``event`` for ``tp``: the value, or the ``EventDecodeError`` (anything else fails)."""
    result = outcome(lambda: DECODERS[repr(tp)](event))
    if isinstance(result, fc.FCSDKError):
        assert isinstance(result, fc.EventDecodeError), repr(result)
        assert str(result)
        for path, message in result.errors:
            assert path.startswith("event")
            assert message
    return result


# pydantic words a few errors differently for Python data than for JSON.
_PYTHON_WORDING = (
    (
        re.compile(r"Input should be a (valid )?dictionary( or (an )?instance of .+)?$"),
        "Input should be an object",
    ),
    (re.compile(r"Input should be a valid list$"), "Input should be a valid array"),
)


def wording(error: fc.EventDecodeError) -> list[tuple[str, str]]:
    """``error``'s paths and messages, each worded as pydantic words it for JSON input."""
    out = []
    for path, message in error.errors:
        json_words = [words for pattern, words in _PYTHON_WORDING if pattern.match(message)]
        out.append((path, json_words[0] if json_words else message))
    return out


def as_form(event: bytes, form: str) -> object:
    """``event`` in one of the Python forms a decorated handler accepts."""
    if form == "str":
        return event.decode("utf-8", "surrogateescape")
    if form == "bytearray":
        return bytearray(event)
    if form == "memoryview":
        return memoryview(event)
    return event


forms = st.sampled_from(["bytes", "str", "bytearray", "memoryview"])
models = st.sampled_from(MODELS)
samples = st.sampled_from(SAMPLES)


class TestAnyEvent:
    @profile(150)
    @given(value=json_values, form=forms)
    def test_any_json_value(self, value: Any, form: str) -> None:
        """Any JSON value, in any accepted form, gives a value or an EventDecodeError for every model."""  # noqa: E501
        event = as_form(json.dumps(value).encode(), form)
        for tp in MODELS:
            decode(tp, event)

    @profile(100)
    @given(payload=st.binary(max_size=80) | invalid_utf8, form=forms)
    def test_any_bytes(self, payload: bytes, form: str) -> None:
        """Arbitrary bytes and invalid UTF-8 give a value or an EventDecodeError for every model."""
        event = as_form(payload, form)
        for tp in MODELS:
            decode(tp, event)

    @profile(150)
    @given(tp=models, value=json_values)
    def test_decoded_python_data(self, tp: Any, value: Any) -> None:
        """An already-decoded dict or list event gives the same answer as its JSON bytes."""
        if not isinstance(value, dict | list):
            value = [value]
        assume(tp is not events.TablestoreEvent)  # its bytes are CBOR, not JSON
        from_data = decode(tp, value)
        from_bytes = decode(tp, json.dumps(value).encode())
        if isinstance(from_bytes, fc.EventDecodeError):
            assert isinstance(from_data, fc.EventDecodeError)
            assert wording(from_data) == wording(from_bytes)
        elif tp in (bytes, str):  # re-encoded compactly: the same JSON, not the same text
            assert json.loads(from_data) == json.loads(from_bytes)
        else:
            assert from_data == from_bytes

    @profile(60)
    @given(tp=models, payload=deep_json)
    def test_deep_nesting(self, tp: Any, payload: bytes) -> None:
        """JSON nested thousands of levels deep gives a value or an EventDecodeError, never RecursionError."""  # noqa: E501
        decode(tp, payload)
        decode(tp, payload.decode())

    @profile(80)
    @given(tp=models, number=huge_number_text, wrap=st.sampled_from(["{}", '{"a":{}}', "[{}]"]))
    def test_huge_numbers(self, tp: Any, number: str, wrap: str) -> None:
        """Numbers past 64 bits and past float range give a value or an EventDecodeError."""
        decode(tp, wrap.replace("{}", number).encode())


#: The values that matter when planted in a real event, each field in turn: every JSON type
#: a field can wrongly hold, the empty ones, a number past 64 bits, a lone surrogate, broken
#: percent-encoding with a NUL, and nesting where a value was expected.
MATTERING: list[Any] = [None, True, 0, -1, 2**64, 1.5, "", "\ud800", "%zz\x00", [], {}, [{}]]


class TestEveryFieldMutated:
    @pytest.mark.parametrize("name", [name for name, _ in SAMPLES])
    def test_every_field_replaced_or_removed(self, name: str) -> None:
        """Each field of a real event, replaced by each value that matters or removed, decodes
        or fails cleanly, and what decodes encodes back (every case, every run)."""
        original = _sample(name)
        targets = dict(SAMPLES)[name]
        for path in paths(original):
            variants = [replaced(original, path, value) for value in MATTERING]
            if path:
                variants.append(removed(original, path))
            for event in variants:
                payload = json.dumps(event).encode()
                for tp in targets:
                    decode(tp, payload)
                    value = decode(tp, event)
                    if not isinstance(value, fc.FCSDKError):
                        result = outcome(functools.partial(encode_result, value))
                        assert isinstance(result, bytes | str | fc.ResultEncodeError), repr(result)


def _planted(name: str, path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """The arguments of ``test_one_field_replaced_or_removed`` that plant ``value`` at ``path``."""
    return {
        "sample": (name, dict(SAMPLES)[name]),
        "pick": paths(_sample(name)).index(path),
        "value": value,
        "remove": False,
    }


class TestMutatedEvents:
    @profile(400)
    @given(
        sample=samples,
        pick=st.integers(0, 2**16),
        value=mutation_values,
        remove=st.booleans(),
    )
    # A JSON-text field holding a str no JSON parser reads (a lone surrogate): TypeError once.
    @example(**_planted("timer_json_payload.json", ("payload",), "\ud800"))
    @example(**_planted("mqtt.json", (0, "data"), "\ud800"))
    @example(**_planted("mns_topic_json.json", ("Message",), "\ud800"))
    # Wrong types and huge numbers where the models read numbers, times and objects.
    @example(**_planted("mns_topic_json.json", ("PublishTime",), 2**64))
    @example(**_planted("kafka_object.json", (0, "data", "value"), []))
    @example(**_planted("oss_put_object.json", ("events", 0, "oss", "object", "size"), "1e999"))
    @example(**_planted("http_fc3", ("headers",), None))
    def test_one_field_replaced_or_removed(
        self, sample: Any, pick: int, value: Any, remove: bool
    ) -> None:
        """A real event of every trigger with one field replaced or removed decodes or fails cleanly."""  # noqa: E501
        name, targets = sample
        original = _sample(name)
        found = paths(original)
        path = found[pick % len(found)]
        event = removed(original, path) if path and remove else replaced(original, path, value)
        payload = json.dumps(event).encode()
        for tp in targets:
            decode(tp, payload)
            decode(tp, event)

    @profile(200)
    @given(data=st.data(), sample=samples)
    def test_damaged_bytes(self, data: st.DataObject, sample: Any) -> None:
        """A real event truncated or with bytes flipped or inserted decodes or fails cleanly."""
        name, targets = sample
        payload = data.draw(damaged_bytes(json.dumps(_sample(name)).encode()))
        for tp in targets:
            decode(tp, payload)

    @profile(100)
    @given(data=st.data())
    def test_damaged_cbor_and_stream(self, data: st.DataObject) -> None:
        """Damaged Tablestore CBOR and MNS stream payloads decode or fail cleanly."""
        decode(events.TablestoreEvent, data.draw(damaged_bytes(CBOR_SAMPLE)))
        decode(events.MNSTopicStreamEvent, data.draw(damaged_bytes(STREAM_SAMPLE)))

    @profile(60)
    @given(value=json_values)
    def test_cbor_of_any_value(self, value: Any) -> None:
        """Any value encoded as CBOR gives a TablestoreEvent or an EventDecodeError."""
        decode(events.TablestoreEvent, cbor2.dumps(value))

    @profile(60)
    @given(sample=samples, depth=st.integers(100, 3000))
    def test_deep_nesting_inside_a_real_event(self, sample: Any, depth: int) -> None:
        """A real event whose every top-level field is a deeply nested value decodes or fails cleanly."""  # noqa: E501
        name, targets = sample
        event = _sample(name)
        inner = "[" * depth + "]" * depth
        if isinstance(event, dict):
            parts = [f"{json.dumps(key)}:{inner}" for key in event]
            payload = ("{" + ",".join(parts) + "}").encode()
        else:
            payload = ("[" + ",".join(inner for _ in event) + "]").encode()
        for tp in targets:
            decode(tp, payload)


class TestHandlerPath:
    @profile(150)
    @given(tp=models, event=json_values.map(lambda v: json.dumps(v).encode()) | invalid_utf8)
    def test_decorated_handler(self, tp: Any, event: bytes) -> None:
        """Through @fc.handler with a runtime-shaped context: bytes out or an EventDecodeError."""

        def main(value: Any, context: fc.FCContext) -> str:
            return type(value).__name__

        handler = fc.handler(event_model=tp)(main)
        result = outcome(lambda: handler(event, fake_context()))
        assert isinstance(result, bytes | str | fc.EventDecodeError), repr(result)

    @profile(150)
    @given(data=st.data(), sample=samples)
    def test_decoded_value_encodes(self, data: st.DataObject, sample: Any) -> None:
        """Whatever decodes can be sent back as a result, or fails with a ResultEncodeError."""
        name, targets = sample
        event = data.draw(mutated(_sample(name)))
        for tp in targets:
            value = decode(tp, event)
            if not isinstance(value, fc.FCSDKError):
                result = outcome(functools.partial(encode_result, value))
                assert isinstance(result, bytes | str | fc.ResultEncodeError), repr(result)

    @profile(60)
    @given(
        key=weird_text,
        value=st.one_of(
            st.just(math.nan),
            st.just(math.inf),
            st.just({1, 2}),
            st.just(object()),
            st.just(b"\xff"),
            weird_text,
        ),
    )
    def test_dict_json_cannot_carry(self, key: str, value: Any) -> None:
        """A dict event holding surrogates, NaN, sets or objects gives a value or an EventDecodeError."""  # noqa: E501
        for tp in MODELS:
            decode(tp, {key: value})
            decode(tp, [value])

    @profile(40)
    @given(event=st.one_of(st.integers(), st.floats(), st.none(), st.just(object()), st.tuples()))
    def test_unaccepted_types(self, event: Any) -> None:
        """An event of a type the runtime never sends gives an EventDecodeError naming the type."""
        result = outcome(lambda: to_bytes(event))
        assert isinstance(result, fc.EventDecodeError)
        assert type(event).__name__ in str(result)


class TestBoundedResources:
    @profile(25, deadline_ms=5000)
    @given(tp=models, payload=deep_json | st.binary(min_size=1000, max_size=5000))
    def test_memory_in_proportion_to_input(self, tp: Any, payload: bytes) -> None:
        """Decoding a refused or accepted event allocates at most a small multiple of its size."""
        peak = peak_memory(lambda: DECODERS[repr(tp)](payload))
        assert peak < 200 * len(payload) + 2_000_000, (peak, len(payload))
