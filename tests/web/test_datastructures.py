"""Tests for fcsdk.web.datastructures: headers, query parameters, cookies, forms."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping

import pytest

from fcsdk.exceptions import BadRequest, ResultEncodeError
from fcsdk.web.datastructures import (
    FormData,
    Headers,
    MutableHeaders,
    QueryParams,
    UploadFile,
    check_header,
    check_percent_escapes,
    parse_cookie_header,
    split_list_header,
)


class TestSplitListHeader:
    def test_plain_items_are_trimmed(self) -> None:
        """Items are split at commas and trimmed; empty items dropped."""
        assert split_list_header("gzip, deflate,,br ") == ["gzip", "deflate", "br"]

    def test_commas_inside_quotes_are_kept(self) -> None:
        """A comma inside a quoted string does not split, escapes included."""
        assert split_list_header('W/"a,b", "c\\",d"') == ['W/"a,b"', '"c\\",d"']


class TestHeaders:
    def test_lookup_is_case_insensitive(self) -> None:
        """get, [] and `in` ignore case; a missing header gives the default."""
        headers = Headers({"Content-Type": "text/plain"})
        assert headers["content-type"] == "text/plain"
        assert headers.get("CONTENT-TYPE") == "text/plain"
        assert headers.get("x", "d") == "d"
        assert "Content-type" in headers
        assert 3 not in headers  # type: ignore[comparison-overlap]  # a Mapping takes any key
        with pytest.raises(KeyError):
            _ = headers["missing"]

    def test_getall_splits_only_list_headers(self) -> None:
        """List-valued headers split at commas; Cookie, dates and unknown headers never do."""
        headers = Headers(
            [
                ("Accept", "text/html,application/json"),
                ("Cookie", "a=1, b=2"),
                ("If-Modified-Since", "Sat, 29 Oct 1994 19:43:31 GMT"),
                ("X-Custom", "a,b"),
                ("Accept", "image/png"),
            ]
        )
        assert headers.getall("accept") == ["text/html", "application/json", "image/png"]
        assert headers.getall("cookie") == ["a=1, b=2"]
        assert headers.getall("if-modified-since") == ["Sat, 29 Oct 1994 19:43:31 GMT"]
        assert headers.getall("x-custom") == ["a,b"]
        assert headers.getall("nothing") == []

    def test_get_returns_the_first_occurrence(self) -> None:
        """get returns the first of repeated headers, as it arrived."""
        headers = Headers([("Set-Cookie", "a=1"), ("set-cookie", "b=2")])
        assert headers.get("set-cookie") == "a=1"
        assert headers.getall("Set-Cookie") == ["a=1", "b=2"]

    def test_keys_items_len_iter(self) -> None:
        """keys, iteration and len are the distinct names as first spelled; items keep repeats."""
        headers = Headers([("A", "1"), ("a", "2"), ("B", "3")])
        assert headers.keys() == ["A", "B"]
        assert list(headers) == ["A", "B"]
        assert headers.items() == [("A", "1"), ("a", "2"), ("B", "3")]
        assert headers.multi_items() == headers.items()
        assert len(headers) == 2
        assert dict(headers) == {"A": "1", "B": "3"}

    def test_mutation(self) -> None:
        """add appends, item assignment replaces all, del/pop remove all, setdefault keeps."""
        headers = MutableHeaders()
        headers.add("X-A", "1")
        headers.add("x-a", "2")
        headers["X-A"] = "3"
        assert headers.getall("x-a") == ["3"]
        assert headers.setdefault("x-a", "9") == "3"
        assert headers.setdefault("X-B", "4") == "4"
        assert headers.pop("x-b") == "4"
        assert headers.pop("x-b", "gone") == "gone"
        del headers["X-A"]
        assert len(headers) == 0
        with pytest.raises(KeyError):
            del headers["X-A"]

    def test_crlf_is_refused(self) -> None:
        """A CR, LF or NUL in a header name or value raises ResultEncodeError."""
        headers = MutableHeaders()
        with pytest.raises(ResultEncodeError, match="response splitting"):
            headers.add("X-A", "1\r\nSet-Cookie: evil=1")
        with pytest.raises(ResultEncodeError):
            headers["X-B\n"] = "1"
        with pytest.raises(ResultEncodeError, match="not a valid header name"):
            check_header("Bad Name", "1")
        with pytest.raises(ResultEncodeError):
            check_header("", "1")

    def test_equality_ignores_case_and_order(self) -> None:
        """Headers compare by lower-cased pairs; other types are not equal."""
        assert Headers([("A", "1"), ("b", "2")]) == Headers([("B", "2"), ("a", "1")])
        assert Headers([("A", "1")]) != Headers([("A", "2")])
        assert Headers() != {}
        assert Headers(Headers({"A": "1"})) == Headers({"a": "1"})
        assert repr(Headers({"A": "1"})) == "Headers([('A', '1')])"


class TestMappings:
    @pytest.mark.parametrize(
        "mapping",
        [
            Headers([("A", "1"), ("a", "2")]),
            QueryParams([("a", "1"), ("a", "2")]),
            FormData([("a", "1"), ("a", "2")]),
        ],
    )
    def test_request_side_are_immutable_mappings(self, mapping: Mapping[str, object]) -> None:
        """Headers, QueryParams and FormData are Mappings, read-only, len agreeing with iter."""
        assert isinstance(mapping, Mapping)
        assert not isinstance(mapping, MutableMapping)
        assert len(mapping) == len(list(mapping)) == 1
        assert "a" in mapping
        assert mapping.get("missing") is None
        with pytest.raises(TypeError):
            mapping["a"] = "3"  # type: ignore[index]
        assert not hasattr(mapping, "add")

    def test_response_headers_are_mutable(self) -> None:
        """A response's headers are MutableHeaders: a MutableMapping and still Headers."""
        import fcsdk as fc

        headers = fc.Response("x").headers
        assert isinstance(headers, MutableHeaders)
        assert isinstance(headers, MutableMapping)
        assert isinstance(headers, Headers)
        headers.update({"X-A": "1"})
        assert headers["x-a"] == "1"

    def test_request_headers_are_read_only(self) -> None:
        """A request's headers cannot be changed by the handler."""
        import fcsdk as fc

        headers = fc.Request(headers={"A": "1"}).headers
        assert type(headers) is Headers
        assert not isinstance(headers, MutableMapping)


