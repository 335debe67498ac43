"""The secret values fcsdk has seen, so that logging can mask them wherever they appear.

Every set of credentials the context builds registers its secret and token
here, and so does the local runtime for the credentials it injects;
:mod:`fcsdk.logging` masks them in log records and logged events, and the
local runtime in the error JSON it answers.

A value is masked in the forms it travels in: as is, percent-encoded (``%2B``
and ``%2b``, with ``/`` kept or encoded, ``+`` kept or encoded, as URL
builders differ), JSON-escaped and base64-encoded. Values are never forgotten
while the process lives: a live context's secret is masked however many other
credentials came after it (a process sees a few per credential rotation).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from urllib.parse import quote, quote_plus

__all__ = ["forms", "known", "mask", "remember"]

_MIN_LENGTH = 4
_lock = threading.Lock()
_values: dict[str, None] = {}  # insertion-ordered set of the raw values
_state: dict[str, object] = {"snapshot": (), "pattern": None}


def forms(value: str) -> set[str]:
    """Every form ``value`` may take in a URL, a JSON document or a base64 blob."""
    found = {value}
    raw = value.encode("utf-8", "surrogatepass")  # a lone surrogate must not stop masking
    for safe in ("", "/", "+", "=", "+/", "/=", "+=", "+/="):
        encoded = quote(raw, safe=safe)
        found.add(encoded)
        found.add(re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded))
    found.add(quote_plus(raw, safe=""))
    found.add(quote_plus(raw, safe="/"))
    for escaped in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
        found.add(escaped[1:-1])
        found.add(escaped[1:-1].replace("/", "\\/"))
    for encoded_bytes in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = encoded_bytes.decode("ascii")
        found.add(text)
        found.add(text.rstrip("="))
    return {f for f in found if len(f) >= _MIN_LENGTH}


def remember(*values: str | None) -> None:
    """Register secret values (empty and very short ones are ignored), for good."""
    fresh = [v for v in values if v and len(v) >= _MIN_LENGTH and v not in _values]
    if not fresh:
        return
    with _lock:
        for value in fresh:
            _values[value] = None
        every = {form for value in _values for form in forms(value)}
        ordered = sorted(every, key=len, reverse=True)  # longest first: no half-masked form
        _state["snapshot"] = tuple(_values)
        _state["pattern"] = re.compile("|".join(map(re.escape, ordered)))


def known() -> tuple[str, ...]:
    """The secret values registered so far (a snapshot, raw forms only)."""
    snapshot: tuple[str, ...] = _state["snapshot"]  # type: ignore[assignment]
    return snapshot


def mask(text: str, replacement: str = "***") -> str:
    """Return ``text`` with every registered secret replaced, in each of its forms."""
    pattern = _state["pattern"]
    if pattern is None:
        return text
    assert isinstance(pattern, re.Pattern)
    return pattern.sub(replacement.replace("\\", "\\\\"), text)
