"""The secret values fcsdk has seen, so that logging can mask them wherever they appear.

Every set of credentials the context builds registers its secret and token
here, and so does the local runtime for the credentials it injects;
:mod:`fcsdk.logging` masks them in log records and logged events, and the
local runtime in its own output and the error JSON it answers.

A value is masked in the forms it travels in. Each character may be as is,
percent-encoded once or twice (``%2B``, ``%2b``, ``%252B``: a presigned URL
inside another URL's parameter), ``+`` for a space, or JSON-escaped (``\\/``,
``\\uXXXX``), each independently of the others, as URL builders and JSON
writers differ. Its base64 (standard or URL-safe, padded or not, its ``+``,
``/`` and ``=`` in any of the forms above) is masked alone and inside the
base64 of a larger document (``Authorization: Basic`` of ``id:secret``, a
JSON document holding the token): every character that depends only on the
value's bytes. Values are never forgotten while the process lives: a live
context's secret is masked however many other credentials came after it.

How the cost stays flat (a warm instance sees a new STS set every rotation,
``fcsdk serve`` one per run): nothing is rebuilt over the whole history.
Each value gives a few patterns (its characters, and its base64 at the three
byte alignments), and each pattern is found by an *anchor*: a run of
``2k - 1`` characters no encoding changes (letters, digits, ``-._``), ``k``
a power of two up to 8. Cut a text into chunks of ``k`` characters: any
occurrence of the pattern contains, whole, one of the anchor's ``k`` pieces of
length ``k`` as a chunk. So registering a value adds at most ``4 x 8`` pieces
to a dictionary, and masking a line reads its chunks as integers (a
``memoryview`` of its UTF-8 bytes, in C) and checks them against that
dictionary's keys; only a line that has a piece is searched for the patterns
it names, each with its own regular expression (compiled when first needed).
A value without such a run (rare: credentials are letters and digits with a
few ``+/=``) is searched for on its own.
"""

from __future__ import annotations

import base64
import json
import re
import string
import sys
import threading
from collections.abc import Iterable
from typing import Literal
from urllib.parse import quote, quote_plus

__all__ = ["Registry", "active", "forms", "known", "mask", "remember"]

_MIN_LENGTH = 4
_MIN_CORE = 8
"""The shortest base64 core kept for a value inside a larger document (shorter ones are words)."""
_TIERS = (8, 4, 2, 1)
_FORMATS: dict[int, Literal["Q", "I", "H", "B"]] = {8: "Q", 4: "I", 2: "H", 1: "B"}  # k bytes
_ORDER = sys.byteorder
_PLAIN = frozenset(string.ascii_letters + string.digits + "-._")
"""Characters no URL, JSON or base64 encoding changes: anchors are made of them."""
_B64_PLAIN = frozenset(string.ascii_letters + string.digits)
_JSON_SHORT = {"\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t", '"': '"', "\\": "\\"}


_TWICE = "(?:25){0,2}"  # percent-encoded once, twice or three times: %2B, %252B, %25252B
_TWICE_REVERSED = "(?:52){0,2}"
Option = list[str]
"""One form of a character, as regex atoms (each matches one character, or is _TWICE)."""


def _hex(text: str) -> list[str]:
    """``text`` (hex digits) as atoms matching it in either case."""
    return [f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in text]


def _percent(data: bytes) -> Option:
    """``data`` percent-encoded, each byte once or more (``%2B``, ``%252B``)."""
    atoms: Option = []
    for byte in data:
        atoms += ["%", _TWICE, *_hex(f"{byte:02X}")]
    return atoms


def _char_options(char: str) -> list[Option]:
    """The forms one character of a value travels in."""
    if char in _PLAIN:
        return [[char]]
    data = char.encode("utf-8", "surrogatepass")  # a lone surrogate must not stop masking
    options = [_percent(data)]  # the literal last: the longest form wins where both fit
    if char == " ":
        options.append([r"\+"])
    if char in _JSON_SHORT:
        options.append([r"\\", re.escape(_JSON_SHORT[char])])
    elif char == "/":
        options.append([r"\\", "/"])
    # Any character may be written \uXXXX: Python's json does so for control and
    # non-ASCII ones, Gson for = & ' < >, Go for & < >; astral ones as a surrogate pair.
    code = ord(char)
    units = [code] if code <= 0xFFFF else [0xD800 + ((code - 0x10000) >> 10)]
    if code > 0xFFFF:
        units.append(0xDC00 + ((code - 0x10000) & 0x3FF))
    options.append([atom for u in units for atom in (r"\\", "u", *_hex(f"{u:04x}"))])
    options.append([re.escape(char)])
    return options


def _b64_options(char: str) -> list[Option]:
    """The forms of one base64 character: either alphabet, percent- or JSON-escaped."""
    if char in _B64_PLAIN:
        return [[char]]
    options = [_percent(char.encode())]
    if char == "/":
        options.append([r"\\", "/"])
    options.append([re.escape(char)])
    if char != "=":
        options.append([{"+": "-", "/": "_"}[char]])
    return options


