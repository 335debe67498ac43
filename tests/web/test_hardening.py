"""Tests for issue 13's web hardening: isBase64Encoded agreement, cookie attributes, header names.

``tests/events/apigw_published.json`` follows the API Gateway request format
published in FC's documentation ("API Gateway triggers", request format:
https://www.alibabacloud.com/help/doc-detail/74800.htm). That page shows
placeholders (``"path":"api request path"``, ``"isBase64Encoded":true|false``);
the fixture fills them in, keeps ``isBase64Encoded`` as the string API
Gateway's samples send, and carries the two headers API Gateway adds for the
caller's address: ``X-Forwarded-For`` and the ``CaClientIp`` system parameter
mapped to a header of that name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import fcsdk as fc
from fcsdk.events.http import APIGatewayEvent, HTTPTriggerEvent
from fcsdk.exceptions import EventDecodeError, ResultEncodeError
from fcsdk.testing import fc3_http_event

PUBLISHED = json.loads((Path(__file__).parents[1] / "events" / "apigw_published.json").read_text())


@fc.http
def echo(request: fc.Request) -> dict[str, Any]:
    """Answer what the request carried."""
    return {
        "body": request.body.decode(),
        "ip": request.client_ip,
        "headers": dict(request.headers),
    }


def _answer(event: dict[str, Any]) -> tuple[int, Any]:
    answer = json.loads(echo(event, None))
    body = json.loads(answer["body"]) if answer["statusCode"] == 200 else answer["body"]
    return answer["statusCode"], body


class TestBase64Flag:
    @pytest.mark.parametrize("flag", ["false", "False", "0"])
    def test_string_false_agrees_with_the_model(self, flag: str) -> None:
        """isBase64Encoded "false" is false for the request as for the model: the body is text."""
        for event, model in (
            ({**PUBLISHED, "body": "aGk=", "isBase64Encoded": flag}, APIGatewayEvent),
            (
                {**fc3_http_event("POST", "/", body=b"aGk="), "isBase64Encoded": flag},
                HTTPTriggerEvent,
            ),
        ):
            status, body = _answer(event)
            assert status == 200
            assert body["body"] == "aGk="
            assert model.model_validate(event).body_bytes == b"aGk="

    def test_string_true_decodes(self) -> None:
        """isBase64Encoded "true" decodes the body, as the model does."""
        event = {**PUBLISHED, "body": "aGk=", "isBase64Encoded": "true"}
        assert _answer(event)[1]["body"] == "hi"
        assert APIGatewayEvent.model_validate(event).body_bytes == b"hi"

    def test_not_a_boolean_is_the_models_error(self) -> None:
        """A flag neither place can read as a boolean is the model's EventDecodeError."""
        with pytest.raises(EventDecodeError, match="isBase64Encoded"):
            echo({**PUBLISHED, "isBase64Encoded": "maybe"}, None)


class TestHeaderNames:
    @pytest.mark.parametrize("name", ["X-A\r\nB", "X\0", "Bad Name", "a:b", "\ud800", ""])
    @pytest.mark.parametrize("place", ["fc3", "apigw"])
    def test_bad_name_is_400(self, name: str, place: str) -> None:
        """A header name that is not an RFC 9110 token is a 400 in FC 3.0 and API Gateway events."""
        base = fc3_http_event() if place == "fc3" else dict(PUBLISHED)
        status, body = _answer({**base, "headers": {name: "x"}})
        assert status == 400
        assert "header name" in body

    def test_crlf_in_value_is_400(self) -> None:
        """A CR or LF in a header value is a 400, not a 500 when it is echoed."""
        status, _ = _answer({**PUBLISHED, "headers": {"X-A": "1\r\nSet-Cookie: x=1"}})
        assert status == 400

    def test_str_subclass_value_is_a_str(self) -> None:
        """A str-subclass header value (a dict event built in code) is accepted like a str."""

        class Name(str):
            pass

        status, body = _answer({**fc3_http_event(), "headers": {"X-A": Name("1")}})
        assert status == 200
        assert body["headers"]["X-A"] == "1"


class TestClientIp:
    def test_published_event(self) -> None:
        """The published API Gateway event: client_ip is CaClientIp; the body reads as text."""
        status, body = _answer(PUBLISHED)
        assert status == 200
        assert body["ip"] == "203.0.113.7"
        assert body["body"] == '{"qty": 2}'

    def test_ca_client_ip_wins(self) -> None:
        """CaClientIp, set by API Gateway, wins over X-Forwarded-For, which a client can forge."""
        headers = {"x-forwarded-for": "10.0.0.1", "caclientip": "192.0.2.9"}
        assert _answer({**PUBLISHED, "headers": headers})[1]["ip"] == "192.0.2.9"

    def test_forwarded_for_last_hop(self) -> None:
        """Without CaClientIp, the last X-Forwarded-For address (API Gateway's own) is used."""
        headers = {"X-Forwarded-For": "10.0.0.1 , 198.51.100.4"}
        assert _answer({**PUBLISHED, "headers": headers})[1]["ip"] == "198.51.100.4"

    def test_neither(self) -> None:
        """No address header: client_ip stays empty."""
        assert _answer({**PUBLISHED, "headers": {}})[1]["ip"] == ""


class TestCookieAttributes:
    @pytest.mark.parametrize(
        "options",
        [
            {"path": "/; Domain=evil.com"},
            {"domain": "x; SameSite=None"},
            {"path": "/a\x00b"},
            {"path": "/é"},
            {"domain": "exa mple.com"},
            {"domain": "a,b"},
            {"samesite": "lax; Secure"},
        ],
    )
    def test_injection_refused(self, options: dict[str, Any]) -> None:
        """A cookie attribute with ;, a control or another RFC 6265-forbidden char is refused."""
        with pytest.raises(ResultEncodeError, match=r"cookie|samesite"):
            fc.Response().set_cookie("sid", "1", **options)

    @pytest.mark.parametrize("key", ["s\x00id", "sé", "a(b"])
    def test_name_must_be_a_token(self, key: str) -> None:
        """A cookie name outside RFC 6265's token is refused."""
        with pytest.raises(ResultEncodeError, match="cookie name"):
            fc.Response().set_cookie(key, "1")

    def test_valid_attributes_pass(self) -> None:
        """Ordinary paths and domains still work."""
        response = fc.Response()
        response.set_cookie("sid", "1", path="/app/v1", domain=".example.com", samesite="strict")
        assert response.headers["set-cookie"] == (
            "sid=1; Domain=.example.com; Path=/app/v1; SameSite=Strict"
        )


class TestFastPathAgreesWithModel:
    def test_str_subclass_method_and_path(self) -> None:
        """str-subclass method, path and body pass as the models let them pass."""

        class Text(str):
            pass

        event = {**PUBLISHED, "httpMethod": Text("POST"), "path": Text("/a"), "body": Text("x")}
        status, body = _answer(event)
        assert status == 200
        assert body["body"] == "x"

    def test_model_error_on_an_accepted_event(self) -> None:
        """Asked to explain an event its model accepts, a place still gives a typed error."""
        from fcsdk.web.options import DEFAULT_OPTIONS
        from fcsdk.web.places import APIGatewayPlace

        place = APIGatewayPlace.from_event(PUBLISHED, None, DEFAULT_OPTIONS)
        error = place.model_error()
        assert isinstance(error, EventDecodeError)
        assert "API Gateway" in str(error)
