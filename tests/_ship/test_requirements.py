"""Tests for fcsdk/_ship/requirements.py: finding requirements, installing them for a target."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fcsdk._ship import requirements
from fcsdk._ship.build import build_package
from fcsdk._ship.requirements import PipOptions, Requirements, find_requirements
from fcsdk.cli import main
from fcsdk.exceptions import (
    ConfigurationError,
    FCSDKError,
    NoMatchingWheelError,
    PackageError,
)
from tests._ship.helpers import make_project, make_sdist, make_wheel, names


class TestFindRequirements:
    def test_requirements_txt_wins(self, tmp_path: Path) -> None:
        """requirements.txt is preferred over pyproject.toml."""
        (tmp_path / "requirements.txt").write_text("pydantic\n")
        (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["x"]\n')
        reqs = find_requirements(tmp_path)
        assert reqs.source == tmp_path / "requirements.txt"
        assert not reqs.empty

    def test_pyproject_dependencies(self, tmp_path: Path) -> None:
        """Without requirements.txt, [project].dependencies are read."""
        (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["a>=1", "b"]\n')
        assert find_requirements(tmp_path).lines == ("a>=1", "b")

    def test_pyproject_without_dependencies_is_empty(self, tmp_path: Path) -> None:
        """A pyproject.toml with tool settings only declares nothing."""
        (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
        assert find_requirements(tmp_path).empty

    def test_nothing_declared(self, tmp_path: Path) -> None:
        """A project with neither file has no requirements."""
        assert find_requirements(tmp_path) == Requirements(source=None)
        assert Requirements(source=None).empty

    def test_explicit_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """An explicit file is read relative to the current folder, as pip reads -r."""
        (tmp_path / "project").mkdir()
        (tmp_path / "prod.txt").write_text("x\n")
        monkeypatch.chdir(tmp_path)
        found = find_requirements(tmp_path / "project", requirements=Path("prod.txt"))
        assert found.source == tmp_path / "prod.txt"

    def test_explicit_pyproject(self, tmp_path: Path) -> None:
        """An explicit pyproject.toml is read for its dependencies."""
        (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["a"]\n')
        reqs = find_requirements(tmp_path, requirements=tmp_path / "pyproject.toml")
        assert reqs.lines == ("a",)

    def test_explicit_file_missing(self, tmp_path: Path) -> None:
        """A named file that does not exist is a ConfigurationError."""
        with pytest.raises(ConfigurationError, match="not found"):
            find_requirements(tmp_path, requirements=Path("nope.txt"))

    def test_bad_pyproject(self, tmp_path: Path) -> None:
        """Invalid TOML and non-list dependencies are ConfigurationErrors."""
        (tmp_path / "pyproject.toml").write_text("[project\n")
        with pytest.raises(ConfigurationError, match="cannot read"):
            find_requirements(tmp_path)
        (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = "pydantic"\n')
        with pytest.raises(ConfigurationError, match="list of strings"):
            find_requirements(tmp_path)

    def test_pip_options_as_arguments(self) -> None:
        """PipOptions become pip's own flags."""
        options = PipOptions(find_links=("a", "b"), index_url="https://x/simple", no_index=True)
        assert options.args() == [
            "--find-links",
            "a",
            "--find-links",
            "b",
            "--index-url",
            "https://x/simple",
            "--no-index",
        ]


# --------------------------------------------------------------------------- the zip


