"""Headers, query, cookie, form and multipart parsing: any input gives a value or a ``BadRequest``.

Multipart bodies are built well-formed from random parts and then damaged
(truncated, CRLFs dropped, boundaries changed), so the parser's every branch
sees input; urlencoded bodies carry bad percent-encoding and invalid UTF-8.
Round trips pin that what a client encodes is what the parser gives back.
"""

from __future__ import annotations

import functools
import json
import re
import string
from typing import Any
from urllib.parse import quote, urlencode

from hypothesis import given
from hypothesis import strategies as st

import fcsdk as fc
from fcsdk.web.datastructures import (
    FormData,
    Headers,
    QueryParams,
    UploadFile,
    check_percent_escapes,
    parse_cookie_header,
    split_list_header,
)
from fcsdk.web.forms import parse_content_type, parse_form, parse_multipart, parse_urlencoded
from fcsdk.web.limits import check_json_depth
from tests.properties._support import (
    clean_text,
    damaged_bytes,
    deep_json,
    invalid_utf8,
    outcome,
    peak_memory,
    percent_text,
    profile,
    weird_text,
)

WELL_FORMED = re.compile(r"(?:[^%]|%[0-9A-Fa-f]{2})*", re.DOTALL)
boundary_chars = string.ascii_letters + string.digits + "'()+_,-./:=? "
boundaries = st.text(alphabet=boundary_chars, min_size=1, max_size=70).filter(
    lambda b: not b.endswith(" ")
)
field_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters='"\\\r\n', exclude_categories=["Cs"]),
    min_size=1,
    max_size=12,
)


@st.composite
def multipart_parts(draw: st.DrawFn) -> list[tuple[str, str | tuple[str, bytes, str]]]:
    """Form fields: text values and files (name, bytes, content type)."""
    parts: list[tuple[str, str | tuple[str, bytes, str]]] = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(field_names)
        if draw(st.booleans()):
            parts.append((name, draw(clean_text)))
        else:
            filename = draw(field_names)
            content_type = draw(st.sampled_from(["application/octet-stream", "image/png", ""]))
            parts.append((name, (filename, draw(st.binary(max_size=40)), content_type)))
    return parts


def encode_multipart(parts: list[tuple[str, str | tuple[str, bytes, str]]], boundary: str) -> bytes:
    """Encode ``parts`` as a browser does (RFC 7578)."""
    out = b""
    for name, value in parts:
        out += f"--{boundary}\r\n".encode()
        if isinstance(value, str):
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            out += value.encode() + b"\r\n"
        else:
            filename, data, content_type = value
            out += (
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            ).encode()
            if content_type:
                out += f"Content-Type: {content_type}\r\n".encode()
            out += b"\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def form_or_bad_request(func: Any) -> FormData | fc.FCSDKError:
    """The parsed form, or the 400/415 it answered; any other exception fails the test."""
    result = outcome(func)
    if isinstance(result, fc.FCSDKError):
        assert isinstance(result, fc.BadRequest | fc.UnsupportedMediaType), repr(result)
        assert result.status in (400, 415)
    else:
        assert isinstance(result, FormData)
    return result


