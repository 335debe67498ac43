"""Tests for fcsdk/_cli/invoke.py: ``python -m fcsdk invoke`` as a user runs it."""

from __future__ import annotations

import json
import os
import re
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
        assert result.stdout == b'{"order_id":"A1","accepted":true}\n'

    def test_event_from_stdin(self) -> None:
        """The event may come on stdin, bytes unchanged."""
        result = run(
            "invoke",
            "index.main",
            "--code-dir",
            str(EXAMPLE),
            stdin=b'{"order_id": "B2", "amount": 0}',
        )
        assert result.stdout == b'{"order_id":"B2","accepted":false}\n'

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
        assert capsysbinary.readouterr().out == b"False\n"

    def test_no_command_prints_help(self, capsys: pytest.CaptureFixture[str]) -> None:
        """fcsdk without a sub-command prints the help and exits 0."""
        assert main([]) == 0
        assert "invoke" in capsys.readouterr().out


APPS = ROOT / "tests" / "local" / "apps"
RID_LINE = r"FC Invoke Start RequestId: (1-[0-9a-f]{8}-[0-9a-f]{24})"


class TestInvokeRuntime:
    def test_log_framing_and_format(self) -> None:
        """stderr has FC's framing and the runtime's log line with the request id."""
        result = run("invoke", "events_app.handler", "--code-dir", str(APPS), "--event", "hi")
        assert result.returncode == 0
        assert result.stdout == b"HI\n"
        err = result.stderr.decode()
        rid = re.search(RID_LINE, err)
        assert rid, err
        assert f"FC Invoke End RequestId: {rid.group(1)}" in err
        assert re.search(
            rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z {rid.group(1)} \[INFO\] got 2 bytes", err
        )

    def test_repeat_reuses_warm_instance(self) -> None:
        """--repeat N: one initializer run, N calls with fresh request ids, one line each."""
        result = run(
            "invoke",
            "events_app.handler",
            "--code-dir",
            str(APPS),
            "--initializer",
            "events_app.init",
            "--repeat",
            "3",
            "--event",
            "info",
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.decode().split("}\n")
        infos = [json.loads(line + "}") for line in lines if line.strip()]
        assert [info["init_calls"] for info in infos] == [1, 1, 1]
        assert len({info["request_id"] for info in infos}) == 3
        assert result.stderr.decode().count("FC Initialize Start") == 1

    def test_initializer_failure(self) -> None:
        """A failing initializer prints its error JSON and exits 1."""
        result = run(
            "invoke",
            "events_app.handler",
            "--code-dir",
            str(APPS),
            "--initializer",
            "events_app.bad_init",
            "--event",
            "x",
        )
        assert result.returncode == 1
        assert json.loads(result.stdout)["errorMessage"] == "cannot connect to the database"

    @pytest.mark.timeout(25)  # the handler sleeps 30 s: waiting for it would time out
    def test_timeout(self) -> None:
        """A handler past --timeout prints FC's timeout error and exits 1, not waiting for it."""
        result = run(
            "invoke",
            "events_app.handler",
            "--code-dir",
            str(APPS),
            "--timeout",
            "0.5",
            "--event",
            "sleep30",
        )
        assert result.returncode == 1
        assert json.loads(result.stdout) == {"errorMessage": "Function timed out after 0.5 seconds"}

    def test_unsendable_result(self) -> None:
        """A result the runtime cannot send is the runtime's TypeError."""
        result = run("invoke", "events_app.handler", "--code-dir", str(APPS), "--event", "set")
        assert result.returncode == 1
        assert json.loads(result.stdout)["errorType"] == "TypeError"

    def test_json_result_as_runtime_sends_it(self) -> None:
        """A dict is sent as json.dumps(indent=4, sort_keys=True)."""
        result = run("invoke", "events_app.to_json_result", "--code-dir", str(APPS))
        assert result.stdout == b'{\n    "a": [\n        1,\n        2\n    ],\n    "b": 1\n}\n'

    def test_module_raising_at_import(self) -> None:
        """A module that raises at import reports UserCodeError."""
        result = run("invoke", "broken_import.handler", "--code-dir", str(APPS), "--event", "")
        assert result.returncode == 1
        payload = json.loads(result.stdout)
        assert payload["errorType"] == "UserCodeError"
        assert "misconfigured at import time" in payload["errorMessage"]

    def test_file_path_handler(self) -> None:
        """path/to/file.py:function is accepted."""
        result = run("invoke", str(APPS / "events_app.py") + ":handler", "--event", "abc")
        assert result.stdout == b"ABC\n"

    def test_pre_stop_runs_at_the_end(self, tmp_path: Path) -> None:
        """--pre-stop runs once after the last call."""
        mark = tmp_path / "mark"
        options = ["--code-dir", str(APPS), "--pre-stop", "events_app.stop", "--event", "x"]
        result = subprocess.run(
            [sys.executable, "-m", "fcsdk", "invoke", "events_app.handler", *options],
            capture_output=True,
            timeout=60,
            check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT), "MARK_FILE": str(mark)},
        )
        assert result.returncode == 0
        assert mark.read_text().startswith("pre_stop 1-")
        assert b"FC PreStop End RequestId:" in result.stderr


