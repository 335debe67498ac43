"""Tests for the ``fcsdk package`` command (fcsdk/_cli/package.py); its engine: tests/_ship."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from fcsdk.cli import main
from tests._ship.helpers import make_project, make_wheelhouse, names, sha256


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    """A local index of small wheels (see tests/_ship/helpers.py)."""
    return make_wheelhouse(tmp_path / "wheelhouse")


# --------------------------------------------------------------------------- the command


class TestPackageCommand:
    def test_prints_the_report(
        self, tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """fcsdk package prints the zip's path, size, file count, hash and largest parts."""
        project = make_project(tmp_path / "orders")
        code = main(
            [
                "package",
                str(project),
                "--runtime",
                "python3.10",
                "--no-index",
                "--find-links",
                str(wheelhouse),
            ]
        )
        out = capsys.readouterr().out
        assert code == 0
        zip_path = project / "dist" / "orders-python3.10.zip"
        first = out.splitlines()[0]
        assert first.startswith(f"{zip_path}: ")
        assert first.endswith(f"{len(names(zip_path))} files")
        assert sha256(zip_path) in out
        assert "demo_base 2.0" in out

    def test_relative_path_from_the_project(
        self,
        tmp_path: Path,
        wheelhouse: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Run inside the project, the report shows dist/<name>-<runtime>.zip."""
        project = make_project(tmp_path / "orders")
        monkeypatch.chdir(project)
        assert main(["package", "--no-index", "--find-links", str(wheelhouse), "--layer"]) == 0
        assert capsys.readouterr().out.startswith("dist/orders-layer-python3.12.zip: ")

    def test_options_reach_the_build(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--no-deps, --include-tests, -o and -r are honoured."""
        project = make_project(tmp_path / "p")
        out = tmp_path / "x.zip"
        code = main(["package", str(project), "--no-deps", "--include-tests", "-o", str(out)])
        assert code == 0
        assert "tests/test_index.py" in names(out)
        code = main(["package", str(project), "-r", "missing.txt"])
        assert code == 2
        assert "requirements file not found" in capsys.readouterr().err

    def test_usage_errors_exit_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A missing project folder exits 2 with the reason."""
        assert main(["package", str(tmp_path / "nope")]) == 2
        assert "project folder not found" in capsys.readouterr().err

    def test_layer_and_no_deps_are_exclusive(self, capsys: pytest.CaptureFixture[str]) -> None:
        """argparse refuses --layer with --no-deps."""
        with pytest.raises(SystemExit) as e:
            main(["package", "--layer", "--no-deps"])
        assert e.value.code == 2
        assert "not allowed with" in capsys.readouterr().err

    @pytest.mark.parametrize("value", ["-3", "0", "inf", "nan", "big"])
    def test_size_limits_are_positive_numbers(
        self, value: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--max-zip-mb and --max-unzipped-mb refuse what is not a positive number, exit 2."""
        for option in ("--max-zip-mb", "--max-unzipped-mb"):
            with pytest.raises(SystemExit) as e:
                main(["package", option, value])
            assert e.value.code == 2
            assert f"argument {option}:" in capsys.readouterr().err


# --------------------------------------------------------------------------- real runtimes


class TestWhatTheCodeNeeds:
    def test_code_importing_fcsdk_without_requirements_is_an_error(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """index.py importing fcsdk and pydantic, no requirements: exit 2, saying what to add."""
        import fcsdk

        project = tmp_path / "orders"
        project.mkdir()
        (project / "index.py").write_text(
            "from pydantic import BaseModel\n\nimport fcsdk as fc\nimport json\n"
            "from lib import helper\n"
        )
        (project / "lib.py").write_text("def helper():\n    pass\n")
        assert main(["package", str(project), "--no-compile"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("fcsdk package: index.py imports fcsdk, but orders/ declares no")
        assert f"    fcsdk=={fcsdk.__version__}\n" in err
        assert "orders/requirements.txt" in err
        assert "json" not in err.split("with:")[1]  # the standard library needs nothing
        assert not (project / "dist").exists()

    def test_an_import_no_requirement_installs_is_a_warning(
        self, tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Declared requirements that miss an import: a warning naming the file and the name."""
        project = make_project(tmp_path / "p")
        (project / "extra.py").write_text(
            "import yaml\n\ntry:\n    import ujson\nexcept ImportError:\n    ujson = None\n"
        )
        code = main(
            ["package", str(project), "--no-compile", "--no-index", "--find-links", str(wheelhouse)]
        )
        out = capsys.readouterr().out
        assert code == 0
        (warning,) = [line for line in out.splitlines() if line.startswith("warning: extra.py")]
        assert "extra.py imports yaml, which no requirement installs" in warning
        assert "add to requirements.txt:" in out
        assert "ujson" not in out

    def test_other_imports_without_requirements_are_a_warning(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """oss2 alone may come with FC's runtime: a warning, not an error."""
        project = tmp_path / "p"
        project.mkdir()
        (project / "index.py").write_text("import oss2\n")
        assert main(["package", str(project), "--no-compile"]) == 0
        assert "warning: index.py imports oss2, which no requirement installs" in (
            capsys.readouterr().out
        )

    def test_no_deps_skips_the_check(self, tmp_path: Path) -> None:
        """--no-deps (a layer brings the dependencies) packages fcsdk-importing code."""
        project = tmp_path / "p"
        project.mkdir()
        (project / "index.py").write_text("import fcsdk\n")
        assert main(["package", str(project), "--no-deps", "--no-compile"]) == 0


class TestTheDeclaredHandler:
    def test_a_handler_whose_module_is_missing_is_named(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """s.yaml's handler src.index.main with no src/index.py in the package: a warning."""
        project = make_project(tmp_path / "p", requirements_txt=None)
        (project / "index.py").write_text("def main(event, context):\n    return event\n")
        (project / "s.yaml").write_text(
            "resources:\n  p:\n    props:\n      runtime: python3.12\n"
            "      handler: src.index.main\n"
        )
        assert main(["package", str(project), "--no-deps", "--no-compile"]) == 0
        out = capsys.readouterr().out
        assert (
            "warning: the handler src.index.main needs src/index.py, which the package does "
            "not hold: check the handler, or .fcignore\n"
        ) in out
        assert (
            main(["package", str(project), "--no-deps", "--no-compile", "--handler", "index.main"])
            == 0
        )
        assert "needs" not in capsys.readouterr().out


class TestProgress:
    class Terminal(io.StringIO):
        """A stderr that says it is a terminal."""

        def isatty(self) -> bool:
            return True

    def test_steps_show_on_a_terminal(
        self, tmp_path: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On a terminal, stderr shows each step, then a cleared line before the result."""
        terminal = self.Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        project = make_project(tmp_path / "p")
        args = ["package", str(project), "--no-index", "--find-links", str(wheelhouse)]
        assert main(args) == 0
        shown = terminal.getvalue()
        steps = [s for s in shown.split("\r\x1b[K") if s]
        assert steps[0] == "fcsdk: installing the requirements for python3.12 with pip…"
        assert "fcsdk: adding your code…" in steps
        assert any(s.startswith("fcsdk: compiling bytecode with Python 3.12") for s in steps)
        assert steps[-1] == "fcsdk: writing p-python3.12.zip…"
        assert shown.endswith("\r\x1b[K")

    def test_nothing_when_stderr_is_not_a_terminal(
        self, tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Piped or captured, stderr stays empty on success."""
        project = make_project(tmp_path / "p")
        args = ["package", str(project), "--no-index", "--find-links", str(wheelhouse)]
        assert main(args) == 0
        assert capsys.readouterr().err == ""

    def test_an_error_starts_on_a_clean_line(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A failed build clears the progress line before printing its error."""
        terminal = self.Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        project = make_project(tmp_path / "p", requirements_txt="winonly\n")
        house = make_wheelhouse(tmp_path / "house")
        assert main(["package", str(project), "--no-index", "--find-links", str(house)]) == 1
        assert "…\r\x1b[Kfcsdk package: error: no wheel of 'winonly'" in terminal.getvalue()