class TestMultipart:
    @profile(200)
    @given(parts=multipart_parts(), boundary=boundaries)
    def test_round_trip(
        self, parts: list[tuple[str, str | tuple[str, bytes, str]]], boundary: str
    ) -> None:
        """A browser-encoded form parses back to the same fields, files and bytes."""
        form = parse_form(
            encode_multipart(parts, boundary), f'multipart/form-data; boundary="{boundary}"'
        )
        got = form.multi_items()
        assert [name for name, _ in got] == [name for name, _ in parts]
        for (_, value), (_, parsed) in zip(parts, got, strict=True):
            if isinstance(value, str):
                assert parsed == value
            else:
                assert isinstance(parsed, UploadFile)
                assert (parsed.filename, parsed.data) == value[:2]
                assert parsed.content_type == (value[2] or "application/octet-stream")

    @profile(300)
    @given(data=st.data(), parts=multipart_parts(), boundary=boundaries)
    def test_damaged_body(
        self,
        data: st.DataObject,
        parts: list[tuple[str, str | tuple[str, bytes, str]]],
        boundary: str,
    ) -> None:
        """A damaged multipart body (truncated, bytes flipped or inserted) parses or answers 400."""
        body = data.draw(damaged_bytes(encode_multipart(parts, boundary)))
        form_or_bad_request(lambda: parse_multipart(body, boundary))

    @profile(200)
    @given(
        parts=multipart_parts(),
        boundary=boundaries,
        other=st.one_of(weird_text, st.text(max_size=300), st.just("")),
    )
    def test_wrong_boundary(
        self, parts: list[tuple[str, str | tuple[str, bytes, str]]], boundary: str, other: str
    ) -> None:
        """A body parsed with another boundary (any text, empty, overlong, non-latin-1) answers 400."""  # noqa: E501
        body = encode_multipart(parts, boundary)
        form_or_bad_request(lambda: parse_multipart(body, other))

    @profile(200)
    @given(
        boundary=boundaries,
        pieces=st.lists(
            st.sampled_from(
                [
                    b"\r\n",
                    b"\r\nBOUNDARY",
                    b"\r\nBOUNDARY--",
                    b"X-Junk\r\n",
                    b"--",
                    b"\r\n\r\n",
                    b"Content-Disposition: form-data",
                    b'; name="a"',
                    b'; filename="f"',
                    b"Content-Type: x\r\n",
                    b":",
                    b"\xff",
                    b"value",
                    b"BOUNDARY",
                ]
            ),
            max_size=30,
        ),
    )
    def test_assembled_from_multipart_tokens(self, boundary: str, pieces: list[bytes]) -> None:
        """A body assembled from multipart's own tokens and the boundary parses or answers 400."""
        delimiter = b"--" + boundary.encode()
        body = delimiter + b"\r\n" + b"".join(pieces).replace(b"BOUNDARY", delimiter)
        form_or_bad_request(lambda: parse_multipart(body, boundary))

    @profile(150)
    @given(
        content_type=st.one_of(
            weird_text,
            st.text(max_size=80),
            st.sampled_from(['boundary="a\\"b"', 'boundary="a\\', 'boundary="unclosed', "a;;b=;c"]),
        ),
        body=st.binary(max_size=100),
    )
    def test_any_content_type(self, content_type: str, body: bytes) -> None:
        """Any Content-Type with any body gives a form, a 400 or a 415."""
        form_or_bad_request(lambda: parse_form(body, content_type))
        form_or_bad_request(lambda: parse_form(body, "multipart/form-data; " + content_type))


class TestUrlencoded:
    @profile(200)
    @given(pairs=st.lists(st.tuples(clean_text, clean_text), max_size=6))
    def test_round_trip(self, pairs: list[tuple[str, str]]) -> None:
        """``urlencode`` output parses back to the same pairs, in order."""
        body = urlencode(pairs).encode()
        form = parse_urlencoded(body)
        assert form.multi_items() == pairs

    @profile(200)
    @given(body=percent_text.map(str.encode) | invalid_utf8 | st.binary(max_size=60))
    def test_any_body(self, body: bytes) -> None:
        """Bad percent-encoding and invalid UTF-8 in a form body answer 400, anything else parses."""  # noqa: E501
        form_or_bad_request(lambda: parse_urlencoded(body))
        form_or_bad_request(lambda: parse_form(body, "application/x-www-form-urlencoded"))


class TestQueryAndPercent:
    @profile(200)
    @given(query=percent_text | weird_text)
    def test_query_string(self, query: str) -> None:
        """Any query string gives parameters or a 400; each value reads back without error."""
        result = outcome(lambda: QueryParams.from_string(query))
        if isinstance(result, fc.FCSDKError):
            assert isinstance(result, fc.BadRequest)
            return
        params = result
        for name in params:
            params.getall(name)
            outcome(functools.partial(params.get_int, name))

    @profile(150)
    @given(pairs=st.lists(st.tuples(clean_text, clean_text), max_size=6))
    def test_query_round_trip(self, pairs: list[tuple[str, str]]) -> None:
        """An encoded query string parses back to the same pairs."""
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
        assert QueryParams.from_string(query).multi_items() == [(k, v) for k, v in pairs if query]

    @profile(200)
    @given(text=percent_text | weird_text)
    def test_percent_check(self, text: str) -> None:
        """The percent check refuses exactly the text with a '%' not followed by two hex digits."""
        result = outcome(lambda: check_percent_escapes(text, "path"))
        well_formed = WELL_FORMED.fullmatch(text) is not None
        assert (result is None) == well_formed
        if not well_formed:
            assert isinstance(result, fc.BadRequest)


