"""Tests for fcsdk/_ship/build.py: build_package from local wheels, and (slow) from PyPI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from fcsdk._ship import build
from fcsdk._ship.build import PackageReport, build_package, format_size, project_name
from fcsdk._ship.requirements import PipOptions
from fcsdk._ship.target import Target
from fcsdk.exceptions import (
    ConfigurationError,
    PackageError,
    PackageTooLargeError,
)
from tests._ship.helpers import HOST, make_project, make_wheel, names, runtime_python, sha256


class TestBuildPackage:
    def test_code_and_dependencies_at_the_root(self, tmp_path: Path, local: PipOptions) -> None:
        """Dependencies and code sit side by side at the zip's root, without litter."""
        project = make_project(tmp_path / "orders")
        report = build_package(project, pip=local)
        assert report.path == project / "dist" / "orders-python3.12.zip"
        listed = names(report.path)
        assert "index.py" in listed
        assert "lib/util.py" in listed
        assert "demo_dep/__init__.py" in listed
        assert "demo_base/data.bin" in listed
        assert "demo_dep-1.0.dist-info/METADATA" in listed
        assert not [n for n in listed if n.startswith(("tests/", ".venv/", ".git/", "bin/"))]
        # The project's own litter (a 3.11 pyc) stays home; the shipped pycs are 3.12's.
        pycs = [n for n in listed if "__pycache__" in n or n.endswith(".pyc")]
        assert "__pycache__/index.cpython-311.pyc" not in pycs
        assert "__pycache__/index.cpython-312.pyc" in pycs
        assert all(n.endswith(".cpython-312.pyc") for n in pycs)
        assert ".env" not in listed
        assert "s.yaml" not in listed
        assert report.file_count == len(listed)
        assert report.unzipped_size == sum(
            i.file_size for i in zipfile.ZipFile(report.path).infolist()
        )
        assert report.zipped_size == report.path.stat().st_size
        assert report.warnings == []

    def test_largest_parts_by_distribution(self, tmp_path: Path, local: PipOptions) -> None:
        """The report ranks each distribution and the user's code by size."""
        project = make_project(tmp_path / "p")
        report = build_package(project, pip=local)
        assert report.largest[0] == ("demo_base 2.0", report.largest[0][1])
        assert {name for name, _ in report.largest} == {
            "demo_base 2.0",
            "demo_dep 1.0",
            "(your code)",
        }
        text = report.render()
        assert "largest:" in text
        assert "demo_base 2.0" in text
        assert "python3.12 (CPython 3.12, manylinux_2_31 x86_64)" in text

    def test_files_without_a_record_count_under_their_folder(self, tmp_path: Path) -> None:
        """Installed files no RECORD lists are reported under their top-level folder."""
        staging = tmp_path / "s"
        (staging / "orphan").mkdir(parents=True)
        (staging / "orphan" / "x.py").write_text("")
        (staging / "broken-1.0.dist-info").mkdir()
        (staging / "ok-2.0.dist-info").mkdir()
        (staging / "ok-2.0.dist-info" / "RECORD").write_text(
            "ok.py,,1\n\nok-2.0.dist-info/RECORD,,\n"
        )
        (staging / "old-style-3.1.dist-info").mkdir()  # a hyphen left in the name
        (staging / "old-style-3.1.dist-info" / "RECORD").write_text("old_style.py,,1\n")
        assert build._distribution_of(staging) == {
            "ok.py": "ok 2.0",
            "ok-2.0.dist-info/RECORD": "ok 2.0",
            "old_style.py": "old-style 3.1",
        }
        assert build._top_level("orphan/x.py") == "orphan"

    def test_a_record_row_quoting_a_carriage_return(self, tmp_path: Path) -> None:
        """A file name holding a CR, which csv writes quoted, is read back whole from RECORD."""
        info = tmp_path / "odd-1.0.dist-info"
        info.mkdir()
        (info / "RECORD").write_bytes(b'"odd/a\rb.py",,1\r\nodd/c.py,,1\r\n')
        assert build._distribution_of(tmp_path) == {"odd/a\rb.py": "odd 1.0", "odd/c.py": "odd 1.0"}

    def test_render_without_parts(self, tmp_path: Path) -> None:
        """A report with no parts listed renders without the largest section."""
        report = build.PackageReport(
            path=tmp_path / "a.zip",
            target=Target.for_runtime("python3.10"),
            layer=False,
            zipped_size=10,
            unzipped_size=20,
            file_count=1,
            sha256="0" * 64,
        )
        text = report.render()
        assert "largest" not in text
        assert f"{tmp_path / 'a.zip'}: 10 B, 1 file" in text

    def test_render_lists_the_largest_parts_aligned(self, tmp_path: Path) -> None:
        """The largest parts follow a `largest:` line, names padded, sizes right-aligned."""
        report = build.PackageReport(
            path=tmp_path / "a.zip",
            target=Target.for_runtime("python3.12"),
            layer=False,
            zipped_size=10,
            unzipped_size=20,
            file_count=2,
            sha256="0" * 64,
            largest=[("pydantic_core 2.27.2", 5 * 1024 * 1024), ("(your code)", 2048)],
            warnings=["something to see"],
        )
        assert report.render().splitlines()[-4:] == [
            "  largest:",
            "    pydantic_core 2.27.2     5.0 MB",
            "    (your code)                2 KB",
            "warning: something to see",
        ]

    def test_layer_puts_dependencies_under_python(self, tmp_path: Path, local: PipOptions) -> None:
        """--layer ships only the dependencies, under python/."""
        project = make_project(tmp_path / "orders")
        report = build_package(project, pip=local, layer=True)
        assert report.path.name == "orders-layer-python3.12.zip"
        listed = names(report.path)
        assert "python/demo_dep/__init__.py" in listed
        assert all(n.startswith("python/") for n in listed)
        assert "layer for python3.12" in report.render()

    def test_no_deps_ships_code_only(self, tmp_path: Path) -> None:
        """with_deps=False ships the code alone, for a function whose layer has the rest."""
        project = make_project(tmp_path / "p")
        report = build_package(
            project, with_deps=False, runtime="python3.10", compile_bytecode=False
        )
        assert report.path.name == "p-python3.10.zip"
        assert names(report.path) == [
            "index.py",
            "lib/__init__.py",
            "lib/util.py",
            "requirements.txt",
        ]

    def test_python_version_in_the_name(self, tmp_path: Path) -> None:
        """A Python other than the runtime's own shows in the zip's name."""
        project = make_project(tmp_path / "p")
        report = build_package(project, with_deps=False, python_version="3.11")
        assert report.path.name == "p-python3.11.zip"
        same = build_package(project, with_deps=False, python_version="3.12")
        assert same.path.name == "p-python3.12.zip"

    def test_pyproject_names_the_zip_and_lists_dependencies(
        self, tmp_path: Path, local: PipOptions
    ) -> None:
        """pyproject.toml's name and dependencies are used when there is no requirements.txt."""
        project = make_project(tmp_path / "folder", requirements_txt=None)
        (project / "pyproject.toml").write_text(
            '[project]\nname = "Orders API"\ndependencies = ["demo-dep"]\n'
        )
        report = build_package(project, pip=local)
        assert report.path.name == "Orders-API-python3.12.zip"
        assert "demo_dep/__init__.py" in names(report.path)
        assert project_name(tmp_path) == tmp_path.name
        (project / "pyproject.toml").write_text("[project]\nname = 3\n")
        assert project_name(project) == "folder"

    def test_relative_paths_in_requirements_are_from_the_project(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """-r is read from the current folder; a wheel path inside it from the project."""
        project = make_project(tmp_path / "p", requirements_txt=None)
        make_wheel(project / "vendor", "demo-dep")
        (project / "reqs").mkdir()
        (project / "reqs" / "prod.txt").write_text("./vendor/demo_dep-1.0-py3-none-any.whl\n")
        (project / ".fcignore").write_text("vendor/\nreqs/\n")
        monkeypatch.chdir(project / "reqs")
        report = build_package(project, requirements="prod.txt", pip=PipOptions(no_index=True))
        listed = names(report.path)
        assert "demo_dep/__init__.py" in listed
        assert not [n for n in listed if n.startswith(("vendor/", "reqs/"))]

    def test_layer_without_deps_and_no_bytecode(self, tmp_path: Path) -> None:
        """--layer with --no-deps is refused; a build without bytecode counts none."""
        (tmp_path / "index.py").write_text("def handler(event, context):\n    return event\n")
        with pytest.raises(ConfigurationError) as caught:
            build_package(tmp_path, layer=True, with_deps=False)
        assert str(caught.value) == "a layer holds the dependencies: --layer and --no-deps conflict"
        report = build_package(
            tmp_path, with_deps=False, output=tmp_path / "o.zip", compile_bytecode=False
        )
        assert (report.bytecode, report.bytecode_size) == (None, 0)

    def test_a_missing_import_names_the_pyproject_to_add_it_to(self, tmp_path: Path) -> None:
        """The warning for an import nothing installs names the file that declares requirements."""
        from fcsdk._ship.requirements import Requirements

        (tmp_path / "index.py").write_text("import yaml\n")
        reqs = Requirements(source=tmp_path / "pyproject.toml", lines=("demo-dep",))
        code = {"index.py": tmp_path / "index.py"}
        assert build._check_imports(tmp_path, reqs, code, dict(code)) == [
            "index.py imports yaml, which no requirement installs (nor your code): the function "
            "will fail to import it on FC unless the runtime or a layer brings it; add to "
            "pyproject.toml:\n    yaml"
        ]

    def test_a_pyproject_without_a_project_table(self, tmp_path: Path) -> None:
        """A pyproject.toml with only [tool] tables names the zip after the folder."""
        (tmp_path / "my app").mkdir()
        (tmp_path / "my app" / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
        assert project_name(tmp_path / "my app") == "my-app"

    @pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib is in 3.11's standard library")
    def test_pyproject_is_read_without_tomli_from_311(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On Python 3.11+ pyproject.toml is read by tomllib: tomli need not be installed."""
        monkeypatch.setitem(sys.modules, "tomli", None)  # import tomli fails
        (tmp_path / "pyproject.toml").write_text('[project]\nname = "orders"\n')
        assert project_name(tmp_path) == "orders"

    def test_warns_without_requirements_or_handler(self, tmp_path: Path) -> None:
        """No requirements and no top-level module are warnings, not failures."""
        (tmp_path / "p" / "pkg").mkdir(parents=True)
        (tmp_path / "p" / "pkg" / "mod.py").write_text("")
        report = build_package(tmp_path / "p")
        assert len(report.warnings) == 2
        assert report.warnings[0] == (
            "no requirements found (requirements.txt or pyproject.toml dependencies): "
            "the package holds your code only"
        )
        assert "no Python module at the top" in report.warnings[1]
        assert "warning: no requirements" in report.render()

    def test_compiled_files_in_your_code_are_named(self, tmp_path: Path) -> None:
        """A .so in the project folder ships as it is, with a warning naming it and the target."""
        project = make_project(tmp_path / "p")
        (project / "lib" / "_fast.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF\x02")
        report = build_package(project, with_deps=False, compile_bytecode=False)
        (warning,) = [w for w in report.warnings if "compiled files" in w]
        assert "lib/_fast.cpython-311-x86_64-linux-gnu.so" in warning
        assert "CPython 3.12" in warning

    def test_more_than_three_compiled_files_are_cut_short(self, tmp_path: Path) -> None:
        """The warning names the first three compiled files and marks the rest with an ellipsis."""
        project = make_project(tmp_path / "p")
        for stem in ("a", "b", "c", "d"):
            (project / "lib" / f"_{stem}.abi3.so").write_bytes(b"\x7fELF\x02")
        report = build_package(project, with_deps=False, compile_bytecode=False)
        (warning,) = [w for w in report.warnings if "compiled files" in w]
        assert "(lib/_a.abi3.so, lib/_b.abi3.so, lib/_c.abi3.so …)" in warning
        assert "_d.abi3.so" not in warning

    def test_links_leaving_the_project_are_a_warning(self, tmp_path: Path) -> None:
        """A link to a folder outside the project ships nothing and is named in a warning."""
        project = make_project(tmp_path / "p")
        (tmp_path / "shared").mkdir()
        (tmp_path / "shared" / "util.py").write_text("")
        (project / "shared").symlink_to(tmp_path / "shared")
        report = build_package(project, with_deps=False, compile_bytecode=False)
        assert not [n for n in names(report.path) if n.startswith("shared")]
        (warning,) = [w for w in report.warnings if "symbolic links" in w]
        assert warning == (
            "left out shared: symbolic links that point outside p/ are never followed; "
            "copy what the function needs into the project, or list it as a requirement"
        )

    @pytest.mark.parametrize(
        ("command", "startup"),
        [("[./run.sh]", "run.sh"), ("[python3, -m, fcsdk, web, index]", None), ("[/opt/x]", None)],
    )
    def test_the_startup_command_kept_executable(
        self, tmp_path: Path, command: str, startup: str | None
    ) -> None:
        """A relative startup command is the package's; a program of the image is not checked."""
        project = make_project(tmp_path / "p")
        (project / "run.sh").write_text("#!/bin/sh\n")
        (project / "s.yaml").write_text(
            f"props:\n  runtime: custom.debian11\n  customRuntimeConfig:\n    command: {command}\n"
        )
        report = build_package(project, with_deps=False, compile_bytecode=False)
        with zipfile.ZipFile(report.path) as zf:
            run_mode = (zf.getinfo("run.sh").external_attr >> 16) & 0o777
        assert run_mode == (0o755 if startup else 0o644)
        assert report.warnings == []

    def test_code_wins_over_a_dependency_file(self, tmp_path: Path, local: PipOptions) -> None:
        """A file both in the code and a dependency keeps the user's copy, with a warning."""
        project = make_project(tmp_path / "p")
        (project / "demo_dep").mkdir()
        (project / "demo_dep" / "__init__.py").write_text("MINE = True\n")
        report = build_package(project, pip=local)
        assert any("demo_dep/__init__.py" in w for w in report.warnings)
        with zipfile.ZipFile(report.path) as zf:
            assert zf.read("demo_dep/__init__.py") == b"MINE = True\n"

    def test_unwritable_output(self, tmp_path: Path) -> None:
        """A zip that cannot be written is a PackageError naming it."""
        project = make_project(tmp_path / "p")
        (tmp_path / "file").write_text("")
        with pytest.raises(PackageError, match="cannot write"):
            build_package(project, with_deps=False, output=tmp_path / "file" / "out.zip")

    def test_file_name_that_is_not_utf8(self, tmp_path: Path) -> None:
        """A file whose name is not UTF-8 fails with its name, and leaves no zip."""
        project = make_project(tmp_path / "p")
        with open(os.fsencode(project) + b"/caf\xe9.py", "w") as fh:
            fh.write("")
        with pytest.raises(PackageError) as caught:
            build_package(project, with_deps=False, output=tmp_path / "out.zip")
        assert str(caught.value) == (
            f"cannot write {tmp_path / 'out.zip'}: the file name 'caf\\udce9.py' is not valid "
            "UTF-8; rename it or leave it out with .fcignore"
        )
        assert not (tmp_path / "out.zip").exists()

    def test_output_inside_the_project_is_not_packaged(self, tmp_path: Path) -> None:
        """A zip written into the project folder is never packed into itself."""
        project = make_project(tmp_path / "p")
        out = project / "function.zip"
        build_package(project, with_deps=False, output=out)
        build_package(project, with_deps=False, output=out)
        assert "function.zip" not in names(out)

    def test_unzipped_limit(self, tmp_path: Path, local: PipOptions) -> None:
        """Passing the unzipped limit fails before any zip is written, naming the big parts."""
        project = make_project(tmp_path / "p")
        with pytest.raises(PackageTooLargeError, match=r"unzip to .* over the 0.001 MB limit") as e:
            build_package(project, pip=local, max_unzipped_mb=0.001)
        assert "demo_base 2.0" in str(e.value)
        assert e.value.limit == 1048
        assert e.value.size > e.value.limit
        assert not (project / "dist").exists()

    def test_the_unzipped_limit_names_the_five_largest_parts(
        self, tmp_path: Path, wheelhouse: Path, local: PipOptions
    ) -> None:
        """Of seven parts, the error names the five largest, each with its size, in order."""
        extras = ["extra-a", "extra-b", "extra-c", "extra-d"]
        project = make_project(tmp_path / "p", requirements_txt="\n".join(["demo-dep", *extras]))
        for index, name in enumerate(extras):
            package = name.replace("-", "_")
            make_wheel(
                wheelhouse,
                name,
                files={f"{package}/data.bin": b"\x00" * (1000 * (index + 2))},
            )
        options = {"pip": local, "compile_bytecode": False, "output": tmp_path / "out.zip"}
        fits = build_package(project, **options)  # type: ignore[arg-type]
        assert len(fits.largest) == 7
        with pytest.raises(PackageTooLargeError) as caught:
            build_package(project, max_unzipped_mb=0.001, **options)  # type: ignore[arg-type]
        assert str(caught.value) == (
            f"the package would unzip to {format_size(fits.unzipped_size)}, over the "
            "0.001 MB limit; largest parts: "
            + ", ".join(f"{n} {format_size(size)}" for n, size in fits.largest[:5])
        )

    def test_code_importing_pydantic_without_requirements_is_refused(self, tmp_path: Path) -> None:
        """No requirements, and code that imports pydantic: an error saying what to add where."""
        (tmp_path / "orders").mkdir()
        (tmp_path / "orders" / "index.py").write_text("import pydantic\n")
        with pytest.raises(ConfigurationError) as caught:
            build_package(tmp_path / "orders", compile_bytecode=False)
        assert str(caught.value) == (
            "index.py imports pydantic, but orders/ declares no requirements (no "
            "requirements.txt, no [project].dependencies in pyproject.toml), so the package "
            "would fail on FC with ModuleNotFoundError. Add orders/requirements.txt with:\n"
            "    pydantic\n(use the names pip installs them by), or pass --no-deps when a "
            "layer brings them"
        )

    def test_a_partial_zip_of_an_interrupted_build_is_not_packaged(self, tmp_path: Path) -> None:
        """A ``*.zip.partial`` left in the project by an interrupted build stays out of the zip."""
        project = make_project(tmp_path / "p")
        (project / "function.zip.partial").write_bytes(b"PK\x03\x04 cut short")
        report = build_package(
            project, with_deps=False, compile_bytecode=False, output=tmp_path / "out.zip"
        )
        assert "function.zip.partial" not in names(report.path)
        assert "index.py" in names(report.path)

    def test_zipped_limit(self, tmp_path: Path, local: PipOptions) -> None:
        """Passing FC's zip limit fails and removes the zip."""
        project = make_project(tmp_path / "p")
        with pytest.raises(PackageTooLargeError, match="code package limit") as e:
            build_package(project, pip=local, max_zip_mb=0.0001)
        assert isinstance(e.value, PackageError)
        assert not list((project / "dist").iterdir())

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"layer": True, "with_deps": False}, "conflict"),
            ({"max_zip_mb": 0}, "positive"),
            ({"max_unzipped_mb": float("nan")}, "positive"),
            ({"output": "out.tar"}, r"\.zip"),
            ({"runtime": "python2.7"}, "unknown runtime"),
        ],
    )
    def test_bad_options(self, tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
        """Conflicting or invalid options are ConfigurationErrors."""
        with pytest.raises(ConfigurationError, match=message):
            build_package(tmp_path, **kwargs)  # type: ignore[arg-type]

    def test_missing_project_and_empty_project(self, tmp_path: Path) -> None:
        """A missing folder, or one with nothing to ship, is a ConfigurationError."""
        with pytest.raises(ConfigurationError, match="not found"):
            build_package(tmp_path / "nope")
        with pytest.raises(ConfigurationError, match="nothing to package"):
            build_package(tmp_path, with_deps=False)

    def test_format_size(self) -> None:
        """Sizes print in B, KB or MB."""
        assert [format_size(n) for n in (0, 2048, 5 * 1024 * 1024)] == ["0 B", "2 KB", "5.0 MB"]


# --------------------------------------------------------------------------- pip failures


def wheel_tags(zip_path: Path, dist_prefix: str) -> list[str]:
    """The Tag lines of the WHEEL file of the distribution named ``dist_prefix`` in the zip."""
    with zipfile.ZipFile(zip_path) as zf:
        (wheel,) = [
            n
            for n in zf.namelist()
            if n.startswith(dist_prefix + "-") and n.endswith(".dist-info/WHEEL")
        ]
        text = zf.read(wheel).decode()
    return [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Tag: ")]


@pytest.fixture(scope="module")
def sample_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose handler uses fcsdk and pydantic, pinned like the scaffold pins it."""
    import fcsdk

    project = tmp_path_factory.mktemp("sample") / "orders"
    project.mkdir()
    (project / "requirements.txt").write_text(f"fcsdk=={fcsdk.__version__}\n")
    (project / "index.py").write_text(
        "from pydantic import BaseModel\n\n"
        "import fcsdk as fc\n\n\n"
        "class Order(BaseModel):\n"
        "    order_id: str\n"
        "    amount: int\n\n\n"
        "@fc.handler\n"
        "def handler(event: Order, context: fc.FCContext) -> dict[str, object]:\n"
        "    import pydantic_core\n\n"
        "    return {\n"
        '        "order_id": event.order_id,\n'
        '        "accepted": event.amount > 0,\n'
        '        "core": pydantic_core.__file__,\n'
        "    }\n"
    )
    return project


@pytest.fixture(scope="module")
def real_builds(
    tmp_path_factory: pytest.TempPathFactory, sample_project: Path, fcsdk_wheels: Path
) -> dict[str, PackageReport]:
    """The sample project packaged for python3.10 and python3.12, resolved from PyPI."""
    out = tmp_path_factory.mktemp("real-builds")
    pip = PipOptions(find_links=(str(fcsdk_wheels),))
    return {
        runtime: build_package(
            sample_project, runtime=runtime, output=out / f"{runtime}.zip", pip=pip
        )
        for runtime in ("python3.10", "python3.12")
    }


@pytest.mark.slow
class TestRealRuntimes:
    @pytest.mark.parametrize(("runtime", "abi"), [("python3.10", "cp310"), ("python3.12", "cp312")])
    def test_wheels_are_built_for_the_runtime(
        self, runtime: str, abi: str, real_builds: dict[str, PackageReport]
    ) -> None:
        """pydantic-core inside the zip is the runtime's CPython build for manylinux x86-64."""
        report = real_builds[runtime]
        tags = wheel_tags(report.path, "pydantic_core")
        assert tags
        for tag in tags:
            interpreter, tag_abi, platform = tag.split("-")
            assert (interpreter, tag_abi) == (abi, abi)
            assert platform.startswith("manylinux")
            assert platform.endswith("_x86_64")
        listed = names(report.path)
        assert f"pydantic_core/_pydantic_core.cpython-{abi[2:]}-x86_64-linux-gnu.so" in listed
        assert "fcsdk/__init__.py" in listed
        assert "fcsdk/_scaffold/templates/event/index.py.tmpl" in listed
        assert wheel_tags(report.path, "fcsdk") == ["py3-none-any"]

    @pytest.mark.parametrize("runtime", ["python3.10", "python3.12"])
    def test_two_builds_give_the_same_hash(
        self,
        tmp_path: Path,
        sample_project: Path,
        fcsdk_wheels: Path,
        real_builds: dict[str, PackageReport],
        runtime: str,
    ) -> None:
        """Resolving and packing again, with the runtime's own Python, gives the same zip."""
        again = build_package(
            sample_project,
            runtime=runtime,
            output=tmp_path / "again.zip",
            pip=PipOptions(find_links=(str(fcsdk_wheels),)),
            python=runtime_python(runtime.removeprefix("python")),
        )
        first = real_builds[runtime]
        assert again.sha256 == first.sha256 == sha256(first.path)
        assert again.file_count == first.file_count > 50

    def test_handler_runs_from_the_unpacked_zip_in_isolation(
        self, tmp_path: Path, sample_project: Path, fcsdk_wheels: Path
    ) -> None:
        """Built for this Python, the unpacked zip alone runs the handler via fcsdk invoke."""
        report = build_package(
            sample_project,
            python_version=HOST,
            output=tmp_path / "host.zip",
            pip=PipOptions(find_links=(str(fcsdk_wheels),)),
        )
        code = tmp_path / "code"
        with zipfile.ZipFile(report.path) as zf:
            zf.extractall(code)
        isolated = [sys.executable, "-I", "-S"]
        # Without the unpacked folder, this interpreter sees neither pydantic nor fcsdk.
        blind = subprocess.run(
            [*isolated, "-c", "import pydantic"], capture_output=True, timeout=60, check=False
        )
        assert blind.returncode != 0
        script = (
            "import sys\n"
            "code = sys.argv[1]\n"
            "sys.path.insert(0, code)\n"
            "import fcsdk, pydantic\n"
            "assert fcsdk.__file__.startswith(code), fcsdk.__file__\n"
            "assert pydantic.__file__.startswith(code), pydantic.__file__\n"
            "from fcsdk.cli import main\n"
            "sys.exit(main(['invoke', 'index.handler', '--code-dir', code,\n"
            '               \'--event\', \'{"order_id": "A1", "amount": 3}\']))\n'
        )
        done = subprocess.run(
            [*isolated, "-c", script, str(code)],
            capture_output=True,
            timeout=120,
            check=False,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr.decode()
        result = json.loads(done.stdout)
        assert result["order_id"] == "A1"
        assert result["accepted"] is True
        assert result["core"].startswith(str(code))
