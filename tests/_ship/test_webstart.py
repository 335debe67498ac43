"""Web functions (FC 3.0 custom runtimes): built for the image's Python, timed to first answer.

The startup command here is a stand-in for fcsdk's own server: a bootstrap
that runs a stdlib HTTP server on ``FC_CUSTOM_LISTEN_PORT`` (bound to
loopback), importing a dependency from the package's root as the real one does.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from fcsdk._ship import webstart
from fcsdk._ship.build import build_package
from fcsdk._ship.requirements import PipOptions
from fcsdk._ship.target import Target
from fcsdk.cli import main
from tests._ship.helpers import make_project, names, runtime_python

SERVER = """\
import http.server
import os

import demo_dep  # a dependency, found at the package's root (/code)


class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"value %d" % demo_dep.VALUE
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


port = int(os.environ["FC_CUSTOM_LISTEN_PORT"])
http.server.HTTPServer(("127.0.0.1", port), Hello).serve_forever()
"""


def web_project(
    folder: Path, *, runtime: str = "custom.debian12", bootstrap: str | None = None
) -> Path:
    """A web function: s.yaml on a custom runtime, a bootstrap (0644 on disk), a server."""
    project = make_project(folder)
    (project / "index.py").unlink()
    (project / "server.py").write_text(SERVER)
    (project / "bootstrap").write_text(bootstrap or "#!/bin/sh\nexec python3 server.py\n")
    (project / "bootstrap").chmod(0o644)  # as checked out where no executable bit is kept
    (project / "s.yaml").write_text(
        "resources:\n  web:\n    props:\n"
        f"      runtime: {runtime}\n"
        "      customRuntimeConfig:\n        command:\n          - /code/bootstrap\n"
        "        port: 9000\n"
    )
    return project


def mode(zip_path: Path, name: str) -> int:
    """The Unix permission bits an entry carries."""
    with zipfile.ZipFile(zip_path) as zf:
        return (zf.getinfo(name).external_attr >> 16) & 0o777


class TestCustomRuntimeTargets:
    @pytest.mark.parametrize(
        ("runtime", "version", "glibc"),
        [
            ("custom.debian12", "3.11", (2, 36)),
            ("custom.debian11", "3.12", (2, 31)),
            ("custom.debian10", "3.10", (2, 28)),
        ],
    )
    def test_each_images_python_and_glibc(
        self, runtime: str, version: str, glibc: tuple[int, int]
    ) -> None:
        """A custom runtime targets the Python its image has built in, and its glibc."""
        target = Target.for_runtime(runtime)
        assert (target.python_version, target.glibc, target.custom) == (version, glibc, True)
        assert not Target.for_runtime("python3.12").custom


class TestPackageWebFunction:
    def test_built_for_the_images_python_with_bootstrap_executable(
        self, tmp_path: Path, local: PipOptions
    ) -> None:
        """s.yaml's custom.debian12: cp311 bytecode and wheels, bootstrap 0755 in the zip."""
        project = web_project(tmp_path / "web")
        report = build_package(
            project, runtime="custom.debian12", pip=local, python=runtime_python("3.11")
        )
        assert report.path.name == "web-custom.debian12.zip"
        listed = names(report.path)
        assert {"bootstrap", "server.py", "demo_dep/__init__.py"} <= set(listed)
        assert "__pycache__/server.cpython-311.pyc" in listed
        assert "demo_dep/__pycache__/__init__.cpython-311.pyc" in listed
        assert mode(report.path, "bootstrap") == 0o755
        assert mode(report.path, "server.py") == 0o644
        assert "custom.debian12 (CPython 3.11, manylinux_2_36 x86_64)" in report.render()
        assert report.warnings == []

    def test_the_command_reads_the_runtime_from_s_yaml(
        self, tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """fcsdk package with no --runtime builds for the custom runtime s.yaml declares."""
        project = web_project(tmp_path / "web", runtime="custom.debian11")
        args = ["package", str(project), "--no-index", "--find-links", str(wheelhouse)]
        assert main([*args, "--python", runtime_python("3.12")]) == 0
        assert "web-custom.debian11.zip" in capsys.readouterr().out
        assert "__pycache__/server.cpython-312.pyc" in names(
            project / "dist" / "web-custom.debian11.zip"
        )

    def test_a_missing_or_windows_bootstrap_is_named(
        self, tmp_path: Path, local: PipOptions
    ) -> None:
        """No bootstrap, or one with CRLF line endings: a warning saying what FC would do."""
        project = web_project(tmp_path / "web")
        (project / "bootstrap").write_bytes(b"#!/bin/sh\r\nexec python3 server.py\r\n")
        report = build_package(
            project, runtime="custom.debian12", pip=local, compile_bytecode=False
        )
        assert any("bootstrap has Windows line endings" in w for w in report.warnings)
        (project / "bootstrap").unlink()
        report = build_package(
            project, runtime="custom.debian12", pip=local, compile_bytecode=False
        )
        assert any(
            "the startup command /code/bootstrap is not in the package" in w
            for w in report.warnings
        )


class TestColdstartWebFunction:
    def test_from_process_start_to_the_first_answer(
        self, tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The startup command runs from the read-only package on FC's port; first answers timed."""
        project = web_project(tmp_path / "web", runtime="custom.debian11")
        args = ["coldstart", str(project), "-n", "3", "--json", "--python", runtime_python("3.12")]
        code = main([*args, "--no-index", "--find-links", str(wheelhouse)])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        report = json.loads(captured.out)
        assert report["command"] == ["/code/bootstrap"]
        assert report["status"] == "HTTP/1.0 200 OK"
        assert len(report["first_answer_ms"]) == 3
        assert all(ms > 0 for ms in report["first_answer_ms"])
        assert report["python"]["version"] == "3.12"

    def test_a_command_that_exits_is_reported(
        self, tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A startup command that dies before answering: exit 2 with its last line."""
        project = web_project(
            tmp_path / "web",
            runtime="custom.debian11",
            bootstrap="#!/bin/sh\necho 'no module named fcsdk' >&2\nexit 1\n",
        )
        args = ["coldstart", str(project), "-n", "1", "--python", runtime_python("3.12")]
        assert main([*args, "--no-index", "--find-links", str(wheelhouse)]) == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert err == (
            "fcsdk coldstart: the startup command exited with 1 before answering on port "
            + err.split("port ")[1].split(":")[0]
            + ": no module named fcsdk"
        )

    def test_a_command_that_never_answers_is_stopped(
        self,
        tmp_path: Path,
        wheelhouse: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A server that never listens: stopped at the limit, with a message naming the port."""
        monkeypatch.setattr(webstart, "START_TIMEOUT", 0.5)
        project = web_project(
            tmp_path / "web", runtime="custom.debian11", bootstrap="#!/bin/sh\nexec sleep 60\n"
        )
        args = ["coldstart", str(project), "-n", "1", "--python", runtime_python("3.12")]
        assert main([*args, "--no-index", "--find-links", str(wheelhouse)]) == 2
        assert "did not answer on FC_CUSTOM_LISTEN_PORT" in capsys.readouterr().err

    def test_event_function_options_are_refused(
        self, tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--html draws an import tree: a web function has none, so it is refused clearly."""
        project = web_project(tmp_path / "web", runtime="custom.debian11")
        args = ["coldstart", str(project), "--html", str(tmp_path / "x.html")]
        args += ["--python", runtime_python("3.12"), "--no-index", "--find-links", str(wheelhouse)]
        assert main(args) == 2
        assert "are for event functions" in capsys.readouterr().err


class TestColdstartWebOptions:
    def test_text_report_and_the_budget(
        self, tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The text report names the command and phase; over --budget-ms exits 1, saying so."""
        project = web_project(tmp_path / "web", runtime="custom.debian11")
        args = ["coldstart", str(project), "-n", "1", "--budget-ms", "0.001"]
        args += ["--command", "./bootstrap", "--python", runtime_python("3.12")]
        assert main([*args, "--no-index", "--find-links", str(wheelhouse)]) == 1
        captured = capsys.readouterr()
        assert "web function: ./bootstrap with Python 3.12" in captured.out
        assert "process start to first answer" in captured.out
        assert "first answer: HTTP/1.0 200 OK" in captured.out
        assert "the median first answer" in captured.err
        assert "over the 0.001 ms budget" in captured.err

    def test_measure_checks_its_arguments(self, tmp_path: Path) -> None:
        """runs < 1 and an empty command are refused; a file that is no zip; a missing program."""
        from fcsdk._ship.bytecode import find_interpreter
        from fcsdk._ship.coldstart import ColdStartError
        from fcsdk.exceptions import ConfigurationError

        python = find_interpreter("3.12", runtime_python("3.12"))
        assert python is not None
        with pytest.raises(ConfigurationError, match="at least 1"):
            webstart.measure_web(tmp_path / "a.zip", python, runs=0)
        with pytest.raises(ConfigurationError, match="empty"):
            webstart.measure_web(tmp_path / "a.zip", python, command=())
        (tmp_path / "a.zip").write_text("not a zip")
        with pytest.raises(ColdStartError, match="is not a zip file"):
            webstart.measure_web(tmp_path / "a.zip", python)
        with zipfile.ZipFile(tmp_path / "b.zip", "w") as zf:
            zf.writestr("server.py", "")
        with pytest.raises(ColdStartError, match="cannot start"):
            webstart.measure_web(tmp_path / "b.zip", python, command=("/code/bootstrap",))


JUNK = """\
import os, signal, socket

signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a server that ignores SIGTERM
listener = socket.create_server(("127.0.0.1", int(os.environ["FC_CUSTOM_LISTEN_PORT"])))
while True:
    conn, _ = listener.accept()
    conn.sendall(b"not http\\r\\n")  # an answer that is not HTTP does not count
    conn.close()
"""


class TestStubbornCommands:
    def test_a_non_http_answer_never_counts_and_sigterm_is_followed_by_sigkill(
        self,
        tmp_path: Path,
        wheelhouse: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Bytes that are not HTTP are no answer; a command deaf to SIGTERM is killed."""
        monkeypatch.setattr(webstart, "START_TIMEOUT", 0.5)
        monkeypatch.setattr(webstart, "STOP_WAIT", 0.2)
        project = web_project(tmp_path / "web", runtime="custom.debian11")
        (project / "junk.py").write_text(JUNK)
        (project / "s.yaml").write_text(
            "resources:\n  web:\n    props:\n      runtime: custom.debian11\n"
        )
        (project / "bootstrap").write_text("#!/bin/sh\nexec python3 junk.py\n")
        args = ["coldstart", str(project), "-n", "1", "--python", runtime_python("3.12")]
        assert main([*args, "--no-index", "--find-links", str(wheelhouse)]) == 2
        assert "did not answer" in capsys.readouterr().err
