"""Tests for ``fcsdk coldstart`` (fcsdk/_cli/coldstart.py and its engine, fcsdk/_ship/coldstart.py).

The slow tests measure a real package: the event template, packaged for this
Python (pydantic from the index, fcsdk from this checkout), in fresh
interpreters from a read-only unpacked copy.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

from fcsdk._scaffold import create_project
from fcsdk._ship.build import build_package
from fcsdk._ship.coldstart import owners_of, parse_importtime
from fcsdk._ship.requirements import PipOptions
from fcsdk.cli import main
from tests._ship.helpers import HOST

HOST_RUNTIME = ["--python-version", HOST, "--python", sys.executable]


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    """The single stderr line of a refused run (never a traceback)."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("fcsdk coldstart: "), err
    assert "Traceback" not in err
    return lines[0]


def variant(source: Path, dest: Path, files: dict[str, str]) -> Path:
    """A copy of the zip ``source`` with ``files`` replaced (and their pycs dropped)."""
    stems = {name[:-3] for name in files}
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            name = info.filename
            if name in files:
                continue
            if "__pycache__/" in name and name.replace("__pycache__/", "").split(".")[0] in stems:
                continue
            zout.writestr(info, zin.read(name))
        for name, text in files.items():
            zout.writestr(name, text)
    return dest


class TestImportTree:
    def test_parse_nests_children_under_their_parent(self) -> None:
        """-X importtime prints children first, indented; the tree puts them back under parents."""
        lines = [
            "import time: self [us] | cumulative | imported package",
            "import time:        50 |         50 |     c",
            "import time:       100 |        150 |   b",
            "import time:        20 |         20 |   d",
            "import time:       300 |        470 | a",
            "some other stderr line",
            "import time:        10 |         10 | e",
        ]
        tree = parse_importtime(lines)
        assert [n.name for n in tree] == ["a", "e"]
        (a, _) = tree
        assert [c.name for c in a.children] == ["b", "d"]
        assert [c.name for c in a.children[0].children] == ["c"]
        assert a.to_dict()["cumulative_ms"] == 0.47

    def test_lines_read_from_a_file_keep_their_names(self) -> None:
        """Lines that still end in a newline (a saved log) give the same names, a final X kept."""
        lines = [
            "import time:       120 |        120 |   ctypes.macholib.X\n",
            "import time:       300 |        420 | a\n",
        ]
        (a,) = parse_importtime(lines)
        assert (a.name, [c.name for c in a.children]) == ("a", ["ctypes.macholib.X"])

    def test_owners_come_from_the_dist_info_records(self, tmp_path: Path) -> None:
        """Top-level names map to their distribution, fcsdk to fcsdk, the rest to your code."""
        (tmp_path / "pydantic-2.9.0.dist-info").mkdir()
        (tmp_path / "pydantic-2.9.0.dist-info" / "RECORD").write_text(
            "pydantic/__init__.py,sha256=x,1\npydantic-2.9.0.dist-info/RECORD,,\n"
        )
        (tmp_path / "fcsdk-0.1.0.dist-info").mkdir()
        (tmp_path / "fcsdk-0.1.0.dist-info" / "RECORD").write_text("fcsdk/__init__.py,,\n")
        (tmp_path / "old-style-2.0.dist-info").mkdir()
        (tmp_path / "old-style-2.0.dist-info" / "RECORD").write_text("oldstyle.py,,\n")
        (tmp_path / "pydantic").mkdir()
        (tmp_path / "index.py").write_text("")
        (tmp_path / "lib").mkdir()
        assert owners_of(tmp_path) == {
            "oldstyle": "old-style 2.0",  # a hyphen in the name: the version follows the last
            "pydantic": "pydantic 2.9.0",
            "fcsdk": "fcsdk",
            "index": "your code",
            "lib": "your code",
        }

    def test_data_folders_and_names_with_spaces(self, tmp_path: Path) -> None:
        """A wheel's .data folder is nobody's module; a name with a space is read whole."""
        (tmp_path / "tool-1.0.dist-info").mkdir()
        (tmp_path / "tool-1.0.dist-info" / "RECORD").write_text(
            "tool-1.0.data/scripts/run,sha256=x,1\ntool data/x.py,,\n"
        )
        (tmp_path / "extra-2.0.data").mkdir()  # left behind, listed by no RECORD
        (tmp_path / "tool").mkdir()  # yours: the wheel's folder is "tool data", not "tool"
        assert owners_of(tmp_path) == {"tool data": "tool 1.0", "tool": "your code"}

    def test_a_record_that_is_not_utf_8_is_still_read(self, tmp_path: Path) -> None:
        """A RECORD with a Latin-1 file name in it: its other rows still name their owner."""
        (tmp_path / "caf-1.0.dist-info").mkdir()
        (tmp_path / "caf-1.0.dist-info" / "RECORD").write_bytes(
            b"caf/__init__.py,,\ncaf/menu_caf\xe9.txt,,\ncaf-1.0.dist-info/RECORD,,\n"
        )
        (tmp_path / "caf").mkdir()
        assert owners_of(tmp_path) == {"caf": "caf 1.0"}


