"""Multi-valued, case-insensitive containers for HTTP: headers, query, cookies, forms.

The platforms join repeated values with commas: FC 2.0 in the WSGI environ's
``HTTP_*`` keys, FC 3.0 in the event's ``headers`` and ``queryParameters``.
These containers keep what arrived and give the separate values back where
that is safe:

* :meth:`Headers.get` returns a header's value as it arrived (comma-joined
  when the client sent it several times); :meth:`Headers.getall` splits it at
  commas only for headers whose grammar is a comma-separated list
  (``Accept``, ``Cache-Control``, ``If-None-Match``, ``X-Forwarded-For``...,
  see :data:`LIST_HEADERS`), and never inside a quoted string. ``Cookie``,
  ``Set-Cookie``, dates (``Expires``, ``If-Modified-Since``), ``User-Agent``,
  ``Authorization`` and unknown headers are never split.
* :meth:`QueryParams.get` returns every occurrence of a parameter joined with
  commas, exactly what FC 3.0 delivers, so it gives the same string in every
  place; :meth:`QueryParams.getall` gives the separate values. From the WSGI
  environ they are exact; from an event, whose platform joined repeats with
  commas, a value is split at its commas (a literal comma in a value cannot be
  told apart from a repeat there).

Example:
    >>> h = Headers([("Accept", "text/html, application/json"), ("X-Id", "7")])
    >>> h["accept"], h.getall("Accept"), h.get("missing")
    ('text/html, application/json', ['text/html', 'application/json'], None)
    >>> q = QueryParams.from_string("tag=a&tag=b&page=2")
    >>> q.get("tag"), q.getall("tag"), q["page"]
    ('a,b', ['a', 'b'], '2')
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar, overload
from urllib.parse import parse_qsl

from fcsdk._platform.rules import parse_content_length
from fcsdk.exceptions import BadRequest, ResultEncodeError

__all__ = [
    "LIST_HEADERS",
    "FormData",
    "Headers",
    "QueryParams",
    "UploadFile",
    "parse_content_length",
    "parse_cookie_header",
    "split_list_header",
]

_T = TypeVar("_T")

LIST_HEADERS: frozenset[str] = frozenset(
    {
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "accept-patch",
        "accept-ranges",
        "access-control-allow-headers",
        "access-control-allow-methods",
        "access-control-expose-headers",
        "access-control-request-headers",
        "allow",
        "cache-control",
        "connection",
        "content-encoding",
        "content-language",
        "expect",
        "forwarded",
        "if-match",
        "if-none-match",
        "pragma",
        "prefer",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "vary",
        "via",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
    }
)
"""Lower-case names of the headers whose values are comma-separated lists (RFC 9110)."""


def split_list_header(value: str) -> list[str]:
    """Split a list-valued header at commas outside double quotes, trimming each item.

    Example:
        >>> split_list_header('W/"a,b", "c" ,  d')
        ['W/"a,b"', '"c"', 'd']
    """
    if '"' not in value:
        return [item.strip() for item in value.split(",") if item.strip()]
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item]


def check_header(name: str, value: str) -> None:
    """Refuse a response header that could split the response (CR, LF or NUL in it).

    Raises:
        ResultEncodeError: the name or value holds a control character.
    """
    for part in (name, value):
        if "\r" in part or "\n" in part or "\0" in part:
            raise ResultEncodeError(
                f"refusing response header {name!r}: CR, LF and NUL are not allowed in "
                "header names or values (response splitting)"
            )
    if not name or " " in name or ":" in name:
        raise ResultEncodeError(f"refusing response header {name!r}: not a valid header name")


class Headers:
    """Case-insensitive, multi-valued HTTP headers that keep their order and spelling.

    Build from a mapping or from ``(name, value)`` pairs. Reading is by any
    case; :meth:`add` appends another occurrence (``Set-Cookie``), item
    assignment replaces every occurrence. Values set on response headers are
    checked for CR/LF.
    """

    __slots__ = ("_items",)
    _items: list[tuple[str, str]]

    def __init__(
        self, headers: Mapping[str, str] | Iterable[tuple[str, str]] | Headers | None = None
    ) -> None:
        items: list[tuple[str, str]]
        if headers is None:
            items = []
        elif isinstance(headers, Headers):
            items = list(headers._items)
        elif isinstance(headers, Mapping):
            items = [(str(k), str(v)) for k, v in headers.items()]
        else:
            items = [(str(k), str(v)) for k, v in headers]
        self._items = items

    @classmethod
    def _trusted(cls, items: list[tuple[str, str]]) -> Headers:
        """Wrap a list the caller built and no longer touches (no copying)."""
        obj = cls.__new__(cls)
        obj._items = items
        return obj

    # -- reading ------------------------------------------------------------------------

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: _T) -> str | _T: ...
    def get(self, name: str, default: object = None) -> object:
        """Return the first value of ``name`` (as it arrived: comma-joined repeats), else ``default``."""  # noqa: E501
        lowered = name.lower()
        for key, value in self._items:
            if key.lower() == lowered:
                return value
        return default

    def getall(self, name: str) -> list[str]:
        """Return every value of ``name``; list-valued headers are split at commas.

        Example:
            >>> Headers([("Cookie", "a=1, b=2"), ("Vary", "Accept,Origin")]).getall("cookie")
            ['a=1, b=2']
        """
        lowered = name.lower()
        values = [value for key, value in self._items if key.lower() == lowered]
        if lowered not in LIST_HEADERS:
            return values
        return [item for value in values for item in split_list_header(value)]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        lowered = name.lower()
        return any(key.lower() == lowered for key, _ in self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[str]:
        """Return the distinct header names, in order of first appearance, as spelled."""
        seen: set[str] = set()
        names: list[str] = []
        for key, _ in self._items:
            if key.lower() not in seen:
                seen.add(key.lower())
                names.append(key)
        return names

    def items(self) -> list[tuple[str, str]]:
        """Return every ``(name, value)`` pair, repeats included, in order."""
        return list(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return sorted((k.lower(), v) for k, v in self._items) == sorted(
            (k.lower(), v) for k, v in other._items
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"

    # -- writing ------------------------------------------------------------------------

    def add(self, name: str, value: str) -> None:
        """Append another occurrence of ``name`` (several ``Set-Cookie``, say)."""
        check_header(name, value)
        self._items.append((name, value))

    def __setitem__(self, name: str, value: str) -> None:
        check_header(name, value)
        lowered = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lowered]
        self._items.append((name, value))

    def setdefault(self, name: str, value: str) -> str:
        """Set ``name`` to ``value`` unless present; return its (first) value."""
        current = self.get(name)
        if current is not None:
            return current
        self.add(name, value)
        return value

    def __delitem__(self, name: str) -> None:
        lowered = name.lower()
        kept = [(k, v) for k, v in self._items if k.lower() != lowered]
        if len(kept) == len(self._items):
            raise KeyError(name)
        self._items = kept

    def pop(self, name: str, default: str | None = None) -> str | None:
        """Remove every occurrence of ``name``; return its first value, else ``default``."""
        value = self.get(name)
        if value is None:
            return default
        del self[name]
        return value


class QueryParams:
    """The query string's parameters, multi-valued, in order (see the module docs).

    Example:
        >>> q = QueryParams([("q", "fc, python"), ("page", "2")])
        >>> q.get("q"), q.get_int("page"), "x" in q
        ('fc, python', 2, False)
    """

    __slots__ = ("_items", "_joined")

    def __init__(self, items: Iterable[tuple[str, str]] = (), *, joined: bool = False) -> None:
        self._items = list(items)
        self._joined = joined

    @classmethod
    def from_string(cls, query: str) -> QueryParams:
        """Parse a ``QUERY_STRING`` (``%``-escapes UTF-8, ``+`` is a space).

        Raises:
            BadRequest: bad percent-encoding or bytes that are not UTF-8.
        """
        if not query:
            return cls()
        check_percent_escapes(query, "query string")
        try:
            pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError as exc:
            raise BadRequest("the query string is not valid UTF-8 after percent-decoding") from exc
        return cls(pairs)

    @classmethod
    def from_event(cls, parameters: Mapping[str, str]) -> QueryParams:
        """Wrap an event's ``queryParameters`` (repeats already joined with commas)."""
        return cls(parameters.items(), joined=True)

    def get(self, name: str, default: str | None = None) -> str | None:
        """Return every occurrence of ``name`` joined with commas, else ``default``."""
        values = [value for key, value in self._items if key == name]
        if not values:
            return default
        return values[0] if len(values) == 1 else ",".join(values)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        """Return ``name`` as an int, else ``default``.

        Raises:
            BadRequest: the value is present but not an integer.
        """
        value = self.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise BadRequest(f"query parameter {name!r} must be an integer") from None

    def getall(self, name: str) -> list[str]:
        """Return the separate values of ``name`` (empty list when absent)."""
        values = [value for key, value in self._items if key == name]
        if self._joined:
            return [part for value in values for part in value.split(",")]
        return values

    def multi_items(self) -> list[tuple[str, str]]:
        """Return every ``(name, value)`` pair with repeats as separate pairs."""
        if self._joined:
            return [(key, part) for key, value in self._items for part in value.split(",")]
        return list(self._items)

    def keys(self) -> list[str]:
        """Return the distinct parameter names in order."""
        return list(dict.fromkeys(key for key, _ in self._items))

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QueryParams):
            return NotImplemented
        return self.multi_items() == other.multi_items()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"QueryParams({self.multi_items()!r})"


