"""Secret-leak scans the tests share: a secret's forms, built independently of fcsdk.

A scan looks for every 10-character piece of every form, so a half-masked form counts
as a leak, not only the exact string.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus


def lower_hex(text: str) -> str:
    return re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


def encodings(value: str) -> set[str]:
    """The forms a log line carries ``value`` in, built here, independently of fcsdk.

    As is; percent-encoded with ``+``, ``/`` and ``=`` encoded or kept, upper-
    or lower-case ``%xx``, ``quote_plus``; percent-encoded twice (a presigned
    URL inside another URL's parameter); JSON-escaped, ``/`` as ``\\/`` or
    not; base64, standard and URL-safe, padded and unpadded.
    """
    found = {value, quote_plus(value), quote_plus(value, safe="/")}
    for safe in ("", "/", "+", "=", "+/", "/=", "+/="):
        once = quote(value, safe=safe)
        found |= {once, lower_hex(once), quote(once, safe=""), quote(once, safe="/")}
    escaped = json.dumps(value)[1:-1]
    found |= {escaped, escaped.replace("/", "\\/")}
    raw = value.encode()
    for encoded in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
        found |= {encoded, encoded.rstrip("=")}
    return found


def pieces(forms: Iterable[str], size: int = 10) -> set[str]:
    """Every ``size``-character piece of each form: a scan for them finds half-masked forms too."""
    return {form[i : i + size] for form in forms for i in range(len(form) - size + 1)}


def leaks(texts: Iterable[str], forms: Iterable[str]) -> list[str]:
    """The texts in which a piece of a form survives (none: every form is wholly gone)."""
    found = pieces(forms)
    return [text for text in texts if any(piece in text for piece in found)]