class TestInvokeEnvironment:
    def test_env_and_env_file(self, tmp_path: Path) -> None:
        """--env-file then --env values reach the handler; FC_* are set for the runtime."""
        env_file = tmp_path / ".env"
        env_file.write_text("MY_A=from-file\nMY_B=from-file\n")
        result = run(
            "invoke",
            "events_app.handler",
            "--code-dir",
            str(APPS),
            "--env-file",
            str(env_file),
            "--env",
            "MY_B=from-flag",
            "--function-name",
            "orders",
            "--memory",
            "1024",
            "--runtime",
            "python3.12",
            "--event",
            "info",
        )
        info = json.loads(result.stdout)
        assert info["env"]["MY_A"] == "from-file"
        assert info["env"]["MY_B"] == "from-flag"
        assert info["env"]["FC_FUNCTION_NAME"] == "orders"
        assert info["env"]["FC_FUNCTION_MEMORY_SIZE"] == "1024"
        assert info["env"]["FC_RUNTIME_VERSION"] == "python3.12"
        assert info["env"]["ALIBABA_CLOUD_ACCESS_KEY_ID"] == "STS.fake-access-key-id"
        assert info["function"] == "orders"

    def test_bad_env_file_is_usage_error(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A malformed env file is exit code 2 naming the file and line."""
        env_file = tmp_path / ".env"
        env_file.write_text("JUSTAWORD\n")
        options = ["--env-file", str(env_file), "--event", ""]
        code = main(["invoke", "events_app.handler", "--code-dir", str(APPS), *options])
        assert code == 2
        assert f"{env_file}:1: expected KEY=VALUE" in capsys.readouterr().err

    def test_environment_restored_in_process(
        self, capsysbinary: pytest.CaptureFixture[bytes]
    ) -> None:
        """In-process, the function's variables are gone after the call."""
        try:
            options = ["--code-dir", str(APPS), "--env", "MY_X=1", "--event", "info"]
            code = main(["invoke", "events_app.handler", *options])
        finally:
            sys.modules.pop("events_app", None)
            if str(APPS) in sys.path:
                sys.path.remove(str(APPS))
        assert code == 0
        assert json.loads(capsysbinary.readouterr().out)["env"]["MY_X"] == "1"
        assert "MY_X" not in os.environ
        assert "FC_FUNCTION_NAME" not in os.environ

    @pytest.mark.parametrize(
        ("option", "value"), [("--repeat", "0"), ("--repeat", "x"), ("--timeout", "-1")]
    )
    def test_bad_numbers(self, option: str, value: str) -> None:
        """Non-positive --repeat/--timeout are argparse usage errors."""
        with pytest.raises(SystemExit) as info:
            main(["invoke", "events_app.handler", option, value])
        assert info.value.code == 2


class TestInvokeStdin:
    def test_terminal_stdin_means_empty_event(
        self, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
    ) -> None:
        """With no event option and a terminal on stdin, the event is empty (no waiting)."""

        class Terminal:
            def isatty(self) -> bool:
                return True

        monkeypatch.setattr(sys, "stdin", Terminal())
        try:
            code = main(["invoke", "events_app.handler", "--code-dir", str(APPS)])
        finally:
            sys.modules.pop("events_app", None)
            while str(APPS) in sys.path:
                sys.path.remove(str(APPS))
        assert code == 0
        assert capsysbinary.readouterr().out == b""


class TestNewcomerMistakes:
    """What a newcomer sees for the usual mistakes, through a real subprocess."""

    def test_version(self) -> None:
        """fcsdk --version prints the package version and exits 0."""
        from fcsdk import __version__

        result = run("--version")
        assert result.returncode == 0, result.stderr
        assert result.stdout.decode().strip() == f"fcsdk {__version__}"

    def test_no_arguments_prints_help(self) -> None:
        """fcsdk with no arguments prints the help, every command listed, and exits 0."""
        result = run()
        assert result.returncode == 0
        out = result.stdout.decode()
        assert out.startswith("usage: fcsdk")
        for command in ("invoke", "serve", "init", "package", "oss-server"):
            assert command in out
        assert result.stderr == b""

    @pytest.mark.parametrize("kind", ["missing", "file"])
    def test_wrong_code_dir(self, kind: str, tmp_path: Path) -> None:
        """A --code-dir that is missing or a file says the folder does not exist, exit 2."""
        target = tmp_path / "nonexistent"
        if kind == "file":
            target.write_text("def main(event, context):\n    return event\n")
        result = run("invoke", "index.main", "--code-dir", str(target), "--event", "{}")
        assert result.returncode == 2
        assert result.stdout == b""
        message = result.stderr.decode()
        assert f"the folder {target} does not exist" in message
        assert ("(it is a file)" in message) == (kind == "file")
        assert "Traceback" not in message

    def test_wrong_code_dir_serve(self, tmp_path: Path) -> None:
        """fcsdk serve refuses a --code-dir that does not exist the same way."""
        missing = tmp_path / "nope"
        result = run("serve", "index.main", "--code-dir", str(missing), "--no-oss")
        assert result.returncode == 2
        assert f"the folder {missing} does not exist" in result.stderr.decode()

    def test_misspelt_handler_shows_only_the_runtime_error(self) -> None:
        """A misspelt handler shows the runtime's error JSON, no fcsdk frames, on both streams."""
        result = run("invoke", "index.mian", "--code-dir", str(EXAMPLE), "--event", "{}")
        assert result.returncode == 1
        expected = {
            "errorMessage": "Handler 'mian' not found in module 'index': did you mean 'main'?",
            "errorType": "HandlerNotFound",
        }
        assert json.loads(result.stdout) == expected
        log = result.stderr.decode()
        assert "Traceback" not in log
        assert "fcsdk" not in log.replace("fcsdk invoke", "")
        (line,) = log.strip().splitlines()
        assert json.loads(line.split(" [ERROR] ", 1)[1]) == expected

    def test_module_error_shows_the_users_frames(self, tmp_path: Path) -> None:
        """An exception inside the user's module shows the user's frames and nothing of fcsdk's."""
        (tmp_path / "index.py").write_text(
            "import settings\n\ndef main(event, context):\n    return event\n"
        )
        (tmp_path / "settings.py").write_text(
            "def load():\n    raise KeyError('DATABASE_URL')\n\nCONFIG = load()\n"
        )
        result = run("invoke", "index.main", "--code-dir", str(tmp_path), "--event", "{}")
        assert result.returncode == 1
        payload = json.loads(result.stdout)
        assert payload["errorType"] == "UserCodeError"
        assert "KeyError: 'DATABASE_URL'" in payload["errorMessage"]
        index, settings = str(tmp_path / "index.py"), str(tmp_path / "settings.py")
        assert payload["stackTrace"] == [
            [index, "line 1", "in <module>", "import settings"],
            [settings, "line 4", "in <module>", "CONFIG = load()"],
            [settings, "line 2", "in load", "raise KeyError('DATABASE_URL')"],
        ]
        log = result.stderr.decode()
        assert "Traceback" not in log
        assert "importlib" not in log
        assert str(ROOT / "fcsdk") not in log

    def test_syntax_error_points_at_the_line(self, tmp_path: Path) -> None:
        """A syntax error's error JSON names the user's file and line, nothing else."""
        (tmp_path / "index.py").write_text("def main(event, context:\n    return event\n")
        result = run("invoke", "index.main", "--code-dir", str(tmp_path), "--event", "{}")
        payload = json.loads(result.stdout)
        assert payload["errorType"] == "UserCodeSyntaxError"
        assert payload["stackTrace"] == [
            [str(tmp_path / "index.py"), "line 1", "in <module>", "def main(event, context:"]
        ]
        assert "Traceback" not in result.stderr.decode()


class TestInvokeOutput:
    def test_result_ends_with_a_newline(self) -> None:
        """The result is followed by a newline, so the shell prompt starts on its own line."""
        result = run("invoke", "events_app.handler", "--code-dir", str(APPS), "--event", "hi")
        assert result.stdout == b"HI\n"

    def test_raw_prints_the_exact_bytes(self) -> None:
        """--raw prints the result exactly as the runtime sends it, nothing after."""
        result = run(
            "invoke", "events_app.handler", "--code-dir", str(APPS), "--event", "hi", "--raw"
        )
        assert result.stdout == b"HI"

    def test_bare_async_handler_says_to_decorate_it(self, tmp_path: Path) -> None:
        """A bare async def says what fcsdk.testing.invoke says, not 'coroutine' JSON noise."""
        (tmp_path / "index.py").write_text("async def main(event, context):\n    return 1\n")
        result = run("invoke", "index.main", "--code-dir", str(tmp_path), "--event", "{}")
        assert result.returncode == 1
        payload = json.loads(result.stdout)
        assert "bare `async def`" in payload["errorMessage"]
        assert "@fc.handler" in payload["errorMessage"]
        assert "coroutine is not JSON" not in result.stderr.decode()
