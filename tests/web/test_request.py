"""Tests for fcsdk.web.request: the sans-IO Request."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.exceptions import BadRequest, ContextError, RequestValidationError
from fcsdk.testing import fake_context
from fcsdk.web.datastructures import Headers, QueryParams
from fcsdk.web.request import Request


class Item(BaseModel):
    name: str
    qty: int


class TestUrl:
    def test_path_is_decoded(self) -> None:
        """path percent-decodes UTF-8; raw_path keeps the encoding, %2F included."""
        request = Request(raw_path="/a%20b/%E2%82%AC/x%2Fy")
        assert request.path == "/a b/€/x/y"
        assert request.raw_path == "/a%20b/%E2%82%AC/x%2Fy"

    def test_plain_path_is_itself(self) -> None:
        """A path without escapes is returned as is; an empty one is '/'."""
        assert Request(raw_path="/plain").path == "/plain"
        assert Request(raw_path="").raw_path == "/"

    @pytest.mark.parametrize("raw", ["/a%zz", "/a%ff", "/%c3"])
    def test_bad_path_is_400(self, raw: str) -> None:
        """Bad escapes and non-UTF-8 bytes in the path are a BadRequest."""
        with pytest.raises(BadRequest):
            _ = Request(raw_path=raw).path

    def test_request_uri_and_query_string(self) -> None:
        """request_uri joins root path, raw path and query string."""
        request = Request(raw_path="/x", query="a=1", root_path="/2016-08-15/proxy/s/f")
        assert request.request_uri == "/2016-08-15/proxy/s/f/x?a=1"
        assert Request(raw_path="/x").request_uri == "/x"

    def test_query_from_params_rebuilds_the_string(self) -> None:
        """Given QueryParams, query_string is rebuilt percent-encoded, an event's values whole."""
        request = Request(query=QueryParams.from_event({"q": "a b,c", "e": "é"}))
        assert request.query_string == "q=a%20b,c&e=%C3%A9"
        assert Request(query=QueryParams([("q", "a,b"), ("q", "&")])).query_string == "q=a,b&q=%26"
        assert request.query.get("q") == "a b,c"

    def test_query_is_parsed_once(self) -> None:
        """The query is parsed on first use and kept."""
        request = Request(query="a=1&a=2")
        assert request.query is request.query
        assert request.query.getall("a") == ["1", "2"]


class TestHeadersAndCookies:
    def test_headers_and_content_type(self) -> None:
        """headers are case-insensitive; content_type reads Content-Type."""
        request = Request(headers={"content-type": "text/plain", "X-A": "1"})
        assert request.headers["x-a"] == "1"
        assert request.content_type == "text/plain"
        assert isinstance(request.headers, Headers)

    @pytest.mark.parametrize("value", ["a b", "x;y", "50%", "%41", 'é,"q"', "plain"])
    def test_cookie_round_trip(self, value: str) -> None:
        """A value set_cookie percent-encodes reads back as it was set."""
        response = fc.Response()
        response.set_cookie("v", value)
        sent = response.headers["set-cookie"].split(";", 1)[0]
        assert fc.Request(headers={"Cookie": sent}).cookies == {"v": value}

    def test_cookie_not_utf8_is_kept(self) -> None:
        """A percent-escape that is not UTF-8 (not written by set_cookie) stays as it came."""
        assert fc.Request(headers={"Cookie": "v=%FF"}).cookies == {"v": "%FF"}

    def test_cookies(self) -> None:
        """cookies parses every Cookie header; the first of a name wins."""
        request = Request(headers=[("Cookie", "a=1; b=2"), ("Cookie", "a=9; c=3")])
        assert request.cookies == {"a": "1", "b": "2", "c": "3"}
        assert Request().cookies == {}


