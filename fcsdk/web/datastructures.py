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

import contextlib
import io
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import TYPE_CHECKING, Any, TypeVar, overload
from urllib.parse import parse_qsl, unquote

from fcsdk._platform.rules import parse_content_length
from fcsdk.exceptions import BadRequest, ResultEncodeError

__all__ = [
    "LIST_HEADERS",
    "FormData",
    "Headers",
    "MutableHeaders",
    "QueryParams",
    "UploadFile",
    "check_header",
    "check_percent_escapes",
    "parse_content_length",
    "parse_cookie_header",
    "split_list_header",
]

if TYPE_CHECKING:
    from typing_extensions import Self

_T = TypeVar("_T")
_V = TypeVar("_V")
_new = object.__new__

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


_VALID_NAMES: set[str] = set()
"""Response header names :func:`check_header` accepted (bounded): most responses repeat a few."""


def check_header(name: str, value: str) -> None:
    """Refuse a response header that could split the response (CR, LF or NUL in it).

    Raises:
        ResultEncodeError: the name or value holds a control character.
    """
    if (  # a name accepted before, and a value without CR, LF or NUL (isprintable)
        type(name) is str and type(value) is str and name in _VALID_NAMES and value.isprintable()
    ):
        return
    for part in (name, value):
        if "\r" in part or "\n" in part or "\0" in part:
            raise ResultEncodeError(
                f"refusing response header {name!r}: CR, LF and NUL are not allowed in "
                "header names or values (response splitting)"
            )
    if not name or " " in name or ":" in name:
        raise ResultEncodeError(f"refusing response header {name!r}: not a valid header name")
    if type(name) is str and len(_VALID_NAMES) < 1024:
        _VALID_NAMES.add(name)


class _MultiMapping(Mapping[str, _V]):
    """An immutable, ordered, multi-valued :class:`~collections.abc.Mapping` (private base).

    Iteration, ``keys()`` and ``len`` are over the distinct names (first
    spelling, first appearance); ``m[name]`` and :meth:`get` give the first
    value; :meth:`getall` every value; ``items()`` and :meth:`multi_items`
    every pair.
    Subclasses choose how names compare (:meth:`_fold`).
    """

    __slots__ = ("_items",)
    _items: list[tuple[str, _V]]

    @staticmethod
    def _fold(name: str) -> str:
        """The form in which names compare (exact by default)."""
        return name

    def _values(self, name: str) -> list[_V]:
        folded = self._fold(name)
        fold = self._fold
        return [value for key, value in self._items if fold(key) == folded]

    def getall(self, name: str) -> list[_V]:
        """Return every value of ``name`` (an empty list when absent)."""
        return self._values(name)

    def multi_items(self) -> list[tuple[str, _V]]:
        """Return every ``(name, value)`` pair, repeats included, in order."""
        return list(self._items)

    # keys() and items() are lists, as they were before these classes were Mappings (and as
    # starlette's Headers.items()): a list compares, indexes and JSON-encodes as users expect.
    def keys(self) -> list[str]:  # type: ignore[override]
        """The distinct names in order of first appearance, as first spelled."""
        return list(self)

    def items(self) -> list[tuple[str, _V]]:  # type: ignore[override]
        """Every ``(name, value)`` pair, repeats included, in order (as :meth:`multi_items`)."""
        return self.multi_items()

    def __getitem__(self, name: str) -> _V:
        values = self._values(name)
        if not values:
            raise KeyError(name)
        return values[0]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        folded = self._fold(name)
        fold = self._fold
        return any(fold(key) == folded for key, _ in self._items)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        fold = self._fold
        for key, _ in self._items:
            folded = fold(key)
            if folded not in seen:
                seen.add(folded)
                yield key

    def __len__(self) -> int:
        fold = self._fold
        return len({fold(key) for key, _ in self._items})

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, _MultiMapping)
        return self.multi_items() == other.multi_items()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.multi_items()!r})"


