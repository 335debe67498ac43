"""Tests for fcsdk serve and invoke with an fc.from_asgi handler: lifespan at start and stop."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fcsdk._local.instance import FunctionConfig, Instance
from fcsdk._local.logs import RuntimeLogs
from fcsdk.cli import main
from tests.cli.test_serve_cli import serve_in_child
from tests.local.serving import APPS


@pytest.fixture
def record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Where the test app writes its lifespan events; the module forgotten afterwards."""
    path = tmp_path / "record.txt"
    monkeypatch.setenv("ASGI_RECORD", str(path))
    yield path
    sys.modules.pop("asgi_fastapi", None)
    while str(APPS) in sys.path:
        sys.path.remove(str(APPS))


@pytest.mark.parametrize("mode", ["wsgi", "event"])
def test_serve_runs_lifespan_at_start_and_stop(mode: str, record: Path) -> None:
    """serve starts the app's lifespan before the first request and shuts it down on Ctrl-C."""
    path = "/2016-08-15/proxy/svc/fn/items/3" if mode == "wsgi" else "/items/3"
    argv = ["serve", "asgi_fastapi.handler", "--code-dir", str(APPS), "--no-oss", "--port", "0"]
    result, answers, log = serve_in_child([*argv, "--mode", mode], [f"GET {path}"])
    assert result["code"] == 0, log
    assert answers[0].json() == {"item_id": 3, "started": "yes"}
    assert record.read_text().splitlines() == ["startup", "shutdown"]


def test_serve_says_when_startup_fails(record: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lifespan startup that raises is reported at start; requests fail with it."""
    monkeypatch.setenv("ASGI_FAIL_STARTUP", "1")
    argv = ["serve", "asgi_fastapi.handler", "--code-dir", str(APPS), "--no-oss", "--port", "0"]
    result, answers, log = serve_in_child([*argv, "--mode", "event"], ["GET /items/1"])
    assert result["code"] == 0
    assert "cannot reach the database" in log
    assert answers[0].status_code >= 500


def test_invoke_runs_an_http_event(
    record: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fcsdk invoke sends an FC 3.0 HTTP event to the ASGI handler and prints its answer."""
    from fcsdk.testing import fc3_http_event

    event = tmp_path / "event.json"
    event.write_text(json.dumps(fc3_http_event("GET", "/items/9")))
    code = main(
        ["invoke", "asgi_fastapi.handler", "--code-dir", str(APPS), "--event-file", str(event)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert json.loads(json.loads(out)["body"]) == {"item_id": 9, "started": "yes"}


def test_instance_without_an_asgi_handler_starts_nothing(tmp_path: Path) -> None:
    """start_app() is a no-op for an ordinary handler."""
    (tmp_path / "plain.py").write_text("def handler(event, context):\n    return event\n")
    config = FunctionConfig(handler="plain.handler", code_dir=tmp_path)
    instance = Instance(config, RuntimeLogs(io.StringIO()))
    instance.load()
    assert instance.start_app() is None
    instance.stop()
    sys.modules.pop("plain", None)
