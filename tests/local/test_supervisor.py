"""Tests for fcsdk/_local/supervisor.py: --reload, --config, and their building blocks."""

from __future__ import annotations

import json
import re
import shutil
import socket
import time
from pathlib import Path

import httpx
import pytest

from fcsdk._local.supervisor import LocalConfig, _Child, listen, load_config
from fcsdk.cli import main
from fcsdk.exceptions import ConfigurationError
from tests.local.serving import APPS, ROOT, served, start

pytestmark = pytest.mark.slow  # each test drives a real fcsdk serve process

APP_V1 = "def handler(event, context):\n    return 'v1'\n"
APP_V2 = "def handler(event, context):\n    return 'v2'\n"


def wait_for(url: str, expected: str, *, seconds: float = 20.0) -> httpx.Response:
    """POST /invoke until the body is ``expected`` or holds that error type (bounded)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            response = httpx.post(url + "/invoke", content=b"", timeout=10)
            error = response.headers.get("x-fc-error-type") and response.json()["errorType"]
            if expected in (response.text, error) or time.monotonic() > deadline:
                return response
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


class TestReload:
    def test_restarts_on_change(self, tmp_path: Path) -> None:
        """--reload serves the new code after a change, on the same port."""
        (tmp_path / "reloaded.py").write_text(APP_V1)
        with served(
            "reloaded.handler", "--code-dir", str(tmp_path), "--no-oss", "--reload"
        ) as server:
            assert wait_for(server.url, "v1").text == "v1"
            time.sleep(0.05)
            (tmp_path / "reloaded.py").write_text(APP_V2)
            assert wait_for(server.url, "v2").text == "v2"
            (tmp_path / "reloaded.py").write_text("def handler(event, context:\n")
            broken = wait_for(server.url, "UserCodeSyntaxError")
            assert broken.json()["errorType"] == "UserCodeSyntaxError"
            (tmp_path / "reloaded.py").write_text(APP_V1)
            assert wait_for(server.url, "v1").text == "v1"
            assert server.stop() == 0
        assert "reloaded.handler: code changed, restarting" in server.log()

    def test_crashed_child_waits_for_change(self, tmp_path: Path) -> None:
        """A child that dies is reported, and restarted by the next change; OSS is shared."""
        shutil.copy(APPS / "events_app.py", tmp_path / "events_app.py")
        with served(
            "events_app.handler",
            "--code-dir",
            str(tmp_path),
            "--oss-dir",
            str(tmp_path / "oss"),
            "--reload",
            "--initializer",
            "events_app.init",
        ) as server:
            assert wait_for(server.url, "").status_code == 200
            # Kill the child (not the supervisor) the hard way.
            children = _child_pids(server.process.pid)
            assert children
            for pid in children:
                _kill(pid)
            deadline = time.monotonic() + 20
            while "waiting for a code change" not in server.log():
                assert time.monotonic() < deadline, server.log()
                time.sleep(0.05)
            (tmp_path / "events_app.py").touch()
            (tmp_path / "events_app.py").write_text((APPS / "events_app.py").read_text() + "\n")
            assert wait_for(server.url, "").status_code == 200
        assert server.log().count("local OSS at ") >= 2, "supervisor and child name the same OSS"


def _child_pids(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _kill(pid: int) -> None:
    import os
    import signal

    os.kill(pid, signal.SIGKILL)


class TestConfig:
    def _config(self, tmp_path: Path, **extra: object) -> Path:
        config = {
            "port": 0,
            "oss": None,
            "functions": [
                {
                    "name": "web",
                    "handler": "web_wsgi.handler",
                    "code_dir": str(APPS),
                    "hints": ["open {url}/echo"],
                },
                {
                    "name": "events",
                    "handler": "events_app.handler",
                    "code_dir": str(APPS),
                    "mode": "event",
                    "env": {"MY_FLAG": "yes"},
                },
            ],
            **extra,
        }
        path = tmp_path / "fcsdk-local.json"
        path.write_text(json.dumps(config))
        return path

    def test_serves_every_function(self, tmp_path: Path) -> None:
        """--config starts one server per function and prints their URLs and hints."""
        (tmp_path / ".env").write_text("MY_FROM_FILE=1\n")
        config = self._config(tmp_path, oss={"dir": "oss", "buckets": ["demo"]})
        data = json.loads(config.read_text())
        data["functions"][1]["env_file"] = ".env"
        config.write_text(json.dumps(data))
        server = start("--config", str(config))
        try:
            deadline = time.monotonic() + 20
            banner = r"fcsdk: (web|events): serving .* on (http://\S+)"
            while len(re.findall(banner, server.log())) < 2:
                assert time.monotonic() < deadline, server.log()
                time.sleep(0.05)
            urls = dict(re.findall(banner, server.log()))
            assert f"open {urls['web']}/echo" in server.log()
            echo = httpx.get(urls["web"] + "/echo", timeout=20).json()
            assert echo["env"]["FC_FUNCTION_NAME"] == "web"
            info = httpx.post(urls["events"] + "/invoke", content=b"info", timeout=20).json()
            assert info["env"]["FC_FUNCTION_NAME"] == "events"
            assert info["env"]["MY_FLAG"] == "yes"
            assert info["env"]["MY_FROM_FILE"] == "1"
            assert "local OSS at http://127.0.0.1:" in server.log()
            assert (tmp_path / "oss").is_dir()
            assert server.stop() == 0
        finally:
            server.stop()

    def test_child_failure_stops_all(
        self, tmp_path: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """Without reload, a child that exits stops the others and passes its exit code on."""
        config = self._config(tmp_path)
        data = json.loads(config.read_text())
        data["functions"][1]["env"] = {"1BAD": "x"}
        config.write_text(json.dumps(data))
        assert main(["serve", "--config", str(config)]) == 2
        err = capfd.readouterr().err
        assert "events: exited with 2; stopping" in err
        assert "'1BAD' is not a valid environment variable name" in err

    def test_busy_port(self, tmp_path: Path) -> None:
        """A busy port in the config is exit code 2 with the function named."""
        with socket.create_server(("127.0.0.1", 0)) as busy:
            port = busy.getsockname()[1]
            path = self._config(tmp_path, port=port)
            assert main(["serve", "--config", str(path)]) == 2

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ("{not json", "cannot read the config"),
            ('{"functions": []}', "functions: List should have at least 1 item"),
            ('{"functions": [{"name": "a", "handler": "i.h", "extra": 1}]}', "functions.0.extra"),
            (
                '{"functions": [{"name": "a", "handler": "i.h"}, {"name": "a", "handler": "i.h"}]}',
                "function names must be unique",
            ),
        ],
    )
    def test_invalid_config(self, tmp_path: Path, content: str, message: str) -> None:
        """A malformed config is a ConfigurationError naming the field."""
        path = tmp_path / "bad.json"
        path.write_text(content)
        with pytest.raises(ConfigurationError, match=re.escape(message)):
            load_config(path)

    def test_missing_config_exit_code(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A config file that does not exist is exit code 2."""
        assert main(["serve", "--config", str(tmp_path / "nope.json")]) == 2
        assert "cannot read the config" in capsys.readouterr().err

    def test_examples_served(self, tmp_path: Path) -> None:
        """The examples of `make run` all answer: sign-in, order API, FastAPI notes, OSS, orders."""
        source = ROOT / "examples" / "fcsdk-local.json"
        data = json.loads(source.read_text())
        data["port"] = 0
        data["oss"]["dir"] = str(tmp_path / "oss")
        for entry in data["functions"]:
            entry["code_dir"] = str(source.parent / entry["code_dir"])
        config = tmp_path / "examples.json"
        config.write_text(json.dumps(data))
        server = start("--config", str(config))
        try:
            pattern = r"fcsdk: (\w+): serving .* on (http://127\.0\.0\.1:\d+)\n"
            deadline = time.monotonic() + 30
            while len(re.findall(pattern, server.log())) < len(data["functions"]):
                assert time.monotonic() < deadline, server.log()
                time.sleep(0.05)
            urls = dict(re.findall(pattern, server.log()))
            assert f"open {urls['signin']}/signin in a browser" in server.log()
            form = {"username": "admin", "password": "password"}
            signed = httpx.post(urls["signin"] + "/signin", data=form, timeout=20)
            assert "Hello, admin!" in signed.text
            created = httpx.post(urls["orders_api"] + "/orders", json={"item": "tea", "qty": 2})
            assert created.status_code == 201, created.text
            listed = httpx.get(urls["orders_api"] + "/orders", timeout=20).json()
            assert [order["item"] for order in listed] == ["tea"]
            note = httpx.post(urls["notes_fastapi"] + "/notes", json={"text": "buy tea"})
            assert (note.status_code, note.json()) == (201, {"id": 1, "text": "buy tea"})
            notes = httpx.get(urls["notes_fastapi"] + "/notes", timeout=20).json()
            assert notes == [{"id": 1, "text": "buy tea"}]
            event = (ROOT / "examples" / "oss_upload" / "event.json").read_bytes()
            uploaded = httpx.post(urls["oss_upload"] + "/invoke", content=event, timeout=20)
            assert "x-fc-error-type" not in uploaded.headers, uploaded.text
            event = (ROOT / "examples" / "orders" / "event.json").read_bytes()
            receipt = httpx.post(urls["orders"] + "/invoke", content=event, timeout=20)
            assert receipt.content == b'{"order_id":"A1","accepted":true}'
            assert server.stop() == 0
        finally:
            server.stop()

    def test_examples_config_is_valid(self) -> None:
        """The config `make run` uses parses and names existing code folders."""
        path = ROOT / "examples" / "fcsdk-local.json"
        config = load_config(path)
        assert isinstance(config, LocalConfig)
        for entry in config.functions:
            assert (path.parent / entry.code_dir).is_dir(), entry.code_dir


class TestBuildingBlocks:
    def test_listen_ipv6_and_busy(self) -> None:
        """listen() binds IPv4 or IPv6 loopback and raises OSError when taken."""
        with listen("127.0.0.1", 0) as sock, pytest.raises(OSError, match="in use"):
            listen("127.0.0.1", sock.getsockname()[1])
        try:
            sock6 = listen("::1", 0)
        except OSError:
            pytest.skip("no IPv6 loopback on this machine")
        sock6.close()


def test_restarts_are_bounded(tmp_path: Path) -> None:
    """A child that keeps dying is restarted at most 5 times a minute, then given up on."""
    with listen("127.0.0.1", 0) as sock:
        child = _Child("f", [], sock, [tmp_path], {})
        assert [child.may_restart() for _ in range(6)] == [True] * 5 + [False]
        assert child.served() is False  # never started: it never said it was serving