def _join(options: list[Option], reverse: bool) -> str:
    """One character's regex (its atoms reversed, for matching a reversed text)."""
    forms = [
        "".join(_TWICE_REVERSED if atom == _TWICE else atom for atom in reversed(atoms))
        if reverse
        else "".join(atoms)
        for atoms in options
    ]
    return forms[0] if len(forms) == 1 else "(?:" + "|".join(forms) + ")"


_RUNS = re.compile("[A-Za-z0-9._-]+")
_B64_RUNS = re.compile("[A-Za-z0-9]+")


def _runs(text: str, b64: bool) -> list[tuple[int, int]]:
    """The runs of characters no encoding changes in ``text``, as (start, end)."""
    return [m.span() for m in (_B64_RUNS if b64 else _RUNS).finditer(text)]


class _Pattern:
    """One form family of a secret: its text (``core``), an optional ``tail``, and its anchor.

    The anchor is a run of plain characters near the end (where tokens differ:
    they share their first characters). What comes after it is matched
    forward; what comes before it, backward (a reversed regex on the reversed
    text), so a check costs the pattern's length, never a search.
    """

    __slots__ = ("_head", "_rest", "_whole", "b64", "core", "run", "start", "tail")

    def __init__(self, core: str, tail: str = "", *, b64: bool = False) -> None:
        self.core = core
        self.tail = tail
        self.b64 = b64
        self.start = 0
        self.run = ""
        self._head: re.Pattern[str] | None = None
        self._rest: re.Pattern[str] | None = None
        self._whole: re.Pattern[str] | None = None

    def anchor(self) -> int:
        """Choose the anchor (the end of the last run long enough); return its ``k`` (0: none)."""
        runs = _runs(self.core, self.b64)
        longest = max((end - start for start, end in runs), default=0)
        for k in _TIERS:
            size = 2 * k - 1
            if longest >= size:
                end = [e for s, e in runs if e - s >= size][-1]
                self.start = end - size
                self.run = self.core[self.start : end]
                return k
        return 0

    def _regex(self, text: str, *, reverse: bool = False) -> str:
        encode = _b64_options if self.b64 else _char_options
        chars = reversed(text) if reverse else text
        return "".join(_join(encode(char), reverse) for char in chars)

    def _tail_regex(self) -> str:
        if not self.tail:
            return ""
        body = self.tail.rstrip("=")
        padding = self.tail[len(body) :]
        tail = self._regex(body)
        if padding:
            tail += "(?:" + self._regex(padding) + ")?"
        return "(?:" + tail + ")?" if len(self.core) >= _MIN_CORE else tail

    def _compile(self) -> None:
        self._head = re.compile(self._regex(self.core[: self.start], reverse=True))
        rest = self._regex(self.core[self.start + len(self.run) :]) + self._tail_regex()
        self._rest = re.compile(rest)

    def at(self, text: str, backward: str, run_at: int) -> tuple[int, int] | None:
        """The span of this pattern in ``text`` (``backward`` is it reversed) whose anchor
        starts at ``run_at``, if any."""
        if run_at < 0 or not text.startswith(self.run, run_at):
            return None
        if self._rest is None:
            self._compile()
        assert self._head is not None
        assert self._rest is not None
        before = self._head.match(backward, len(text) - run_at)
        after = self._rest.match(text, run_at + len(self.run))
        if before is None or after is None:
            return None
        return len(text) - before.end(), after.end()

    def everywhere(self, text: str) -> list[tuple[int, int]]:
        """Every span of this pattern in ``text`` (for a pattern without an anchor)."""
        if self._whole is None:
            self._whole = re.compile(self._regex(self.core) + self._tail_regex())
        return [m.span() for m in self._whole.finditer(text)]  # a value never matches empty


def _patterns(value: str) -> list[_Pattern]:
    """The value's own characters, and its base64 at each byte alignment in a document."""
    found = [_Pattern(value)]
    data = value.encode("utf-8", "surrogatepass")
    for align in range(3):
        encoded = base64.b64encode(b"\0" * align + data).decode("ascii")
        first = (8 * align + 5) // 6  # the first character made of the value's bits only
        end = (8 * (align + len(data))) // 6  # past the last one
        core, tail = encoded[first:end], encoded[end:]
        if align == 0 or len(core) >= _MIN_CORE:  # its whole base64, or a core inside another
            found.append(_Pattern(core, tail, b64=True))
    return found


