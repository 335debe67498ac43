"""Tests for fcsdk.web.forms: urlencoded and multipart bodies."""

from __future__ import annotations

import pytest

from fcsdk.exceptions import BadRequest, UnsupportedMediaType
from fcsdk.web.datastructures import UploadFile
from fcsdk.web.forms import parse_content_type, parse_form, parse_multipart, parse_urlencoded

BOUNDARY = "XyZ"


def multipart(*parts: bytes, end: bytes = b"--XyZ--\r\n") -> bytes:
    return b"".join(b"--XyZ\r\n" + part + b"\r\n" for part in parts) + end


class TestParseContentType:
    def test_params_quoted_and_plain(self) -> None:
        """Parameters are parsed, quoted ones unescaped, names lower-cased."""
        assert parse_content_type('Multipart/Form-Data; Boundary="a\\"b;c"; x=1') == (
            "multipart/form-data",
            {"boundary": 'a"b;c', "x": "1"},
        )

    def test_dangling_parameter_is_ignored(self) -> None:
        """A parameter without '=' ends parsing quietly."""
        assert parse_content_type("text/plain; junk") == ("text/plain", {})


class TestUrlencoded:
    def test_fields(self) -> None:
        """Fields decode percent-escapes and plus signs; repeats are kept."""
        form = parse_urlencoded(b"name=Ada+L&tag=a&tag=b&e=%C3%A9")
        assert form["name"] == "Ada L"
        assert form.getall("tag") == ["a", "b"]
        assert form["e"] == "é"

    @pytest.mark.parametrize("body", [b"a=%ff", b"a=\xff", b"a=%zz"])
    def test_bad_bytes_are_400(self, body: bytes) -> None:
        """Non-UTF-8 bytes and bad escapes in a form field are a BadRequest."""
        with pytest.raises(BadRequest):
            parse_urlencoded(body)


class TestMultipart:
    def test_fields_and_files(self) -> None:
        """Text parts become str, parts with a filename UploadFile with their type."""
        body = multipart(
            b'Content-Disposition: form-data; name="title"\r\n\r\nhello',
            b'Content-Disposition: form-data; name="doc"; filename="a.bin"\r\n'
            b"Content-Type: application/pdf\r\n\r\n\x00\x01\r\n\x02",
        )
        form = parse_multipart(b"preamble\r\n" + body, BOUNDARY)
        assert form["title"] == "hello"
        doc = form["doc"]
        assert isinstance(doc, UploadFile)
        assert doc.filename == "a.bin"
        assert doc.content_type == "application/pdf"
        assert doc.data == b"\x00\x01\r\n\x02"

    def test_file_without_type_is_octet_stream(self) -> None:
        """A file part without Content-Type defaults to application/octet-stream."""
        form = parse_multipart(
            multipart(b'Content-Disposition: form-data; name="f"; filename=""\r\n\r\nx'), BOUNDARY
        )
        upload = form["f"]
        assert isinstance(upload, UploadFile)
        assert upload.content_type == "application/octet-stream"

    def test_empty_form(self) -> None:
        """A body that is only the closing delimiter is an empty form."""
        assert len(parse_multipart(b"--XyZ--\r\n", BOUNDARY)) == 0

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (b"no boundary here", "never appears"),
            (b"junk--XyZ\r\n", "never appears"),
            (b"--XyZjunk", "not followed by CRLF"),
            (b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\ntrunc', "truncated"),
            (
                b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--XyZ',
                "final boundary is missing",
            ),
            (b"--XyZ\r\nno-blank-line\r\n--XyZ--", "no blank line"),
            (b"--XyZ\r\nBadHeader\r\n\r\nv\r\n--XyZ--", "bad part header"),
            (b"--XyZ\r\nContent-Type: text/plain\r\n\r\nv\r\n--XyZ--", "Content-Disposition"),
            (b"--XyZ\r\n\r\nv\r\n--XyZ--", "Content-Disposition"),
            (
                b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\r\n--XyZ--',
                "not valid UTF-8",
            ),
        ],
    )
    def test_malformed_bodies_are_400(self, body: bytes, message: str) -> None:
        """Every kind of malformed multipart body is a BadRequest saying what is wrong."""
        with pytest.raises(BadRequest, match=message):
            parse_multipart(body, BOUNDARY)

    @pytest.mark.parametrize("boundary", ["", "x" * 201])
    def test_missing_or_absurd_boundary_is_400(self, boundary: str) -> None:
        """No boundary (or an over-long one) is a BadRequest."""
        with pytest.raises(BadRequest, match="boundary"):
            parse_multipart(b"--x--", boundary)


class TestParseForm:
    def test_dispatches_by_content_type(self) -> None:
        """The content type picks the parser."""
        assert parse_form(b"a=1", "application/x-www-form-urlencoded; charset=utf-8")["a"] == "1"
        body = multipart(b'Content-Disposition: form-data; name="a"\r\n\r\n2')
        assert parse_form(body, f"multipart/form-data; boundary={BOUNDARY}")["a"] == "2"

    @pytest.mark.parametrize("content_type", [None, "application/json"])
    def test_other_types_are_415(self, content_type: str | None) -> None:
        """A body that is not a form is an UnsupportedMediaType."""
        with pytest.raises(UnsupportedMediaType):
            parse_form(b"{}", content_type)
