"""The type aliases of :mod:`fcsdk.web`, named once (private).

Example:
    >>> from fcsdk.web._types import HeaderList
    >>> pairs: HeaderList = [("Content-Type", "text/plain")]
    >>> pairs[0][0]
    'Content-Type'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

__all__ = [
    "HeaderList",
    "HeadersInput",
    "MultiValueHeaders",
    "StartResponse",
    "WSGIApp",
    "WSGIEnvironment",
]

WSGIEnvironment = dict[str, Any]
"""PEP 3333's environ: a plain dict whose values are of any type (``wsgi.input``...)."""

StartResponse = Callable[..., Any]
"""PEP 3333's ``start_response(status, headers, exc_info=None) -> write``."""

WSGIApp = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]
"""A PEP 3333 application."""

HeaderList = list[tuple[str, str]]
"""Header fields in order, repeats kept: what a place reads and what it writes."""

HeadersInput = Mapping[str, str] | Iterable[tuple[str, str]] | None
"""What ``headers=`` accepts: a mapping or ``(name, value)`` pairs."""

MultiValueHeaders = Literal["list", "join"]
"""How FC 3.0 / API Gateway answers carry a repeated header: a list, or joined with ``", "``."""