class TestNoWheel:
    def test_names_the_package_and_the_tags_tried(self, tmp_path: Path, local: PipOptions) -> None:
        """A requirement with no wheel for the target fails naming it and the tags tried."""
        project = make_project(tmp_path / "p", requirements_txt="winonly==1.0\n")
        with pytest.raises(NoMatchingWheelError) as e:
            build_package(project, pip=local)
        err = e.value
        assert err.requirement == "winonly"
        assert "'winonly'" in str(err)
        assert "python3.12" in str(err)
        assert "manylinux_2_31_x86_64" in str(err)
        assert "cp312-cp312-manylinux_2_31_x86_64" in err.tags
        assert "py3-none-any" in err.tags
        assert "winonly" in err.pip_output
        assert isinstance(err, PackageError)
        assert isinstance(err, FCSDKError)
        assert not (project / "dist").exists()

    def test_a_missing_dependency_of_a_dependency(self, tmp_path: Path) -> None:
        """When a dependency's own requirement has no wheel, that one is named."""
        house = tmp_path / "house"
        make_wheel(house, "needs-win", requires=("winonly",))
        make_wheel(house, "winonly", tag="cp312-cp312-win_amd64")
        project = make_project(tmp_path / "p", requirements_txt="needs-win\n")
        with pytest.raises(NoMatchingWheelError) as e:
            build_package(project, pip=PipOptions(find_links=(str(house),), no_index=True))
        assert e.value.requirement == "winonly"

    def test_the_command_reports_it_and_exits_1(
        self, tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """fcsdk package prints the error on stderr and exits 1."""
        project = make_project(tmp_path / "p", requirements_txt="winonly\n")
        code = main(["package", str(project), "--no-index", "--find-links", str(wheelhouse)])
        captured = capsys.readouterr()
        assert code == 1
        assert captured.out == ""
        assert "no wheel of 'winonly' fits python3.12" in captured.err

    def test_other_pip_failures_keep_pips_words(self, tmp_path: Path, local: PipOptions) -> None:
        """Any other pip failure is a PackageError carrying pip's last lines."""
        project = make_project(tmp_path / "p", requirements_txt="demo-dep==1.0\ndemo-dep==2.0\n")
        with pytest.raises(PackageError, match="pip could not install") as e:
            build_package(project, pip=local)
        assert not isinstance(e.value, NoMatchingWheelError)
        assert "demo-dep" in str(e.value)

    def test_an_interpreter_without_pip(self, tmp_path: Path) -> None:
        """An interpreter without pip, or none at all, is a ConfigurationError."""
        project = make_project(tmp_path / "p")
        fake = tmp_path / "python-without-pip"
        fake.write_text("#!/bin/sh\necho 'No module named pip' >&2\nexit 1\n")
        fake.chmod(0o755)
        with pytest.raises(ConfigurationError, match="pip is not installed"):
            build_package(project, pip=PipOptions(python=str(fake)))
        with pytest.raises(ConfigurationError, match="cannot run pip"):
            build_package(project, pip=PipOptions(python=str(tmp_path / "nope")))

    def test_pip_that_hangs_is_stopped(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A pip run over the time limit is stopped with a PackageError."""
        project = make_project(tmp_path / "p")
        slow = tmp_path / "slow-python"
        slow.write_text("#!/bin/sh\nsleep 5\n")
        slow.chmod(0o755)
        monkeypatch.setattr(requirements, "PIP_TIMEOUT", 0.2)
        with pytest.raises(PackageError, match="longer than"):
            build_package(project, pip=PipOptions(python=str(slow)))


# --------------------------------------------------------------------------- the command


class TestSourceOnly:
    """Requirements that publish only a source distribution, as oss2 and crcmod do."""

    def test_an_optional_extension_is_built_as_pure_python(
        self, tmp_path: Path, wheelhouse: Path
    ) -> None:
        """An sdist whose C extension is optional ships as pure Python, compiled nowhere."""
        make_sdist(wheelhouse, "crc-like")
        project = make_project(tmp_path / "p", requirements_txt="crc-like==1.0\ndemo-dep\n")
        zip_path = build_package(
            project, pip=PipOptions(find_links=(str(wheelhouse),), no_index=True)
        ).path
        files = names(zip_path)
        assert "crc_like/__init__.py" in files
        assert "demo_dep/__init__.py" in files
        assert not [f for f in files if f.endswith(".so")]
        assert not (wheelhouse / "crc_like-1.0-py3-none-any.whl").exists()

    def test_the_compiler_of_this_machine_is_never_used(self, tmp_path: Path) -> None:
        """Even with a working compiler here, the built wheel is the pure one (no host .so)."""
        house = tmp_path / "house"
        make_sdist(house, "crc-like")
        fake_cc = tmp_path / "bin" / "cc"
        fake_cc.parent.mkdir()
        fake_cc.write_text("#!/bin/sh\nexit 0\n")
        fake_cc.chmod(0o755)
        folder = tmp_path / "built"
        options = PipOptions(find_links=(str(house),), no_index=True)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PATH", f"{fake_cc.parent}:{os.environ['PATH']}")
            outcome = requirements.build_pure_wheel("crc-like==1.0", folder, options, cwd=tmp_path)
        assert outcome == "built"
        assert [p.name for p in folder.iterdir()] == ["crc_like-1.0-py3-none-any.whl"]

    def test_a_required_extension_is_reported(self, tmp_path: Path, wheelhouse: Path) -> None:
        """An sdist that must compile fails naming it, why, and what to do, with exit 1."""
        make_sdist(wheelhouse, "needs-c", optional_c=False)
        project = make_project(tmp_path / "p", requirements_txt="needs-c\n")
        with pytest.raises(NoMatchingWheelError) as e:
            build_package(project, pip=PipOptions(find_links=(str(wheelhouse),), no_index=True))
        assert e.value.requirement == "needs-c"
        message = str(e.value)
        assert "no wheel of 'needs-c' fits python3.12" in message
        assert "builds compiled code (its build fails with the C compiler turned off)" in message
        assert "--find-links" in message
        assert not (project / "dist").exists()

    def test_a_version_pin_is_kept(self, tmp_path: Path, wheelhouse: Path) -> None:
        """The sdist built is the pinned version, not the newest."""
        make_sdist(wheelhouse, "crc-like", "1.0")
        make_sdist(wheelhouse, "crc-like", "2.0")
        project = make_project(tmp_path / "p", requirements_txt="crc-like==1.0\n")
        zip_path = build_package(
            project, pip=PipOptions(find_links=(str(wheelhouse),), no_index=True)
        ).path
        assert "crc_like-1.0.dist-info/METADATA" in names(zip_path)

    def test_no_source_at_all_keeps_the_wheel_message(
        self, tmp_path: Path, local: PipOptions
    ) -> None:
        """A requirement with neither a fitting wheel nor an sdist says so, as before."""
        project = make_project(tmp_path / "p", requirements_txt="winonly\n")
        with pytest.raises(NoMatchingWheelError) as e:
            build_package(project, pip=local)
        assert "builds compiled code" not in str(e.value)
        assert "publish only a source distribution" in str(e.value)