_HEX = frozenset("0123456789abcdefABCDEF")


def check_percent_escapes(text: str, what: str) -> None:
    """Raise :class:`BadRequest` when ``text`` has a ``%`` not followed by two hex digits."""
    start = text.find("%")
    while start != -1:
        escape = text[start + 1 : start + 3]
        if len(escape) != 2 or escape[0] not in _HEX or escape[1] not in _HEX:
            raise BadRequest(
                f"invalid percent-encoding in the {what} at position {start}: {text[start : start + 3]!r}"  # noqa: E501
            )
        start = text.find("%", start + 3)


def parse_cookie_header(value: str) -> dict[str, str]:
    """Parse a ``Cookie`` header leniently, as browsers send it (``a=1; b="x y"``).

    Malformed pairs are skipped; a quoted value loses its quotes; the first
    occurrence of a name wins.

    Example:
        >>> parse_cookie_header('sid=abc; theme="dark"; junk; sid=other')
        {'sid': 'abc', 'theme': 'dark'}
    """
    cookies: dict[str, str] = {}
    for chunk in value.split(";"):
        name, sep, raw = chunk.partition("=")
        name = name.strip()
        if not sep or not name:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1]
        cookies.setdefault(name, raw)
    return cookies


class UploadFile:
    """A file part of a ``multipart/form-data`` body, fully read (FC bodies are at most 6 MB).

    Attributes:
        filename: the client's file name (may be empty).
        content_type: the part's ``Content-Type`` (``application/octet-stream`` by default).
        headers: the part's own headers.
        data: the file's bytes.
    """

    __slots__ = ("content_type", "data", "filename", "headers")

    def __init__(
        self,
        data: bytes,
        *,
        filename: str = "",
        content_type: str = "application/octet-stream",
        headers: Headers | None = None,
    ) -> None:
        self.data = data
        self.filename = filename
        self.content_type = content_type
        self.headers = headers if headers is not None else Headers()

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return len(self.data)

    @property
    def file(self) -> io.BytesIO:
        """A fresh binary stream over the file's bytes."""
        return io.BytesIO(self.data)

    def read(self) -> bytes:
        """Return the file's bytes."""
        return self.data

    def __repr__(self) -> str:
        return (
            f"UploadFile(filename={self.filename!r}, content_type={self.content_type!r}, "
            f"size={self.size})"
        )


