"""Secret masking: every form of a registered secret, anywhere in a text, is masked."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

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
    values, state = dict(_secrets._values), dict(_secrets._state)
    _secrets._values.clear()
    _secrets._state.update({"snapshot": (), "pattern": None})
    try:
        yield
    finally:
        _secrets._values.clear()
        _secrets._values.update(values)
        _secrets._state.update(state)


@given(secret=secrets_, before=st.text(max_size=30), after=st.text(max_size=30))
def test_every_form_is_masked(secret: str, before: str, after: str) -> None:
    """The raw, percent-encoded, JSON-escaped and base64 forms never survive ``mask``."""
    with fresh():
        _secrets.remember(secret)
        check_masked(secret, before, after)


def check_masked(secret: str, before: str, after: str) -> None:
    """Each form of ``secret`` between ``before`` and ``after`` is masked."""
    encoded = [
        secret,
        quote(secret, safe=""),
        quote(secret, safe="/"),
        json.dumps(secret)[1:-1],
        base64.b64encode(secret.encode()).decode(),
    ]
    for form in encoded:
        if len(form) < 4:
            continue
        masked = _secrets.mask(before + form + after)
        assert form not in masked


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
