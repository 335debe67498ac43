"""Web functions (FC 3.0 custom runtimes): built for the image's Python, timed to first answer.

The startup command here is a stand-in for fcsdk's own server: a bootstrap
that runs a stdlib HTTP server on ``FC_CUSTOM_LISTEN_PORT`` (bound to
loopback), importing a dependency from the package's root as the real one does.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

from fcsdk._ship import webstart
from fcsdk._ship.build import build_package
from fcsdk._ship.bytecode import Interpreter
from fcsdk._ship.coldstart import ColdStartError
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


ONE_ANSWER = """\
import json, os, socket, sys

seen = {
    "argv": sys.argv,
    "cwd": os.getcwd(),
    "path0": os.environ["PATH"].split(os.pathsep)[0],
    "python3": os.path.realpath(os.path.join(os.environ["PATH"].split(os.pathsep)[0], "python3")),
    "names": sorted(os.listdir(os.environ["PATH"].split(os.pathsep)[0])),
    "port": os.environ["FC_CUSTOM_LISTEN_PORT"],
    "server_port": os.environ["FC_SERVER_PORT"],
    "code": os.environ["FC_FUNC_CODE_PATH"],
    "secret": os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
    "extra": os.environ.get("EXTRA"),
}
with open(os.environ["SEEN"], "a") as fh:
    fh.write(json.dumps(seen) + "\\n")
listener = socket.create_server(("127.0.0.1", int(os.environ["FC_CUSTOM_LISTEN_PORT"])))
conn, _ = listener.accept()
conn.recv(4096)
conn.sendall(b"HTTP/1.1 204 No Content\\r\\n\\r\\n")
conn.close()
"""


def this_python() -> Interpreter:
    """The Python running the tests, as the target's."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return Interpreter(sys.executable, version, "cpython-0", "00")


class TestStartsWithThisPython:
    """measure_web on a package of a few lines, with this Python as python3 (no pip)."""

    def test_what_the_startup_command_sees(self, tmp_path: Path) -> None:
        """/code/ words map to the package, python3 is the target's, FC's variables are set."""
        with zipfile.ZipFile(tmp_path / "web.zip", "w") as zf:
            zf.writestr("server.py", ONE_ANSWER)
        seen_file = tmp_path / "seen.jsonl"
        python = this_python()
        steps: list[str] = []
        report = webstart.measure_web(
            tmp_path / "web.zip",
            python,
            command=("python3", "/code/server.py", "--flag"),
            runs=2,
            env={"SEEN": str(seen_file), "EXTRA": "yes"},
            progress=steps.append,
        )
        assert steps == ["start 1 of 2", "start 2 of 2"]
        first, second = [json.loads(line) for line in seen_file.read_text().splitlines()]
        code = first["code"]
        assert first["argv"] == [f"{code}/server.py", "--flag"]
        assert first["cwd"] == code
        assert Path(first["path0"]).name == "bin"  # the target's Python first, as in the image
        assert first["names"] == sorted(["python", "python3", f"python{python.version}"])
        assert first["python3"] == str(Path(sys.executable).resolve())
        assert first["port"] == first["server_port"]
        assert first["port"] != second["port"]  # a free port for each start
        assert first["secret"] == "Wb3+c/Tg9x5r7FzA0e="
        assert first["extra"] == "yes"
        assert report.status == "HTTP/1.1 204 No Content"
        assert report.command == ("python3", "/code/server.py", "--flag")
        assert len(report.first_answer) == 2
        assert report.file_count == 1
        assert report.unzipped_size == len(ONE_ANSWER)

    def test_a_relative_command_runs_from_the_package(self, tmp_path: Path) -> None:
        """./bootstrap (kept executable from the zip) is the package's, not the caller's."""
        with zipfile.ZipFile(tmp_path / "web.zip", "w") as zf:
            zf.writestr("server.py", ONE_ANSWER)
            boot = zipfile.ZipInfo("bin/bootstrap")
            boot.external_attr = 0o755 << 16
            zf.writestr(boot, '#!/bin/sh\nexec python3 server.py "$0"\n')
        seen_file = tmp_path / "seen.jsonl"
        report = webstart.measure_web(
            tmp_path / "web.zip",
            this_python(),
            command=("bin/bootstrap",),
            runs=1,
            env={"SEEN": str(seen_file)},
        )
        assert report.status == "HTTP/1.1 204 No Content"
        seen = json.loads(seen_file.read_text())
        assert seen["argv"] == ["server.py", f"{seen['code']}/bin/bootstrap"]  # its full path

    def test_a_command_that_dies_with_undecodable_output(self, tmp_path: Path) -> None:
        """Its last stderr line is shown, bytes that are not UTF-8 replaced."""
        with zipfile.ZipFile(tmp_path / "web.zip", "w") as zf:
            zf.writestr("die.py", "import sys\nsys.stderr.buffer.write(b'bad \\xff byte\\n')\n")
        with pytest.raises(ColdStartError) as e:
            webstart.measure_web(
                tmp_path / "web.zip", this_python(), command=("python3", "die.py"), runs=1
            )
        assert str(e.value).startswith("the startup command exited with 0 before answering")
        assert str(e.value).endswith(": bad \ufffd byte")