class TestHeadersAndCookies:
    @profile(200)
    @given(value=weird_text | st.text(max_size=200))
    def test_cookie_header(self, value: str) -> None:
        """Any Cookie header parses into a name -> value dict with non-empty stripped names."""
        cookies = parse_cookie_header(value)
        for name in cookies:
            assert name
            assert name == name.strip()
            assert ";" not in name

    @profile(200)
    @given(value=weird_text | st.text(alphabet='a,"\\ ', max_size=40))
    def test_list_header(self, value: str) -> None:
        """Any list header splits into non-empty trimmed items, unquoted commas gone."""
        for item in split_list_header(value):
            assert item
            assert item == item.strip()

    @profile(150)
    @given(
        items=st.lists(st.tuples(weird_text, weird_text), max_size=8),
        name=weird_text,
    )
    def test_headers_read(self, items: list[tuple[str, str]], name: str) -> None:
        """Reading any header of any header list gives a value, never an exception."""
        headers = Headers(items)
        headers.get(name)
        headers.getall(name)
        assert (name in headers) == any(k.lower() == name.lower() for k, _ in items)
        for key in headers:
            headers.getall(key)

    @profile(150)
    @given(value=weird_text | st.text(max_size=120))
    def test_content_type(self, value: str) -> None:
        """Any Content-Type splits into a lower-case media type and lower-case parameter names."""
        media, params = parse_content_type(value)
        assert media == media.lower()
        for key in params:
            assert key == key.lower()


class TestRequestBody:
    @profile(200)
    @given(
        body=st.binary(max_size=60) | invalid_utf8 | deep_json,
        content_type=st.one_of(
            st.none(),
            st.sampled_from(
                ["application/json", "text/plain; charset=latin-1", "text/plain; charset=nope"]
            ),
            st.sampled_from(
                ["utf-16", "idna", "undefined", "punycode", "rot13", "base64", "uu"]
            ).map(lambda c: f"text/plain; charset={c}"),
            weird_text,
        ),
    )
    def test_body_views(self, body: bytes, content_type: str | None) -> None:
        """text, json(), form() and model() of any body give a value or a 4xx HTTPError."""
        headers = {"Content-Type": content_type} if content_type is not None else {}
        request = fc.Request(method="POST", headers=headers, body=body)
        for view in (
            lambda: request.text,
            request.json,
            request.form,
            lambda: request.model(dict[str, int]),
            lambda: request.model(list[Any]),
        ):
            result = outcome(view)
            if isinstance(result, fc.FCSDKError):
                assert isinstance(result, fc.HTTPError), repr(result)
                assert 400 <= result.status < 500

    @profile(200)
    @given(
        value=st.recursive(
            st.text(alphabet='[]{}"\\ab', max_size=6) | st.integers(),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(alphabet='[]{}"\\k', max_size=4), inner, max_size=3)
            ),
            max_leaves=30,
        ),
        wrap=st.integers(0, 70),
        limit=st.integers(1, 80),
    )
    def test_json_depth_check_agrees_with_the_parser(
        self, value: Any, wrap: int, limit: int
    ) -> None:
        """The pre-parse depth check refuses a JSON body exactly when it nests deeper than the limit."""  # noqa: E501
        document = value
        for _ in range(wrap):
            document = [document]
        body = json.dumps(document).encode()
        result = outcome(lambda: check_json_depth(body, limit))
        assert isinstance(result, fc.BadRequest) == (_depth(document) > limit), (body, limit)

    @profile(20, deadline_ms=5000)
    @given(boundary=boundaries, count=st.integers(1, 2000))
    def test_multipart_memory(self, boundary: str, count: int) -> None:
        """Parsing a multipart body of many tiny parts allocates a bounded multiple of its size."""
        body = encode_multipart([("f", "x")] * count, boundary)
        peak = peak_memory(lambda: parse_multipart(body, boundary))
        assert peak < 2000 * len(body) + 1_000_000, (peak, len(body))


def _depth(value: Any) -> int:
    """How deep arrays and objects nest in ``value`` (a scalar is 0)."""
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0
