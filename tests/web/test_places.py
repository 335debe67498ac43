"""Tests for fcsdk.web.places: the loop that picks a place, and the parts every place exposes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fcsdk.exceptions import EventDecodeError
from fcsdk.testing import apigw_event, fake_context, fc3_http_event, wsgi_environ
from fcsdk.web.options import DEFAULT_OPTIONS
from fcsdk.web.places import (
    APIGatewayPlace,
    FC3Place,
    Place,
    WSGIPlace,
    select_event_place,
    select_place,
)

REQUEST: dict[str, Any] = {
    "query": [("q", "a b"), ("n", "1")],
    "headers": [("Host", "demo.example.com:8443"), ("X-Forwarded-Proto", "https"), ("X-A", "1")],
    "body": b'{"x": 1}',
}


class TestSelection:
    def test_each_input_picks_its_place(self) -> None:
        """A WSGI call, an FC 3.0 event and an API Gateway event each select their own class."""
        environ = wsgi_environ("GET", "/", process_environ={})
        assert type(select_place(environ, print, DEFAULT_OPTIONS)) is WSGIPlace
        fc3 = json.dumps(fc3_http_event("GET", "/")).encode()
        assert type(select_place(fc3, fake_context(), DEFAULT_OPTIONS)) is FC3Place
        apigw = apigw_event("GET", "/")
        assert type(select_place(apigw, fake_context(), DEFAULT_OPTIONS)) is APIGatewayPlace

    def test_unknown_event(self) -> None:
        """An event of no place is an EventDecodeError naming both shapes."""
        with pytest.raises(EventDecodeError, match=r"requestContext\.http"):
            select_event_place({"hello": 1}, None, DEFAULT_OPTIONS)

    def test_infer_is_exact(self) -> None:
        """Each infer answers only for its own shape."""
        assert FC3Place.infer({"requestContext": {"http": {}}}, None)
        assert not FC3Place.infer({"httpMethod": "GET"}, None)
        assert APIGatewayPlace.infer({"httpMethod": "GET"}, None)
        assert not APIGatewayPlace.infer([], None)
        assert not WSGIPlace.infer({"REQUEST_METHOD": "GET"}, fake_context())

    def test_place_is_abstract(self) -> None:
        """Place cannot be made without infer, build_request and encode."""
        with pytest.raises(TypeError, match="abstract"):
            Place(None, DEFAULT_OPTIONS)  # type: ignore[abstract]


def _places() -> list[Place[object]]:
    environ = wsgi_environ("POST", "/2016-08-15/proxy/s/f/a%20b", **REQUEST, process_environ={})
    environ["wsgi.url_scheme"] = "https"
    environ["SERVER_PORT"] = "8443"
    environ["SERVER_NAME"] = "demo.example.com"
    return [
        WSGIPlace(environ, print, DEFAULT_OPTIONS),
        select_event_place(fc3_http_event("POST", "/a%20b", **REQUEST), None, DEFAULT_OPTIONS),
        select_event_place(apigw_event("POST", "/a%20b", **REQUEST), None, DEFAULT_OPTIONS),
    ]


class TestNeutralParts:
    @pytest.mark.parametrize("index", [0, 1, 2])
    def test_parts(self, index: int) -> None:
        """Every place gives the same method, path, query, headers, body, server and scheme."""
        place = _places()[index]
        assert place.method == "POST"
        assert place.raw_path == "/a%20b"
        assert dict(_pairs(place.raw_query)) == {"q": "a b", "n": "1"}
        headers = {k.lower(): v for k, v in place.header_list}
        assert headers["x-a"] == "1"
        assert place.body == b'{"x": 1}'
        assert place.server == ("demo.example.com", 8443)
        assert place.scheme == "https"

    def test_wsgi_root_path_and_client(self) -> None:
        """FC 2.0's proxy prefix is the root path; the client is REMOTE_ADDR with port 0."""
        place = _places()[0]
        assert place.root_path == "/2016-08-15/proxy/s/f"
        assert place.client == ("127.0.0.1", 0)

    def test_server_without_host(self) -> None:
        """No Host header: an event place knows no server; an IPv6 host keeps its brackets."""
        place = select_event_place(fc3_http_event("GET", "/"), None, DEFAULT_OPTIONS)
        assert place.server is None
        assert place.scheme == "http"
        ipv6 = fc3_http_event("GET", "/", headers={"Host": "[::1]"})
        assert select_event_place(ipv6, None, DEFAULT_OPTIONS).server == ("[::1]", None)


