"""Tests for fcsdk/_cli/serve.py: the embedded OSS server and its injected credentials."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.local.serving import APPS, ROOT, served

pytestmark = pytest.mark.slow  # each test drives a real fcsdk serve process


class TestEmbeddedOSS:
    @pytest.mark.parametrize("runtime", ["python3.10", "python3.12"])
    def test_oss_bucket_works_locally(self, tmp_path: Path, runtime: str) -> None:
        """context.oss_bucket() reaches the local OSS server with no cloud account."""
        oss_dir = tmp_path / "oss"
        with served(
            "oss_app.handler",
            "--code-dir",
            str(APPS),
            "--bucket",
            "demo",
            "--oss-dir",
            str(oss_dir),
            "--runtime",
            runtime,
            "--mode",
            "event",
        ) as server:
            put = {"put": "greetings/hello.txt", "data": "hi there"}
            response = httpx.post(server.url + "/invoke", content=json.dumps(put), timeout=20)
            assert response.text == "stored", response.text
            get = {"get": "greetings/hello.txt"}
            response = httpx.post(server.url + "/invoke", content=json.dumps(get), timeout=20)
            assert response.text == "hi there"
            endpoint = httpx.post(server.url + "/invoke", content=b"{}", timeout=20).text
        log = server.log()
        assert f"local OSS at {endpoint} (bucket 'demo'), credentials injected" in log
        assert "secret" not in log.lower()
        assert "security_token" not in log
        assert any(oss_dir.rglob("*")), "the OSS folder holds the object"

    def test_unknown_bucket_is_an_oss_error(self, tmp_path: Path) -> None:
        """A bucket that was not created is the OSS error a real bucket gives."""
        with served(
            "oss_app.handler",
            "--code-dir",
            str(APPS),
            "--oss-dir",
            str(tmp_path),
            "--mode",
            "event",
        ) as server:
            request = {"bucket": "missing", "get": "x"}
            response = httpx.post(server.url + "/invoke", content=json.dumps(request), timeout=20)
        assert response.headers["x-fc-error-type"] == "UnhandledInvocationError"
        assert "NoSuchBucket" in response.text

    def test_bad_bucket_name(self, tmp_path: Path) -> None:
        """A bucket name OSS forbids stops serve with exit code 2."""
        options = ["--bucket", "Bad_Name", "--oss-dir", str(tmp_path), "--port", "0"]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "fcsdk",
                "serve",
                "oss_app.handler",
                "--code-dir",
                str(APPS),
                *options,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=ROOT,
        )
        assert result.returncode == 2
        assert "cannot start the local OSS server" in result.stderr


def _two_ports() -> tuple[socket.socket, int]:
    """Return a bound socket on P + 100 and the port P (free), for some P (bounded tries)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port > 65435:
            continue
        blocker = socket.socket()
        try:
            blocker.bind(("127.0.0.1", port + 100))
        except OSError:
            blocker.close()
            continue
        blocker.listen()
        return blocker, port
    raise RuntimeError("no pair of free ports found")


class TestOSSPort:
    def test_port_plus_100_or_any(self, tmp_path: Path) -> None:
        """The OSS server takes the serve port + 100, or any free port when that is taken."""
        blocker, port = _two_ports()
        with (
            blocker,
            served(
                "oss_app.handler", "--code-dir", str(APPS), "--oss-dir", str(tmp_path), port=port
            ) as server,
        ):
            found = server.wait_log(r"local OSS at http://127\.0\.0\.1:(\d+)")
            assert int(found.group(1)) != port + 100
        with served(
            "oss_app.handler", "--code-dir", str(APPS), "--oss-dir", str(tmp_path), port=port
        ) as server:
            server.wait_log(rf"local OSS at http://127\.0\.0\.1:{port + 100}\b")