class TestBody:
    def test_text_uses_the_charset(self) -> None:
        """text decodes with the Content-Type charset, UTF-8 by default."""
        assert Request(body="é".encode()).text == "é"
        latin = Request(
            body="é".encode("latin-1"), headers={"Content-Type": "text/plain; charset=latin-1"}
        )
        assert latin.text == "é"

    @pytest.mark.parametrize("charset", ["utf-8", "no-such-charset"])
    def test_undecodable_text_is_400(self, charset: str) -> None:
        """Bytes that do not decode (or an unknown charset) are a BadRequest."""
        request = Request(body=b"\xff", headers={"Content-Type": f"text/plain; charset={charset}"})
        with pytest.raises(BadRequest, match="not valid"):
            _ = request.text

    def test_json(self) -> None:
        """json() parses the body."""
        assert Request(body=b'{"a": [1, 2]}').json() == {"a": [1, 2]}

    @pytest.mark.parametrize("body", [b"", b"{", b"\xff"])
    def test_bad_json_is_400(self, body: bytes) -> None:
        """An empty or malformed JSON body is a BadRequest."""
        with pytest.raises(BadRequest):
            Request(body=body).json()

    def test_model_validates_from_bytes(self) -> None:
        """model(M) validates straight from the body bytes, lists too."""
        assert Request(body=b'{"name": "tea", "qty": 2}').model(Item) == Item(name="tea", qty=2)
        assert Request(body=b"[1, 2]").model(list[int]) == [1, 2]

    def test_model_field_errors_are_422_without_input(self) -> None:
        """Fields that do not validate give a 422 listing each, without the input."""
        request = Request(body=b'{"name": "s3cr3t-value", "qty": "x"}')
        with pytest.raises(RequestValidationError) as info:
            request.model(Item)
        assert info.value.errors == [
            {"loc": ["body", "qty"], "msg": info.value.errors[0]["msg"], "type": "int_parsing"}
        ]
        assert "s3cr3t" not in str(info.value.to_problem())

    def test_model_malformed_json_is_400(self) -> None:
        """A body that is not JSON at all is a 400, not a 422."""
        with pytest.raises(BadRequest, match="not valid JSON"):
            Request(body=b"{nope").model(Item)
        with pytest.raises(BadRequest):
            Request(body=b"{nope").model(dict[str, int])

    def test_form(self) -> None:
        """form() parses an urlencoded body once."""
        request = Request(
            body=b"a=1", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert request.form()["a"] == "1"
        assert request.form() is request.form()


class TestContext:
    def test_context_is_typed_and_request_id_read(self) -> None:
        """context is the typed FCContext; request_id comes from it."""
        request = Request(context=fake_context(request_id="r-9"))
        assert isinstance(request.context, fc.FCContext)
        assert request.context is request.context
        assert request.request_id == "r-9"

    def test_request_id_from_a_dict_context_or_explicit(self) -> None:
        """A dict context gives its id; an explicit id wins; none gives ''."""
        assert Request(context={"requestId": "r-2"}).request_id == "r-2"
        assert Request(context=fake_context(), request_id="mine").request_id == "mine"
        assert Request().request_id == ""

    def test_no_context_is_a_context_error(self) -> None:
        """Reading context without one raises ContextError."""
        with pytest.raises(ContextError):
            _ = Request().context

    def test_repr(self) -> None:
        """The repr shows method and path."""
        assert repr(Request(method="post", raw_path="/x")) == "<Request POST /x>"


class TestRequestIdFallback:
    def test_header_when_no_context(self) -> None:
        """Without a context the X-Fc-Request-Id header gives the id."""
        assert Request(headers={"X-Fc-Request-Id": "h-1"}).request_id == "h-1"

    def test_unreadable_headers_give_empty(self) -> None:
        """A request whose headers cannot be read still has an id ('')."""
        request = Request._lazy("GET", "/", "", _bad_headers, lambda: b"", "", None, None, "")
        assert request.request_id == ""


def _bad_headers() -> Headers:
    raise BadRequest("bad header")
