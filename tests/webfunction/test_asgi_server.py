"""A FastAPI web function behind the real ``python -m fcsdk web`` server, over real sockets."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import oss2
import pytest
from websockets.sync.client import connect

from fcsdk.testing.oss import LocalOSSServer
from tests.leaks import encodings, leaks
from tests.webfunction.server import KEY_ID, SECRET, TOKEN, WebServer, fc_headers

pytestmark = pytest.mark.slow


def _secret_forms() -> set[str]:
    """The secret's and the token's forms, built independently of fcsdk's masking."""
    return encodings(SECRET) | encodings(TOKEN)


class TestServer:
    def test_bare_answers_and_prints_logged_at_once(self, tmp_path: Path) -> None:
        """Answers carry no Server or Date header; a print reaches the log when printed.

        The process's stdout is a file, without PYTHONUNBUFFERED: the server makes it
        line-buffered.
        """
        with WebServer("fastapi_app", tmp_path, env={"PYTHONUNBUFFERED": ""}) as server:
            answer = httpx.get(server.url + "/say/plums", timeout=30)
            assert answer.json() == {"said": "plums"}
            assert "server" not in answer.headers
            assert "date" not in answer.headers
            assert "SAID plums\n" in server.stdout()  # read while the server still runs


class TestContext:
    def test_context_from_the_headers(self, fastapi_server: WebServer) -> None:
        """The route's FCContext carries the x-fc-* headers' values, and is the current one."""
        answer = httpx.get(fastapi_server.url + "/ctx", headers=fc_headers("ctx-1"), timeout=30)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["request_id"] == "ctx-1"
        assert body["current"] == "ctx-1"
        assert (body["function"], body["memory"], body["timeout"]) == ("orders", 512, 60)
        assert (body["region"], body["account_id"], body["key_id"]) == (
            "cn-hangzhou",
            "1234567890",
            KEY_ID,
        )
        assert body["same_loop"] is True

    def test_credential_headers_are_not_shown_to_the_app(self, fastapi_server: WebServer) -> None:
        """The app sees the other x-fc-* headers, never the three that carry the credentials."""
        body = httpx.get(
            fastapi_server.url + "/ctx", headers=fc_headers("ctx-2"), timeout=30
        ).json()
        assert "x-fc-request-id" in body["fc_headers"]
        assert "x-fc-function-memory" in body["fc_headers"]
        for name in ("x-fc-access-key-id", "x-fc-access-key-secret", "x-fc-security-token"):
            assert name not in body["fc_headers"]

    def test_malformed_numbers_give_none(self, fastapi_server: WebServer) -> None:
        """Memory ``abc`` and timeout ``-`` read as None: the request still answers 200."""
        headers = fc_headers(
            "ctx-3", **{"x-fc-function-memory": "abc", "x-fc-function-timeout": "-"}
        )
        answer = httpx.get(fastapi_server.url + "/ctx", headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        assert (answer.json()["memory"], answer.json()["timeout"]) == (None, None)

    def test_a_local_curl_gets_a_request_id_and_no_credentials(
        self, fastapi_server: WebServer
    ) -> None:
        """Without x-fc-* headers the context has a fresh request id and no credentials."""
        body = httpx.get(fastapi_server.url + "/ctx", timeout=30).json()
        assert body["request_id"]
        assert body["key_id"] is None
        again = httpx.get(fastapi_server.url + "/ctx", timeout=30).json()
        assert again["request_id"] != body["request_id"]

    def test_oss_bucket_without_credentials_says_so(self, fastapi_server: WebServer) -> None:
        """oss_bucket() on a context without credentials raises CredentialsError, not a crash."""
        body = httpx.get(fastapi_server.url + "/oss", timeout=30).json()
        assert body["error"] == "CredentialsError"
        assert "credentials" in body["message"].lower()


class TestOSS:
    def test_oss_bucket_signs_with_the_request_credentials(self, tmp_path: Path) -> None:
        """context.oss_bucket() in a route signs with the x-fc-* credentials: a real oss2 PUT."""
        with LocalOSSServer(
            access_key_id=KEY_ID,
            access_key_secret=SECRET,
            security_token=TOKEN,
            buckets=["uploads"],
        ) as oss:
            env = {"FCSDK_OSS_ENDPOINT": oss.endpoint}
            with WebServer("fastapi_app", tmp_path, env=env) as server:
                answer = httpx.put(
                    server.url + "/files/a.txt", headers=fc_headers("oss-1"), timeout=60
                )
                assert answer.json() == {"stored": "a.txt"}, answer.text
            auth = oss2.StsAuth(KEY_ID, SECRET, TOKEN)
            bucket = oss2.Bucket(auth, oss.endpoint, "uploads")
            assert bucket.get_object("a.txt").read() == b"uploaded by oss-1"
            assert any(r.operation == "PutObject" and r.token_present for r in oss.requests)
        assert not leaks([server.logs()], _secret_forms())


class TestLogging:
    def test_records_carry_their_request_id_under_concurrency(
        self, fastapi_server: WebServer
    ) -> None:
        """20 overlapping requests: each record names the request that logged it."""
        ids = [f"log-{n}" for n in range(20)]
        with ThreadPoolExecutor(20) as pool:
            answers = list(
                pool.map(
                    lambda rid: httpx.get(
                        fastapi_server.url + "/log", headers={"x-fc-request-id": rid}, timeout=30
                    ),
                    ids,
                )
            )
        assert all(a.status_code == 200 for a in answers)
        lines = re.findall(r"Z (\S+) \[INFO\] marker (\S+)", fastapi_server.stderr())
        found = {marker: rid for rid, marker in lines if marker.startswith("log-")}
        assert found == {rid: rid for rid in ids}

    def test_secrets_are_masked_in_every_log(self, fastapi_server: WebServer) -> None:
        """A route logging the secret, a failed invocation quoting it: no form of it in the logs."""
        httpx.get(fastapi_server.url + "/log", headers=fc_headers("leak-1"), timeout=30)
        failed = httpx.post(
            fastapi_server.url + "/invoke",
            content=b'{"item": "explode", "qty": 1}',
            headers=fc_headers("leak-2"),
            timeout=30,
        )
        assert failed.status_code == 404
        assert SECRET not in failed.text
        logs = fastapi_server.logs()
        assert "the secret is ***" in logs
        assert not leaks([logs], _secret_forms())


class TestConcurrency:
    def test_40_async_requests_run_at_once(self, fastapi_server: WebServer) -> None:
        """40 async requests that each wait for all 40 to arrive answer: one loop runs them."""
        with ThreadPoolExecutor(40) as pool:
            answers = list(
                pool.map(
                    lambda _: httpx.get(fastapi_server.url + "/gather/40", timeout=60), range(40)
                )
            )
        assert [a.status_code for a in answers] == [200] * 40

    def test_20_sync_requests_run_in_20_threads(self, fastapi_server: WebServer) -> None:
        """20 sync requests meeting at a 20-party barrier all answer: the pool runs them at once."""
        with ThreadPoolExecutor(20) as pool:
            answers = list(
                pool.map(
                    lambda _: httpx.get(fastapi_server.url + "/sync-gather", timeout=60), range(20)
                )
            )
        assert [a.status_code for a in answers] == [200] * 20
        assert sorted(a.json()["index"] for a in answers) == list(range(20))


class TestStreaming:
    def test_first_chunk_arrives_before_the_last_is_produced(
        self, fastapi_server: WebServer
    ) -> None:
        """The client reads the first chunk while the app still waits to produce the second."""
        with (
            httpx.Client(timeout=60) as client,
            client.stream("GET", fastapi_server.url + "/stream") as answer,
        ):
            chunks = answer.iter_raw()
            first = next(chunks)
            assert first == b"first;"
            assert httpx.get(fastapi_server.url + "/release", timeout=30).status_code == 200
            rest = b"".join(chunks)
        assert rest == b"second"

    def test_websocket_round_trip(self, fastapi_server: WebServer) -> None:
        """A real WebSocket client talks to the app's route, which sees its request's context."""
        ws_url = fastapi_server.url.replace("http://", "ws://") + "/ws"
        with connect(ws_url, additional_headers={"x-fc-request-id": "ws-1"}, open_timeout=30) as ws:
            ws.send("hello")
            assert ws.recv(timeout=30) == "hello from ws-1"
            ws.send("again")
            assert ws.recv(timeout=30) == "again from ws-1"
            ws.send("bye")


class TestInvoke:
    def test_typed_handler_answers_its_encoded_result(self, fastapi_server: WebServer) -> None:
        """POST /invoke decodes the event, answers the result with x-fc-status 200, frames it."""
        answer = httpx.post(
            fastapi_server.url + "/invoke",
            content=b'{"item": "book", "qty": 2}',
            headers=fc_headers("inv-1", **{"content-type": "application/octet-stream"}),
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-fc-status"] == "200"
        assert answer.json() == {"item": "book", "qty": 2, "request_id": "inv-1"}
        out = fastapi_server.stdout()
        start = out.index("FC Invoke Start RequestId: inv-1")
        assert out.index("FC Invoke End RequestId: inv-1") > start
        assert re.search(r"Z inv-1 \[INFO\] shipping 2", fastapi_server.stderr())

    def test_decode_error_in_fc_error_shape_without_the_event(
        self, fastapi_server: WebServer
    ) -> None:
        """A bad event answers 404 + x-fc-status 404 with FC's error JSON; no event value logged."""
        answer = httpx.post(
            fastapi_server.url + "/invoke",
            content=b'{"item": "PRIVATE-VALUE-77", "qty": "many-PRIVATE"}',
            headers=fc_headers("inv-2"),
            timeout=30,
        )
        assert answer.status_code == 404
        assert answer.headers["x-fc-status"] == "404"
        error = answer.json()
        assert error["errorType"] == "EventDecodeError"
        assert "event.qty" in error["errorMessage"]
        assert isinstance(error["stackTrace"], list)
        assert "PRIVATE" not in answer.text
        assert "invocation failed (request inv-2)" in fastapi_server.stderr()
        assert "PRIVATE" not in fastapi_server.logs()

    def test_handler_error_names_the_user_frame(self, fastapi_server: WebServer) -> None:
        """A handler's exception answers its type and message, and its own frame in the trace."""
        answer = httpx.post(
            fastapi_server.url + "/invoke",
            content=b'{"item": "explode", "qty": 1}',
            headers=fc_headers("inv-3"),
            timeout=30,
        )
        error = answer.json()
        assert (answer.status_code, error["errorType"]) == (404, "RuntimeError")
        assert error["errorMessage"] == "cannot ship with key ***"
        assert any(frame[0].endswith("fastapi_app.py") for frame in error["stackTrace"])
        assert not any("/fcsdk/" in frame[0] for frame in error["stackTrace"])

    def test_control_path_http_invoke_reaches_the_app(self, fastapi_server: WebServer) -> None:
        """x-fc-control-path /http-invoke sends POST /invoke to the app, not the handler."""
        answer = httpx.post(
            fastapi_server.url + "/invoke",
            content=b"{}",
            headers={"x-fc-request-id": "cp-1", "x-fc-control-path": "/http-invoke"},
            timeout=30,
        )
        assert answer.json() == {"from": "app"}
        assert "x-fc-status" not in answer.headers

    def test_control_path_invoke_reaches_the_handler(self, fastapi_server: WebServer) -> None:
        """x-fc-control-path /invoke makes the request an invocation whatever its path."""
        answer = httpx.post(
            fastapi_server.url + "/anything",
            content=b'{"item": "pen", "qty": 1}',
            headers={"x-fc-request-id": "cp-2", "x-fc-control-path": "/invoke"},
            timeout=30,
        )
        assert answer.headers["x-fc-status"] == "200"
        assert json.loads(answer.content)["item"] == "pen"
