"""The FC 3.0 and API Gateway path: any event gives a ``Request`` or an ``EventDecodeError``.

Events start as the platform sends them (:func:`fcsdk.testing.fc3_http_event`,
:func:`fcsdk.testing.apigw_event`) and get one field replaced or removed,
bad base64 bodies, a ``Content-Length`` that lies, bad percent-encoding in
``rawPath``, header and query values that are not text, deep nesting; they
arrive as JSON bytes, text, or the parsed dict. Every view of the request is
a value or a 4xx, and ``@fc.http``, ``HTTPApp`` and ``from_wsgi`` answer with
response JSON whose status is below 500.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import fcsdk as fc
from fcsdk.testing import apigw_event, fake_context, fc3_http_event
from tests.properties._support import (
    LoggedErrors,
    app_handlers,
    base64_text,
    clean_text,
    content_length_text,
    damaged_bytes,
    deep_json,
    invalid_utf8,
    json_values,
    mutated,
    outcome,
    peak_memory,
    percent_text,
    profile,
    weird_text,
)
from tests.properties.test_wsgi_properties import read_everything
from tests.web.places_support import event_request as request_from_event

HANDLERS = app_handlers()

methods = st.sampled_from(["GET", "POST", "PUT", "HEAD", "DELETE", "get", "BREW"])
paths = st.one_of(
    st.sampled_from(["/", "/items/7", "/items/x", "/items/99999999999999999999999", "/files/a"]),
    st.builds(lambda p: "/items/" + p, clean_text),
    st.builds(lambda p: "/" + p, clean_text),
)
headers = st.dictionaries(
    st.sampled_from(["Content-Type", "Cookie", "Accept", "X-Forwarded-For", "Content-Length", "X"]),
    st.one_of(
        clean_text,
        content_length_text,
        st.sampled_from(
            [
                "application/json",
                "multipart/form-data; boundary=B",
                "application/x-www-form-urlencoded",
            ]
        ),
    ),
    max_size=4,
)
queries = st.dictionaries(
    st.sampled_from(["q", "tags", "item_id", "x"]), clean_text | percent_text, max_size=3
)
bodies = st.one_of(
    st.binary(max_size=50),
    invalid_utf8,
    deep_json,
    st.sampled_from([b'{"name":"tea","qty":2}', b'{"qty":"x"}', b"a=%zz", b"--B\r\n\r\n--B--"]),
)


@st.composite
def valid_events(draw: st.DrawFn) -> dict[str, Any]:
    """An FC 3.0 or API Gateway event for a random request, as the platform builds it."""
    build: Any = draw(st.sampled_from([fc3_http_event, apigw_event]))
    body = draw(bodies)
    try:
        body.decode("utf-8")
        flags: list[bool | None] = [None, True, False]
    except UnicodeDecodeError:
        flags = [None, True]  # the platform sends a binary body as base64
    return build(  # type: ignore[no-any-return]
        draw(methods),
        draw(paths),
        query=draw(queries),
        headers=draw(headers),
        body=body,
        is_base64=draw(st.sampled_from(flags)),
    )


@st.composite
def bent_events(draw: st.DrawFn) -> dict[str, Any]:
    """A platform-shaped event with bad parts planted where the parsers look."""
    event = draw(valid_events())
    plant = draw(
        st.sampled_from(
            ["none", "mutate", "body", "raw_path", "length", "http", "headers", "query", "many"]
        )
    )
    if plant == "mutate":
        bent: dict[str, Any] = draw(mutated(event))
        return bent
    if plant == "body":
        event["body"] = draw(base64_text | weird_text)
        event["isBase64Encoded"] = draw(st.one_of(st.booleans(), json_values))
    elif plant == "raw_path":
        event["rawPath"] = draw(percent_text | weird_text)
        event["path"] = draw(weird_text)
    elif plant == "length":
        event.setdefault("headers", {})["Content-Length"] = draw(content_length_text)
        event["headers"]["content-length"] = draw(content_length_text)
    elif plant == "http":
        event.setdefault("requestContext", {})["http"] = draw(
            st.dictionaries(st.sampled_from(["method", "path", "sourceIp"]), json_values)
        )
    elif plant == "headers":
        event["headers"] = draw(st.dictionaries(weird_text, weird_text, max_size=4))
    elif plant == "query":
        event["queryParameters"] = draw(st.dictionaries(weird_text, weird_text, max_size=4))
    elif plant == "many":  # around the header-count limit (Limits.max_headers, 128)
        count = draw(st.integers(120, 140))
        event.setdefault("headers", {}).update({f"X-H-{i}": "v" for i in range(count)})
    return event


def as_wire(event: dict[str, Any], form: str) -> object:
    """The event as the runtime passes it (JSON bytes), as text, or as the parsed dict."""
    if form == "dict":
        return event
    text = json.dumps(event)
    return text if form == "str" else text.encode()


forms = st.sampled_from(["bytes", "str", "dict"])


def request_or_decode_error(event: object, *, limit: int = 6 * 1024 * 1024) -> fc.Request | None:
    """The request of ``event``, or ``None`` when it answered with an EventDecodeError."""
    result = outcome(lambda: request_from_event(event, fake_context(), max_body_size=limit))
    if isinstance(result, fc.FCSDKError):
        assert isinstance(result, fc.EventDecodeError), repr(result)
        assert str(result)
        return None
    kind, request = result
    assert type(kind).__name__ in ("FC3Place", "APIGatewayPlace")
    return request


class TestRequestFromEvent:
    @profile(300)
    @given(event=bent_events(), form=forms, limit=st.sampled_from([6 * 1024 * 1024, 8, 0]))
    def test_every_view(self, event: dict[str, Any], form: str, limit: int) -> None:
        """Any bent event gives a request whose every view is a value or a 4xx, or an EventDecodeError."""  # noqa: E501
        request = request_or_decode_error(as_wire(event, form), limit=limit)
        if request is not None:
            read_everything(request)

    @profile(150)
    @given(value=json_values | deep_json.map(bytes.decode), form=forms)
    def test_any_json(self, value: Any, form: str) -> None:
        """Any JSON document (deep nesting included) is a request or an EventDecodeError."""
        if isinstance(value, str) and value[:1] in "[{":
            request_or_decode_error(value if form != "bytes" else value.encode())
            return
        request_or_decode_error(
            value if form == "dict" and isinstance(value, dict) else json.dumps(value)
        )

    @profile(150)
    @given(data=st.data(), event=valid_events())
    def test_damaged_bytes(self, data: st.DataObject, event: dict[str, Any]) -> None:
        """A platform event's JSON bytes truncated or flipped give a request or an EventDecodeError."""  # noqa: E501
        payload = data.draw(damaged_bytes(json.dumps(event).encode()))
        request = request_or_decode_error(payload)
        if request is not None:
            read_everything(request)

    @profile(100)
    @given(event=valid_events())
    def test_platform_events_read_cleanly(self, event: dict[str, Any]) -> None:
        """An event as the platform builds it, with no lying length, gives a request with a body."""
        event["headers"] = {
            k: v for k, v in event.get("headers", {}).items() if k.lower() != "content-length"
        }
        request = request_or_decode_error(json.dumps(event).encode())
        assert request is not None
        body = outcome(lambda: request.body)
        assert not isinstance(body, fc.FCSDKError), body