class Headers(_MultiMapping[str]):
    """Case-insensitive, multi-valued HTTP headers that keep their order and spelling; read-only.

    Build from a mapping or from ``(name, value)`` pairs. Reading is by any
    case. A request's headers are a ``Headers``; a response's are
    :class:`MutableHeaders`.
    """

    __slots__ = ("_lowered",)
    _lowered: tuple[str, ...] | None

    def __init__(
        self, headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None
    ) -> None:
        items: list[tuple[str, str]]
        if headers is None:
            items = []
        elif isinstance(headers, _MultiMapping):
            items = list(headers.multi_items())
        elif isinstance(headers, Mapping):
            items = [(str(k), str(v)) for k, v in headers.items()]
        else:
            items = [(str(k), str(v)) for k, v in headers]
        self._items = items
        self._lowered = None

    @staticmethod
    def _fold(name: str) -> str:
        return name.lower()

    @classmethod
    def _trusted(cls, items: list[tuple[str, str]], lowered: tuple[str, ...] | None = None) -> Self:
        """Wrap a list the caller built and no longer touches (no copying).

        ``lowered`` is the names in lower case, when the caller knows them already.
        """
        obj = cls.__new__(cls)
        obj._items = items
        obj._lowered = lowered
        return obj

    def _field_count(self) -> int:
        """How many header fields there are (repeats counted)."""
        return len(self._items)

    def _names(self) -> tuple[str, ...]:
        """The names in lower case, in order: computed once, as the items never change."""
        lowered = self._lowered
        if lowered is None:
            lowered = self._lowered = tuple([key.lower() for key, _ in self._items])
        return lowered

    # The three lookups below are _MultiMapping's over the lower-case names (searched in C):
    # the hot path. MutableHeaders, whose items change, scans instead.
    def _values(self, name: str) -> list[str]:
        lowered = name.lower()
        names = self._lowered or self._names()
        count = names.count(lowered)
        if count == 1:
            return [self._items[names.index(lowered)][1]]
        if not count:
            return []
        return [value for (_, value), key in zip(self._items, names, strict=True) if key == lowered]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return name.lower() in (self._lowered or self._names())

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: _T) -> str | _T: ...
    def get(self, name: str, default: object = None) -> object:
        """Return the first value of ``name`` (as it arrived: comma-joined repeats), else ``default``."""  # noqa: E501
        lowered = name.lower()
        names = self._lowered or self._names()
        if lowered in names:
            return self._items[names.index(lowered)][1]
        return default

    def getall(self, name: str) -> list[str]:
        """Return every value of ``name``; list-valued headers are split at commas.

        Example:
            >>> Headers([("Cookie", "a=1, b=2"), ("Vary", "Accept,Origin")]).getall("cookie")
            ['a=1, b=2']
        """
        values = self._values(name)
        if name.lower() not in LIST_HEADERS:
            return values
        return [item for value in values for item in split_list_header(value)]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return sorted((k.lower(), v) for k, v in self._items) == sorted(
            (k.lower(), v) for k, v in other._items
        )

    __hash__ = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"


_ITEMS_SLOT = _MultiMapping.__dict__["_items"]
"""The ``_items`` slot of :class:`_MultiMapping` (a member descriptor)."""


def _get_pairs(self: _DictHeaders | _DictQuery) -> list[tuple[str, str]]:
    try:
        items: list[tuple[str, str]] = _ITEMS_SLOT.__get__(self, type(self))
    except AttributeError:
        items = list(self._dict.items())
        _ITEMS_SLOT.__set__(self, items)
    return items


def _set_pairs(self: _DictHeaders | _DictQuery, items: list[tuple[str, str]]) -> None:
    _ITEMS_SLOT.__set__(self, items)


_PAIRS_OF_DICT = property(_get_pairs, _set_pairs)
"""``_items`` of a mapping over a dict: the pairs, made on first use into the slot of
:class:`_MultiMapping` (a property, not a ``__getattr__``: that would slow every other
attribute read of these objects)."""


