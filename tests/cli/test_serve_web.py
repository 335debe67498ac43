"""``fcsdk serve`` and ``fcsdk invoke`` running a web function as FC runs it, over real sockets.

The function is a stand-in server (tests/local/apps/web_child.py) started
from the startup command of a project's ``s.yaml``; it records what reaches it.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from fcsdk._platform.context import FAKE_ACCESS_KEY_SECRET, FAKE_SECURITY_TOKEN
from fcsdk.cli import main
from tests.local import serving

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CHILD = ROOT / "tests" / "local" / "apps" / "web_child.py"
SERVE = [sys.executable, "-m", "fcsdk", "serve"]

S_YAML = """\
edition: 3.0.0
name: shop
vars:
  region: cn-shanghai
resources:
  shop:
    component: fc3
    props:
      region: ${vars.region}
      functionName: shop
      runtime: custom.debian12
      handler: index.handler
      memorySize: 1024
      timeout: 7
      instanceConcurrency: 10
      environmentVariables:
        GREETING: hello
      customRuntimeConfig:
        command: [python3, /code/web_child.py]
        port: 9000
      instanceLifecycleConfig:
        initializer:
          handler: "true"
          timeout: 5
        preStop:
          handler: "true"
          timeout: 5
"""


class Project:
    """A web function project in a temporary folder, and what its server recorded."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.record_path = root / "record.jsonl"
        self.env = {"WEB_CHILD_RECORD": str(self.record_path)}

    def records(self, kind: str | None = None) -> list[dict[str, Any]]:
        if not self.record_path.exists():
            return []
        lines = self.record_path.read_text(encoding="utf-8").splitlines()
        found = [json.loads(line) for line in lines if line.strip()]
        return [r for r in found if kind is None or r["kind"] == kind]

    def wait_records(self, kind: str, count: int = 1, seconds: float = 20.0) -> list[Any]:
        """Wait (bounded) until ``count`` records of ``kind`` are there."""
        deadline = time.monotonic() + seconds
        while len(self.records(kind)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count} {kind!r} records: {self.records()}")
            time.sleep(0.02)
        return self.records(kind)

    def serve(self, *args: str, **env: str) -> serving.Served:
        return serving.start("--code-dir", str(self.root), *args, env={**self.env, **env})

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fcsdk", *args, "--code-dir", str(self.root)],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **self.env, **env},
        )


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "shop"
    root.mkdir()
    shutil.copy(CHILD, root / "web_child.py")
    (root / "s.yaml").write_text(S_YAML, encoding="utf-8")
    return Project(root)


@pytest.fixture
def served(project: Project) -> Iterator[serving.Served]:
    server = project.serve("--no-oss")
    try:
        yield server
    finally:
        server.stop()