class TestQueryParams:
    def test_from_string_keeps_repeats(self) -> None:
        """Repeated parameters give getall the separate values and get the joined one."""
        query = QueryParams.from_string("tag=a&tag=b&empty=&sp=a+b&pct=%C3%A9")
        assert query.getall("tag") == ["a", "b"]
        assert query.get("tag") == "a,b"
        assert query["empty"] == ""
        assert query["sp"] == "a b"
        assert query["pct"] == "é"
        assert query.keys() == ["tag", "empty", "sp", "pct"]
        assert list(query) == query.keys()
        assert len(query) == 4
        assert list(query) == query.keys()

    def test_event_values_are_split_at_commas(self) -> None:
        """An event's joined values split for getall and stay whole for get."""
        query = QueryParams.from_event({"tag": "a,b", "q": "x"})
        assert query.getall("tag") == ["a", "b"]
        assert query.get("tag") == "a,b"
        assert query.multi_items() == [("tag", "a"), ("tag", "b"), ("q", "x")]
        assert query == QueryParams.from_string("tag=a&tag=b&q=x")

    def test_missing_and_defaults(self) -> None:
        """Missing names give defaults, KeyError for [], an empty list for getall."""
        query = QueryParams()
        assert query.get("a") is None
        assert query.get("a", "d") == "d"
        assert query.getall("a") == []
        assert "a" not in query
        assert query.from_string("") == query
        with pytest.raises(KeyError):
            _ = query["a"]
        assert query != "a"

    def test_get_int(self) -> None:
        """get_int converts, defaults when missing, and answers 400 on a non-integer."""
        query = QueryParams.from_string("page=2&bad=x")
        assert query.get_int("page") == 2
        assert query.get_int("none", 1) == 1
        with pytest.raises(BadRequest, match="'bad' must be an integer"):
            query.get_int("bad")

    @pytest.mark.parametrize("text", ["a=%zz", "a=%4", "a=%", "%g0=1"])
    def test_bad_percent_encoding_is_400(self, text: str) -> None:
        """A % not followed by two hex digits is a BadRequest naming the position."""
        with pytest.raises(BadRequest, match="invalid percent-encoding"):
            QueryParams.from_string(text)

    def test_non_utf8_is_400(self) -> None:
        """Percent-escapes that decode to non-UTF-8 bytes are a BadRequest."""
        with pytest.raises(BadRequest, match="UTF-8"):
            QueryParams.from_string("a=%ff")

    def test_repr(self) -> None:
        """The repr lists the pairs."""
        assert repr(QueryParams([("a", "1")])) == "QueryParams([('a', '1')])"