class _DictHeaders(Headers):
    """Request headers read in place from an event's ``{name: value}`` object (private).

    The lookups go through the names; the list of pairs the other methods use is made
    on first need, so a handler that only looks headers up never copies them.
    """

    __slots__ = ("_dict", "_spelled")
    _dict: dict[str, str]
    _spelled: tuple[str, ...]
    _lowered: tuple[str, ...]

    @classmethod
    def _over(
        cls, headers: dict[str, str], names: tuple[str, ...], lowered: tuple[str, ...]
    ) -> Self:
        """Headers over ``headers`` (never changed afterwards), its names in order and lowered."""
        obj = _new(cls)
        obj._dict = headers
        obj._spelled = names
        obj._lowered = lowered
        return obj

    _items = _PAIRS_OF_DICT

    def _field_count(self) -> int:
        return len(self._dict)

    def _values(self, name: str) -> list[str]:
        lowered = name.lower()
        names = self._lowered
        count = names.count(lowered)
        if count == 1:
            return [self._dict[self._spelled[names.index(lowered)]]]
        if not count:
            return []
        values = self._dict
        return [values[n] for n, key in zip(self._spelled, names, strict=True) if key == lowered]

    def get(self, name: str, default: Any = None) -> Any:  # typed as Headers.get
        """:meth:`Headers.get`, read in the event's object."""
        lowered = name.lower()
        names = self._lowered
        if lowered in names:
            return self._dict[self._spelled[names.index(lowered)]]
        return default

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"  # the public class: this one is a detail


class MutableHeaders(Headers, MutableMapping[str, str]):
    """A response's headers: :class:`Headers` that can be changed; values are checked for CR/LF.

    :meth:`add` appends another occurrence (``Set-Cookie``); item assignment
    replaces every occurrence; ``del`` removes every occurrence.

    Example:
        >>> h = MutableHeaders({"Content-Type": "text/plain"})
        >>> h.add("Set-Cookie", "a=1"); h.add("Set-Cookie", "b=2"); h["content-type"] = "text/html"
        >>> h.multi_items()
        [('Set-Cookie', 'a=1'), ('Set-Cookie', 'b=2'), ('content-type', 'text/html')]
    """

    __slots__ = ()

    # Headers' lookups with the folding inlined, scanning: these items change.
    def _values(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self._items if key.lower() == lowered]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        lowered = name.lower()
        return any(key.lower() == lowered for key, _ in self._items)

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

    def add(self, name: str, value: str) -> None:
        """Append another occurrence of ``name`` (several ``Set-Cookie``, say)."""
        check_header(name, value)
        self._items.append((name, value))

    def __setitem__(self, name: str, value: str) -> None:
        check_header(name, value)
        lowered = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != lowered]
        self._items.append((name, value))

    def setdefault(self, name: str, value: str = "") -> str:
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

    @overload  # type: ignore[override]
    def pop(self, name: str) -> str | None: ...
    @overload
    def pop(self, name: str, default: str | _T) -> str | _T: ...
    def pop(self, name: str, default: object = None) -> object:
        """Remove every occurrence of ``name``; return its first value, else ``default``."""
        value = self.get(name)
        if value is None:
            return default
        del self[name]
        return value


