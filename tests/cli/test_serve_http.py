"""Tests for fcsdk/_cli/serve.py: the HTTP trigger of ``fcsdk serve``, driven by real clients."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import requests

from tests.local.serving import APPS, Served, served

pytestmark = pytest.mark.slow  # each test drives a real fcsdk serve process

RID = re.compile(r"^1-[0-9a-f]{8}-[0-9a-f]{24}$")


@pytest.fixture(scope="module")
def wsgi() -> Iterator[Served]:
    """One FC 2.0 server (python3.10: WSGI mode) for the module, with instance concurrency 10."""
    with served(
        "web_wsgi.handler",
        "--code-dir",
        str(APPS),
        "--no-oss",
        "--concurrency",
        "10",
        "--env",
        "MY_SETTING=on",
        "--runtime",
        "python3.10",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def event() -> Iterator[Served]:
    """One FC 3.0 server (python3.12: event mode by default)."""
    with served(
        "web_event.handler", "--code-dir", str(APPS), "--no-oss", "--runtime", "python3.12"
    ) as server:
        yield server


class TestWSGIMode:
    def test_environ_as_fc_builds_it(self, wsgi: Served) -> None:
        """The handler gets FC 2.0's environ: FC's values, joined headers, fc.* keys."""
        response = httpx.get(
            wsgi.url + "/echo?a=1&a=2",
            headers=[("X-Multi", "one"), ("X-Multi", "two")],
            timeout=10,
        )
        assert response.status_code == 200
        data = response.json()
        assert data["SERVER_NAME"] == "FCRUNTIME"
        assert data["SERVER_PORT"] == "9000"
        assert data["SCRIPT_NAME"] == ""
        assert data["CONTENT_TYPE"] == "application/octet-stream"
        assert data["QUERY_STRING"] == "a=1&a=2"
        assert data["REMOTE_ADDR"] == "127.0.0.1"
        assert data["wsgi.multithread"] is False
        assert data["headers"]["HTTP_X_MULTI"] == "one,two"
        assert data["fc.request_uri"] == "/echo?a=1&a=2"
        assert data["request_id"] == response.headers["x-fc-request-id"]
        assert RID.match(data["request_id"])
        assert data["env_in_environ"] == "my-function"

    def test_function_environment(self, wsgi: Served) -> None:
        """The FC_* variables and --env values are in the function's environment."""
        env = httpx.get(wsgi.url + "/echo", timeout=10).json()["env"]
        assert env["FC_FUNCTION_NAME"] == "my-function"
        assert env["FC_FUNCTION_HANDLER"] == "web_wsgi.handler"
        assert env["FC_FUNCTION_MEMORY_SIZE"] == "512"
        assert env["FC_RUNTIME_VERSION"] == "python3.10"
        assert env["FC_FUNC_CODE_PATH"] == str(APPS)
        assert env["FC_INSTANCE_ID"]
        assert env["MY_SETTING"] == "on"

    def test_proxy_prefix(self, wsgi: Served) -> None:
        """Under /2016-08-15/proxy/<service>/<function>/ the handler sees the path after it."""
        url = wsgi.url + "/2016-08-15/proxy/my-service/my-function/echo?x=%20y"
        data = httpx.get(url, timeout=10).json()
        assert data["PATH_INFO"] == "/echo"
        assert data["fc.request_uri"] == "/2016-08-15/proxy/my-service/my-function/echo?x=%20y"

    def test_post_body_and_content_type(self, wsgi: Served) -> None:
        """A posted body arrives whole, with its content type and length."""
        response = httpx.post(
            wsgi.url + "/echo",
            content=b"k=v&x=1",
            timeout=10,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        data = response.json()
        assert data["body"] == "k=v&x=1"
        assert data["CONTENT_LENGTH"] == "7"
        assert data["CONTENT_TYPE"] == "application/x-www-form-urlencoded"

    def test_cookies_and_redirect(self, wsgi: Served) -> None:
        """Two Set-Cookie headers survive, and a client following the redirect sends them back."""
        with requests.Session() as session:
            response = session.get(wsgi.url + "/login", timeout=10)
            assert response.status_code == 200
            assert [r.status_code for r in response.history] == [302]
            assert response.history[0].raw.headers.getlist("Set-Cookie") == [
                "session=abc123; Path=/; HttpOnly",
                "theme=dark; Path=/",
            ]
            cookie = response.json()["cookie"]
        assert "session=abc123" in cookie
        assert "theme=dark" in cookie

    def test_binary_upload_and_download(self, wsgi: Served) -> None:
        """Arbitrary binary bytes go up and come back unchanged."""
        payload = os.urandom(1024 * 1024) + bytes(range(256))
        response = httpx.post(wsgi.url + "/upload", content=payload, timeout=20)
        assert response.headers["x-sha256"] == hashlib.sha256(payload).hexdigest()
        assert response.content == payload[::-1]

    def test_chunked_upload(self, wsgi: Served) -> None:
        """A chunked request body (no Content-Length) is read whole."""

        def chunks() -> Iterator[bytes]:
            yield b"abc"
            yield b"\x00\xff" * 1000

        response = httpx.post(wsgi.url + "/upload", content=chunks(), timeout=10)
        assert response.content == (b"abc" + b"\x00\xff" * 1000)[::-1]

    def test_write_callable(self, wsgi: Served) -> None:
        """What the app passes to write() comes before its iterable."""
        assert httpx.get(wsgi.url + "/write", timeout=10).text == "written, then iterated"

    def test_head_has_no_body(self, wsgi: Served) -> None:
        """HEAD answers the headers with no body."""
        response = httpx.head(wsgi.url + "/echo", timeout=10)
        assert response.status_code == 200
        assert response.content == b""
        assert int(response.headers["content-length"]) > 0

    def test_hundred_concurrent_requests(self, wsgi: Served) -> None:
        """100 requests with --concurrency 10: all answered, each with its own request id."""
        with httpx.Client(timeout=30) as client:

            def one(_: int) -> httpx.Response:
                return client.get(wsgi.url + "/sleep?s=0.1")

            with ThreadPoolExecutor(max_workers=25) as pool:
                responses = list(pool.map(one, range(100)))
        assert [r.status_code for r in responses] == [200] * 100
        ids = {r.headers["x-fc-request-id"] for r in responses}
        assert len(ids) == 100
        assert {r.json()["request_id"] for r in responses} == ids
        peak = max(r.json()["peak"] for r in responses)
        assert 2 <= peak <= 10

    def test_handler_crash_is_fc_error_and_server_lives(self, wsgi: Served) -> None:
        """A crash answers 502 with the runtime's error JSON; the next request works."""
        response = httpx.get(wsgi.url + "/crash", timeout=10)
        assert response.status_code == 502
        assert response.headers["x-fc-error-type"] == "UnhandledInvocationError"
        body = response.json()
        assert body["errorType"] == "ZeroDivisionError"
        assert body["errorMessage"] == "division by zero in /crash"
        assert any("web_wsgi.py" in frame[0] for frame in body["stackTrace"])
        assert not any("_local" in frame[0] for frame in body["stackTrace"])
        assert httpx.get(wsgi.url + "/echo", timeout=10).status_code == 200

    @pytest.mark.parametrize(
        ("path", "message"),
        [
            ("/bad-header", "line break"),
            ("/no-start", "without calling start_response"),
            ("/big", "exceeds FC's limit"),
        ],
    )
    def test_unsendable_answers(self, wsgi: Served, path: str, message: str) -> None:
        """What cannot go on the wire answers 502 with a message saying why."""
        response = httpx.get(wsgi.url + path, timeout=20)
        assert response.status_code == 502
        assert message in response.json()["errorMessage"]
        assert "Injected" not in response.headers

    def test_log_format(self, wsgi: Served) -> None:
        """The log has FC's framing and the runtime's line format with the request id."""
        rid = httpx.get(wsgi.url + "/echo", timeout=10).headers["x-fc-request-id"]
        log = wsgi.log()
        assert f"FC Invoke Start RequestId: {rid}" in log
        assert f"FC Invoke End RequestId: {rid}" in log
        assert re.search(
            rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {rid} \[INFO\] serving /echo", log
        )


class TestEventMode:
    def test_event_shape(self, event: Served) -> None:
        """The handler gets FC 3.0's HTTP event JSON, a JSON body as text."""
        sent_ms = time.time() * 1000
        response = httpx.post(
            event.url + "/echo?tag=a&tag=b&page=2",
            content=b'{"k": 1}',
            headers={"Content-Type": "application/json", "User-Agent": "tester/1"},
            timeout=10,
        )
        data = response.json()
        assert data["version"] == "v1"
        assert data["rawPath"] == "/echo"
        assert data["queryParameters"] == {"tag": "a,b", "page": "2"}
        assert data["headers"]["Content-Type"] == "application/json"
        assert data["isBase64Encoded"] is False
        assert data["body"] == '{"k": 1}'
        ctx = data["requestContext"]
        assert ctx["http"]["method"] == "POST"
        assert ctx["http"]["userAgent"] == "tester/1"
        assert ctx["http"]["sourceIp"] == "127.0.0.1"
        # milliseconds since the epoch, as text, taken while the request was being served
        assert sent_ms - 1 <= int(ctx["timeEpoch"]) <= time.time() * 1000
        assert ctx["requestId"] == response.headers["x-fc-request-id"]
        assert data["context_request_id"] == ctx["requestId"]

    def test_raw_path_encoded_and_path_decoded(self, event: Served) -> None:
        """rawPath keeps the percent-encoding; requestContext.http.path is decoded."""
        response = httpx.get(event.url + "/2016-08-15/proxy/s/f/echo", timeout=10)
        assert response.json()["rawPath"] == "/echo"
        response = httpx.get(event.url + "/orders/a%20b", timeout=10)
        assert response.status_code == 404
        assert response.text == "no route /orders/a%20b"

    def test_cookies_and_redirect(self, event: Served) -> None:
        """A list of Set-Cookie values goes out as separate headers; redirects work."""
        with requests.Session() as session:
            response = session.get(event.url + "/login", timeout=10)
            assert response.history[0].status_code == 302
            assert response.history[0].raw.headers.getlist("Set-Cookie") == [
                "session=abc123; Path=/",
                "a=b",
            ]
            assert "session=abc123" in response.text

    def test_binary_round_trip(self, event: Served) -> None:
        """A binary body goes in base64 and comes back decoded, with the handler's status."""
        payload = os.urandom(300_000)
        response = httpx.post(event.url + "/upload", content=payload, timeout=20)
        assert response.status_code == 201
        assert response.content == payload[::-1]

    def test_not_a_response_object(self, event: Served) -> None:
        """A result that is not a response object is sent as the body of a 200, as FC does."""
        response = httpx.get(event.url + "/plain", timeout=10)
        assert response.status_code == 200
        assert response.text == "just text, not a response object"

    @pytest.mark.parametrize(
        ("path", "error_type"),
        [("/unsendable", "TypeError"), ("/bad-status", "ValidationError"), ("/crash", "KeyError")],
    )
    def test_errors(self, event: Served, path: str, error_type: str) -> None:
        """An unsendable result, a bad response object or a crash answer 502 with error JSON."""
        response = httpx.get(event.url + path, timeout=10)
        assert response.status_code == 502
        assert response.headers["x-fc-error-type"] == "UnhandledInvocationError"
        assert json.loads(response.text)["errorType"] == error_type