class TestPercentEscapes:
    def test_valid_escapes_pass(self) -> None:
        """Well-formed escapes raise nothing."""
        check_percent_escapes("/a%20b%2F", "path")


class TestParseCookieHeader:
    def test_lenient_parsing(self) -> None:
        """Quoted values lose quotes, junk is skipped, the first of a name wins."""
        assert parse_cookie_header('sid=abc; theme="dark"; junk; =x; sid=other; e=') == {
            "sid": "abc",
            "theme": "dark",
            "e": "",
        }


class TestUploadFile:
    def test_accessors(self) -> None:
        """size, read(), file and repr describe the file."""
        upload = UploadFile(b"abc", filename="a.txt", content_type="text/plain")
        assert upload.size == 3
        assert upload.read() == b"abc"
        assert upload.file.read() == b"abc"
        assert "a.txt" in repr(upload)
        assert upload.headers == Headers()


class TestFormData:
    def test_multi_valued_access(self) -> None:
        """get/getall/[]/in/files/len/iter work on the pairs."""
        upload = UploadFile(b"x", filename="f")
        form = FormData([("a", "1"), ("a", "2"), ("f", upload), ("f", UploadFile(b"y"))])
        assert form["a"] == "1"
        assert form.getall("a") == ["1", "2"]
        assert form.get("zz") is None
        assert form.files() == {"f": upload}
        assert "f" in form
        assert list(form) == ["a", "f"]
        assert len(form) == 2
        assert len(form.multi_items()) == 4
        assert "FormData" in repr(form)
        with pytest.raises(KeyError):
            _ = form["zz"]


class TestFastPaths:
    """The shortcuts of the request path agree with the general code they skip."""

    @pytest.mark.parametrize(
        "query",
        ["a=1&b=2", "a=1&&b", "=x&a=", "a&a=1&a=2", "é=ü&x=1", "a=b=c", "&", "x"],
    )
    def test_query_without_escapes_parses_as_parse_qsl(self, query: str) -> None:
        """A query with no '%' or '+' gives what parse_qsl gives (blank values kept)."""
        from urllib.parse import parse_qsl

        assert QueryParams.from_string(query).multi_items() == parse_qsl(
            query, keep_blank_values=True
        )

    def test_query_with_escapes_still_checked(self) -> None:
        """Escapes and '+' still decode, and a bad escape is still a BadRequest."""
        assert QueryParams.from_string("q=a+b%21").get("q") == "a b!"
        with pytest.raises(BadRequest, match="percent-encoding"):
            QueryParams.from_string("q=%zz")

    @pytest.mark.parametrize(
        "header",
        ["sid=abc; theme=dark", " a = 1 ;b=2;; junk; =x; a=3", "k=v=w", "", "x=; y= 2 "],
    )
    def test_plain_cookie_header_parses_as_the_general_parser(self, header: str) -> None:
        """Without quotes or '%' the short parser gives what the general one gives."""
        general = parse_cookie_header(header + '; zz="1"')  # a quote takes the general path
        general.pop("zz")
        assert parse_cookie_header(header) == general
        assert list(parse_cookie_header(header)) == list(general)

    def test_headers_lookups_by_lower_case_names(self) -> None:
        """get, getall, [] and in answer by any case, repeats and absences included."""
        h = Headers([("X-A", "1"), ("x-a", "2"), ("Cookie", "c=1"), ("Accept", "a, b")])
        assert (h.get("X-a"), h["COOKIE"], h.get("nope"), h.get("nope", "d")) == (
            "1",
            "c=1",
            None,
            "d",
        )
        assert (h.getall("x-A"), h.getall("accept"), h.getall("none")) == (
            ["1", "2"],
            ["a", "b"],
            [],
        )
        assert "ACCEPT" in h
        assert "x-b" not in h
        assert 3 not in h  # type: ignore[comparison-overlap]

    def test_mutable_headers_see_their_changes(self) -> None:
        """A response's headers answer lookups after every change (they keep no index)."""
        h = MutableHeaders({"A": "1"})
        assert h.get("a") == "1"
        h.add("B", "2")
        h["a"] = "3"
        assert (h.get("b"), h["A"], "b" in h) == ("2", "3", True)
        del h["b"]
        assert (h.get("b"), "B" in h, h.getall("a")) == (None, False, ["3"])

    def test_check_header_refuses_a_bad_value_of_a_known_name(self) -> None:
        """A name accepted once does not let a value with CR, LF or NUL through later."""
        check_header("X-Known", "fine")
        for value in ("a\r\nSet-Cookie: x=1", "a\nb", "a\0b"):
            with pytest.raises(ResultEncodeError, match="response splitting"):
                check_header("X-Known", value)
        check_header("X-Known", "tab\tand é")  # not printable, still allowed