class QueryParams(_MultiMapping[str]):
    """The query string's parameters, multi-valued, in order, read-only (see the module docs).

    Example:
        >>> q = QueryParams([("q", "fc, python"), ("page", "2")])
        >>> q.get("q"), q.get_int("page"), "x" in q
        ('fc, python', 2, False)
    """

    __slots__ = ("_joined",)

    def __init__(self, items: Iterable[tuple[str, str]] = (), *, joined: bool = False) -> None:
        self._items = list(items)
        self._joined = joined

    @classmethod
    def from_string(cls, query: str) -> QueryParams:
        """Parse a ``QUERY_STRING`` (``%``-escapes UTF-8, ``+`` is a space).

        Raises:
            BadRequest: bad percent-encoding or bytes that are not UTF-8.
        """
        pairs: list[tuple[str, str]] = []
        if not query:
            pass
        elif "%" not in query and "+" not in query:
            # Nothing to decode: parse_qsl's own split, without its per-pair unquoting.
            for chunk in query.split("&"):
                if chunk:
                    name, _, value = chunk.partition("=")
                    pairs.append((name, value))
        else:
            check_percent_escapes(query, "query string")
            try:
                pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
            except UnicodeDecodeError as exc:
                message = "the query string is not valid UTF-8 after percent-decoding"
                raise BadRequest(message) from exc
        self = cls.__new__(cls)
        self._items = pairs
        self._joined = False
        return self

    @classmethod
    def from_event(cls, parameters: Mapping[str, str]) -> QueryParams:
        """Wrap (a copy of) an event's ``queryParameters`` (repeats already joined with commas)."""
        return cls._over(dict(parameters))

    @staticmethod
    def _over(parameters: dict[str, str]) -> QueryParams:
        """The parameters of an event's ``queryParameters``, read in place (never changed)."""
        self = _new(_DictQuery)
        self._dict = parameters
        self._joined = True
        return self

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: _T) -> str | _T: ...
    def get(self, name: str, default: object = None) -> object:
        """Return every occurrence of ``name`` joined with commas, else ``default``."""
        values = [value for key, value in self._items if key == name]
        if not values:
            return default
        return values[0] if len(values) == 1 else ",".join(values)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

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
        values = self._values(name)
        if self._joined:
            return [part for value in values for part in value.split(",")]
        return values

    def multi_items(self) -> list[tuple[str, str]]:
        """Return every ``(name, value)`` pair with repeats as separate pairs."""
        if self._joined:
            return [(key, part) for key, value in self._items for part in value.split(",")]
        return list(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, QueryParams):
            return NotImplemented
        return self.multi_items() == other.multi_items()

    __hash__ = None


_HEX = frozenset("0123456789abcdefABCDEF")


class _DictQuery(QueryParams):
    """An event's query parameters, read in place from its ``{name: value}`` object (private):
    one value per name, repeats already joined with commas."""

    __slots__ = ("_dict",)
    _dict: dict[str, str]

    _items = _PAIRS_OF_DICT

    def get(self, name: str, default: Any = None) -> Any:  # typed as QueryParams.get
        """:meth:`QueryParams.get`, read in the event's object."""
        return self._dict.get(name, default)

    def __repr__(self) -> str:
        return f"QueryParams({self.multi_items()!r})"  # the public class: this one is a detail


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
    occurrence of a name wins. Percent-escapes are decoded (when they decode
    to UTF-8), so a value that :meth:`~fcsdk.Response.set_cookie` percent-encoded
    reads back as it was set.

    Example:
        >>> parse_cookie_header('sid=abc; theme="dark"; junk; sid=other; q=a%20b%3Bc')
        {'sid': 'abc', 'theme': 'dark', 'q': 'a b;c'}
    """
    cookies: dict[str, str] = {}
    if '"' not in value and "%" not in value:  # nothing to unquote or decode
        for chunk in value.split(";"):
            name, sep, raw = chunk.partition("=")
            if sep:
                name = name.strip()
                if name and name not in cookies:
                    cookies[name] = raw.strip()
        return cookies
    for chunk in value.split(";"):
        name, sep, raw = chunk.partition("=")
        name = name.strip()
        if not sep or not name:
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1]
        if "%" in raw:
            with contextlib.suppress(UnicodeDecodeError):  # not set_cookie's: kept as it came
                raw = unquote(raw, errors="strict")
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


class FormData(_MultiMapping["str | UploadFile"]):
    """A parsed form, read-only: text fields as ``str``, file parts as :class:`UploadFile`.

    Example:
        >>> form = FormData([("name", "Ada"), ("tag", "a"), ("tag", "b")])
        >>> form["name"], form.getall("tag")
        ('Ada', ['a', 'b'])
    """

    __slots__ = ()

    def __init__(self, items: Iterable[tuple[str, str | UploadFile]] = ()) -> None:
        self._items = list(items)

    def files(self) -> dict[str, UploadFile]:
        """Return the file parts by field name (the first of each name)."""
        found: dict[str, UploadFile] = {}
        for key, value in self._items:
            if isinstance(value, UploadFile):
                found.setdefault(key, value)
        return found