class TestWebReport:
    def report(self) -> webstart.WebColdStartReport:
        """A report of three starts."""
        return webstart.WebColdStartReport(
            package=Path("/tmp/web.zip"),
            command=("/code/bootstrap", "--port", "9000"),
            interpreter=Interpreter("/usr/bin/python3.12", "3.12", "cpython-312", "cb0d"),
            zipped_size=348_160,
            unzipped_size=11_744_051,
            file_count=1234,
            first_answer=[120.5, 98.25, 143.125],
            status="HTTP/1.1 200 OK",
        )

    def test_text(self) -> None:
        """The package line, the command line, the table of the first answer, its status."""
        assert self.report().render() == (
            "web.zip: 340 KB zipped, 11.2 MB unzipped, 1234 files\n"
            "web function: /code/bootstrap --port 9000 with Python 3.12 (/usr/bin/python3.12) "
            "as python3, 3 fresh starts, read-only code folder\n"
            "\n"
            "  phase                                 median       min       max\n"
            "  process start to first answer       120.5 ms   98.2 ms  143.1 ms\n"
            "\n"
            "first answer: HTTP/1.1 200 OK"
        )

    def test_json(self) -> None:
        """--json: the package, the command, the Python, the figures and the status."""
        assert self.report().to_json() == {
            "package": {
                "path": "/tmp/web.zip",
                "zipped_bytes": 348_160,
                "unzipped_bytes": 11_744_051,
                "files": 1234,
            },
            "command": ["/code/bootstrap", "--port", "9000"],
            "python": {"path": "/usr/bin/python3.12", "version": "3.12"},
            "first_answer_ms": [120.5, 98.25, 143.125],
            "stats_ms": {"median": 120.5, "min": 98.25, "max": 143.12},
            "cold_start_ms": 120.5,
            "status": "HTTP/1.1 200 OK",
        }


def test_a_status_line_cut_by_the_close_still_counts() -> None:
    """A server that closes right after a status line without CRLF has answered; junk has not."""
    import socket
    import threading

    for sent, expected in ((b"HTTP/1.0 503 Busy", "HTTP/1.0 503 Busy"), (b"junk", None)):
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]

        def serve(listener: socket.socket = listener, sent: bytes = sent) -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(4096)
                conn.sendall(sent)

        server = threading.Thread(target=serve, daemon=True)
        server.start()
        try:
            assert webstart._answer(port, 10) == expected
        finally:
            server.join(timeout=10)
            listener.close()


def test_a_server_that_takes_the_connection_and_never_answers_is_left_in_time() -> None:
    """A server that accepts and stays silent: the poll gives up after the wait it was given."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))  # takes connections, never answers
    port = listener.getsockname()[1]
    found: list[str | None] = []
    poll = threading.Thread(target=lambda: found.append(webstart._answer(port, 0.2)), daemon=True)
    poll.start()
    try:
        poll.join(10)
        assert not poll.is_alive(), "the poll waited past its 0.2 s"
        assert found == [None]
    finally:
        listener.close()  # resets a connection still waiting, if any


def test_a_command_that_takes_connections_and_never_answers_is_stopped_at_its_limit(
    tmp_path: Path,
) -> None:
    """The command listens but never answers: the measurement ends at its limit, saying so."""
    import os
    import socket
    import threading

    with socket.socket() as probe:  # a free port for the command to listen on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    listen = "import socket, sys, time; s = socket.create_server(('127.0.0.1', int(sys.argv[1])))"
    argv = [sys.executable, "-c", listen + "; time.sleep(60)", str(port)]
    errors: list[str] = []

    def measure() -> None:
        try:
            webstart._one_start(argv, dict(os.environ), tmp_path, port, 1.0)
        except ColdStartError as exc:
            errors.append(str(exc))

    run = threading.Thread(target=measure, daemon=True)
    run.start()
    run.join(30)
    assert not run.is_alive(), "the measurement waited on the silent server past its limit"
    assert errors == [
        f"the startup command did not answer on FC_CUSTOM_LISTEN_PORT ({port}) within 1 s "
        "(FC gives up after 120 s)"
    ]