@pytest.fixture(scope="module")
def event_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The event template, packaged with bytecode for this Python."""
    root = tmp_path_factory.mktemp("coldstart") / "orders"
    create_project(root, template="event")
    report = build_package(
        root,
        python_version=HOST,
        python=sys.executable,
        output=root.parent / "orders.zip",
        pip=PipOptions(),
    )
    return report.path


@pytest.mark.slow
class TestMeasure:
    def test_prints_phases_tree_and_size(
        self, event_zip: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The text report: each phase's median/min/max, the marked import tree, the size."""
        assert main(["coldstart", str(event_zip), "-n", "2", *HOST_RUNTIME]) == 0
        out = capsys.readouterr().out
        assert out.startswith("orders.zip: ")
        assert f"bytecode: cpython-{HOST.replace('.', '')}" in out
        for phase in ("interpreter start", "import", "first event", "empty interpreter"):
            assert f"  {phase} " in out
        assert "2 fresh interpreters, read-only code folder" in out
        assert "[your code]" in out
        assert "[fcsdk]" in out
        assert "[pydantic " in out
        assert " ms    index" in out

    def test_json_has_the_raw_figures(
        self, event_zip: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--json: every run's phases, the baseline, the stats and the import tree."""
        assert main(["coldstart", str(event_zip), "-n", "3", "--json", *HOST_RUNTIME]) == 0
        data = json.loads(capsys.readouterr().out)
        assert len(data["runs_ms"]) == 3
        assert len(data["empty_interpreter_ms"]) == 3
        assert set(data["runs_ms"][0]) == {"start", "imported", "event", "wall"}
        assert data["stats_ms"]["import"]["min"] <= data["stats_ms"]["import"]["median"]
        assert data["package"]["bytecode"] == f"cpython-{HOST.replace('.', '')}"
        importing, first_event = data["imports"]
        (index,) = [n for n in importing["children"] if n["name"] == "index"]
        assert index["owner"] == "your code"
        assert "fcsdk" in {c["owner"] for c in index["children"]}
        assert first_event["name"] == "first event"

    def test_html_is_self_contained(
        self, event_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--html writes one page with the icicle chart, fetching nothing from the network."""
        page = tmp_path / "cold.html"
        assert (
            main(["coldstart", str(event_zip), "-n", "1", "--html", str(page), *HOST_RUNTIME]) == 0
        )
        assert f"wrote {page}" in capsys.readouterr().out
        text = page.read_text()
        assert text.startswith("<!DOCTYPE html>")
        assert "<svg" in text
        assert "<rect" in text
        assert "<title>index [your code]" in text
        assert "://" not in text
        assert "<script" not in text
        assert "<link" not in text

    def test_budget_exits_1_above_it(
        self, event_zip: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--budget-ms: 0 within the budget, 1 above it, with one line saying so."""
        assert (
            main(["coldstart", str(event_zip), "-n", "1", "--budget-ms", "60000", *HOST_RUNTIME])
            == 0
        )
        capsys.readouterr()
        assert (
            main(["coldstart", str(event_zip), "-n", "1", "--budget-ms", "0.01", *HOST_RUNTIME])
            == 1
        )
        assert "over the 0.01 ms budget" in one_line_error(capsys)

    def test_a_project_is_packaged_first(
        self, event_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Given the project folder, coldstart builds its package and reads its event.json."""
        root = tmp_path / "orders"
        create_project(root, template="event")
        assert main(["coldstart", str(root), "-n", "1", *HOST_RUNTIME]) == 0
        out = capsys.readouterr().out
        assert out.startswith("orders.zip: ")
        assert "bytecode: cpython-" in out

    @pytest.mark.parametrize(
        ("files", "message"),
        [
            (
                {"index.py": "import not_installed_anywhere\n"},
                "index.handler (index.py) failed to import: ModuleNotFoundError",
            ),
            (
                {"index.py": "def handler(event, context):\n    raise KeyError('order_id')\n"},
                "index.handler (index.py) raised on the event: KeyError",
            ),
            ({"index.py": "x = 1\n"}, "index.py has no handler: the handler is index.handler"),
        ],
    )
    def test_a_failing_handler_is_one_line(
        self,
        event_zip: Path,
        tmp_path: Path,
        files: dict[str, str],
        message: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """A handler that does not import, or raises on the event, exits 2 naming index.py."""
        broken = variant(event_zip, tmp_path / "broken.zip", files)
        assert main(["coldstart", str(broken), "-n", "1", *HOST_RUNTIME]) == 2
        assert message in one_line_error(capsys)

    def test_a_bad_event_file_is_one_line(
        self, event_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An event file that is not JSON, or does not exist, exits 2 with one line."""
        (tmp_path / "event.json").write_text("{order_id: A1")
        code = main(["coldstart", str(event_zip), "--event-file", str(tmp_path / "event.json")])
        assert code == 2
        assert "the event is not JSON" in one_line_error(capsys)
        assert main(["coldstart", str(event_zip), "--event-file", str(tmp_path / "nope")]) == 2
        assert "cannot read the event" in one_line_error(capsys)


class TestBadInput:
    def test_missing_target(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A path that does not exist exits 2."""
        assert main(["coldstart", str(tmp_path / "nope.zip")]) == 2
        assert "no such project folder or zip" in one_line_error(capsys)

    def test_not_a_zip(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A file that is not a zip exits 2."""
        (tmp_path / "x.zip").write_text("not a zip")
        assert main(["coldstart", str(tmp_path / "x.zip"), *HOST_RUNTIME]) == 2
        assert "is not a zip file" in one_line_error(capsys)

    def test_not_an_fcsdk_package(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A zip without fcsdk at its root (a layer, a --no-deps package) exits 2."""
        with zipfile.ZipFile(tmp_path / "code.zip", "w") as zf:
            zf.writestr("index.py", "def handler(event, context):\n    return 1\n")
        assert main(["coldstart", str(tmp_path / "code.zip"), *HOST_RUNTIME]) == 2
        assert "is not an fcsdk package" in one_line_error(capsys)
        with zipfile.ZipFile(tmp_path / "layer.zip", "w") as zf:
            zf.writestr("python/fcsdk/__init__.py", "")
        assert main(["coldstart", str(tmp_path / "layer.zip"), *HOST_RUNTIME]) == 2
        assert "it is a layer" in one_line_error(capsys)

    def test_python_of_the_wrong_version(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--python of another version than the target's exits 2."""
        other = "python3.12" if HOST != "3.12" else "python3.10"
        (tmp_path / "x.zip").write_bytes(b"")
        code = main(
            ["coldstart", str(tmp_path / "x.zip"), "--runtime", other, "--python", sys.executable]
        )
        assert code == 2
        assert "but the target is Python" in one_line_error(capsys)

    def test_no_target_python(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With no Python of the target's version on the machine, exit 2 saying how to fix it."""
        (tmp_path / "bin").mkdir()
        monkeypatch.setenv("PATH", str(tmp_path / "bin"))
        monkeypatch.setenv("HOME", str(tmp_path))
        monkeypatch.delenv("PYENV_ROOT", raising=False)
        other = "python3.12" if HOST != "3.12" else "python3.10"
        (tmp_path / "x.zip").write_bytes(b"")
        assert main(["coldstart", str(tmp_path / "x.zip"), "--runtime", other]) == 2
        assert "--python PATH" in one_line_error(capsys)

    def test_no_compile_is_for_projects(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--no-compile with a zip is refused: a zip is measured as it is."""
        (tmp_path / "x.zip").write_bytes(b"")
        assert main(["coldstart", str(tmp_path / "x.zip"), "--no-compile"]) == 2
        assert "a zip is measured as it is" in one_line_error(capsys)

    def test_runs_and_budget_are_checked_by_argparse(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """-n 0 and a negative budget are usage errors."""
        for bad in (["-n", "0"], ["--budget-ms", "-5"], ["-n", "x"], ["--budget-ms", "soon"]):
            with pytest.raises(SystemExit) as e:
                main(["coldstart", *bad])
            assert e.value.code == 2
        capsys.readouterr()

    def test_the_runtime_comes_from_a_zips_bytecode(self, tmp_path: Path) -> None:
        """Without --runtime, a zip with cpython-310 pycs is measured as python3.10."""
        from fcsdk._cli.coldstart import _zip_runtime

        with zipfile.ZipFile(tmp_path / "a.zip", "w") as zf:
            zf.writestr("__pycache__/index.cpython-310.pyc", b"")
        assert _zip_runtime(tmp_path / "a.zip") == "python3.10"
        with zipfile.ZipFile(tmp_path / "b.zip", "w") as zf:
            zf.writestr("index.py", "")
        assert _zip_runtime(tmp_path / "b.zip") is None
        (tmp_path / "c.zip").write_text("no")
        assert _zip_runtime(tmp_path / "c.zip") is None


OSS_HANDLER = """import fcsdk as fc
from fcsdk.events import OSSEvent


@fc.handler
def handler(event: OSSEvent, context: fc.FCContext) -> int:
    record = event.events[0]
    return len(context.oss_bucket(record.bucket).get_object(record.oss.object.key).read())
"""


@pytest.mark.slow
class TestMoreInput:
    def test_local_oss_serves_the_events_object(
        self, event_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--local-oss: an OSS handler reads the object its event names from a loopback server."""
        from fcsdk.testing.events import oss_event

        zipped = variant(event_zip, tmp_path / "oss.zip", {"index.py": OSS_HANDLER})
        event = oss_event(bucket="my-bucket", key="incoming/a.txt", size=40)
        (tmp_path / "event.json").write_bytes(event)
        args = ["coldstart", str(zipped), "-n", "1", "--event-file", str(tmp_path / "event.json")]
        assert main([*args, "--local-oss", *HOST_RUNTIME]) == 0
        assert "first event" in capsys.readouterr().out
        assert main([*args, *HOST_RUNTIME]) == 2  # without it, the real endpoint is unreachable
        assert "raised on the event" in one_line_error(capsys)

    def test_an_interpreter_that_dies_is_one_line(
        self, event_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A handler module that kills the interpreter is reported with its exit code."""
        dying = variant(event_zip, tmp_path / "dying.zip", {"index.py": "import os\nos._exit(7)\n"})
        assert main(["coldstart", str(dying), "-n", "1", *HOST_RUNTIME]) == 2
        assert "the interpreter exited with 7" in one_line_error(capsys)

    def test_an_html_file_that_cannot_be_written(
        self, event_zip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--html into a folder that does not exist exits 2."""
        page = tmp_path / "no" / "such" / "page.html"
        assert (
            main(["coldstart", str(event_zip), "-n", "1", "--html", str(page), *HOST_RUNTIME]) == 2
        )
        assert "cannot write" in one_line_error(capsys)


class TestBuildProblems:
    def test_a_project_that_does_not_build(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A requirement no index serves: exit 2, saying the package could not be built."""
        (tmp_path / "p").mkdir()
        (tmp_path / "p" / "index.py").write_text("def handler(e, c):\n    return 1\n")
        (tmp_path / "p" / "requirements.txt").write_text("nowhere-to-be-found==1\n")
        (tmp_path / "empty").mkdir()
        code = main(
            [
                "coldstart",
                str(tmp_path / "p"),
                "--no-index",
                "--find-links",
                str(tmp_path / "empty"),
                *HOST_RUNTIME,
            ]
        )
        assert code == 2
        assert (
            "cannot build the package of p/: no wheel of 'nowhere-to-be-found'"
            in one_line_error(capsys)
        )

    def test_build_warnings_are_shown(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A project's build warnings reach stderr; a plain handler without fcsdk is measured."""
        (tmp_path / "p").mkdir()
        (tmp_path / "p" / "index.py").write_text("def handler(e, c):\n    return 1\n")
        code = main(["coldstart", str(tmp_path / "p"), "-n", "1", *HOST_RUNTIME])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert "warning: no requirements found" in captured.err
        assert "not an fcsdk package" not in captured.err

    def test_a_project_missing_its_requirements_is_named(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Code importing fcsdk with no requirements: the error names index.py and what to add."""
        (tmp_path / "p").mkdir()
        (tmp_path / "p" / "index.py").write_text(
            "import fcsdk as fc\n\n\ndef main(e, c):\n    pass\n"
        )
        assert main(["coldstart", str(tmp_path / "p"), *HOST_RUNTIME]) == 2
        err = capsys.readouterr().err
        assert err.startswith("fcsdk coldstart: index.py imports fcsdk, but p/ declares no")
        assert "p/requirements.txt" in err
        assert "fcsdk==" in err
        assert ".zip" not in err

    def test_measure_checks_its_arguments(self, tmp_path: Path) -> None:
        """measure() refuses runs < 1, a handler without a module, and a Python that won't run."""
        from fcsdk._ship.bytecode import Interpreter
        from fcsdk._ship.coldstart import ColdStartError, measure
        from fcsdk.exceptions import ConfigurationError

        with zipfile.ZipFile(tmp_path / "a.zip", "w") as zf:
            zf.writestr("fcsdk/__init__.py", "")
            zf.writestr("index.py", "def handler(e, c):\n    return 1\n")
        nowhere = Interpreter(str(tmp_path / "python"), HOST, "cpython-0", "00")
        with pytest.raises(ConfigurationError, match="at least 1"):
            measure(tmp_path / "a.zip", nowhere, runs=0)
        with pytest.raises(ConfigurationError, match=r"module\.function"):
            measure(tmp_path / "a.zip", nowhere, handler="handler")
        with pytest.raises(ConfigurationError, match=r"module\.function"):
            measure(tmp_path / "a.zip", nowhere, handler="index.handler.")
        with pytest.raises(ColdStartError, match="cannot run"):
            measure(tmp_path / "a.zip", nowhere)


class TestTheDeclaredHandler:
    def test_the_handler_comes_from_s_yaml(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A project whose s.yaml declares index.main is measured on index.main."""
        project = tmp_path / "orders"
        project.mkdir()
        (project / "index.py").write_text("def main(event, context):\n    return 1\n")
        (project / "s.yaml").write_text(
            "resources:\n  orders:\n    props:\n      handler: index.main\n"
            "      instanceLifecycleConfig:\n        initializer:\n"
            "          handler: index.init\n"
        )
        code = main(["coldstart", str(project), "-n", "1", *HOST_RUNTIME])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert "index.main on Python" in captured.out

    def test_a_missing_handler_names_the_file_and_where_the_name_came_from(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No such function: the error names index.py and says the handler was the default."""
        project = tmp_path / "orders"
        project.mkdir()
        (project / "index.py").write_text("def main(event, context):\n    return 1\n")
        (project / "requirements.txt").write_text("")
        assert main(["coldstart", str(project), "-n", "1", *HOST_RUNTIME]) == 2
        line = one_line_error(capsys)
        assert line == (
            "fcsdk coldstart: index.py has no handler: the handler is index.handler "
            "(the default: pass --handler, or declare it in s.yaml)"
        )

    def test_progress_on_a_terminal(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """On a terminal coldstart shows the build, the trace and each run, then clears it."""
        import io

        class Terminal(io.StringIO):
            def isatty(self) -> bool:
                return True

        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        project = tmp_path / "p"
        project.mkdir()
        (project / "index.py").write_text("def handler(event, context):\n    return 1\n")
        assert main(["coldstart", str(project), "-n", "2", *HOST_RUNTIME]) == 0
        steps = [s for s in terminal.getvalue().split("\r\x1b[K") if s and "…" in s]
        assert steps[0] == "fcsdk: building the package of p/…"
        assert "fcsdk: tracing the imports…" in steps
        assert steps[-2:] == ["fcsdk: run 1 of 2…", "fcsdk: run 2 of 2…"]
        assert terminal.getvalue().endswith("\r\x1b[K") or "warning" in terminal.getvalue()
