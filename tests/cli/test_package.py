"""Tests for the ``fcsdk package`` command (fcsdk/_cli/package.py); its engine: tests/_ship."""

from __future__ import annotations

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
