"""Parsing request bodies that are forms: urlencoded and ``multipart/form-data``.

Both parsers work on the whole body in memory (FC caps a request at 6 MB) and
answer malformed input with :class:`~fcsdk.BadRequest` naming what was wrong:
a missing boundary, a truncated part, a missing final boundary, a part without
a ``Content-Disposition`` name, text that is not UTF-8.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fcsdk.exceptions import BadRequest, PayloadTooLarge, UnsupportedMediaType
from fcsdk.web.datastructures import FormData, Headers, UploadFile, check_percent_escapes
from fcsdk.web.limits import DEFAULT_LIMITS, Limits

__all__ = ["parse_content_type", "parse_form", "parse_multipart", "parse_urlencoded"]


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """Split a ``Content-Type`` (or ``Content-Disposition``) into its lower-cased type and params.

    Example:
        >>> parse_content_type('multipart/form-data; boundary="a b"; charset=UTF-8')
        ('multipart/form-data', {'boundary': 'a b', 'charset': 'UTF-8'})
    """
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    while rest:
        # Walk parameter by parameter so that a ';' inside quotes does not split one.
        rest = rest.lstrip(" \t;")
        name, eq, rest = rest.partition("=")
        if not eq:
            break
        rest = rest.lstrip()
        if rest.startswith('"'):
            end = 1
            chars: list[str] = []
            while end < len(rest) and rest[end] != '"':
                if rest[end] == "\\" and end + 1 < len(rest):
                    end += 1
                chars.append(rest[end])
                end += 1
            param_value = "".join(chars)
            rest = rest[end + 1 :]
        else:
            param_value, _, rest = rest.partition(";")
            param_value = param_value.strip()
        params[name.strip().lower()] = param_value
    return main.strip().lower(), params


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"{what} is not valid UTF-8 (byte {exc.start})") from exc


def parse_urlencoded(body: bytes) -> FormData:
    """Parse an ``application/x-www-form-urlencoded`` body.

    Raises:
        BadRequest: bad percent-encoding or non-UTF-8 text.
    """
    text = _text(body, "the form body")
    check_percent_escapes(text, "form body")
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise BadRequest("a form field is not valid UTF-8 after percent-decoding") from exc
    return FormData(pairs)


def parse_multipart(body: bytes, boundary: str, *, limits: Limits = DEFAULT_LIMITS) -> FormData:
    """Parse a ``multipart/form-data`` body (RFC 7578) delimited by ``boundary``.

    A part with a ``filename`` becomes an :class:`UploadFile`; any other part a
    ``str`` (UTF-8).

    Raises:
        BadRequest: the body is not well-formed multipart.
    """
    if not boundary or len(boundary) > 200 or not boundary.isascii():
        # RFC 2046: a boundary is 1-70 ASCII characters (200 tolerated).
        raise BadRequest("multipart/form-data without a valid boundary parameter")
    delimiter = b"--" + boundary.encode("latin-1")
    start = body.find(delimiter)
    if start == -1 or (start > 0 and body[start - 2 : start] != b"\r\n"):
        raise BadRequest("malformed multipart body: the boundary never appears")
    items: list[tuple[str, str | UploadFile]] = []
    position = start + len(delimiter)
    separator = b"\r\n" + delimiter
    while True:
        if body.startswith(b"--", position):
            return FormData(items)
        if not body.startswith(b"\r\n", position):
            raise BadRequest("malformed multipart body: a boundary is not followed by CRLF")
        position += 2
        end = body.find(separator, position)
        if end == -1:
            raise BadRequest("malformed multipart body: a part is truncated (no closing boundary)")
        if len(items) >= limits.max_form_parts:
            raise PayloadTooLarge(
                f"the form has more than {limits.max_form_parts} parts; "
                f"at most {limits.max_form_parts} are accepted"
            )
        if limits.max_part_size is not None and end - position > limits.max_part_size:
            raise PayloadTooLarge(f"a form part is larger than {limits.max_part_size} bytes")
        items.append(_parse_part(body[position:end]))
        position = end + len(separator)
        if position >= len(body):
            raise BadRequest("malformed multipart body: the final boundary is missing")


def _parse_part(part: bytes) -> tuple[str, str | UploadFile]:
    head, sep, content = part.partition(b"\r\n\r\n")
    if not sep:
        if part.startswith(b"\r\n"):  # headers are empty
            head, content = b"", part[2:]
        else:
            raise BadRequest("malformed multipart body: a part has no blank line after its headers")
    header_pairs: list[tuple[str, str]] = []
    for line in _text(head, "a multipart part's headers").split("\r\n"):
        if not line:
            continue
        header_name, colon, value = line.partition(":")
        if not colon:
            raise BadRequest(f"malformed multipart body: bad part header line {line[:40]!r}")
        header_pairs.append((header_name.strip(), value.strip()))
    headers = Headers(header_pairs)
    disposition, params = parse_content_type(headers.get("content-disposition", ""))
    name = params.get("name")
    if disposition != "form-data" or name is None:
        raise BadRequest(
            "malformed multipart body: a part lacks 'Content-Disposition: form-data; name=...'"
        )
    if "filename" in params:
        return name, UploadFile(
            content,
            filename=params["filename"],
            content_type=headers.get("content-type", "application/octet-stream"),
            headers=headers,
        )
    return name, _text(content, f"form field {name!r}")


def parse_form(
    body: bytes, content_type: str | None, *, limits: Limits = DEFAULT_LIMITS
) -> FormData:
    """Parse a form body by its content type (urlencoded or multipart).

    Raises:
        BadRequest: the body is malformed.
        PayloadTooLarge: more fields or parts than ``limits.max_form_parts``, or a
            part over ``limits.max_part_size``.
        UnsupportedMediaType: the content type is not a form type.
    """
    media_type, params = parse_content_type(content_type or "")
    if media_type == "application/x-www-form-urlencoded":
        fields = body.count(b"&") + 1 if body else 0
        if fields > limits.max_form_parts:
            raise PayloadTooLarge(
                f"the form has {fields} fields; at most {limits.max_form_parts} are accepted"
            )
        return parse_urlencoded(body)
    if media_type == "multipart/form-data":
        return parse_multipart(body, params.get("boundary", ""), limits=limits)
    raise UnsupportedMediaType(
        f"expected a form body (application/x-www-form-urlencoded or multipart/form-data), "
        f"got {media_type or 'no Content-Type'}"
    )