def process_gone(pid: int, seconds: float = 20.0) -> bool:
    """Wait (bounded) for process ``pid`` to end; whether it did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.02)
    return False


class TestServeForwards:
    def test_request_arrives_as_itself_with_fc_headers(
        self, project: Project, served: serving.Served
    ) -> None:
        """Method, path, query and body arrive unchanged, plus the common x-fc-* headers."""
        response = httpx.post(
            f"{served.url}/a/b?q=a,b&q=c",
            content=b"hello",
            headers={"x-fc-access-key-id": "forged", "X-Custom": "1"},
            timeout=20,
        )
        assert response.status_code == 200
        seen = response.json()
        assert (seen["method"], seen["path"], seen["query"]) == ("POST", "/a/b", "q=a,b&q=c")
        assert seen["body"] == "hello"
        headers = seen["headers"]
        assert headers["x-custom"] == "1"
        assert headers["x-fc-access-key-id"] == "STS.fake-access-key-id"
        assert headers["x-fc-access-key-secret"] == FAKE_ACCESS_KEY_SECRET
        assert headers["x-fc-security-token"] == FAKE_SECURITY_TOKEN
        assert headers["x-fc-request-id"].startswith("1-")
        expected = {
            "x-fc-function-name": "shop",
            "x-fc-function-handler": "index.handler",
            "x-fc-function-memory": "1024",
            "x-fc-function-timeout": "7",
            "x-fc-region": "cn-shanghai",
            "x-fc-account-id": "1234567890123456",
            "x-fc-function-initializer": "true",
            "x-fc-initialization-timeout": "5",
            "x-fc-instance-lifecycle-pre-stop-handler": "true",
        }
        assert {k: headers[k] for k in expected} == expected

    def test_only_the_clients_headers_reach_the_function(self, served: serving.Served) -> None:
        """A bare GET arrives without headers the client never sent (no gzip, no chunking)."""
        port = int(served.url.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            connection.putrequest("GET", "/x", skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", "shop.example")
            connection.endheaders()
            response = connection.getresponse()
            seen = json.loads(response.read())["headers"]
        finally:
            connection.close()
        assert {k for k in seen if not k.startswith("x-fc-")} == {"host"}
        assert seen["host"] == "shop.example"
        assert response.getheader("x-fc-request-id") == seen["x-fc-request-id"]

    def test_each_request_gets_a_log_line(self, served: serving.Served) -> None:
        """Each request's line in serve's log: target, status, time and the request id."""
        seen = httpx.get(f"{served.url}/x?q=1", timeout=20).json()
        request_id = seen["headers"]["x-fc-request-id"]
        served.wait_log(rf'fcsdk: 127\.0\.0\.1 "GET /x\?q=1" 200 [\d.]+ ms RequestId: {request_id}')

    def test_the_log_line_masks_the_credentials(self, served: serving.Served) -> None:
        """A credential in a request's target never reaches serve's log line as it is."""
        query = httpx.QueryParams({"s": FAKE_ACCESS_KEY_SECRET, "t": FAKE_SECURITY_TOKEN})
        seen = httpx.get(f"{served.url}/x?{query}", timeout=20).json()
        request_id = seen["headers"]["x-fc-request-id"]
        line = served.wait_log(rf'"GET /x\?s=(\S+)" 200 .* RequestId: {request_id}').group(0)
        for secret in (FAKE_ACCESS_KEY_SECRET, FAKE_SECURITY_TOKEN):
            assert secret not in line
            assert str(httpx.QueryParams({"s": secret}))[2:] not in line  # percent-encoded

    def test_each_request_has_its_own_id(self, served: serving.Served) -> None:
        """Every request carries a fresh x-fc-request-id."""
        ids = {
            httpx.get(f"{served.url}/x", timeout=20).json()["headers"]["x-fc-request-id"]
            for _ in range(3)
        }
        assert len(ids) == 3

    def test_environment_of_the_command(self, project: Project, served: serving.Served) -> None:
        """The command runs in the code folder with FC's variables and the function's own."""
        start = project.wait_records("start")[0]
        env = start["env"]
        assert env["FC_CUSTOM_LISTEN_PORT"] == env["FC_SERVER_PORT"]
        assert int(env["FC_CUSTOM_LISTEN_PORT"]) > 0
        assert env["FC_FUNCTION_NAME"] == "shop"
        assert env["FC_RUNTIME"] == "custom.debian12"
        assert env["FC_INITIALIZER_HANDLER"] == "true"
        assert env["ALIBABA_CLOUD_SECURITY_TOKEN"] == FAKE_SECURITY_TOKEN
        assert Path(start["cwd"]).resolve() == project.root.resolve()
        greeting = httpx.get(f"{served.url}/x", timeout=20)
        assert greeting.status_code == 200

    def test_initialize_once(self, project: Project, served: serving.Served) -> None:
        """POST /initialize is sent once, when the instance starts, before any request."""
        for _ in range(2):
            assert httpx.get(f"{served.url}/x", timeout=20).status_code == 200
        kinds = [r["kind"] for r in project.records() if r["kind"] != "start"]
        assert kinds == ["initialize", "request", "request"]

    def test_streamed_chunks_arrive_one_by_one(self, served: serving.Served) -> None:
        """The first chunk reaches the client before the function produces the second."""
        with (
            httpx.Client(timeout=20) as client,
            client.stream("GET", f"{served.url}/stream") as response,
        ):
            chunks = response.iter_raw()
            assert next(chunks) == b"chunk-1\n"
            # the second chunk is written only after this request: it cannot have been buffered
            assert httpx.post(f"{served.url}/release", timeout=20).text == "released"
            assert b"".join(chunks) == b"chunk-2\n"

    def test_websocket_echo(self, project: Project, served: serving.Served) -> None:
        """A WebSocket is relayed both ways, text and bytes, with the x-fc-* headers."""
        with connect(served.url.replace("http://", "ws://") + "/ws", open_timeout=20) as ws:
            ws.send("hi")
            assert ws.recv(timeout=20) == "echo:hi"
            ws.send(b"\x00\x01")
            assert ws.recv(timeout=20) == b"echo:\x00\x01"
        headers = project.wait_records("websocket")[0]["headers"]
        assert headers["x-fc-function-name"] == "shop"

    def test_websocket_close_code_passes_through(self, served: serving.Served) -> None:
        """The function's close code reaches the client."""
        with connect(served.url.replace("http://", "ws://") + "/ws", open_timeout=20) as ws:
            ws.send("close")
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=20)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4001

    def test_event_invocation_through_serve(self, served: serving.Served) -> None:
        """POST /invoke reaches the function's /invoke with the event as the body."""
        response = httpx.post(f"{served.url}/invoke", content=b'{"n": 1}', timeout=20)
        assert response.json()["event"] == '{"n": 1}'

    def test_banner_hint_posts_the_example_event(self, project: Project) -> None:
        """With an event.json, the banner's /invoke hint posts it (not a '{}' a handler refuses)."""
        (project.root / "event.json").write_text('{"n": 2}', encoding="utf-8")
        server = project.serve("--no-oss")
        try:
            found = server.wait_log(r"event invocation: curl -X POST (\S+) --data-binary @(\S+)")
            url, path = found.groups()
            answer = httpx.post(url, content=(ROOT / path).read_bytes(), timeout=20)
        finally:
            server.stop()
        assert answer.json()["event"] == '{"n": 2}'

    def test_local_oss_credentials(self, project: Project) -> None:
        """With the local OSS server, its credentials and endpoint reach the function."""
        server = project.serve()
        try:
            seen = httpx.get(f"{server.url}/x", timeout=20).json()["headers"]
            env = project.wait_records("start")[0]["env"]
        finally:
            server.stop()
        assert seen["x-fc-access-key-id"].startswith("STS.local")
        assert env["FCSDK_OSS_ENDPOINT"].startswith("http://127.0.0.1:")
        assert env["ALIBABA_CLOUD_ACCESS_KEY_ID"] == seen["x-fc-access-key-id"]


