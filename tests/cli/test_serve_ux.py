"""Tests for fcsdk/_cli/serve.py as a user sees it: the banner, the messages, --config options.

Each test drives ``python -m fcsdk serve`` in a subprocess and reads what it prints.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.local.serving import APPS, ROOT, Served, served, start

pytestmark = pytest.mark.slow  # each test drives a real fcsdk serve process

ORDERS = ROOT / "examples" / "orders"


def run_serve(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``fcsdk serve ARGS`` to completion (it is expected to refuse and exit)."""
    return subprocess.run(
        [sys.executable, "-m", "fcsdk", "serve", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )


def config_file(tmp_path: Path, **extra: object) -> Path:
    """Write a --config file with an HTTP function and an event function."""
    config = {
        "port": 9000,
        "functions": [
            {"name": "web", "handler": "web_wsgi.handler", "code_dir": str(APPS)},
            {"name": "events", "handler": "events_app.handler", "code_dir": str(APPS)},
        ],
        **extra,
    }
    path = tmp_path / "fcsdk-local.json"
    path.write_text(json.dumps(config))
    return path


def free_pair() -> int:
    """Return a port P with P and P+1 free (bounded retries)."""
    for _ in range(50):
        with socket.create_server(("127.0.0.1", 0)) as first:
            port: int = first.getsockname()[1]
        try:
            with (
                socket.create_server(("127.0.0.1", port)),
                socket.create_server(("127.0.0.1", port + 1)),
            ):
                return port
        except OSError:
            continue
    raise AssertionError("no two consecutive free ports")


def wait_log(server: Served, pattern: str, count: int = 1) -> str:
    """Wait (bounded) until ``pattern`` occurs ``count`` times in the log; return the log."""
    deadline = time.monotonic() + 30
    while len(re.findall(pattern, server.log())) < count:
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.05)
    return server.log()


class TestHandlerExits:
    def test_os_exit_does_not_take_the_server_down(self) -> None:
        """A handler calling os._exit() loses its own request; the next one is answered."""
        with served("exits.handler", "--code-dir", str(APPS), "--no-oss", "--mode", "event") as s:
            with pytest.raises(httpx.TransportError):
                httpx.post(s.url + "/invoke", content=b"exit", timeout=10)
            answer = httpx.post(s.url + "/invoke", content=b"still here", timeout=30)
            assert answer.content == b"still here"
            assert "the instance exited with 3" in s.log()
            assert "starting a new one" in s.log()
            assert s.stop() == 0

    def test_os_exit_zero_is_a_crash_too(self) -> None:
        """os._exit(0) from a handler is not a clean stop: the instance is started again."""
        with served("exits.handler", "--code-dir", str(APPS), "--no-oss", "--mode", "event") as s:
            with pytest.raises(httpx.TransportError):
                httpx.post(s.url + "/invoke", content=b"exit0", timeout=10)
            answer = httpx.post(s.url + "/invoke", content=b"again", timeout=30)
            assert answer.content == b"again"
            assert "the instance exited with 0" in s.log()

    def test_single_process_busy_port(self) -> None:
        """--single-process reports a busy port with the same message."""
        with socket.create_server(("127.0.0.1", 0)) as busy:
            port = str(busy.getsockname()[1])
            result = run_serve(
                "exits.handler",
                "--code-dir",
                str(APPS),
                "--no-oss",
                "--single-process",
                "--port",
                port,
            )
        assert result.returncode == 2
        assert "choose another port with --port N" in result.stderr

    def test_single_process_refuses_reload(self) -> None:
        """--single-process with --reload is refused with a reason (exit 2)."""
        result = run_serve("exits.handler", "--code-dir", str(APPS), "--single-process", "--reload")
        assert result.returncode == 2
        assert "--reload restarts a child process" in result.stderr


