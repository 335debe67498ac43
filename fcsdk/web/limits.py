"""Resource limits for HTTP requests, with safe defaults.

``@fc.http(limits=Limits(...))``, ``HTTPApp(limits=...)`` and
``from_wsgi(app, limits=...)`` take them. The body size is
``Limits.max_body_size`` (FC's 6 MB by default); the ``max_body_size=``
keyword of those calls still sets it.

Example:
    >>> from fcsdk.web.limits import Limits
    >>> Limits(max_json_depth=16).max_headers
    128
"""

from __future__ import annotations

from dataclasses import dataclass

from fcsdk._platform.rules import MAX_SYNC_BODY_SIZE
from fcsdk.exceptions import BadRequest

__all__ = ["DEFAULT_LIMITS", "Limits", "check_json_depth"]


@dataclass(frozen=True)
class Limits:
    """How much of a request fcsdk reads before it answers with a 4xx.

    Attributes:
        max_headers: header fields a request may carry (431 past it).
        max_form_parts: fields of an urlencoded form or parts of a multipart
            form (413 past it).
        max_part_size: bytes in one multipart part (413 past it); ``None``
            leaves only the body limit.
        max_json_depth: nesting of arrays and objects in a JSON body (400 past
            it), checked before parsing.
        max_body_size: bytes in the body (413 past it); FC's 6 MB by default.
    """

    max_headers: int = 128
    max_form_parts: int = 1000
    max_part_size: int | None = None
    max_json_depth: int = 64
    max_body_size: int = MAX_SYNC_BODY_SIZE

    def __post_init__(self) -> None:
        for name in ("max_headers", "max_form_parts", "max_json_depth"):
            if getattr(self, name) < 1:
                from fcsdk.exceptions import ConfigurationError

                raise ConfigurationError(f"{name} must be at least 1")
        if type(self.max_body_size) is not int or self.max_body_size < 0:
            from fcsdk.exceptions import ConfigurationError

            raise ConfigurationError("max_body_size must be an int, not negative")
        if self.max_part_size is not None and self.max_part_size < 0:
            from fcsdk.exceptions import ConfigurationError

            raise ConfigurationError("max_part_size must not be negative")


DEFAULT_LIMITS = Limits()

# Everything but the bytes that decide JSON nesting: brackets, quotes, backslashes.
_KEEP = b'[]{}"\\'
_DROP = bytes(b for b in range(256) if b not in _KEEP)


def check_json_depth(body: bytes, max_depth: int) -> None:
    """Raise :class:`~fcsdk.BadRequest` when ``body``'s JSON nests deeper than ``max_depth``.

    Only brackets outside strings count. The scan keeps just the structural
    bytes, so its cost follows the number of brackets, not the body's size.
    """
    if body.count(b"[") + body.count(b"{") <= max_depth:  # too few brackets to nest deeper
        return
    skeleton = body.translate(None, _DROP)
    depth = 0
    in_string = False
    escaped = False
    for byte in skeleton:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > max_depth:
                raise BadRequest(f"the JSON body nests deeper than {max_depth} levels")
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