class FormData:
    """A parsed form: text fields as ``str``, file parts as :class:`UploadFile`, multi-valued.

    Example:
        >>> form = FormData([("name", "Ada"), ("tag", "a"), ("tag", "b")])
        >>> form["name"], form.getall("tag")
        ('Ada', ['a', 'b'])
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, str | UploadFile]] = ()) -> None:
        self._items = list(items)

    def get(self, name: str, default: str | UploadFile | None = None) -> str | UploadFile | None:
        """Return the first value of ``name``, else ``default``."""
        for key, value in self._items:
            if key == name:
                return value
        return default

    def getall(self, name: str) -> list[str | UploadFile]:
        """Return every value of ``name``."""
        return [value for key, value in self._items if key == name]

    def files(self) -> dict[str, UploadFile]:
        """Return the file parts by field name (the first of each name)."""
        found: dict[str, UploadFile] = {}
        for key, value in self._items:
            if isinstance(value, UploadFile):
                found.setdefault(key, value)
        return found

    def multi_items(self) -> list[tuple[str, str | UploadFile]]:
        """Return every ``(name, value)`` pair in order."""
        return list(self._items)

    def __getitem__(self, name: str) -> str | UploadFile:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(key for key, _ in self._items))

    def __len__(self) -> int:
        return len(dict.fromkeys(key for key, _ in self._items))

    def __repr__(self) -> str:
        return f"FormData({self._items!r})"
