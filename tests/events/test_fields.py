"""Tests for fcsdk.events._fields: embedded payloads, Base64, and platform timestamps."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Annotated, Any, Generic

import pytest
from pydantic import BaseModel, StringConstraints, TypeAdapter, ValidationError
from typing_extensions import TypeVar

from fcsdk.events import Base64
from fcsdk.events._fields import EMBEDDED, EMBEDDED_VALUE, EpochMillis, EpochSeconds, ISOTime

T = TypeVar("T")  # no default: an unparametrised model keeps any value


class Box(BaseModel, Generic[T]):
    value: Annotated[T, EMBEDDED]


class Point(BaseModel):
    x: int


class TestEmbedded:
    def test_typevar_without_default_keeps_value(self) -> None:
        """A TypeVar with no default behaves as Any: the value stays as it came."""
        assert Box.model_validate({"value": '{"x": 1}'}).value == '{"x": 1}'
        assert Box.model_validate({"value": [1]}).value == [1]

    def test_parses_json_string(self) -> None:
        """A model target parses a JSON string and dumps back to JSON text."""
        box = Box[Point].model_validate({"value": '{"x": 1}'})
        assert box.value == Point(x=1)
        assert box.model_dump() == {"value": '{"x":1}'}

    def test_scalar_text_fallback(self) -> None:
        """A JSON scalar that does not fit is retried as text: "1" for a str enum or a str type."""

        class Level(enum.Enum):
            ONE = "1"

        assert Box[Level].model_validate({"value": "1"}).value is Level.ONE
        short = Annotated[str, StringConstraints(max_length=3)]
        assert Box[short].model_validate({"value": "123"}).value == "123"
        with pytest.raises(ValidationError):
            Box[Level].model_validate({"value": "2"})

    def test_text_with_a_lone_surrogate_is_a_validation_error(self) -> None:
        """A str no JSON parser can read (a lone surrogate) is refused as the type refuses it."""
        with pytest.raises(ValidationError, match="value"):
            Box[Point].model_validate({"value": "\ud800"})
        assert Box[str].model_validate({"value": "\ud800"}).value == "\ud800"

    def test_value_marker_dumps_object(self) -> None:
        """EMBEDDED_VALUE parses strings too but dumps the value itself."""
        adapter = TypeAdapter(Annotated[Point, EMBEDDED_VALUE])
        assert adapter.dump_python(adapter.validate_python('{"x": 2}')) == {"x": 2}

    def test_reprs(self) -> None:
        """The markers have readable reprs (they show in model reprs and errors)."""
        assert repr(EMBEDDED) == "EMBEDDED"
        assert repr(EMBEDDED_VALUE) == "EMBEDDED_VALUE"
        assert "BASE64" in repr(Base64[int])


class TestBase64:
    def test_line_breaks_tolerated(self) -> None:
        """MIME-style base64 with line breaks decodes."""
        assert TypeAdapter(Base64[str]).validate_python("aGVs\nbG8=\n") == "hello"

    def test_text_and_round_trip(self) -> None:
        """Base64[str] decodes to text and dumps back to the same base64."""
        adapter = TypeAdapter(Base64[str])
        assert adapter.validate_python("aGk=") == "hi"
        assert adapter.dump_python("hi") == "aGk="

    def test_model_round_trip(self) -> None:
        """Base64[Point] decodes and parses, and dumps back to base64 JSON."""
        adapter = TypeAdapter(Base64[Point])
        point = adapter.validate_python("eyJ4IjogM30=")
        assert point == Point(x=3)
        assert adapter.validate_python(adapter.dump_python(point)) == point

    def test_bytes(self) -> None:
        """Base64[bytes] is plain base64 bytes; bytes input passes through."""
        adapter = TypeAdapter(Base64[bytes])
        assert adapter.validate_python("AAE=") == b"\x00\x01"
        assert adapter.validate_python(b"\x00") == b"\x00"
        assert adapter.dump_python(b"\x00\x01") == "AAE="

    def test_non_text_target_accepts_plain_text(self) -> None:
        """Decoded text that is not JSON is still offered to a type that takes text."""
        assert TypeAdapter(Base64[int]).validate_python("NDI=") == 42

    @pytest.mark.parametrize("value", ["@@@", "aGk", 5, None])
    def test_invalid(self, value: Any) -> None:
        """Bad base64, bad padding and non-strings are validation errors."""
        with pytest.raises(ValidationError):
            TypeAdapter(Base64[str]).validate_python(value)


class TestTimes:
    def test_iso(self) -> None:
        """ISO text with Z, an offset or fractions parses; a datetime passes through."""
        adapter = TypeAdapter(ISOTime)
        assert adapter.validate_python("2026-11-23T07:49:00Z") == datetime(
            2026, 11, 23, 7, 49, tzinfo=timezone.utc
        )
        assert adapter.validate_python("2026-11-23T15:49:00.5+08:00").utcoffset() is not None
        moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
        assert adapter.validate_python(moment) == moment

    @pytest.mark.parametrize("value", [0, 1.5, "1763884140", "2026/11/23", "", None, [2026]])
    def test_iso_refuses(self, value: Any) -> None:
        """Numbers and non-ISO text are refused."""
        with pytest.raises(ValidationError):
            TypeAdapter(ISOTime).validate_python(value)

    def test_epochs(self) -> None:
        """Epoch seconds and milliseconds give UTC datetimes and dump back to the integer."""
        seconds = TypeAdapter(EpochSeconds)
        millis = TypeAdapter(EpochMillis)
        assert seconds.validate_python(0) == datetime(1970, 1, 1, tzinfo=timezone.utc)
        assert seconds.dump_python(seconds.validate_python("1763884140")) == 1763884140
        assert millis.dump_python(millis.validate_python(1763884140123)) == 1763884140123
        moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
        assert millis.validate_python(moment) == moment

    @pytest.mark.parametrize("value", [True, 1.5, "soon", None, 10**30])
    def test_epoch_refuses(self, value: Any) -> None:
        """Booleans, floats, text and out-of-range numbers are refused."""
        with pytest.raises(ValidationError):
            TypeAdapter(EpochSeconds).validate_python(value)
