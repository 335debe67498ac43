"""Tests for fcsdk/_cli/invoke.py: ``python -m fcsdk invoke`` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fcsdk.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "orders"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run python -m fcsdk in a subprocess, as a user would from a shell."""
    return subprocess.run(
        [sys.executable, "-m", "fcsdk", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


class TestInvokeCommand:
    def test_example_from_event_file(self) -> None:
        """The quickstart example prints the receipt bytes and exits 0."""
        result = run(
            "invoke",
            "index.main",
            "--code-dir",
            str(EXAMPLE),
            "--event-file",
            str(EXAMPLE / "event.json"),
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout == b'{"order_id":"A1","accepted":true}'

    def test_event_from_stdin(self) -> None:
        """The event may come on stdin, bytes unchanged."""
        result = run(
            "invoke",
            "index.main",
            "--code-dir",
            str(EXAMPLE),
            stdin=b'{"order_id": "B2", "amount": 0}',
        )
        assert result.stdout == b'{"order_id":"B2","accepted":false}'

    def test_handler_error_prints_runtime_error_json(self) -> None:
        """A handler exception prints the runtime's error JSON and exits non-zero."""
        result = run("invoke", "index.main", "--code-dir", str(EXAMPLE), "--event", "{}")
        assert result.returncode == 1
        payload = json.loads(result.stdout)
        assert payload["errorType"] == "EventDecodeError"
        assert "event.order_id: Field required" in payload["errorMessage"]
        assert payload["stackTrace"]

    def test_load_error(self) -> None:
        """A handler string without a dot reports InvalidHandleName."""
        result = run("invoke", "index", "--code-dir", str(EXAMPLE), "--event", "{}")
        assert result.returncode == 1
        assert json.loads(result.stdout)["errorType"] == "InvalidHandleName"


class TestInvokeInProcess:
    def test_missing_event_file(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An event file that does not exist is a clear message and exit code 2."""
        code = main(
            ["invoke", "index.main", "--code-dir", str(EXAMPLE), "--event-file", "/nope.json"]
        )
        assert code == 2
        assert "cannot read the event" in capsys.readouterr().err

    def test_runtime_312_context(
        self, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
    ) -> None:
        """--runtime python3.12 hands the handler a 3.12-shaped context."""
        (tmp_path / "shape.py").write_text(
            "def handler(event, context):\n    return str(hasattr(context, 'credentials'))\n"
        )
        try:
            code = main(
                [
                    "invoke",
                    "shape.handler",
                    "--code-dir",
                    str(tmp_path),
                    "--runtime",
                    "python3.12",
                    "--event",
                    "",
                ]
            )
        finally:
            sys.modules.pop("shape", None)
            sys.path.remove(str(tmp_path.resolve()))
        assert code == 0
        assert capsysbinary.readouterr().out == b"False"

    def test_no_command_is_usage_error(self) -> None:
        """fcsdk without a sub-command exits with argparse's usage error."""
        with pytest.raises(SystemExit) as info:
            main([])
        assert info.value.code == 2
