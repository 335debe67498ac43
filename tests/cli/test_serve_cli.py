"""Tests for fcsdk/_cli/serve.py: options, banners and a clean stop on Ctrl-C (in a child)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from fcsdk._cli import serve as serve_cli
from fcsdk._local import embedded_oss
from fcsdk.cli import build_parser, main
from tests.local.serving import APPS

ROOT = Path(__file__).resolve().parents[2]

# Runs `fcsdk serve` in a child interpreter, optionally after a line of set-up, and
# reports on stderr how it ended: the exit code, whether Ctrl-C's handler is the
# default again, and whether the OSS hand-off variable is gone from the environment.
_CHILD = """
import json, os, signal, sys
from fcsdk._local import embedded_oss
from fcsdk.cli import main
{prelude}
code = main(sys.argv[1:])
sys.stderr.write("\\nRESULT " + json.dumps({{
    "code": code,
    "sigint_restored": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
    "handoff_left": embedded_oss.OSS_HANDOFF_ENV in os.environ,
}}) + "\\n")
"""


def serve_in_child(
    argv: list[str], requests: list[str], *, prelude: str = "", env: dict[str, str] | None = None
) -> tuple[dict[str, Any], list[httpx.Response], str]:
    """Run ``fcsdk serve`` in a child; send ``requests`` once it listens, then Ctrl-C (SIGINT).

    The signal goes to the child only, after it said where it listens: never to pytest.
    """
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD.format(prelude=prelude), *argv, "--single-process"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    assert child.stderr is not None
    banner = []
    answers: list[httpx.Response] = []
    try:
        for line in child.stderr:  # bounded by the per-test timeout
            banner.append(line)
            found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
            if found:
                # An answer comes only once the serving loop runs, after Ctrl-C's
                # handler is installed: only then is the signal sent.
                for request in requests or ["GET /"]:
                    method, _, path = request.partition(" ")
                    answers.append(httpx.request(method, found.group(1) + path, timeout=10))
                break
    finally:
        child.send_signal(signal.SIGINT)
        rest = child.stderr.read()  # to the end: the child has stopped
        child.stderr.close()
        child.wait(timeout=30)
    log = "".join(banner) + rest
    result = re.search(r"^RESULT (.*)$", log, re.MULTILINE)
    assert result is not None, log
    assert child.returncode == 0, log
    return json.loads(result.group(1)), answers, log


@pytest.mark.slow
class TestServeInAChild:
    def test_serves_and_stops_on_sigint(self) -> None:
        """Serve answers, then SIGINT stops it cleanly with exit code 0 and Ctrl-C restored."""
        options = ["--no-oss", "--port", "0", "--mode", "event"]
        result, answers, log = serve_in_child(
            ["serve", "events_app.handler", "--code-dir", str(APPS), *options], ["POST /invoke"]
        )
        assert result["code"] == 0
        assert answers[0].status_code == 200
        assert "fcsdk: stopping" in log
        assert result["sigint_restored"] is True

    def test_warns_off_loopback(self) -> None:
        """A host that is not loopback gets a warning in the banner."""
        result, _, log = serve_in_child(
            ["serve", "events_app.handler", "--code-dir", str(APPS), "--no-oss", "--port", "0"],
            [],
            prelude="import fcsdk._local.server as s; s.is_loopback = lambda host: False",
        )
        assert result["code"] == 0
        assert "warning: listening on 127.0.0.1, reachable from other machines" in log

    def test_oss_banner_and_handoff(self) -> None:
        """A supervisor's OSS hand-off is used and the banner names its buckets."""
        handoff = (
            '{"endpoint": "http://127.0.0.1:1", "buckets": ["a", "b"], "credentials":'
            ' {"access_key_id": "k", "access_key_secret": "s", "security_token": "t"}}'
        )
        result, answers, log = serve_in_child(
            [
                "serve",
                "events_app.handler",
                "--code-dir",
                str(APPS),
                "--port",
                "0",
                "--mode",
                "event",
            ],
            ["POST /invoke"],
            env={embedded_oss.OSS_HANDOFF_ENV: handoff},
        )
        assert result["code"] == 0
        assert answers[0].content == b""
        assert "local OSS at http://127.0.0.1:1 (buckets 'a', 'b'), credentials injected" in log
        assert result["handoff_left"] is False

    def test_own_oss_in_one_process(self, tmp_path: Path) -> None:
        """--single-process without a hand-off starts its own local OSS and names it once."""
        options = ["--port", "0", "--mode", "event", "--oss-dir", str(tmp_path), "--bucket", "bk1"]
        result, answers, log = serve_in_child(
            ["serve", "events_app.handler", "--code-dir", str(APPS), *options], ["POST /invoke"]
        )
        assert result["code"] == 0, log
        assert answers[0].status_code == 200
        assert log.count("local OSS at http://127.0.0.1:") == 1
        assert "(bucket 'bk1')" in log


class TestChildArgv:
    def test_round_trip(self) -> None:
        """child_argv() rebuilds options that parse back to the same values, minus --reload."""
        argv = ["serve", "index.handler", "--code-dir", "src", "--reload", "--no-oss"]
        argv += ["--env", "A=1", "--env", "B=2", "--timeout", "5", "--bucket", "demo"]
        args = build_parser().parse_args(argv)
        rebuilt = serve_cli.child_argv(args)
        assert "--reload" not in rebuilt
        again = build_parser().parse_args(["serve", *rebuilt])
        for key in ("handler", "code_dir", "no_oss", "env", "timeout", "bucket"):
            assert getattr(again, key) == getattr(args, key)
        assert again.reload is False

    def test_new_credentials_are_fresh(self) -> None:
        """Each run gets new temporary credentials."""
        first, second = embedded_oss.new_credentials(), embedded_oss.new_credentials()
        assert first["access_key_id"].startswith("STS.local")
        assert first != second

    def test_namespace_without_handler(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """run() without a handler, config or s.yaml is a usage error."""
        monkeypatch.chdir(tmp_path)
        args = build_parser().parse_args(["serve"])
        assert serve_cli.run(args) == 2
        assert "give a handler string" in capsys.readouterr().err


def test_oss_dir_unusable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An OSS folder that cannot be created is exit code 2."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(
        [
            "serve",
            "events_app.handler",
            *("--code-dir", str(APPS), "--port", "0", "--oss-dir", str(blocker / "x")),
        ]
    )
    assert code == 2
    assert "cannot start the local OSS server" in capsys.readouterr().err
