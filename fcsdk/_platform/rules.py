"""FC's HTTP rules, stated once for the places in :mod:`fcsdk.web` and for the local tools.

Light on purpose (``re`` only): the handler's request path imports it.

Example:
    >>> from fcsdk._platform.rules import split_proxy_prefix, parse_content_length
    >>> split_proxy_prefix("/2016-08-15/proxy/svc/fn/signin")
    ('/2016-08-15/proxy/svc/fn', '/signin')
    >>> parse_content_length(" 12 ")
    12
"""

from __future__ import annotations

import re

from fcsdk.exceptions import BadRequest

__all__ = [
    "FC_PROXY_PREFIX",
    "MAX_SYNC_BODY_SIZE",
    "PATH_SAFE",
    "parse_content_length",
    "split_proxy_prefix",
]

MAX_SYNC_BODY_SIZE = 6 * 1024 * 1024
"""FC's limit on a synchronous request's body and on a response: 6 MB."""

FC_PROXY_PREFIX = re.compile(r"^/2016-08-15/proxy/(?P<service>[^/?]+)/(?P<function>[^/?]+)")
"""The path prefix of a request through the FC 2.0 API endpoint (service and function named)."""

PATH_SAFE = "/:@!$&'()*+,;=-._~"
"""The characters a percent-encoded path keeps as they are (RFC 3986 ``pchar`` and ``/``)."""


def split_proxy_prefix(raw_path: str) -> tuple[str, str]:
    """Split ``raw_path`` into the FC 2.0 proxy prefix (or ``''``) and the rest (``/`` at least).

    Example:
        >>> split_proxy_prefix("/signin")
        ('', '/signin')
    """
    match = FC_PROXY_PREFIX.match(raw_path)
    if match is None:
        return "", raw_path
    return match.group(0), raw_path[match.end() :] or "/"


def parse_content_length(declared: str) -> int:
    """Return a ``Content-Length`` value as a number of bytes.

    Only ASCII digits count (RFC 9110): ``int()`` alone would also take
    ``" +10 "``, ``"1_0"`` and other scripts' digits.

    Raises:
        BadRequest: the value is negative or not a number.
    """
    if declared.isdigit() and declared.isascii() and len(declared) <= 18:
        return int(declared)  # the common case, checked the cheapest way
    text = declared.strip(" \t")
    if text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
        raise BadRequest(f"Content-Length is negative: {text[:20]}")
    if not (text and text.isascii() and text.isdigit()):
        raise BadRequest(f"Content-Length is not a number: {declared[:20]!r}")
    # Past 18 digits it is over any limit; int() would refuse 4,300 digits and more.
    return int(text) if len(text) <= 18 else 10**18