class Registry:
    """A set of secret values and a masker for them whose costs do not grow with their number.

    Example:
        >>> secrets = Registry()
        >>> secrets.add("STS.NTk+ab/Cd=x")
        >>> secrets.mask("token=STS.NTk%2Bab%2FCd%3Dx&a=1")
        'token=***&a=1'
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, None] = {}  # insertion-ordered set of the raw values
        self._snapshot: tuple[str, ...] | None = ()
        # (k, {a k-character piece of an anchor, as the integer of its bytes:
        #      ((pattern, the piece's offset in its anchor), ...)}), largest k first
        self._tiers: tuple[tuple[int, dict[int, tuple[tuple[_Pattern, int], ...]]], ...] = ()

        self._loose: tuple[_Pattern, ...] = ()  # patterns without an anchor

    def __contains__(self, value: object) -> bool:
        return value in self._values

    def __bool__(self) -> bool:
        return bool(self._values)

    def add(self, *values: str | None) -> None:
        """Register values (empty and very short ones are ignored), for good."""
        fresh = [v for v in values if v and len(v) >= _MIN_LENGTH and v not in self._values]
        if not fresh:
            return
        with self._lock:
            for value in fresh:
                if value in self._values:
                    continue
                for pattern in _patterns(value):
                    self._index(pattern)
                self._values[value] = None
            self._snapshot = None

    def _index(self, pattern: _Pattern) -> None:
        k = pattern.anchor()
        if not k:
            self._loose = (*self._loose, pattern)
            return
        tiers = dict(self._tiers)
        if k not in tiers:
            tiers[k] = {}
            self._tiers = tuple((size, tiers[size]) for size in _TIERS if size in tiers)
        index = tiers[k]
        for offset in range(k):
            key = int.from_bytes(pattern.run[offset : offset + k].encode("ascii"), _ORDER)
            index[key] = (*index.get(key, ()), (pattern, offset))  # one atomic store

    def _spans(self, text: str, view: memoryview | None) -> list[tuple[int, int]]:
        """Where the anchored patterns occur in ``text``, by its chunks of ``k`` characters.

        ``view`` is the text's bytes when it is ASCII (a byte is then a character).
        """
        spans: list[tuple[int, int]] = []
        backward = text[::-1]
        for k, index in self._tiers:
            if view is not None:
                chunks: Iterable[tuple[int, int]] = enumerate(view.cast(_FORMATS[k]))
            else:
                chunks = (
                    (at // k, int.from_bytes(text[at : at + k].encode("ascii"), _ORDER))
                    for at in range(0, len(text) - k + 1, k)
                    if text[at : at + k].isascii()  # anchors are ASCII
                )
            for number, key in chunks:
                entries = index.get(key)
                if entries is not None:
                    at = number * k
                    for pattern, offset in entries:
                        span = pattern.at(text, backward, at - offset)
                        if span is not None:
                            spans.append(span)
        return spans

    def values(self) -> tuple[str, ...]:
        """The values registered so far, oldest first."""
        snapshot = self._snapshot
        if snapshot is None:
            with self._lock:
                snapshot = self._snapshot = tuple(self._values)
        return snapshot

    def mask(self, text: str, replacement: str = "***") -> str:
        """Return ``text`` with every registered value replaced, in each of its forms."""
        tiers, loose = self._tiers, self._loose
        if not tiers and not loose:
            return text
        spans: list[tuple[int, int]] = []
        if tiers:
            # The chunks, k bytes each, are read as integers by the memoryview (in C): the
            # usual line, which holds no secret, costs an encode and a set check per tier.
            data = text.encode("utf-8", "surrogatepass")
            view = memoryview(data + b"\0" * (-len(data) % 8))
            for k, index in tiers:
                if not index.keys().isdisjoint(view.cast(_FORMATS[k])):
                    spans = self._spans(text, view if len(data) == len(text) else None)
                    break
        for pattern in loose:
            spans += pattern.everywhere(text)
        if not spans:
            return text
        spans.sort()
        out: list[str] = []
        done = 0
        begin, end = spans[0]
        for start, stop in spans[1:]:
            if start < end:  # overlapping forms: mask them as one
                end = max(end, stop)
                continue
            out += (text[done:begin], replacement)
            done, begin, end = end, start, stop
        out += (text[done:begin], replacement, text[end:])
        return "".join(out)


_registry = Registry()


def forms(value: str) -> set[str]:
    """Common forms ``value`` may take in a URL, a JSON document or a base64 blob.

    A sample for checks that search text for literal strings (the masker
    itself finds every mix of encodings, not only these).
    """
    found = {value}
    raw = value.encode("utf-8", "surrogatepass")
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
    _registry.add(*values)


def active() -> bool:
    """Whether any secret is registered (a cheap check before building a message)."""
    return bool(_registry)


def known() -> tuple[str, ...]:
    """The secret values registered so far (a snapshot, raw forms only)."""
    return _registry.values()


def mask(text: str, replacement: str = "***") -> str:
    """Return ``text`` with every registered secret replaced, in each of its forms."""
    return _registry.mask(text, replacement)