class TestCheckHeaderTypes:
    def test_a_value_that_is_not_str_fails_as_before(self) -> None:
        """A bytes value of a known name is the TypeError it always was, not another error."""
        check_header("X-Typed", "ok")
        with pytest.raises(TypeError):
            check_header("X-Typed", b"bytes")  # type: ignore[arg-type]


class TestListHeaderEscapes:
    def test_escape_covers_one_character_only(self) -> None:
        """A backslash in a quoted string escapes the next character only; later commas split."""
        assert split_list_header('"a\\"b", c') == ['"a\\"b"', "c"]


class TestCheckHeaderRefusals:
    @pytest.mark.parametrize(
        ("name", "value"), [("X-A", "a\rb"), ("X-A", "a\nb"), ("X-A", "a\0b"), ("X\rA", "v")]
    )
    def test_cr_lf_nul_refused_alone(self, name: str, value: str) -> None:
        """A lone CR, LF or NUL in a name or value is refused as response splitting."""
        with pytest.raises(ResultEncodeError) as caught:
            check_header(name, value)
        assert str(caught.value) == (
            f"refusing response header {name!r}: CR, LF and NUL are not allowed in "
            "header names or values (response splitting)"
        )

    @pytest.mark.parametrize("name", ["", "X A", "X:A"])
    def test_invalid_names_refused(self, name: str) -> None:
        """An empty name, or one with a space or a colon, is refused."""
        with pytest.raises(ResultEncodeError, match="not a valid header name"):
            check_header(name, "v")

    def test_remembered_names_are_bounded(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Accepted names are remembered up to 1024, so varying names cannot grow memory."""
        import fcsdk.web.datastructures as module

        remembered: set[str] = set()
        monkeypatch.setattr(module, "_VALID_NAMES", remembered)
        for i in range(1100):
            check_header(f"X-Name-{i}", "v")
        assert len(remembered) == 1024
        assert "X-Name-0" in remembered
        assert "X-Name-1099" not in remembered


class TestPercentEscapeErrors:
    @pytest.mark.parametrize(
        ("text", "position", "shown"),
        [
            ("a%4gz", 1, "'%4g'"),
            ("a%zz%41", 1, "'%zz'"),
            ("%41%zz%41", 3, "'%zz'"),
            ("%41%zz", 3, "'%zz'"),
            ("ab%", 2, "'%'"),
        ],
    )
    def test_first_bad_escape_is_named(self, text: str, position: int, shown: str) -> None:
        """The first bad escape is found and named with its position and its three characters."""
        with pytest.raises(BadRequest) as caught:
            check_percent_escapes(text, "path")
        assert str(caught.value) == (
            f"invalid percent-encoding in the path at position {position}: {shown}"
        )

    def test_query_string_errors_name_the_query_string(self) -> None:
        """QueryParams.from_string's errors say they are about the query string."""
        with pytest.raises(BadRequest, match=r"in the query string at position 2: '%zz'"):
            QueryParams.from_string("a=%zz")
        with pytest.raises(BadRequest) as caught:
            QueryParams.from_string("a=%ff")
        assert str(caught.value) == "the query string is not valid UTF-8 after percent-decoding"


class TestQueryParamsForms:
    def test_plus_without_escapes_is_a_space(self) -> None:
        """A '+' is a space even when the query has no percent-escape."""
        assert QueryParams.from_string("a=b+c")["a"] == "b c"

    def test_parsed_values_keep_their_commas(self) -> None:
        """A parsed query string's values are not split at commas, with or without escapes."""
        assert QueryParams.from_string("a=1,2").getall("a") == ["1,2"]
        assert QueryParams.from_string("a=1,2&b=%41").getall("a") == ["1,2"]
        assert QueryParams([("a", "1,2")]).getall("a") == ["1,2"]

    def test_joined_pairs_split(self) -> None:
        """Pairs built with joined=True split at commas, as an event's do."""
        assert QueryParams([("a", "1,2")], joined=True).getall("a") == ["1", "2"]

    def test_missing_key_error_names_the_key(self) -> None:
        """A missing name's KeyError carries that name."""
        with pytest.raises(KeyError) as caught:
            _ = QueryParams()["zz"]
        assert caught.value.args == ("zz",)

    def test_non_str_is_not_contained(self) -> None:
        """A non-str is never a member."""
        assert 1 not in QueryParams([("1", "x")])  # type: ignore[comparison-overlap]


class TestMappingEdges:
    def test_names_fold_as_lookups_do(self) -> None:
        """len and iteration fold names to lower case, as lookups do ('ß' and 'SS' differ)."""
        headers = Headers([("ß", "1"), ("SS", "2"), ("ss", "3")])
        assert len(headers) == 2
        assert list(headers) == ["ß", "SS"]

    def test_mutable_headers_non_str_is_not_contained(self) -> None:
        """A non-str is never in MutableHeaders."""
        assert 1 not in MutableHeaders({"1": "x"})  # type: ignore[comparison-overlap]

    def test_mutable_headers_missing_key_error_names_the_key(self) -> None:
        """Deleting a missing header raises KeyError carrying its name."""
        with pytest.raises(KeyError) as caught:
            del MutableHeaders()["X-Gone"]
        assert caught.value.args == ("X-Gone",)

    def test_setdefault_default_is_empty(self) -> None:
        """setdefault without a value sets and returns the empty string."""
        headers = MutableHeaders()
        assert headers.setdefault("X-A") == ""
        assert headers.multi_items() == [("X-A", "")]

    def test_form_missing_key_error_names_the_key(self) -> None:
        """A missing form field's KeyError carries its name."""
        with pytest.raises(KeyError) as caught:
            _ = FormData()["zz"]
        assert caught.value.args == ("zz",)

    def test_form_equality(self) -> None:
        """Forms are equal when their pairs are, in order; never equal to another type."""
        assert FormData([("a", "1"), ("b", "2")]) == FormData([("a", "1"), ("b", "2")])
        assert FormData([("a", "1"), ("b", "2")]) != FormData([("b", "2"), ("a", "1")])
        assert FormData([("a", "1")]) != {"a": "1"}

    def test_empty_quoted_cookie(self) -> None:
        """A cookie value of two quotes is the empty string."""
        assert parse_cookie_header('a=""; b="x"') == {"a": "", "b": "x"}


class TestUploadFileDefaults:
    def test_defaults_and_given_values(self) -> None:
        """An upload defaults to no file name and octet-stream, and keeps what it is given."""
        upload = UploadFile(b"x")
        assert (upload.filename, upload.content_type) == ("", "application/octet-stream")
        headers = Headers({"X-Part": "1"})
        given = UploadFile(b"x", content_type="text/plain", headers=headers)
        assert given.content_type == "text/plain"
        assert given.headers is headers
