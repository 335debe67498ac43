"""Tests for fcsdk.events.http: the FC 3.0 HTTP trigger and API Gateway models."""

from __future__ import annotations

import base64
import json

import pytest
from pydantic import ValidationError

from fcsdk.events.http import (
    APIGatewayEvent,
    APIGatewayResponse,
    HTTPTriggerEvent,
    HTTPTriggerResponse,
)
from tests.events._fixtures import FC3_HTTP_SAMPLE

FC3_SAMPLE = FC3_HTTP_SAMPLE


class TestHTTPTriggerEvent:
    def test_sample_parses_to_snake_case(self) -> None:
        """The documented sample event gives snake_case attributes."""
        event = HTTPTriggerEvent.model_validate(FC3_SAMPLE)
        assert event.raw_path == "/orders/a%20b"
        assert event.request_context.http.path == "/orders/a b"
        assert event.request_context.http.source_ip == "203.0.113.7"
        assert event.request_context.time_epoch == "1763884800000"
        assert event.query_parameters == {"page": "2", "tag": "a,b"}

    def test_body_bytes_undoes_base64(self) -> None:
        """A base64 body is decoded by body_bytes."""
        event = HTTPTriggerEvent.model_validate_json(json.dumps(FC3_SAMPLE))
        assert event.body_bytes == b'{"k":1}'

    def test_text_body_is_utf8_encoded(self) -> None:
        """A text body gives its UTF-8 bytes."""
        event = HTTPTriggerEvent.model_validate(
            {**FC3_SAMPLE, "body": "héllo", "isBase64Encoded": False}
        )
        assert event.body_bytes == "héllo".encode()

    def test_bad_base64_body_is_a_value_error(self) -> None:
        """A body flagged base64 that is not base64 raises ValueError naming the flag."""
        event = HTTPTriggerEvent.model_validate({**FC3_SAMPLE, "body": "!!not base64!!"})
        with pytest.raises(ValueError, match="isBase64Encoded"):
            _ = event.body_bytes

    def test_absent_and_empty_fields_are_tolerated(self) -> None:
        """Empty request ids, null maps, a numeric timeEpoch and no body are all accepted."""
        event = HTTPTriggerEvent.model_validate(
            {
                "rawPath": "/",
                "headers": None,
                "queryParameters": {},
                "requestContext": {
                    "requestId": "",
                    "timeEpoch": 1763884800000,
                    "http": {"method": "GET", "sourceIp": None},
                },
            }
        )
        assert event.headers == {}
        assert event.body_bytes == b""
        assert event.request_context.request_id == ""
        assert event.request_context.time_epoch == "1763884800000"
        assert event.request_context.http.source_ip == ""

    def test_dump_by_alias_round_trips(self) -> None:
        """Dumping by alias gives back the platform's camelCase names."""
        event = HTTPTriggerEvent.model_validate(FC3_SAMPLE)
        again = HTTPTriggerEvent.model_validate(event.model_dump(by_alias=True))
        assert again == event
        assert "isBase64Encoded" in event.model_dump(by_alias=True)

    def test_missing_method_is_a_validation_error(self) -> None:
        """An event without requestContext.http.method does not validate."""
        with pytest.raises(ValidationError, match="method"):
            HTTPTriggerEvent.model_validate({"requestContext": {"http": {}}})


class TestHTTPTriggerResponse:
    def test_reads_a_binary_answer(self) -> None:
        """A base64 answer gives its bytes and keeps list-valued headers."""
        response = HTTPTriggerResponse.model_validate(
            {
                "statusCode": 201,
                "headers": {"Set-Cookie": ["a=1", "b=2"], "Content-Type": "image/png"},
                "body": base64.b64encode(b"\x89PNG").decode(),
                "isBase64Encoded": True,
            }
        )
        assert response.status_code == 201
        assert response.body_bytes == b"\x89PNG"
        assert response.headers["Set-Cookie"] == ["a=1", "b=2"]

    def test_null_body_and_headers(self) -> None:
        """A null body and null headers read as empty."""
        response = HTTPTriggerResponse.model_validate({"headers": None, "body": None})
        assert response.body_bytes == b""
        assert response.headers == {}


class TestAPIGatewayEvent:
    def test_documented_shape(self) -> None:
        """The documented API Gateway event parses, body base64 undone."""
        event = APIGatewayEvent.model_validate(
            {
                "path": "/orders/7",
                "httpMethod": "PUT",
                "headers": {"Content-Type": "text/plain"},
                "queryParameters": {"a": "1"},
                "pathParameters": {"id": "7"},
                "body": base64.b64encode(b"hi").decode(),
                "isBase64Encoded": True,
                "stage": "RELEASE",
            }
        )
        assert event.http_method == "PUT"
        assert event.path_parameters == {"id": "7"}
        assert event.body_bytes == b"hi"

    def test_nulls_are_empty(self) -> None:
        """Null maps become empty dicts."""
        event = APIGatewayEvent.model_validate(
            {"httpMethod": "GET", "headers": None, "pathParameters": None}
        )
        assert event.headers == {}
        assert event.path_parameters == {}
        assert event.path == "/"


class TestAPIGatewayResponse:
    def test_string_status_code_is_accepted(self) -> None:
        """A statusCode sent as a string reads as an int."""
        response = APIGatewayResponse.model_validate(
            {"statusCode": "404", "body": "nope", "isBase64Encoded": False}
        )
        assert response.status_code == 404
        assert response.body_bytes == b"nope"