class TestServeLifecycle:
    def test_pre_stop_on_ctrl_c(self, project: Project) -> None:
        """Ctrl-C sends GET /pre-stop, then stops the function's process; serve exits 0."""
        server = project.serve("--no-oss")
        pid = project.wait_records("start")[0]["pid"]
        assert server.stop(signal.SIGINT) == 0
        assert [r["kind"] for r in project.records()][-1] == "pre-stop"
        assert process_gone(pid)

    def test_child_dies_with_serve(self, project: Project) -> None:
        """A serve killed with SIGKILL takes the function's process with it."""
        server = project.serve("--no-oss")
        pid = project.wait_records("start")[0]["pid"]
        server.stop(signal.SIGKILL)
        assert process_gone(pid)

    def test_reload_restarts_the_instance(self, project: Project) -> None:
        """--reload starts a new instance on a code change: a new process, /initialize again."""
        server = project.serve("--no-oss", "--reload")
        try:
            first = project.wait_records("start")[0]["pid"]
            project.wait_records("initialize")
            child = project.root / "web_child.py"
            child.write_text(child.read_text() + "\n# changed\n")
            starts = project.wait_records("start", 2)
            project.wait_records("initialize", 2)
            assert starts[1]["pid"] != first
            assert httpx.get(f"{server.url}/x", timeout=20).status_code == 200
        finally:
            server.stop()
        assert "pre-stop" in [r["kind"] for r in project.records()]
        assert process_gone(first)