class TestConfigOptions:
    def test_base_port_and_no_oss_apply(self, tmp_path: Path) -> None:
        """--port shifts every function's port and --no-oss starts no OSS server."""
        port = free_pair()
        options = ["--no-oss", "--host", "127.0.0.1"]
        server = start("--config", str(config_file(tmp_path)), *options, port=port)
        try:
            log = wait_log(server, r"fcsdk: (web|events): serving .* on http://", 2)
            assert (
                f"web: serving web_wsgi.handler (HTTP trigger, FC 2.0 WSGI) on http://127.0.0.1:{port}\n"
                in log
            )
            assert f"(HTTP trigger, FC 2.0 WSGI) on http://127.0.0.1:{port + 1}\n" in log
            assert "local OSS" not in log
            answer = httpx.post(f"http://127.0.0.1:{port + 1}/invoke", content=b"x", timeout=20)
            assert answer.content == b"X"
        finally:
            server.stop()

    def test_banner_in_port_order_hints_after_their_serving_line(self, tmp_path: Path) -> None:
        """Each function's serving line, then its hints once (the config's), ports ascending."""
        port = free_pair()
        config = {
            "port": port,
            "functions": [  # listed out of port order on purpose
                {
                    "name": "events",
                    "handler": "events_app.handler",
                    "code_dir": str(APPS),
                    "mode": "event",
                    "port": port + 1,
                    "hints": ["curl -s -X POST {url}/invoke -d hi"],
                },
                {"name": "web", "handler": "web_wsgi.handler", "code_dir": str(APPS), "port": port},
            ],
        }
        path = tmp_path / "fcsdk-local.json"
        path.write_text(json.dumps(config))
        server = start("--config", str(path), "--no-oss", port=port)
        try:
            log = wait_log(server, r"fcsdk: (web|events): serving .* on http://", 2)
            wait_log(server, r"/invoke -d hi")
            lines = [ln.removeprefix("fcsdk: ") for ln in server.log().splitlines()]
            banner = [ln for ln in lines if ln.startswith(("web: ", "events: ", "    "))]
            assert banner[0].startswith("web: serving web_wsgi.handler ")
            assert banner[0].endswith(f"on http://127.0.0.1:{port}")
            events_at = next(i for i, ln in enumerate(banner) if ln.startswith("events: "))
            assert banner[events_at + 1 :] == [
                f"    curl -s -X POST http://127.0.0.1:{port + 1}/invoke -d hi"
            ]
            assert log.count("/invoke") == 1
        finally:
            server.stop()

    def test_per_function_options_refused(self, tmp_path: Path) -> None:
        """An option that describes one function is refused with --config, saying where it goes."""
        result = run_serve(
            "--config", str(config_file(tmp_path)), "--mode", "event", "--timeout", "5"
        )
        assert result.returncode == 2
        assert "--timeout, --mode describe one function" in result.stderr
        assert "set them per function in" in result.stderr

    def test_shift_out_of_range(self, tmp_path: Path) -> None:
        """A base port that moves a fixed port past 65535 is refused."""
        path = config_file(tmp_path)
        data = json.loads(path.read_text())
        data["functions"][1]["port"] = 9500
        path.write_text(json.dumps(data))
        result = run_serve("--config", str(path), "--port", "65500", "--no-oss")
        assert result.returncode == 2
        assert "outside 0-65535" in result.stderr


class TestBusyPort:
    def test_same_message_single_and_config(self, tmp_path: Path) -> None:
        """A busy port says how to choose another, the same way for one function and --config."""
        with socket.create_server(("127.0.0.1", 0)) as busy:
            port = busy.getsockname()[1]
            single = run_serve(
                "events_app.handler", "--code-dir", str(APPS), "--no-oss", "--port", str(port)
            )
            several = run_serve("--config", str(config_file(tmp_path, port=port)), "--no-oss")
        expected = (
            f"cannot listen on 127.0.0.1:{port}{{}}: Address already in use; "
            "choose another port with --port N, or --port 0 for any free port"
        )
        assert single.returncode == several.returncode == 2
        assert expected.format("") in single.stderr
        assert expected.format(" (function 'web')") in several.stderr
        for output in (single.stderr, several.stderr):
            assert "('127.0.0.1'" not in output
            assert "Traceback" not in output


class TestWrongMode:
    def test_event_handler_as_wsgi(self) -> None:
        """An event handler served as WSGI says so at start and in the 502: use --mode event."""
        with served(
            "events_app.handler", "--code-dir", str(APPS), "--no-oss", "--runtime", "python3.10"
        ) as server:
            response = httpx.get(server.url + "/", timeout=10)
            assert response.status_code == 502
            message = response.json()["errorMessage"]
            assert "this is an event handler: use --mode event" in message
            assert "ContextError" not in response.text
            log = server.log()
        assert "warning: events_app.handler is an event handler" in log
        assert "use --mode event" in log

    def test_wsgi_app_is_not_warned(self) -> None:
        """A WSGI app in WSGI mode gets no wrong-mode warning."""
        with served(
            "web_wsgi.handler", "--code-dir", str(APPS), "--no-oss", "--runtime", "python3.10"
        ) as server:
            assert httpx.get(server.url + "/echo", timeout=10).status_code == 200
        assert "use --mode event" not in server.log()


