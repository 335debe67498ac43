"""The secret values fcsdk has seen, so that logging can mask them wherever they appear.

Every set of credentials the context builds registers its secret and token
here (the most recent few, bounded); :mod:`fcsdk.logging` masks them in log
records and logged events.
"""

from __future__ import annotations

import threading

__all__ = ["known", "mask", "remember"]

_LIMIT = 32
_lock = threading.Lock()
_values: dict[str, None] = {}  # insertion-ordered set
_state: dict[str, tuple[str, ...]] = {"snapshot": ()}


def remember(*values: str | None) -> None:
    """Register secret values (empty ones are ignored); the oldest are forgotten past a bound."""
    fresh = [v for v in values if v and len(v) >= 4 and v not in _values]
    if not fresh:
        return
    with _lock:
        for value in fresh:
            _values[value] = None
        while len(_values) > _LIMIT:
            del _values[next(iter(_values))]
        _state["snapshot"] = tuple(_values)


def known() -> tuple[str, ...]:
    """The secret values registered so far (a snapshot)."""
    return _state["snapshot"]


def mask(text: str, replacement: str = "***") -> str:
    """Return ``text`` with every registered secret replaced."""
    for value in _state["snapshot"]:
        if value in text:
            text = text.replace(value, replacement)
    return text
