"""Secret masking: every form of a registered secret, anywhere in a text, is masked."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, quote_plus

from hypothesis import given
from hypothesis import strategies as st

from fcsdk import _secrets
from fcsdk._local.oss.errors import OSSError
from fcsdk._local.oss.operations import _decode_token, _encode_token

SECRET_CHARS = st.characters(codec="utf-8")
secrets_ = st.text(
    alphabet=st.one_of(st.sampled_from('+/=%\\"&?~-_.'), SECRET_CHARS), min_size=4, max_size=40
)


@contextmanager
def fresh() -> Iterator[None]:
    """An empty registry for one example, the process's own one restored after."""
    registry = _secrets._registry
    _secrets._registry = _secrets.Registry()
    try:
        yield
    finally:
        _secrets._registry = registry


@given(secret=secrets_, before=st.text(max_size=30), after=st.text(max_size=30))
def test_every_form_is_masked(secret: str, before: str, after: str) -> None:
    """Percent-encoded (once, twice, lower-case, quote_plus), JSON-escaped (``\\/`` too) and
    base64 (standard, URL-safe, unpadded) forms are masked whole, alone and in any text."""
    with fresh():
        _secrets.remember(secret)
        check_masked(secret, before, after)


@given(secret=st.text(alphabet="ab+/=%", min_size=4, max_size=12))
def test_forms_of_repetitive_secrets(secret: str) -> None:
    """Secrets made of a few repeated characters (anchors that recur) are masked whole too."""
    with fresh():
        _secrets.remember(secret)
        check_masked(secret, "a", "b")


def _lower(text: str) -> str:
    return re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def encoded_forms(secret: str) -> list[str]:
    """The forms of ``secret``, built here, independently of the code under test."""
    raw = secret.encode("utf-8", "surrogatepass")
    once = quote(raw, safe="")
    escaped = json.dumps(secret)[1:-1]
    found = [
        secret,
        once,
        _lower(once),
        quote(raw, safe="/"),
        quote(once, safe=""),
        quote_plus(raw),
        escaped,
        escaped.replace("/", "\\/"),
        json.dumps(secret, ensure_ascii=False)[1:-1],
    ]
    for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        found += [encoded.decode(), encoded.decode().rstrip("=")]
    return [form for form in found if len(form) >= 4]


def check_masked(secret: str, before: str, after: str) -> None:
    """Each form of ``secret`` is masked whole alone, and never survives between two texts."""
    for form in encoded_forms(secret):
        assert _secrets.mask(form) == "***", form
        masked = _secrets.mask(before + form + after)
        assert form not in masked
        assert "***" in masked


@given(key=st.text(max_size=60))
def test_continuation_token_round_trips(key: str) -> None:
    """The token of any key gives that key back."""
    if key:
        assert _decode_token(_encode_token(key)) == key


@given(token=st.text(min_size=1, max_size=40))
def test_continuation_token_is_a_key_or_invalid_argument(token: str) -> None:
    """Any other token is a key whose token it is, or 400 InvalidArgument, never a crash."""
    outcome: tuple[int, str] | str
    try:
        outcome = _decode_token(token)
    except OSSError as error:
        outcome = (error.status, error.code)
    if isinstance(outcome, str):
        assert _encode_token(outcome) == token
    else:
        assert outcome == (400, "InvalidArgument")