class TestBanner:
    def test_http_handler_has_no_invoke_hint(self) -> None:
        """An HTTP handler's banner has no /invoke hint; WSGI mode names the FC 2.0 path once."""
        with served(
            "web_wsgi.handler", "--code-dir", str(APPS), "--no-oss", "--runtime", "python3.10"
        ) as server:
            log = wait_log(server, "FC 2.0 path:")
        assert "/invoke" not in log
        assert log.count("FC 2.0 path:") == 1

    def test_typed_handler_hint_uses_the_example_event(self) -> None:
        """A typed handler's hint posts its event.json, and following the hint works."""
        with served(
            "index.main", "--code-dir", str(ORDERS), "--no-oss", "--mode", "event"
        ) as server:
            found = re.search(
                r"event invocation: curl -X POST (\S+) --data-binary @(\S+)", server.log()
            )
            assert found, server.log()
            url, path = found.groups()
            answer = httpx.post(url, content=(ROOT / path).read_bytes(), timeout=20)
            assert answer.content == b'{"order_id":"A1","accepted":true}'
            log = server.log()
        assert "-d '{}'" not in log
        assert "FC 2.0 path:" not in log  # event mode is FC 3.0

    def test_typed_handler_without_example(self, tmp_path: Path) -> None:
        """A typed handler without event.json names its model instead of a failing '{}'."""
        (tmp_path / "typed.py").write_text((ORDERS / "index.py").read_text())
        with served("typed.main", "--code-dir", str(tmp_path), "--no-oss", "--mode", "event") as s:
            log = wait_log(s, "event invocation:")
        assert "event invocation: POST a JSON Order to http://127.0.0.1:" in log
        assert "-d '{}'" not in log

    def test_untyped_handler_hint(self) -> None:
        """An untyped event handler keeps the '{}' hint, which it accepts."""
        with served(
            "events_app.handler", "--code-dir", str(APPS), "--no-oss", "--mode", "event"
        ) as s:
            log = wait_log(s, "event invocation:")
            assert httpx.post(s.url + "/invoke", content=b"{}", timeout=10).status_code == 200
        assert f"event invocation: curl -X POST {s.url}/invoke -d '{{}}'" in log

    def test_config_oss_line_and_stopping_once(self, tmp_path: Path) -> None:
        """Under --config, the local OSS line and `fcsdk: stopping` appear once each (Ctrl-C)."""
        path = config_file(tmp_path, port=0, oss={"dir": str(tmp_path / "oss")})
        server = start(
            "--config", str(path), "--oss-dir", str(tmp_path / "oss2"), "--bucket", "extra"
        )
        try:
            wait_log(server, r"fcsdk: (web|events): serving .* on http://", 2)
        except BaseException:  # never leave the servers running behind a failed wait
            server.stop()
            raise
        # Ctrl-C in a terminal signals the whole process group.
        assert server.stop(signal.SIGINT) == 0
        log = server.log()
        assert log.count("local OSS at ") == 1, log
        assert "'extra'" in log
        assert (tmp_path / "oss2").is_dir()
        assert log.count("fcsdk: stopping") == 1, log

    def test_single_function_stopping_once(self, tmp_path: Path) -> None:
        """One function: the OSS line once, `fcsdk: stopping` once on SIGTERM."""
        with served("events_app.handler", "--code-dir", str(APPS), "--oss-dir", str(tmp_path)) as s:
            wait_log(s, "local OSS at ")
            assert s.stop() == 0
        assert s.log().count("local OSS at ") == 1
        assert s.log().count("fcsdk: stopping") == 1


class TestUndecodableEvent:
    def test_browser_get_logs_one_line(self) -> None:
        """A GET on a typed event function logs one warning: request id and first field error."""
        with served("index.main", "--code-dir", str(ORDERS), "--no-oss", "--mode", "event") as s:
            response = httpx.get(s.url + "/", timeout=10)
            assert response.status_code == 502
            rid = response.headers["x-fc-request-id"]
            log = wait_log(s, "does not decode")
        lines = [line for line in log.splitlines() if "does not decode" in line]
        assert len(lines) == 1
        assert f"RequestId: {rid}" in lines[0]
        assert "order_id" in lines[0]
        assert "--verbose" in lines[0]
        assert "Traceback" not in log

    def test_verbose_logs_the_traceback(self) -> None:
        """With --verbose the full traceback is logged."""
        options = ["--no-oss", "--mode", "event", "--verbose"]
        with served("index.main", "--code-dir", str(ORDERS), *options) as s:
            assert httpx.get(s.url + "/", timeout=10).status_code == 502
            log = wait_log(s, "Traceback")
        assert "EventDecodeError" in log


class TestAccessLine:
    def test_the_line_masks_the_credentials(self) -> None:
        """A credential in a request's target never reaches serve's line for it as it is."""
        from fcsdk._platform.context import FAKE_ACCESS_KEY_SECRET, FAKE_SECURITY_TOKEN

        query = httpx.QueryParams({"s": FAKE_ACCESS_KEY_SECRET, "t": FAKE_SECURITY_TOKEN})
        with served(
            "index.main", "--code-dir", str(ORDERS), "--no-oss", "--mode", "event"
        ) as server:
            answer = httpx.get(f"{server.url}/x?{query}", timeout=20)
            request_id = answer.headers["x-fc-request-id"]
            line = server.wait_log(rf'"GET /x\?s=\S+" .* RequestId: {request_id}').group(0)
        for secret in (FAKE_ACCESS_KEY_SECRET, FAKE_SECURITY_TOKEN):
            assert secret not in line
            assert str(httpx.QueryParams({"s": secret}))[2:] not in line  # percent-encoded