class TestThroughHandlers:
    @profile(300)
    @given(event=bent_events(), form=forms, name=st.sampled_from(sorted(HANDLERS)))
    def test_status_below_500(self, event: dict[str, Any], form: str, name: str) -> None:
        """@fc.http, HTTPApp and from_wsgi answer any bent event with a status below 500."""
        with LoggedErrors() as logged:
            answer = outcome(lambda: HANDLERS[name](as_wire(event, form), fake_context()))
        if isinstance(answer, fc.FCSDKError):
            assert isinstance(answer, fc.EventDecodeError), repr(answer)
            return
        response = json.loads(answer)
        if response["statusCode"] >= 500:
            logged.raise_first()
        assert 200 <= response["statusCode"] < 500, response
        assert isinstance(response["body"], str)


class TestLoneSurrogates:
    @profile(150)
    @given(
        name=st.sampled_from(sorted(HANDLERS)),
        kind=st.sampled_from(["fc3", "apigw"]),
        where=st.sampled_from(["path", "query name", "query value", "header", "body", "cookie"]),
        escape=st.sampled_from(["\\ud800", "\\udcff", "\\udfff", "\\ud83d"]),
        prefix=st.sampled_from(["", "/items/", "/files/", "/items/7"]),
    )
    def test_json_escapes_of_lone_surrogates(
        self, name: str, kind: str, where: str, escape: str, prefix: str
    ) -> None:
        """A lone surrogate spelled as a JSON escape in any field of the event bytes: below 500."""
        text = prefix + escape
        fields = {
            "path": ("", "", "", "", "", ""),
            "query name": ("/", text, "v", "X", "", ""),
            "query value": ("/", "q", text, "X", "", ""),
            "header": ("/", "q", "v", text, "", ""),
            "body": ("/", "q", "v", "X", text, ""),
            "cookie": ("/", "q", "v", "X", "", text),
        }[where]
        path = text if where == "path" else fields[0]
        query = f'{{"{fields[1]}":"{fields[2]}"}}'
        headers = f'{{"X-A":"{fields[3]}","Cookie":"a={fields[5]}"}}'
        if kind == "fc3":
            raw = (
                f'{{"rawPath":"{path}","headers":{headers},"queryParameters":{query},'
                f'"body":"{fields[4]}","requestContext":{{"http":{{"method":"GET"}}}}}}'
            )
        else:
            raw = (
                f'{{"path":"{path}","httpMethod":"GET","headers":{headers},'
                f'"queryParameters":{query},"body":"{fields[4]}"}}'
            )
        with LoggedErrors() as logged:
            answer = outcome(lambda: HANDLERS[name](raw.encode(), fake_context()))
        if isinstance(answer, fc.FCSDKError):
            assert isinstance(answer, fc.EventDecodeError), repr(answer)
            return
        status = json.loads(answer)["statusCode"]
        if status >= 500:
            logged.raise_first()
        assert status < 500


class TestBoundedResources:
    @profile(15, deadline_ms=5000)
    @given(size=st.integers(2000, 2_000_000), base64=st.booleans())
    def test_oversized_body_not_decoded(self, size: int, base64: bool) -> None:
        """A body over the limit is refused with 413; base64 is not decoded, text copied at most once."""  # noqa: E501
        body = "QUJD" * (size // 4) if base64 else "x" * size
        event = {"httpMethod": "POST", "path": "/", "body": body, "isBase64Encoded": base64}
        request = request_or_decode_error(event, limit=1000)
        assert request is not None
        peak = peak_memory(lambda: request.body)
        # Text is encoded to UTF-8 before its size is checked: one copy of the body.
        assert peak < (100_000 if base64 else size + 100_000), (peak, size)
        assert isinstance(outcome(lambda: request.body), fc.PayloadTooLarge)
