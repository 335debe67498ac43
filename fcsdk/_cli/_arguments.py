"""Argument types shared by the CLI's commands: one message for each kind of bad number.

Example:
    >>> positive_int("3"), positive_number("milliseconds")("2.5")
    (3, 2.5)
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = ["positive_int", "positive_number"]


def positive_int(text: str) -> int:
    """A whole number of at least 1, for ``type=`` in argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_number(unit: str) -> Callable[[str], float]:
    """An argparse ``type=`` for a finite number above 0 of ``unit`` (named in its messages)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number of {unit}, got {text!r}") from None
        if not value > 0 or math.isinf(value):
            raise argparse.ArgumentTypeError(f"must be a positive number of {unit}, got {text}")
        return value

    parse.__name__ = f"positive number of {unit}"
    return parse
