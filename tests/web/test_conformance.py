"""Conformance: the same request gives the same Request in FC 2.0 and FC 3.0 (hypothesis)."""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import quote
from wsgiref.validate import validator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fcsdk as fc
from fcsdk.exceptions import EventDecodeError, HTTPError
from fcsdk.testing import fake_context, fc3_http_event, read_fc3_response, wsgi_environ
from fcsdk.web.forms import parse_form
from tests.web.places_support import event_request as request_from_event

METHODS = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
SEGMENT = st.text(min_size=1, max_size=8)  # any unicode, '/' included: it travels as %2F
QUERY_KEYS = st.sampled_from(["a", "b", "tag", "é", "a b", "x&y", "k=v"])
# FC 3.0 joins repeated values with commas, so a literal comma cannot travel (documented).
QUERY_VALUES = st.text(max_size=8).filter(lambda v: "," not in v)
HEADER_NAMES = st.sampled_from(["X-One", "X-Two", "Accept", "X-Custom-Header", "Cache-Control"])
HEADER_VALUES = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=10
)


@st.composite
def requests(draw: Any) -> dict[str, Any]:
    segments = draw(st.lists(SEGMENT, max_size=4))
    body = draw(st.binary(max_size=64))
    headers = draw(st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=5))
    headers += [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))]
    return {
        "method": draw(METHODS),
        "path": "/" + "/".join(quote(s, safe="") for s in segments),
        "query": draw(st.lists(st.tuples(QUERY_KEYS, QUERY_VALUES), max_size=5)),
        "headers": headers,
        "body": body,
    }


def _snapshot(request: fc.Request) -> dict[str, Any]:
    query = request.query
    return {
        "method": request.method,
        "path": request.path,
        "raw_path": request.raw_path,
        "query": {key: query.getall(key) for key in sorted(query.keys())},
        "query_get": {key: query.get(key) for key in query},
        "headers": sorted((k.lower(), v) for k, v in request.headers.items()),
        "body": request.body,
        "client_ip": request.client_ip,
        "request_id": request.request_id,
    }


@fc.http
def capture(request: fc.Request) -> fc.Response:
    capture.seen.append(_snapshot(request))  # type: ignore[attr-defined]
    return fc.Response(request.body, content_type="application/octet-stream")


capture.seen = []  # type: ignore[attr-defined]


def _via_wsgi(parts: dict[str, Any], context: Any) -> bytes:
    environ = wsgi_environ(
        parts["method"],
        parts["path"],
        query=parts["query"],
        headers=parts["headers"],
        body=parts["body"],
        context=context,
    )

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return lambda data: None

    result = validator(capture)(environ, start_response)
    try:
        return b"".join(result)
    finally:
        result.close()  # type: ignore[attr-defined]


def _via_fc3(parts: dict[str, Any], context: Any) -> bytes:
    event = fc3_http_event(
        parts["method"],
        parts["path"],
        query=parts["query"],
        headers=parts["headers"],
        body=parts["body"],
    )
    answer = capture(json.dumps(event).encode(), context)
    return read_fc3_response(answer)[2]


class TestRoundTrip:
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(requests())
    def test_wsgi_and_fc3_give_equal_requests(self, parts: dict[str, Any]) -> None:
        """A request as a WSGI environ and as an FC 3.0 event gives equal Requests and bodies."""
        context = fake_context(request_id="r-round")
        capture.seen.clear()  # type: ignore[attr-defined]
        wsgi_body = _via_wsgi(parts, context)
        fc3_body = _via_fc3(parts, context)
        wsgi_request, fc3_request = capture.seen  # type: ignore[attr-defined]
        assert wsgi_request == fc3_request
        assert wsgi_body == fc3_body == parts["body"]


class TestAnyInput:
    @settings(max_examples=200, deadline=None)
    @given(st.binary(max_size=200))
    def test_any_event_bytes_give_a_request_or_a_decode_error(self, data: bytes) -> None:
        """Any bytes as an event give a Request or an EventDecodeError, never another crash."""
        with contextlib.suppress(EventDecodeError):
            request_from_event(data)

    @settings(max_examples=200, deadline=None)
    @given(
        st.dictionaries(
            st.sampled_from(["rawPath", "headers", "body", "isBase64Encoded", "queryParameters"]),
            st.one_of(
                st.none(),
                st.text(max_size=5),
                st.booleans(),
                st.integers(),
                st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
            ),
        ),
    )
    def test_any_fc3_fields_answer_or_refuse(self, fields: dict[str, Any]) -> None:
        """Random field values in an FC 3.0 event give a JSON answer or an EventDecodeError."""
        event = {**fields, "requestContext": {"http": {"method": "POST"}}}
        try:
            answer = capture(event, fake_context())
        except EventDecodeError:
            return
        assert json.loads(answer)["statusCode"] in (200, 400, 413)

    @settings(max_examples=200, deadline=None)
    @given(
        st.binary(max_size=120),
        st.sampled_from(
            [
                "multipart/form-data; boundary=XyZ",
                "multipart/form-data",
                "application/x-www-form-urlencoded",
                "text/plain",
            ]
        ),
    )
    def test_any_form_body_parses_or_is_a_4xx(self, body: bytes, content_type: str) -> None:
        """Any bytes as a form body parse or raise an HTTPError (4xx), never another crash."""
        status = 200
        try:
            parse_form(body, content_type)
        except HTTPError as exc:
            status = exc.status
        assert 200 <= status < 500

    @settings(max_examples=100, deadline=None)
    @given(st.binary(max_size=40), st.binary(max_size=40))
    def test_any_raw_query_and_header_bytes_answer_below_500(
        self, query: bytes, header: bytes
    ) -> None:
        """Raw query and header bytes in the environ never make the handler fail with a 5xx."""
        handler = fc.http(
            lambda request: {"q": request.query.multi_items(), "h": request.headers.items()}
        )
        environ = wsgi_environ("GET", "/")
        environ["QUERY_STRING"] = query.decode("latin-1")
        environ["HTTP_X_RAW"] = header.replace(b"\r", b"").replace(b"\n", b"").decode("latin-1")
        statuses: list[str] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            statuses.append(status)
            return lambda data: None

        result: Any = validator(handler)(environ, start_response)
        b"".join(result)
        result.close()
        assert statuses[0][:1] in ("2", "4")