class TestServeErrors:
    def test_command_that_exits(self, project: Project) -> None:
        """A command that exits before listening: exit 1, naming the command and its code."""
        result = project.run("serve", "--no-oss", "--port", "0", WEB_CHILD_MODE="crash")
        assert result.returncode == 1
        assert "python3 /code/web_child.py" in result.stderr
        assert "exited with code 3 before listening" in result.stderr
        assert "must listen on FC_CUSTOM_LISTEN_PORT instead" in result.stderr

    def test_command_that_never_listens(self, project: Project) -> None:
        """A command that never listens: a bounded wait, then exit 1 naming the variable."""
        result = project.run(
            "serve", "--no-oss", "--port", "0", "--startup-timeout", "1", WEB_CHILD_MODE="silent"
        )
        assert result.returncode == 1
        assert "did not listen on port" in result.stderr
        assert "FC_CUSTOM_LISTEN_PORT" in result.stderr
        pid = project.records("start")[0]["pid"]
        assert process_gone(pid)

    def test_ctrl_c_while_starting(self, project: Project, tmp_path: Path) -> None:
        """Ctrl-C while waiting for the port: a one-line stop, exit 130, the command stopped."""
        project.root.joinpath("mode.txt").write_text("silent")
        log = tmp_path / "serve.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [*SERVE, "--no-oss", "--port", "0", "--code-dir", str(project.root)],
                stdout=sink,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT), **project.env},
            )
        try:
            pid = project.wait_records("start")[0]["pid"]
            process.send_signal(signal.SIGINT)
            assert process.wait(30) == 130
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        text = log.read_text()
        assert "fcsdk: stopped while the function was starting" in text
        assert "Traceback" not in text
        assert process_gone(pid)

    def test_failed_initializer(self, project: Project) -> None:
        """A /initialize that answers 500 stops serve with the answer in the message."""
        result = project.run("serve", "--no-oss", "--port", "0", WEB_CHILD_MODE="badinit")
        assert result.returncode == 1
        assert "POST /initialize answered 500" in result.stderr

    def test_bootstrap_not_executable(self, project: Project) -> None:
        """FC's default /code/bootstrap that is not executable says how to fix it."""
        (project.root / "s.yaml").write_text(
            S_YAML.replace("command: [python3, /code/web_child.py]", "command: [/code/bootstrap]")
        )
        (project.root / "bootstrap").write_text("#!/bin/sh\nexec python3 web_child.py\n")
        result = project.run("serve", "--no-oss", "--port", "0")
        assert result.returncode == 1
        assert "chmod +x" in result.stderr

    def test_process_ends_while_serving(self, project: Project) -> None:
        """A function whose process ends: requests fail clearly, and serve stops with exit 1."""
        server = project.serve("--no-oss")
        try:
            pid = project.wait_records("start")[0]["pid"]
            os.kill(pid, signal.SIGKILL)
            server.wait_log(r"process was killed by SIGKILL; stopping")
            assert server.process.wait(20) == 1
        finally:
            server.stop()


