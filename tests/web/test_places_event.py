"""Tests for fcsdk.web.places.event: FC 3.0 and API Gateway events in, response JSON out."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

import fcsdk as fc
from fcsdk.exceptions import BadRequest, EventDecodeError, PayloadTooLarge, ResultEncodeError
from fcsdk.testing import apigw_event, fake_context, fc3_http_event
from fcsdk.web.options import DEFAULT_OPTIONS, DEFAULT_TEXT_TYPES
from fcsdk.web.places import APIGatewayPlace, FC3Place, is_text_response
from tests.events._fixtures import FC3_HTTP_SAMPLE
from tests.web.places_support import encode as encode_event_response
from tests.web.places_support import event_request as request_from_event

SAMPLE = FC3_HTTP_SAMPLE
_EVENT_OF: dict[type[Any], dict[str, Any]] = {
    FC3Place: {"requestContext": {"http": {"method": "GET"}}},
    APIGatewayPlace: {"httpMethod": "GET"},
}


class TestFC3Event:
    def test_sample(self) -> None:
        """The documented sample gives every request part."""
        kind, request = request_from_event(json.dumps(SAMPLE).encode())
        assert type(kind) is FC3Place
        assert request.method == "POST"
        assert request.path == "/orders/a b"
        assert request.query.getall("tag") == ["a", "b"]
        assert request.headers.getall("accept") == ["text/html", "application/json"]
        assert request.json() == {"k": 1}
        assert request.client_ip == "203.0.113.7"
        assert request.request_id == "1-6560a1b2-0123456789abcdef"

    def test_context_request_id_wins(self) -> None:
        """The runtime context's request id is preferred over the event's."""
        _, request = request_from_event(SAMPLE, fake_context(request_id="ctx-1"))
        assert request.request_id == "ctx-1"

    def test_empty_fields_are_tolerated(self) -> None:
        """Empty ids, empty maps, null body and a missing rawPath are fine."""
        event = {
            "requestContext": {"requestId": "", "http": {"method": "get", "path": "/x y"}},
            "queryParameters": {},
            "headers": None,
            "body": None,
        }
        _, request = request_from_event(event)
        assert request.method == "GET"
        assert request.raw_path == "/x%20y"
        assert request.body == b""
        assert request.request_id == ""

    def test_text_body(self) -> None:
        """A non-base64 body is its UTF-8 bytes."""
        _, request = request_from_event(
            {**SAMPLE, "body": "héllo", "isBase64Encoded": False, "headers": {}}
        )
        assert request.body == "héllo".encode()

    def test_bad_base64_is_400(self) -> None:
        """A body flagged base64 that is not base64 is a BadRequest."""
        _, request = request_from_event({**SAMPLE, "body": "!!!"})
        with pytest.raises(BadRequest, match="base64"):
            _ = request.body

    def test_lone_surrogate_body_is_400(self) -> None:
        """A text body that cannot be UTF-8 encoded is a BadRequest."""
        _, request = request_from_event(
            b'{"requestContext": {"http": {"method": "POST"}}, "body": "\\udcff"}'
        )
        with pytest.raises(BadRequest, match="UTF-8"):
            _ = request.body

    def test_non_utf8_header_is_400(self) -> None:
        """A header holding a lone surrogate is a BadRequest when headers are read."""
        _, request = request_from_event(
            b'{"requestContext": {"http": {"method": "GET"}}, "headers": {"X": "\\udcff"}}'
        )
        with pytest.raises(BadRequest, match="'X'"):
            _ = request.headers

    @pytest.mark.parametrize(
        ("declared", "message"),
        [("5", "says 5"), ("50", "says 50"), ("-1", "negative"), ("x", "not a number")],
    )
    def test_content_length_lies_are_400(self, declared: str, message: str) -> None:
        """A Content-Length header that disagrees with the body is a BadRequest."""
        event = {**SAMPLE, "headers": {"content-LENGTH": declared}}
        _, request = request_from_event(event)
        with pytest.raises(BadRequest, match=message):
            _ = request.body

    def test_matching_content_length_passes(self) -> None:
        """A truthful Content-Length is accepted."""
        _, request = request_from_event({**SAMPLE, "headers": {"Content-Length": "7"}})
        assert request.body == b'{"k":1}'

    def test_body_over_the_limit_is_413(self) -> None:
        """A body over the limit is a 413, before or after base64 decoding."""
        big = base64.b64encode(b"x" * 100).decode()
        _, request = request_from_event({**SAMPLE, "body": big}, max_body_size=10)
        with pytest.raises(PayloadTooLarge):
            _ = request.body
        _, request = request_from_event(
            {**SAMPLE, "body": "x" * 20, "isBase64Encoded": False}, max_body_size=10
        )
        with pytest.raises(PayloadTooLarge):
            _ = request.body
        _, request = request_from_event(
            {**SAMPLE, "body": base64.b64encode(b"x" * 12).decode()}, max_body_size=10
        )
        with pytest.raises(PayloadTooLarge, match="12 bytes"):
            _ = request.body


class TestAPIGatewayEvent:
    def test_parts(self) -> None:
        """Method, encoded path, query, path parameters and body are read."""
        event = apigw_event(
            "PUT", "/a%20b/%25", query="x=1&x=2", body=b"\x00\x01", path_parameters={"id": "7"}
        )
        kind, request = request_from_event(json.dumps(event), fake_context(request_id="r-3"))
        assert type(kind) is APIGatewayPlace
        assert request.raw_path == "/a%20b/%25"
        assert request.path == "/a b/%"
        assert request.query.getall("x") == ["1", "2"]
        assert request.path_params == {"id": "7"}
        assert request.body == b"\x00\x01"
        assert request.request_id == "r-3"

    def test_minimal(self) -> None:
        """Only httpMethod is needed."""
        _, request = request_from_event({"httpMethod": "get"})
        assert (request.method, request.raw_path, request.body) == ("GET", "/", b"")


class TestNotAnHttpEvent:
    @pytest.mark.parametrize(
        ("event", "message"),
        [
            (b"not json", "not JSON"),
            (b"[1, 2]", "JSON list"),
            (b'{"triggerTime": "x"}', "not an HTTP event"),
            ({"events": []}, "not an HTTP event"),
            (b"", "not JSON"),
        ],
    )
    def test_other_payloads_are_event_decode_errors(self, event: object, message: str) -> None:
        """Anything that is neither HTTP shape raises EventDecodeError with the raw input."""
        with pytest.raises(EventDecodeError, match=message) as info:
            request_from_event(event)
        assert info.value.raw is event

    @pytest.mark.parametrize(
        ("event", "field"),
        [
            ({"requestContext": {"http": {"method": 5}}}, "event.requestContext.http.method"),
            ({"requestContext": {"http": "GET"}}, "event.requestContext.http"),
            (
                {"requestContext": {"http": {"method": "GET"}}, "headers": {"a": 1}},
                "event.headers.a",
            ),
            ({"requestContext": {"http": {"method": "GET"}}, "body": 5}, "event.body"),
            ({"requestContext": {"http": {"method": "GET"}}, "rawPath": 5}, "event.rawPath"),
            (
                {"requestContext": {"http": {"method": "GET"}}, "queryParameters": []},
                "event.queryParameters",
            ),
            ({"httpMethod": 1}, "event.httpMethod"),
            ({"httpMethod": "GET", "pathParameters": {"a": []}}, "event.pathParameters.a"),
            ({"httpMethod": "GET", "path": 3}, "event.path"),
            ({"httpMethod": "GET", "body": {}}, "event.body"),
            ({"httpMethod": "GET", "headers": "x"}, "event.headers"),
            ({"httpMethod": "GET", "queryParameters": {"a": None}}, "event.queryParameters.a"),
        ],
    )
    def test_wrong_field_types_name_the_field(self, event: dict[str, Any], field: str) -> None:
        """A field of the wrong type is an EventDecodeError naming it (the models' check)."""
        with pytest.raises(EventDecodeError) as info:
            request_from_event(event)
        assert field in str(info.value)

    def test_other_input_types(self) -> None:
        """An event that is not bytes/str/dict is an EventDecodeError."""
        with pytest.raises(EventDecodeError):
            request_from_event(3.5)


class TestIsTextResponse:
    @pytest.mark.parametrize(
        ("content_type", "encoding", "text"),
        [
            ("text/html; charset=utf-8", None, True),
            ("application/json", "identity", True),
            ("application/vnd.api+json", None, True),
            ("image/svg+xml", None, True),
            ("image/png", None, False),
            (None, None, False),
            ("text/plain", "gzip", False),
            ("application/jsonx", None, False),
        ],
    )
    def test_decision(self, content_type: str | None, encoding: str | None, text: bool) -> None:
        """Textual types without a content encoding are text; the rest base64."""
        assert is_text_response(content_type, encoding, DEFAULT_TEXT_TYPES) is text


class TestEncodeEventResponse:
    def test_fc3_text(self) -> None:
        """A JSON response is sent as text with its status and headers."""
        answer = json.loads(encode_event_response(FC3Place, fc.JSONResponse({"a": 1}, status=201)))
        assert answer == {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json"},
            "isBase64Encoded": False,
            "body": '{"a":1}',
        }

    def test_binary_is_base64(self) -> None:
        """Binary content, gzip, or non-UTF-8 text go base64."""
        for response in (
            fc.Response(b"\x89PNG", content_type="image/png"),
            fc.Response(b"x", headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"}),
            fc.Response(b"\xff", content_type="text/plain"),
        ):
            answer = json.loads(encode_event_response(APIGatewayPlace, response))
            assert answer["isBase64Encoded"] is True
            assert base64.b64decode(answer["body"]) == response.body

    def test_custom_text_types(self) -> None:
        """A configured text type list is honoured."""
        response = fc.Response(b"abc", content_type="application/x-custom")
        answer = json.loads(
            encode_event_response(FC3Place, response, text_types=("application/x-custom",))
        )
        assert answer["body"] == "abc"

    def test_repeated_headers(self) -> None:
        """Repeats become a list by default, or are joined; case-variants merge."""
        response = fc.Response("x")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        response.headers.add("set-cookie", "c=3")
        response.headers.add("Vary", "Accept")
        response.headers.add("vary", "Origin")
        listed = json.loads(encode_event_response(FC3Place, response))["headers"]
        assert listed["Set-Cookie"] == [
            "a=1; Path=/; SameSite=Lax",
            "b=2; Path=/; SameSite=Lax",
            "c=3",
        ]
        assert listed["Vary"] == ["Accept", "Origin"]
        joined = json.loads(encode_event_response(FC3Place, response, multi_value_headers="join"))[
            "headers"
        ]
        assert joined["Vary"] == "Accept, Origin"

    def test_head_and_streaming(self) -> None:
        """HEAD sends no body; a streaming body is joined and closed."""
        closed: list[bool] = []

        def produce() -> Any:
            try:
                yield "a"
                yield "b"
            finally:
                closed.append(True)

        answer = json.loads(
            encode_event_response(
                FC3Place, fc.StreamingResponse(produce(), content_type="text/plain")
            )
        )
        assert answer["body"] == "ab"
        assert closed == [True]
        head = json.loads(encode_event_response(FC3Place, fc.Response("abc"), head=True))
        assert head["body"] == ""

    def test_crlf_and_bad_status_are_refused(self) -> None:
        """A header with CR/LF or an invalid status raises ResultEncodeError."""
        response = fc.Response("x")
        response.headers._items.append(("X", "a\nb"))
        with pytest.raises(ResultEncodeError):
            encode_event_response(FC3Place, response)
        with pytest.raises(ResultEncodeError):
            encode_event_response(FC3Place, fc.Response("x", status=1000))

    @pytest.mark.parametrize("place", [FC3Place, APIGatewayPlace])
    def test_a_remembered_head_answers_as_the_first(
        self, place: type[FC3Place] | type[APIGatewayPlace]
    ) -> None:
        """A text answer with one header is the same bytes on every call, in the place's key
        order; a body that is not UTF-8 still goes base64, and 201.0 is not answered as 201."""
        keys = (
            ["statusCode", "headers", "isBase64Encoded", "body"]
            if place is FC3Place
            else ["isBase64Encoded", "statusCode", "headers", "body"]
        )
        answers = [
            encode_event_response(place, fc.JSONResponse({"n": n, "s": 'a"\\b'}, status=201))
            for n in (1, 1, 2)
        ]
        assert answers[0] == answers[1]
        for n, answer in zip((1, 1, 2), answers, strict=True):
            parsed = json.loads(answer)
            assert list(parsed) == keys
            assert answer == json.dumps(parsed, separators=(",", ":")).encode()
            assert parsed["statusCode"] == 201
            assert parsed["isBase64Encoded"] is False
            assert json.loads(parsed["body"]) == {"n": n, "s": 'a"\\b'}
        binary = fc.JSONResponse(None, status=201)
        binary.body = b"\xff\xfe"
        parsed = json.loads(encode_event_response(place, binary))
        assert (parsed["isBase64Encoded"], parsed["body"]) == (True, "//4=")
        other = place.from_event(dict(_EVENT_OF[place]), None, DEFAULT_OPTIONS)
        answer = other.encode(201.0, [("Content-Type", "application/json")], b"{}")  # type: ignore[arg-type]
        assert type(json.loads(answer)["statusCode"]) is float

    def test_fc3_factory_round_trip(self) -> None:
        """The FC 3.0 factory's event reads back through the adapter unchanged."""
        event = fc3_http_event("DELETE", "/x", headers={"A": "1"})
        _, request = request_from_event(event)
        assert (request.method, request.headers["a"]) == ("DELETE", "1")


class TestEventHeaderChecks:
    """An event's headers are checked when first read, whichever lookup reads them."""

    @pytest.mark.parametrize(
        ("headers", "message"),
        [
            ({"X-Ok": "1", "bad name": "x"}, "not a valid header name"),
            ({"X-Ok": "1", "X-Split": "a\r\nb"}, "CR, LF or NUL"),
            ({"X-Ok": "1", "X-Nul": "a\0b"}, "CR, LF or NUL"),
        ],
    )
    def test_bad_header_is_a_400_through_the_cookies(
        self, headers: dict[str, str], message: str
    ) -> None:
        """A bad header answers 400 when the handler reads only the cookies, after good events."""

        @fc.http
        def handler(request: fc.Request) -> dict[str, object]:
            return {"sid": request.cookies.get("sid")}

        good = fc3_http_event("GET", "/", headers={"X-Ok": "1", "Cookie": "sid=1"})
        answer = json.loads(handler(json.dumps(good), fake_context()))
        assert (answer["statusCode"], json.loads(answer["body"])) == (200, {"sid": "1"})
        bad = fc3_http_event("GET", "/", headers=headers)
        answer = json.loads(handler(json.dumps(bad), fake_context()))
        assert answer["statusCode"] == 400
        assert message in json.loads(answer["body"])["detail"]

    def test_first_bad_header_in_order_is_named(self) -> None:
        """With a bad value before a bad name, the value's error is the one raised."""
        event = fc3_http_event("GET", "/", headers={"X-A": "a\nb", "bad name": "x"})
        _, request = request_from_event(event)
        with pytest.raises(BadRequest, match="'X-A' holds CR, LF or NUL"):
            _ = request.headers

    def test_content_length_in_any_case_is_checked(self) -> None:
        """A Content-Length spelled in any case is held against the body."""
        event = {
            **SAMPLE,
            "isBase64Encoded": False,
            "body": "abc",
            "headers": {"CONTENT-length": "4"},
        }
        _, request = request_from_event(event)
        with pytest.raises(BadRequest, match="Content-Length says 4"):
            _ = request.body
        event["headers"] = {"X-A": "1", "content-LENGTH": "3"}
        assert request_from_event(event)[1].body == b"abc"

    def test_a_name_that_lowers_to_a_known_one_is_still_checked(self) -> None:
        """A Kelvin sign lowers to ``k``: after ``K-A`` passed, ``\u212a-A`` is still a 400."""

        @fc.http
        def handler(request: fc.Request) -> dict[str, object]:
            return {"a": request.headers.get("k-a")}

        for name, status in (("K-A", 200), ("\u212a-A", 400), ("K-A", 200)):
            event = fc3_http_event("GET", "/", headers={name: "1"})
            answer = json.loads(handler(json.dumps(event), fake_context()))
            assert answer["statusCode"] == status, name

    def test_event_headers_behave_as_headers(self) -> None:
        """Headers read in place from the event answer every Headers method as a list would."""
        import copy
        import pickle

        from fcsdk.web.datastructures import Headers

        fields = [("X-A", "1"), ("x-a", "2"), ("Cookie", "sid=s%2B/="), ("Vary", "a, b")]
        event = json.dumps(fc3_http_event("GET", "/", headers={}) | {"headers": dict(fields)})
        _, request = request_from_event(event.encode())
        headers = request.headers
        expected = Headers(fields)
        assert isinstance(headers, Headers)
        assert (headers.get("X-A"), headers["x-a"], headers.get("nope", "-")) == ("1", "1", "-")
        assert headers.getall("x-A") == ["1", "2"]
        assert headers.getall("vary") == ["a", "b"]
        assert ("COOKIE" in headers, "X-B" in headers) == (True, False)
        assert 3 not in headers  # type: ignore[comparison-overlap]
        assert (len(headers), list(headers)) == (3, ["X-A", "Cookie", "Vary"])
        assert headers.multi_items() == headers.items() == fields
        assert headers == expected
        assert repr(headers) == repr(expected)
        assert copy.copy(headers) == pickle.loads(pickle.dumps(headers)) == expected
        assert request.cookies == {"sid": "s+/="}

    def test_event_query_behaves_as_query_params(self) -> None:
        """An event's query parameters, read in place, answer every QueryParams method."""
        import copy
        import pickle

        from fcsdk.web.datastructures import QueryParams

        event = fc3_http_event("GET", "/", query={"tag": "a,b", "page": "2", "q": "x y"})
        _, request = request_from_event(json.dumps(event).encode())
        query = request.query
        expected = QueryParams.from_event({"tag": "a,b", "page": "2", "q": "x y"})
        assert isinstance(query, QueryParams)
        assert (query.get("tag"), query["page"], query.get("nope", "-")) == ("a,b", "2", "-")
        assert (query.getall("tag"), query.get_int("page"), "q" in query) == (["a", "b"], 2, True)
        assert query.multi_items() == [("tag", "a"), ("tag", "b"), ("page", "2"), ("q", "x y")]
        assert (len(query), list(query)) == (3, ["tag", "page", "q"])
        assert (
            query
            == expected
            == QueryParams([("tag", "a"), ("tag", "b"), ("page", "2"), ("q", "x y")])
        )
        assert copy.copy(query) == pickle.loads(pickle.dumps(query)) == expected
        assert repr(query) == repr(QueryParams(query.multi_items()))
        assert request.query_string == "tag=a,b&page=2&q=x%20y"  # each value whole
        parameters = {"a": "1"}
        wrapped = QueryParams.from_event(parameters)
        parameters["a"] = "2"
        assert wrapped.get("a") == "1"  # from_event keeps a copy

    def test_a_dict_event_is_read_as_it_was_when_the_request_was_built(self) -> None:
        """The request reads copies of a dict event's headers and query, not the caller's dict."""
        events: list[dict[str, Any]] = [
            fc3_http_event("GET", "/", headers={"X-A": "1"}, query={"q": "1"}),
            {"httpMethod": "GET", "headers": {"X-A": "1"}, "queryParameters": {"q": "1"}},
        ]
        for event in events:
            _, request = request_from_event(event)
            event["headers"].clear()
            event["queryParameters"]["q"] = "2"
            assert (request.headers.get("x-a"), request.query.get("q")) == ("1", "1")

    def test_header_of_another_type_is_refused_when_the_request_is_built(self) -> None:
        """A header value (or query value) that is not a string is the event's error, at once."""
        for event in (
            {"requestContext": {"http": {"method": "GET"}}, "headers": {"X-Ok": "1", "X-B": 2}},
            {"requestContext": {"http": {"method": "GET"}}, "queryParameters": {"a": ["x"]}},
            {"httpMethod": "GET", "headers": {"X-Ok": None}},
            {"requestContext": {"http": {"method": "GET"}}, "headers": {1: "x"}},
            {"requestContext": {"http": {"method": "GET"}}, "queryParameters": {1: "x"}},
        ):
            with pytest.raises(EventDecodeError):
                request_from_event(event)


def _ordered_hook(event: dict[str, Any]) -> Any:
    from collections import OrderedDict

    return json.loads(json.dumps(event), object_pairs_hook=OrderedDict)


def _ordered_top(event: dict[str, Any]) -> Any:
    from collections import OrderedDict

    return OrderedDict(event)


def _defaultdicts(event: dict[str, Any]) -> Any:
    from collections import defaultdict

    def deep(value: Any) -> Any:
        if isinstance(value, dict):
            return defaultdict(str, {k: deep(v) for k, v in value.items()})
        return value

    return deep(event)


class TestDictSubclassEvents:
    @pytest.mark.parametrize("convert", [_ordered_hook, _ordered_top, _defaultdicts])
    @pytest.mark.parametrize("make", [fc3_http_event, apigw_event])
    def test_a_dict_subclass_event_is_served_as_the_plain_one(
        self, make: Any, convert: Any
    ) -> None:
        """OrderedDict and defaultdict events (however deep) answer as the plain dict does."""

        @fc.http
        def echo(request: fc.Request) -> dict[str, Any]:
            return {"q": request.query.get("q"), "a": request.headers.get("x-a")}

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            headers = [(b"content-type", b"text/plain")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": scope["query_string"]})

        asgi = fc.from_asgi(app, lifespan="off")
        event = make("GET", "/x", query={"q": "a,b"}, headers={"X-A": "1"})
        for handler in (echo, asgi):
            plain = json.loads(handler(event, fake_context()))
            assert plain["statusCode"] == 200
            assert json.loads(handler(convert(event), fake_context())) == plain

    def test_model_and_place_agree_on_a_dict_subclass_event(self) -> None:
        """A model-valid event in OrderedDicts builds a request; a bad one names its field."""
        from fcsdk.events.http import HTTPTriggerEvent

        event = _ordered_hook(fc3_http_event("GET", "/x", headers={"X-A": "1"}))
        HTTPTriggerEvent.model_validate(event)
        request = FC3Place.from_event(event, fake_context(), DEFAULT_OPTIONS).request
        assert request.headers["x-a"] == "1"
        event["headers"]["X-A"] = 1
        with pytest.raises(EventDecodeError, match=r"headers.*X-A"):
            FC3Place.from_event(event, fake_context(), DEFAULT_OPTIONS).request  # noqa: B018

    @pytest.mark.parametrize(
        ("place", "make", "label"),
        [
            (FC3Place, fc3_http_event, "FC 3.0 HTTP trigger event"),
            (APIGatewayPlace, apigw_event, "API Gateway event"),
        ],
    )
    def test_the_fallback_message_names_the_event_once(
        self, place: Any, make: Any, label: str
    ) -> None:
        """When the model finds nothing wrong, the error says "malformed <place> event"."""
        error = place(make(), fake_context(), DEFAULT_OPTIONS).model_error()
        assert str(error).startswith(f"malformed {label}")
        assert "HTTP trigger HTTP" not in str(error)

    def test_lists_inside_a_dict_subclass_event_are_copied_too(self) -> None:
        """An OrderedDict inside a list of a dict event is made plain, the list kept in order."""
        from collections import OrderedDict

        from fcsdk.web.places.event import parse_event

        event = fc3_http_event("GET", "/x")
        event["extra"] = [OrderedDict(a=1), [2]]
        parsed = parse_event(event)
        assert parsed["extra"] == [{"a": 1}, [2]]
        assert type(parsed["extra"][0]) is dict

    def test_a_dict_event_nested_past_the_recursion_limit_is_an_event_decode_error(self) -> None:
        """A dict event nested deeper than Python can walk is refused as nesting too deeply."""
        import sys

        from fcsdk.web.places.event import parse_event

        deep: Any = {}
        for _ in range(sys.getrecursionlimit() + 100):
            deep = {"a": deep}
        with pytest.raises(EventDecodeError, match="nests too deeply"):
            parse_event({**fc3_http_event(), "extra": deep})