def _pairs(query: bytes) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query.decode(), keep_blank_values=True)


class TestEncode:
    def test_wsgi_encode(self) -> None:
        """WSGIPlace.encode calls start_response with the status line and a Content-Length."""
        seen: list[Any] = []
        place = WSGIPlace(
            wsgi_environ(process_environ={}), lambda *a: seen.append(a), DEFAULT_OPTIONS
        )
        assert place.encode(201, [("X-A", "1")], b"made") == [b"made"]
        assert seen == [("201 Created", [("X-A", "1"), ("Content-Length", "4")])]

    @pytest.mark.parametrize("place", [FC3Place, APIGatewayPlace])
    def test_event_encode(self, place: type[FC3Place] | type[APIGatewayPlace]) -> None:
        """Event places encode status, repeated headers as a list, and a binary body as base64."""
        event = fc3_http_event() if place is FC3Place else apigw_event()
        answer = place.from_event(event, None, DEFAULT_OPTIONS).encode(
            202, [("Set-Cookie", "a=1"), ("set-cookie", "b=2")], b"\xff"
        )
        parsed = json.loads(answer)
        assert parsed["statusCode"] == 202
        assert parsed["headers"] == {"Set-Cookie": ["a=1", "b=2"]}
        assert parsed["isBase64Encoded"] is True
        assert parsed["body"] == "/w=="

    def test_from_event_refuses_another_shape(self) -> None:
        """FC3Place.from_event on an API Gateway event is an EventDecodeError."""
        with pytest.raises(EventDecodeError):
            FC3Place.from_event(apigw_event(), None, DEFAULT_OPTIONS)


class TestApps:
    def test_options_are_read_through_the_app(self) -> None:
        """An app exposes its options, and wsgi()/event() serve one request of that place."""
        import fcsdk as fc

        @fc.http(strip_prefix=False, text_types=["text/"], max_body_size=10)
        def hello(request: fc.Request) -> str:
            return request.raw_path

        assert hello.strip_prefix is False
        assert hello.text_types == ("text/",)
        assert hello.max_body_size == hello.limits.max_body_size == 10
        seen: list[Any] = []
        environ = wsgi_environ("GET", "/2016-08-15/proxy/s/f/x", process_environ={})
        assert (
            b"".join(hello.wsgi(environ, lambda *a: seen.append(a))) == b"/2016-08-15/proxy/s/f/x"
        )
        assert seen[0][0] == "200 OK"
        answer = json.loads(hello.event(fc3_http_event("GET", "/y"), None))
        assert answer["body"] == "/y"

    def test_unknown_option(self) -> None:
        """An unknown option is a ConfigurationError naming it, at decoration."""
        import fcsdk as fc

        with pytest.raises(fc.ConfigurationError, match="max_size"):
            fc.http(max_size=1)  # type: ignore[call-overload]

    def test_negative_body_limit(self) -> None:
        """Limits refuses a negative max_body_size."""
        import fcsdk as fc

        with pytest.raises(fc.ConfigurationError, match="max_body_size"):
            fc.Limits(max_body_size=-1)

    def test_place_repr_and_server_fallback(self) -> None:
        """A place names itself; without SERVER_NAME a WSGI place reads the Host header."""
        environ = wsgi_environ("GET", "/", headers={"Host": "h.example:81"}, process_environ={})
        del environ["SERVER_NAME"]
        place = WSGIPlace(environ, print, DEFAULT_OPTIONS)
        assert repr(place) == "<WSGIPlace FC 2.0 (WSGI)>"
        assert place.server == ("h.example", 81)

    def test_declared_length_is_kept(self) -> None:
        """A Content-Length the response sets is not added again on FC 2.0."""
        seen: list[Any] = []
        place = WSGIPlace(
            wsgi_environ(process_environ={}), lambda *a: seen.append(a), DEFAULT_OPTIONS
        )
        place.encode(200, [("Content-Length", "2")], b"hi")
        assert seen[0][1] == [("Content-Length", "2")]

    def test_mapping_equality_across_types(self) -> None:
        """Two multi-mappings of different types are not equal; a non-str key is not in one."""
        from fcsdk.web.datastructures import FormData, QueryParams

        assert FormData([("a", "1")]) != QueryParams([("a", "1")])
        assert FormData([("a", "1")]) == FormData([("a", "1")])
        assert 1 not in FormData([("a", "1")])  # type: ignore[comparison-overlap]