class TestServeReload:
    def test_reload_after_a_failed_start(self, project: Project) -> None:
        """With --reload, a failed start waits for a change; a dead process waits too."""
        mode = project.root / "mode.txt"
        mode.write_text("crash")
        server = project.serve("--no-oss", "--reload")
        try:
            server.wait_log(r"exited with code 3 before listening .*; waiting for a code change")
            mode.write_text("crash\n")  # still broken: the restart fails as well
            project.wait_records("start", 2)
            server.wait_log(r"(?s)restarting the instance.*waiting for a code change")
            mode.unlink()
            project.wait_records("initialize")
            assert httpx.get(f"{server.url}/x", timeout=20).status_code == 200
            pid = project.records("start")[-1]["pid"]
            os.kill(pid, signal.SIGKILL)
            server.wait_log(r"killed by SIGKILL; waiting for a code change to restart it")
        finally:
            assert server.stop() == 0


class TestServeOptions:
    def test_refused_options(
        self, project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Options a web function cannot take exit 2 before anything starts."""
        code = str(project.root)
        assert main(["serve", "--code-dir", code, "--single-process"]) == 2
        assert "not with --config or --single-process" in capsys.readouterr().err
        assert main(["serve", "--code-dir", code, "--startup-command", " "]) == 2
        assert "--startup-command is empty" in capsys.readouterr().err
        assert (
            main(["serve", "--code-dir", str(project.root / "nowhere"), "--startup-command", "x"])
            == 2
        )
        assert "does not exist" in capsys.readouterr().err
        assert project.records() == []

    def test_busy_port(self, project: Project, capsys: pytest.CaptureFixture[str]) -> None:
        """A taken port exits 2 with the port and how to choose another."""
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            code = main(["serve", "--code-dir", str(project.root), "--port", str(port)])
        assert code == 2
        assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err

    def test_unusable_oss_folder(
        self, project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An OSS folder that cannot be made exits 2."""
        blocker = tmp_path / "file"
        blocker.write_text("")
        code = main(
            [
                "serve",
                "--code-dir",
                str(project.root),
                "--port",
                "0",
                "--oss-dir",
                str(blocker / "x"),
            ]
        )
        assert code == 2
        assert "cannot start the local OSS server" in capsys.readouterr().err

    def test_websocket_refused_by_the_function(self, served: serving.Served) -> None:
        """A handshake the function refuses is refused by the front too."""
        with pytest.raises(InvalidStatus) as refused:
            connect(served.url.replace("http://", "ws://") + "/ws-refuse", open_timeout=20)
        assert refused.value.response.status_code == 403

    def test_chunked_upload(self, served: serving.Served) -> None:
        """A chunked request body reaches the function whole."""

        def parts() -> Iterator[bytes]:
            yield b"one,"
            yield b"two"

        answer = httpx.post(f"{served.url}/up", content=parts(), timeout=20).json()
        assert answer["body"] == "one,two"


class TestInvokeWebFunction:
    def test_event_goes_to_invoke(self, project: Project) -> None:
        """fcsdk invoke starts the function, initializes it, POSTs /invoke, then stops it."""
        result = project.run("invoke", "--event", '{"n": 1}')
        assert result.returncode == 0, result.stderr
        answer = json.loads(result.stdout)
        assert answer["event"] == '{"n": 1}'
        kinds = [r["kind"] for r in project.records()]
        assert kinds == ["start", "initialize", "invoke", "pre-stop"]
        invoke = project.records("invoke")[0]
        assert invoke["headers"]["x-fc-request-id"] == answer["request_id"]
        assert invoke["headers"]["x-fc-function-memory"] == "1024"

    def test_repeat_on_one_instance(self, project: Project) -> None:
        """--repeat N invokes N times on one instance, one answer a line."""
        result = project.run("invoke", "--event", "{}", "--repeat", "2")
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) == 2
        assert len(project.records("initialize")) == 1

    def test_ctrl_c_while_starting(self, project: Project, tmp_path: Path) -> None:
        """Ctrl-C while the function starts: one line, exit 130, the command stopped."""
        project.root.joinpath("mode.txt").write_text("silent")
        process = subprocess.Popen(
            [*SERVE[:-1], "invoke", "--event", "{}", "--code-dir", str(project.root)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **project.env},
        )
        try:
            pid = project.wait_records("start")[0]["pid"]
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
        assert process.returncode == 130
        assert "fcsdk invoke: stopped while the function was starting" in err.decode()
        assert b"Traceback" not in err
        assert process_gone(pid)

    def test_failed_invocation(self, project: Project) -> None:
        """An error answer from /invoke prints it and exits 1."""
        result = project.run("invoke", "--event", "{}", WEB_CHILD_MODE="fail")
        assert result.returncode == 1
        assert json.loads(result.stdout)["errorMessage"] == "boom"

    def test_command_that_exits(self, project: Project) -> None:
        """A command that exits before listening: exit 1 and a message naming it."""
        result = project.run("invoke", "--event", "{}", WEB_CHILD_MODE="crash")
        assert result.returncode == 1
        assert "exited with code 3 before listening" in result.stderr
        assert result.stdout == ""

    def test_local_oss_for_any_event(self, project: Project) -> None:
        """--local-oss runs a web function with a local OSS server whatever the event."""
        result = project.run("invoke", "--event", "{}", "--local-oss")
        assert result.returncode == 0, result.stderr

    def test_bad_options_exit_2(self, project: Project) -> None:
        """A bad --env exits 2 before starting."""
        result = project.run("invoke", "--event", "{}", "--env", "NOEQUALS")
        assert result.returncode == 2
        assert "expected KEY=VALUE" in result.stderr
        assert project.records() == []

    def test_options_reach_the_function(self, project: Project, tmp_path: Path) -> None:
        """--function-name, --region and --env-file override s.yaml's."""
        env_file = tmp_path / ".env"
        env_file.write_text("FROM_FILE=yes\n")
        result = project.run(
            "invoke",
            "--event",
            "{}",
            "--function-name",
            "renamed",
            "--region",
            "eu-central-1",
            "--env-file",
            str(env_file),
        )
        assert result.returncode == 0, result.stderr
        headers = project.records("invoke")[0]["headers"]
        assert headers["x-fc-function-name"] == "renamed"
        assert headers["x-fc-region"] == "eu-central-1"
        start = project.records("start")[0]
        assert start["env"]["FC_FUNCTION_NAME"] == "renamed"

    def test_local_oss(self, project: Project) -> None:
        """--local-oss serves the event's object; the function gets its endpoint and credentials."""
        record = {"oss": {"bucket": {"name": "inbox"}, "object": {"key": "a.txt", "size": 3}}}
        event = json.dumps({"events": [record]})
        result = project.run("invoke", "--event", event, "--local-oss")
        assert result.returncode == 0, result.stderr
        env = project.records("start")[0]["env"]
        assert env["FCSDK_OSS_ENDPOINT"].startswith("http://127.0.0.1:")
        headers = project.records("invoke")[0]["headers"]
        assert headers["x-fc-access-key-id"] == env["ALIBABA_CLOUD_ACCESS_KEY_ID"]
        assert headers["x-fc-security-token"] == env["ALIBABA_CLOUD_SECURITY_TOKEN"]

    def test_server_dies_during_the_invocation(self, project: Project) -> None:
        """A server that dies on /invoke: FC's error shape on stdout, exit 1."""
        result = project.run("invoke", "--event", "{}", WEB_CHILD_MODE="invokeexit")
        assert result.returncode == 1
        error = json.loads(result.stdout)
        assert error["errorType"] == "FunctionNotStarted"
        assert "exited with code 5" in error["errorMessage"]

    def test_startup_command_option(self, tmp_path: Path) -> None:
        """--startup-command runs a web function without an s.yaml."""
        shutil.copy(CHILD, tmp_path / "web_child.py")
        project = Project(tmp_path)
        result = project.run(
            "invoke", "--startup-command", "python3 web_child.py", "--event", "[1]"
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["event"] == "[1]"
        assert [r["kind"] for r in project.records()] == ["start", "invoke"]
