"""Tests for fcsdk/_cli/serve.py in-process: options, banners and a clean stop on a signal."""

from __future__ import annotations

import argparse
import io
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fcsdk._cli import serve as serve_cli
from fcsdk._local import embedded_oss
from fcsdk.cli import build_parser, main
from tests.local.serving import APPS


@pytest.fixture
def forget_apps() -> Iterator[None]:
    """Forget the test apps' modules and folder after an in-process run."""
    environ = dict(os.environ)
    yield
    for name in ("events_app", "web_wsgi"):
        sys.modules.pop(name, None)
    while str(APPS) in sys.path:
        sys.path.remove(str(APPS))
    os.environ.clear()
    os.environ.update(environ)


def serve_in_process(
    argv: list[str], requests: list[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, list[httpx.Response], str]:
    """Run ``fcsdk serve`` in this thread; a helper thread sends requests, then SIGINT."""
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    answers: list[httpx.Response] = []

    def client() -> None:
        deadline = time.monotonic() + 20
        found = None
        while found is None and time.monotonic() < deadline:
            found = re.search(r"on (http://127\.0\.0\.1:\d+)", log.getvalue())
            time.sleep(0.02)
        url = found.group(1) if found else ""
        try:
            for request in requests if url else []:
                method, _, path = request.partition(" ")
                answers.append(httpx.request(method, url + path, timeout=10))
        finally:
            # Only a server still running may get the signal, never pytest itself.
            if not finished.is_set():
                os.kill(os.getpid(), signal.SIGINT)

    finished = threading.Event()
    thread = threading.Thread(target=client)
    thread.start()
    try:
        code = main(argv)
    finally:
        finished.set()
        thread.join(30)
    return code, answers, log.getvalue()


@pytest.mark.usefixtures("forget_apps")
class TestServeInProcess:
    def test_serves_and_stops_on_sigint(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Serve answers, then SIGINT stops it cleanly with exit code 0."""
        options = ["--no-oss", "--port", "0", "--mode", "event"]
        code, answers, log = serve_in_process(
            ["serve", "events_app.handler", "--code-dir", str(APPS), *options],
            ["POST /invoke"],
            monkeypatch,
        )
        assert code == 0
        assert answers[0].status_code == 200
        assert "fcsdk: stopping" in log
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    def test_warns_off_loopback(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A host that is not loopback gets a warning in the banner."""
        monkeypatch.setattr("fcsdk._local.server.is_loopback", lambda host: False)
        code, _, log = serve_in_process(
            ["serve", "events_app.handler", "--code-dir", str(APPS), "--no-oss", "--port", "0"],
            [],
            monkeypatch,
        )
        assert code == 0
        assert "warning: listening on 127.0.0.1, reachable from other machines" in log

    def test_oss_banner_and_handoff(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A supervisor's OSS hand-off is used and the banner names its buckets."""
        monkeypatch.setenv(
            embedded_oss.OSS_HANDOFF_ENV,
            '{"endpoint": "http://127.0.0.1:1", "buckets": ["a", "b"], "credentials":'
            ' {"access_key_id": "k", "access_key_secret": "s", "security_token": "t"}}',
        )
        code, answers, log = serve_in_process(
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
            monkeypatch,
        )
        assert code == 0
        assert answers[0].content == b""
        assert "local OSS at http://127.0.0.1:1 (buckets 'a', 'b'), credentials injected" in log
        assert embedded_oss.OSS_HANDOFF_ENV not in os.environ


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

    def test_namespace_without_handler(self, capsys: pytest.CaptureFixture[str]) -> None:
        """run() without a handler or config is a usage error."""
        args = argparse.Namespace(config=None, handler=None)
        assert serve_cli.run(args) == 2
        assert "give a handler string" in capsys.readouterr().err


def test_oss_dir_unusable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An OSS folder that cannot be created is exit code 2."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(
        ["serve", "events_app.handler", "--code-dir", str(APPS), "--oss-dir", str(blocker / "x")]
    )
    assert code == 2
    assert "cannot start the local OSS server" in capsys.readouterr().err
