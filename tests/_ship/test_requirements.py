"""Tests for fcsdk/_ship/requirements.py: finding requirements, installing them for a target."""

from __future__ import annotations

import json
import os
import sys
import zipfile
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
from tests._ship.helpers import (
    make_project,
    make_sdist,
    make_source_folder,
    make_wheel,
    names,
    runtime_python,
)


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

    def test_a_dependency_that_is_not_a_string(self, tmp_path: Path) -> None:
        """A dependency list holding a number or a table is a ConfigurationError, not a crash."""
        for bad in ('["pydantic", 3]', '["pydantic", {name = "x"}]'):
            (tmp_path / "pyproject.toml").write_text(f"[project]\ndependencies = {bad}\n")
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

    def test_the_index_url_given_is_where_pip_looks(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """--index-url reaches pip: a requirement only that index serves is installed.

        (The index is a PEP 503 folder of pages, read through a file:// URL; the build runs
        from another folder, with a relative --find-links made absolute beside it.)
        """
        simple = tmp_path / "index" / "simple"
        wheel = make_wheel(simple / "only-here", "only-here")
        (simple / "only-here" / "index.html").write_text(
            f'<html><body><a href="{wheel.name}">{wheel.name}</a></body></html>\n'
        )
        (simple / "index.html").write_text(
            '<html><body><a href="only-here/">only-here</a></body></html>\n'
        )
        make_wheel(tmp_path / "links", "demo-base")
        project = make_project(tmp_path / "p", requirements_txt="only-here\ndemo-base\n")
        monkeypatch.chdir(tmp_path)
        options = PipOptions(find_links=("links",), index_url=simple.as_uri())
        report = build_package(project, pip=options, compile_bytecode=False)
        listed = names(report.path)
        assert "only_here/__init__.py" in listed
        assert "demo_base/__init__.py" in listed


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
            project, pip=PipOptions(find_links=(str(wheelhouse),), no_index=True), build_sdists=True
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

    def test_a_build_that_hangs_is_stopped(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A wheel build over the time limit is stopped, and the reason says how long it had."""
        slow = tmp_path / "slow-python"
        slow.write_text("#!/bin/sh\nexec sleep 5\n")
        slow.chmod(0o755)
        monkeypatch.setattr(requirements, "PIP_TIMEOUT", 1.0)
        outcome = requirements.build_pure_wheel(
            "crc-like==1.0", tmp_path / "built", PipOptions(python=str(slow)), cwd=tmp_path
        )
        assert outcome == "building it took longer than 1 s"

    def test_a_relative_path_is_built_from_the_folder_given(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``libs/localpkg`` is read from ``cwd`` (the project), not from the current folder."""
        make_source_folder(tmp_path / "app" / "libs" / "localpkg", "localpkg")
        (tmp_path / "elsewhere").mkdir()
        monkeypatch.chdir(tmp_path / "elsewhere")
        folder = tmp_path / "built"
        outcome = requirements.build_pure_wheel(
            "./libs/localpkg", folder, PipOptions(no_index=True), cwd=tmp_path / "app"
        )
        assert outcome == "built"
        assert [p.name for p in folder.iterdir()] == ["localpkg-1.0-py3-none-any.whl"]

    def test_a_required_extension_is_reported(self, tmp_path: Path, wheelhouse: Path) -> None:
        """An sdist that must compile fails naming it, why, and what to do, with exit 1."""
        make_sdist(wheelhouse, "needs-c", optional_c=False)
        project = make_project(tmp_path / "p", requirements_txt="needs-c\n")
        with pytest.raises(NoMatchingWheelError) as e:
            build_package(
                project,
                pip=PipOptions(find_links=(str(wheelhouse),), no_index=True),
                build_sdists=True,
            )
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
            project, pip=PipOptions(find_links=(str(wheelhouse),), no_index=True), build_sdists=True
        ).path
        assert "crc_like-1.0.dist-info/METADATA" in names(zip_path)

    def test_no_source_at_all_keeps_the_wheel_message(
        self, tmp_path: Path, local: PipOptions
    ) -> None:
        """A requirement with neither a fitting wheel nor an sdist says so, as before."""
        project = make_project(tmp_path / "p", requirements_txt="winonly\n")
        with pytest.raises(NoMatchingWheelError) as e:
            build_package(project, pip=local, build_sdists=True)
        assert "builds compiled code" not in str(e.value)
        assert "publish only a source distribution" in str(e.value)


def tree(folder: Path) -> list[str]:
    """Every path under ``folder``, sorted: to see that a build wrote nothing there."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.fixture
def build_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file each source build appends a line to (the test backend reads the variable)."""
    log = tmp_path / "builds.log"
    monkeypatch.setenv("FCSDK_TEST_BUILD_LOG", str(log))
    return log


class TestSourceBuildsNeedTheOptIn:
    def test_a_source_distribution_is_not_built_without_it(
        self, tmp_path: Path, wheelhouse: Path, build_log: Path
    ) -> None:
        """Without --build-sdists an sdist's build code never runs; the error names the flag."""
        make_sdist(wheelhouse, "crc-like")
        project = make_project(tmp_path / "p", requirements_txt="crc-like==1.0\n")
        with pytest.raises(NoMatchingWheelError) as e:
            build_package(project, pip=PipOptions(find_links=(str(wheelhouse),), no_index=True))
        assert e.value.requirement == "crc-like"
        assert "--build-sdists" in str(e.value)
        assert not build_log.exists()

    def test_the_command_takes_the_flag(
        self, tmp_path: Path, wheelhouse: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """fcsdk package --build-sdists builds the pure wheel; without it, exit 1."""
        make_sdist(wheelhouse, "crc-like")
        project = make_project(tmp_path / "p", requirements_txt="crc-like==1.0\n")
        base = ["package", str(project), "--no-index", "--find-links", str(wheelhouse)]
        assert main([*base, "--no-compile"]) == 1
        assert "--build-sdists" in capsys.readouterr().err
        assert main([*base, "--no-compile", "--build-sdists"]) == 0

    def test_a_pure_tagged_wheel_holding_compiled_code_is_refused(
        self, tmp_path: Path, wheelhouse: Path
    ) -> None:
        """A setup.py that calls the compiler itself: its py3-none-any wheel's .so is caught."""
        make_sdist(wheelhouse, "sneaky", sneaky=True)
        project = make_project(tmp_path / "p", requirements_txt="sneaky==1.0\n")
        with pytest.raises(NoMatchingWheelError, match="holds compiled code") as e:
            build_package(
                project,
                pip=PipOptions(find_links=(str(wheelhouse),), no_index=True),
                build_sdists=True,
            )
        assert "sneaky/_speedups.cpython-" in str(e.value)
        assert not (project / "dist").exists()

    def test_a_built_wheel_that_still_does_not_install_is_built_once(
        self, tmp_path: Path, wheelhouse: Path, build_log: Path
    ) -> None:
        """An sdist whose wheel pip still cannot install (tagged py2) fails after one build."""
        make_sdist(wheelhouse, "old-tag", tag="py2-none-any")
        project = make_project(tmp_path / "p", requirements_txt="old-tag==1.0\n")
        with pytest.raises(NoMatchingWheelError) as e:
            build_package(
                project,
                pip=PipOptions(find_links=(str(wheelhouse),), no_index=True),
                build_sdists=True,
            )
        assert e.value.requirement == "old-tag"
        assert build_log.read_text().splitlines() == ["old-tag"]


class TestNativeCodeInWheels:
    def test_a_downloaded_pure_wheel_with_a_shared_object_is_refused(
        self, tmp_path: Path, wheelhouse: Path
    ) -> None:
        """A py3-none-any wheel holding an ELF file (whatever its name) is never shipped."""
        make_wheel(
            wheelhouse,
            "liar",
            files={"liar/__init__.py": b"", "liar/helper.bin": b"\x7fELF\x02\x01\x01"},
        )
        project = make_project(tmp_path / "p", requirements_txt="liar\n")
        with pytest.raises(PackageError, match=r"liar 1.0's wheel is tagged py3-none-any") as e:
            build_package(project, pip=PipOptions(find_links=(str(wheelhouse),), no_index=True))
        assert "liar/helper.bin" in str(e.value)
        assert not (project / "dist").exists()

    def test_an_extension_for_another_python_is_refused(
        self, tmp_path: Path, wheelhouse: Path
    ) -> None:
        """A cpython-311 .so inside a wheel that claims cp312 would not import on FC: refused."""
        make_wheel(
            wheelhouse,
            "mixed",
            tag="cp312-cp312-manylinux_2_17_x86_64",
            files={
                "mixed/__init__.py": b"",
                "mixed/_c.cpython-311-x86_64-linux-gnu.so": b"\x7fELF\x02",
            },
        )
        project = make_project(tmp_path / "p", requirements_txt="mixed\n")
        with pytest.raises(PackageError, match=r"another Python than python3\.12's"):
            build_package(project, pip=PipOptions(find_links=(str(wheelhouse),), no_index=True))

    def test_a_platform_wheel_for_the_target_ships_its_extension(
        self, tmp_path: Path, wheelhouse: Path
    ) -> None:
        """A manylinux cp312 wheel's cpython-312 .so is what it should be: shipped."""
        make_wheel(
            wheelhouse,
            "fast",
            tag="cp312-cp312-manylinux_2_17_x86_64",
            files={
                "fast/__init__.py": b"",
                "fast/_c.cpython-312-x86_64-linux-gnu.so": b"\x7fELF\x02",
            },
        )
        project = make_project(tmp_path / "p", requirements_txt="fast\n")
        report = build_package(
            project, pip=PipOptions(find_links=(str(wheelhouse),), no_index=True)
        )
        assert "fast/_c.cpython-312-x86_64-linux-gnu.so" in names(report.path)


class TestLocalPathRequirements:
    def test_a_local_folder_is_refused_without_the_opt_in(
        self, tmp_path: Path, build_log: Path
    ) -> None:
        """../libs/localpkg is never built by default: the error names the file and line."""
        lib = make_source_folder(tmp_path / "libs" / "localpkg", "localpkg")
        before = tree(lib)
        project = make_project(
            tmp_path / "app", requirements_txt="# shared code\n../libs/localpkg\n"
        )
        with pytest.raises(NoMatchingWheelError) as e:
            build_package(project, pip=PipOptions(no_index=True))
        assert str(e.value) == (
            "requirements.txt line 2: ../libs/localpkg is built from source, which runs its "
            "build code on this machine and compiles any C code for this machine's Python, not "
            "for FC's: build a wheel of it for the target (on manylinux when it has C code) and "
            "require that wheel, or pass --build-sdists to build it here as pure Python (from a "
            "copy; a wheel with compiled code is refused)"
        )
        assert e.value.requirement == "../libs/localpkg"
        assert not build_log.exists()
        assert tree(lib) == before

    def test_with_the_opt_in_it_is_built_from_a_copy_as_pure_python(
        self, tmp_path: Path, build_log: Path
    ) -> None:
        """Opted in, the folder is built with the compiler off, from a copy: nothing lands in it."""
        lib = make_source_folder(tmp_path / "libs" / "localpkg", "localpkg")
        before = tree(lib)
        (tmp_path / "app").mkdir()
        (tmp_path / "app" / "reqs").mkdir()
        (tmp_path / "app" / "reqs" / "base.txt").write_text("demo-dep\n")
        project = make_project(
            tmp_path / "app",
            requirements_txt="-r reqs/base.txt\n../libs/localpkg ; python_version >= '3'\n",
        )
        (project / ".fcignore").write_text("reqs/\n")
        house = make_wheel(tmp_path / "house", "demo-dep").parent
        make_wheel(house, "demo-base")
        report = build_package(
            project, pip=PipOptions(find_links=(str(house),), no_index=True), build_sdists=True
        )
        listed = names(report.path)
        assert "localpkg/__init__.py" in listed
        assert "demo_dep/__init__.py" in listed
        assert not [n for n in listed if n.endswith(".so")]
        assert build_log.read_text().splitlines() == ["localpkg"]
        assert tree(lib) == before  # no build/, no egg-info: the user's folder is untouched

    def test_a_folder_built_here_gives_the_same_zip_each_time(self, tmp_path: Path) -> None:
        """The built folder's dist-info keeps no file:// URL of the build's temporary folder.

        pip records where it installed a wheel from (direct_url.json, PEP 610): for the
        wheel built of ../libs/localpkg that is a temporary folder with a random name,
        which would make two builds differ. The file and its RECORD line go; the rest of
        RECORD stays as pip wrote it.
        """
        make_source_folder(tmp_path / "libs" / "localpkg", "localpkg")
        project = make_project(tmp_path / "app", requirements_txt="../libs/localpkg\n")
        zips = [
            build_package(
                project,
                pip=PipOptions(no_index=True),
                build_sdists=True,
                compile_bytecode=False,
                output=tmp_path / f"{n}.zip",
            ).path
            for n in (1, 2)
        ]
        assert zips[0].read_bytes() == zips[1].read_bytes()
        with zipfile.ZipFile(zips[0]) as zf:
            info = sorted(n for n in zf.namelist() if n.startswith("localpkg-1.0.dist-info/"))
            record = zf.read("localpkg-1.0.dist-info/RECORD").decode()
        assert info == [
            "localpkg-1.0.dist-info/INSTALLER",
            "localpkg-1.0.dist-info/METADATA",
            "localpkg-1.0.dist-info/RECORD",
            "localpkg-1.0.dist-info/REQUESTED",
            "localpkg-1.0.dist-info/WHEEL",
        ]
        rows = record.split("\r\n")
        assert rows[-1] == ""
        assert sorted(row.split(",")[0] for row in rows[:-1]) == [*info, "localpkg/__init__.py"]

    def test_a_local_folder_that_must_compile_is_refused_even_opted_in(
        self, tmp_path: Path
    ) -> None:
        """A local package that always compiles its extension cannot be shipped as pure Python."""
        make_source_folder(tmp_path / "libs" / "native", "native", sneaky=True)
        project = make_project(tmp_path / "app", requirements_txt="-e ../libs/native\n")
        with pytest.raises(NoMatchingWheelError, match="holds compiled code") as e:
            build_package(project, pip=PipOptions(no_index=True), build_sdists=True)
        assert e.value.requirement == "../libs/native"

    def test_a_local_archive_and_a_folder_are_built_with_the_opt_in(self, tmp_path: Path) -> None:
        """./vendor/x-1.0.tar.gz, read from the project folder, and ../libs/y: each is built."""
        make_source_folder(tmp_path / "libs" / "localpkg", "localpkg")
        project = make_project(
            tmp_path / "app",
            requirements_txt="./vendor/crc-like-1.0.tar.gz\n../libs/localpkg\n",
        )
        make_sdist(project / "vendor", "crc-like")
        (project / ".fcignore").write_text("vendor/\n")
        report = build_package(project, pip=PipOptions(no_index=True), build_sdists=True)
        listed = names(report.path)
        assert "crc_like/__init__.py" in listed
        assert "localpkg/__init__.py" in listed

    @pytest.mark.parametrize(
        "line",
        [
            "git+https://example.invalid/lib.git@v1",
            "lib @ https://example.invalid/lib-1.0.tar.gz",
            "./vendor/lib-1.0.tar.gz",
            "--editable=../libs/x",
        ],
    )
    def test_other_source_references_are_refused_too(self, tmp_path: Path, line: str) -> None:
        """VCS URLs, sdist URLs and archives are built from source: refused by default."""
        project = make_project(tmp_path / "app", requirements_txt=f"demo-dep\n{line}\n")
        refused = r"requirements\.txt line 2: .* is built from"
        with pytest.raises(NoMatchingWheelError, match=refused):
            build_package(project, pip=PipOptions(no_index=True))

    def test_pyproject_direct_references(self, tmp_path: Path) -> None:
        """A pyproject.toml dependency `name @ file:///folder` is refused the same way."""
        make_source_folder(tmp_path / "libs" / "localpkg", "localpkg")
        project = make_project(tmp_path / "app", requirements_txt=None)
        url = (tmp_path / "libs" / "localpkg").as_uri()
        (project / "pyproject.toml").write_text(
            f'[project]\nname = "app"\ndependencies = ["localpkg @ {url}"]\n'
        )
        with pytest.raises(NoMatchingWheelError, match=r"pyproject\.toml line 1: file://"):
            build_package(project, pip=PipOptions(no_index=True))
        report = build_package(project, pip=PipOptions(no_index=True), build_sdists=True)
        assert "localpkg/__init__.py" in names(report.path)


class TestPipEnvironment:
    def test_require_virtualenv_in_the_users_environment(
        self, tmp_path: Path, wheelhouse: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """PIP_REQUIRE_VIRTUALENV=1 does not stop pip outside a venv: install and sdist build."""
        base = runtime_python("3.12")  # pyenv's own Python: no virtualenv around it
        monkeypatch.setenv("PIP_REQUIRE_VIRTUALENV", "1")
        make_sdist(wheelhouse, "crc-like")
        project = make_project(tmp_path / "p", requirements_txt="demo-dep\ncrc-like==1.0\n")
        report = build_package(
            project,
            pip=PipOptions(find_links=(str(wheelhouse),), no_index=True, python=base),
            build_sdists=True,
            compile_bytecode=False,
        )
        listed = names(report.path)
        assert "demo_dep/__init__.py" in listed
        assert "crc_like/__init__.py" in listed


STUB_PIP = """\
import json, os, sys, zipfile
argv = sys.argv[1:]
folder = argv[argv.index("--wheel-dir") + 1]
with open(os.path.join(os.path.dirname(sys.argv[0]), "seen.json"), "w") as f:
    json.dump({"argv": argv, "env": {k: os.environ.get(k) for k in ("CC", "CXX", "LDSHARED")}}, f)
with zipfile.ZipFile(os.path.join(folder, "stubpkg-1.0-py3-none-any.whl"), "w") as wheel:
    wheel.writestr("stubpkg/__init__.py", "")
"""


class TestBuildPureWheelCommand:
    def test_the_command_and_its_environment(self, tmp_path: Path) -> None:
        """pip wheel is run without a compiler, no cache, no binary, into a folder that may exist.

        (A stand-in interpreter records what it was given and writes the wheel pip would.)
        """
        stub = tmp_path / "stub" / "python"
        stub.parent.mkdir()
        stub.write_text(f"#!{sys.executable}\n{STUB_PIP}")
        stub.chmod(0o755)
        folder = tmp_path / "built"
        folder.mkdir()  # left by an earlier build: used as it is
        options = PipOptions(find_links=("/wheels",), no_index=True, python=str(stub))
        outcome = requirements.build_pure_wheel("stubpkg==1.0", folder, options, cwd=tmp_path)
        assert outcome == "built"
        assert [p.name for p in folder.iterdir()] == ["stubpkg-1.0-py3-none-any.whl"]
        seen = json.loads((stub.parent / "seen.json").read_text())
        assert seen["env"] == {"CC": "false", "CXX": "false", "LDSHARED": "false"}
        assert seen["argv"] == [
            "-m",
            "pip",
            "wheel",
            "--disable-pip-version-check",
            "--no-input",
            "--no-deps",
            "--no-cache-dir",
            "--no-binary",
            "stubpkg",
            "--wheel-dir",
            str(folder),
            *options.args(),
            "stubpkg==1.0",
        ]


def test_a_pip_error_keeps_its_last_15_lines() -> None:
    """What pip printed before failing is cut to its last 15 non-blank lines."""
    output = "\n".join(f"line {n}" for n in range(1, 31)) + "\n\n"
    assert requirements._tail(output) == "\n".join(f"line {n}" for n in range(16, 31))
