"""Tests for fcsdk/_ship/bytecode.py: the target's interpreter, and the pycs every package ships."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from fcsdk._ship.build import build_package
from fcsdk._ship.bytecode import compile_tree, find_interpreter, probe
from fcsdk._ship.requirements import PipOptions
from fcsdk._ship.target import RUNTIME_NAMES, RUNTIMES
from fcsdk.exceptions import ConfigurationError, PackageError
from tests._ship.helpers import make_project, runtime_python

# The magic numbers of CPython's final releases (Lib/importlib/_bootstrap_external.py),
# written here independently of the interpreters that produce them.
MAGIC = {"3.10": 3439, "3.11": 3495, "3.12": 3531, "3.13": 3571}


def magic_bytes(version: str) -> bytes:
    """The first four bytes of a pyc of ``version``."""
    return MAGIC[version].to_bytes(2, "little") + b"\r\n"


def pycs(zip_path: Path) -> dict[str, bytes]:
    """Every pyc in the zip, with its first 16 bytes (magic, flags, hash)."""
    with zipfile.ZipFile(zip_path) as zf:
        return {n: zf.read(n)[:16] for n in zf.namelist() if n.endswith(".pyc")}


def sources(zip_path: Path) -> set[str]:
    """The .py files of the zip."""
    with zipfile.ZipFile(zip_path) as zf:
        return {n for n in zf.namelist() if n.endswith(".py")}


def source_of(pyc: str) -> str:
    """``a/__pycache__/b.cpython-312.pyc`` -> ``a/b.py``."""
    folder, _, leaf = pyc.rpartition("__pycache__/")
    return folder + leaf.split(".")[0] + ".py"


@pytest.fixture
def no_pythons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hide every Python but this one: an empty PATH, a HOME without pyenv."""
    hide_pythons(tmp_path, monkeypatch)


def hide_pythons(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``no_pythons`` does, for a test that must find a Python first."""
    (tmp_path / "empty-bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("PYENV_ROOT", raising=False)


class TestFindInterpreter:
    @pytest.mark.parametrize("version", ["3.10", "3.12"])
    def test_finds_each_runtimes_python(self, version: str) -> None:
        """Python 3.10 and 3.12 are found (PATH or pyenv's versions), with their own magic."""
        found = find_interpreter(version)
        assert found is not None
        assert found.version == version
        assert found.cache_tag == f"cpython-{version.replace('.', '')}"
        assert bytes.fromhex(found.magic) == magic_bytes(version)

    def test_this_python_is_used_first(self) -> None:
        """When this Python is the target's version, it compiles."""
        here = f"{sys.version_info.major}.{sys.version_info.minor}"
        found = find_interpreter(here)
        assert found is not None
        assert found.path == sys.executable

    def test_explicit_python_of_another_version_is_refused(self) -> None:
        """--python of 3.11 for a 3.12 target is a ConfigurationError naming both versions."""
        here = f"{sys.version_info.major}.{sys.version_info.minor}"
        other = "3.12" if here != "3.12" else "3.10"
        with pytest.raises(ConfigurationError, match=f"is Python {here}, but the target is"):
            find_interpreter(other, sys.executable)

    def test_explicit_python_that_does_not_run(self, tmp_path: Path) -> None:
        """--python naming nothing runnable is a ConfigurationError."""
        with pytest.raises(ConfigurationError, match="not a CPython interpreter that runs"):
            find_interpreter("3.12", tmp_path / "python9")
        (tmp_path / "fake").write_text("#!/bin/sh\necho nonsense\n")
        (tmp_path / "fake").chmod(0o755)
        assert probe(str(tmp_path / "fake")) is None

    @pytest.mark.usefixtures("no_pythons")
    def test_none_found(self) -> None:
        """With no Python of the version anywhere, find_interpreter returns None."""
        here = f"{sys.version_info.major}.{sys.version_info.minor}"
        assert find_interpreter("3.12" if here != "3.12" else "3.10") is None


class TestShippedBytecode:
    @pytest.mark.parametrize(
        ("runtime", "version"), [("python3.10", "3.10"), ("python3.12", "3.12")]
    )
    def test_every_pyc_has_the_targets_magic(
        self, tmp_path: Path, local: PipOptions, runtime: str, version: str
    ) -> None:
        """Each .py of the code and the dependencies has a pyc of the target's version only."""
        project = make_project(tmp_path / "p")
        report = build_package(project, runtime=runtime, pip=local)
        shipped = pycs(report.path)
        assert report.bytecode == f"cpython-{version.replace('.', '')}"
        assert {source_of(n) for n in shipped} == sources(report.path)
        for name, head in shipped.items():
            assert head[:4] == magic_bytes(version), name
            # PEP 552 flags: hash-based (bit 0), unchecked (bit 1 clear).
            assert int.from_bytes(head[4:8], "little") == 0b01, name
            assert f".cpython-{version.replace('.', '')}.pyc" in name
        assert report.bytecode_size == sum(
            i.file_size
            for i in zipfile.ZipFile(report.path).infolist()
            if i.filename.endswith(".pyc")
        )
        assert "bytecode  cpython-" in report.render()

    @pytest.mark.parametrize("runtime", RUNTIME_NAMES)
    def test_three_builds_are_byte_identical_on_every_runtime_python(
        self, tmp_path: Path, local: PipOptions, runtime: str
    ) -> None:
        """Built three times, each compiled by a fresh target interpreter, the zips are one.

        Python 3.10's marshal writes a frozenset constant in its strings' hash
        order, which changes with every process unless PYTHONHASHSEED is set.
        """
        version = RUNTIMES[runtime][0]
        python = runtime_python(version)
        project = make_project(tmp_path / "p")
        words = [f"word{i}" for i in range(24)]
        (project / "lib" / "sets.py").write_text(
            f"WORDS = frozenset({words!r})\n\n\n"
            f"def known(word):\n    return word in {set(words)!r}\n"
        )
        digests = [
            build_package(
                project, runtime=runtime, pip=local, python=python, output=tmp_path / f"{i}.zip"
            ).sha256
            for i in range(3)
        ]
        assert len(set(digests)) == 1, digests
        tag = f"cpython-{version.replace('.', '')}"
        assert f"lib/__pycache__/sets.{tag}.pyc" in pycs(tmp_path / "0.zip")

    def test_layer_and_no_deps_carry_bytecode(self, tmp_path: Path, local: PipOptions) -> None:
        """A layer's python/ tree and a --no-deps package are compiled too."""
        project = make_project(tmp_path / "p")
        layer = build_package(project, layer=True, pip=local, runtime="python3.10")
        names = set(pycs(layer.path))
        assert "python/demo_dep/__pycache__/__init__.cpython-310.pyc" in names
        assert all(n.startswith("python/") for n in names)
        code = build_package(project, with_deps=False, runtime="python3.10")
        assert set(pycs(code.path)) == {
            "__pycache__/index.cpython-310.pyc",
            "lib/__pycache__/__init__.cpython-310.pyc",
            "lib/__pycache__/util.cpython-310.pyc",
        }

    def test_no_compile_ships_sources_only(self, tmp_path: Path) -> None:
        """--no-compile: no pycs, and no warning."""
        project = make_project(tmp_path / "p")
        report = build_package(project, with_deps=False, compile_bytecode=False)
        assert pycs(report.path) == {}
        assert report.bytecode is None
        assert not [w for w in report.warnings if "bytecode" in w]
        with pytest.raises(ConfigurationError) as caught:
            build_package(project, with_deps=False, compile_bytecode=False, python=sys.executable)
        assert str(caught.value) == (
            "--python compiles the bytecode: it conflicts with --no-compile"
        )

    @pytest.mark.usefixtures("no_pythons")
    def test_no_interpreter_warns_with_the_cost_and_the_fix(self, tmp_path: Path) -> None:
        """Without a target Python the package has no bytecode and a warning says why and how."""
        here = f"{sys.version_info.major}.{sys.version_info.minor}"
        runtime = "python3.12" if here != "3.12" else "python3.10"
        project = make_project(tmp_path / "p")
        report = build_package(project, with_deps=False, runtime=runtime)
        assert pycs(report.path) == {}
        (warning,) = [w for w in report.warnings if "bytecode" in w]
        assert f"no Python {runtime[6:]} found" in warning
        assert "cold start" in warning
        assert "--python PATH" in warning
        assert "--no-compile" in warning

    def test_a_syntax_error_ships_as_source_with_a_warning(self, tmp_path: Path) -> None:
        """A module of yours that does not compile is shipped as source, and named."""
        project = make_project(tmp_path / "p")
        (project / "broken.py").write_text("def f(:\n")
        report = build_package(project, with_deps=False)
        assert "broken.py" in sources(report.path)
        assert "__pycache__/broken.cpython-312.pyc" not in pycs(report.path)
        (warning,) = [w for w in report.warnings if "did not compile" in w]
        assert (
            warning
            == "broken.py did not compile with Python 3.12: shipped as source; check the syntax"
        )

    @pytest.mark.parametrize(
        ("count", "named"), [(3, "a.py, b.py, c.py"), (4, "a.py, b.py, c.py …")]
    )
    def test_more_than_three_broken_modules_are_cut_short(
        self, tmp_path: Path, count: int, named: str
    ) -> None:
        """The warning names the first three modules that did not compile, an ellipsis for more."""
        project = make_project(tmp_path / "p")
        for stem in "abcd"[:count]:
            (project / f"{stem}.py").write_text("def f(:\n")
        report = build_package(project, with_deps=False)
        (warning,) = [w for w in report.warnings if "did not compile" in w]
        assert warning.startswith(f"{named} did not compile with Python 3.12")

    def test_pycs_of_another_version_are_never_shipped(self, tmp_path: Path) -> None:
        """compile_tree refuses output whose magic is not the interpreter's."""
        here = find_interpreter(f"{sys.version_info.major}.{sys.version_info.minor}")
        assert here is not None
        (tmp_path / "m.py").write_text("X = 1\n")
        liar = type(here)(here.path, here.version, here.cache_tag, magic_bytes("3.10").hex())
        if liar.magic == here.magic:  # pragma: no cover - only when this Python is 3.10
            liar = type(here)(here.path, here.version, here.cache_tag, magic_bytes("3.12").hex())
        with pytest.raises(PackageError, match="not Python"):
            compile_tree({"m.py": tmp_path / "m.py"}, liar, tmp_path)

    def test_read_only_import_uses_the_shipped_pyc(self, tmp_path: Path) -> None:
        """From a read-only unpacked zip, the target Python loads index from its pyc."""
        project = make_project(tmp_path / "p")
        (project / "index.py").write_text("def handler(event, context):\n    return event\n")
        report = build_package(project, with_deps=False, runtime="python3.10")
        python = find_interpreter("3.10")
        assert python is not None
        code = tmp_path / "code"
        with zipfile.ZipFile(report.path) as zf:
            zf.extractall(code)
        for path in [*code.rglob("*"), code]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            done = subprocess.run(
                [
                    python.path,
                    "-I",
                    "-B",
                    "-v",
                    "-c",
                    "import sys; sys.path.insert(0, sys.argv[1]); import index",
                    str(code),
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
        finally:
            for path in [code, *code.rglob("*")]:
                path.chmod(0o755 if path.is_dir() else 0o644)
        assert f"code object from '{code}/__pycache__/index.cpython-310.pyc'" in done.stderr


def script(path: Path, body: str) -> Path:
    """An executable shell script."""
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


# A runtime version that is not the one running the tests (found first, as "this Python").
OTHER = "3.12" if sys.version_info[:2] == (3, 10) else "3.10"


class TestOddInterpreters:
    @pytest.mark.usefixtures("no_pythons")
    def test_the_py_launcher_is_asked(self, tmp_path: Path) -> None:
        """A ``py`` launcher on PATH is asked for ``-3.X`` when nothing else has that version."""
        import os

        target = str(Path(sys.executable).resolve().parents[2])  # pyenv's versions folder
        if not Path(target).is_dir():  # pragma: no cover - the venv is not on a pyenv Python
            target = "/root/.pyenv/versions"
        candidates = (
            sorted(Path(target).glob(f"{OTHER}.*/bin/python")) if Path(target).is_dir() else []
        )
        if not candidates:  # pragma: no cover - this machine has pyenv's 3.10 and 3.12
            pytest.skip(f"no Python {OTHER} to stand behind the fake launcher")
        bin_dir = Path(os.environ["PATH"])
        script(
            bin_dir / "py", f'[ "$1" = "-{OTHER}" ] || exit 1\nshift\nexec {candidates[-1]} "$@"\n'
        )
        found = find_interpreter(OTHER)
        assert found is not None
        assert found.version == OTHER
        assert found.path == str(candidates[-1])

    def test_a_launcher_that_prints_a_banner_first(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A ``py`` launcher printing a Latin-1 banner before the path: the path is read."""
        real = runtime_python(OTHER)  # found before every Python but this one is hidden
        hide_pythons(tmp_path, monkeypatch)
        script(
            tmp_path / "empty-bin" / "py",
            f'printf \'caf\\351\\n\'\n[ "$1" = "-{OTHER}" ] || exit 1\nshift\nexec {real} "$@"\n',
        )
        found = find_interpreter(OTHER)
        assert found is not None
        assert (found.version, found.path) == (OTHER, real)

    @pytest.mark.usefixtures("no_pythons")
    def test_a_launcher_without_the_version(self, tmp_path: Path) -> None:
        """A ``py`` launcher that lacks the version is skipped: nothing is found."""
        import os

        script(Path(os.environ["PATH"]) / "py", "exit 1\n")
        assert find_interpreter(OTHER) is None

    def test_an_interpreter_that_fails(self, tmp_path: Path) -> None:
        """A program that exits non-zero is not an interpreter; a failing compiler is an error."""
        failing = script(tmp_path / "python3", "echo broken >&2\nexit 1\n")
        assert probe(str(failing)) is None
        here = find_interpreter(f"{sys.version_info.major}.{sys.version_info.minor}")
        assert here is not None
        broken = type(here)(str(failing), here.version, here.cache_tag, here.magic)
        (tmp_path / "m.py").write_text("X = 1\n")
        with pytest.raises(PackageError, match=r"compiling bytecode with .* failed"):
            compile_tree({"m.py": tmp_path / "m.py"}, broken, tmp_path)
        assert compile_tree({"data.txt": tmp_path / "m.py"}, here, tmp_path) == ({}, [])

    def test_the_users_pythonpath_does_not_reach_the_probe(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A PYTHONPATH holding a sitecustomize that fails: the Python is probed all the same."""
        hooks = tmp_path / "hooks"
        hooks.mkdir()
        (hooks / "sitecustomize.py").write_text("raise SystemExit(3)\n")
        monkeypatch.setenv("PYTHONPATH", str(hooks))
        found = probe(sys.executable)
        assert found is not None
        assert found.version == f"{sys.version_info.major}.{sys.version_info.minor}"

    def test_bytes_that_are_not_utf8_before_the_answer(self, tmp_path: Path) -> None:
        """A Python whose wrapper prints a Latin-1 banner first is still read by its answer."""
        chatty = script(
            tmp_path / "python3",
            "printf 'caf\\351\\n'\n"
            'echo \'{"version": "3.99", "implementation": "cpython", '
            '"cache_tag": "cpython-399", "magic": "aa"}\'\n',
        )
        found = probe(str(chatty))
        assert found is not None
        assert (found.path, found.version, found.cache_tag, found.magic) == (
            str(chatty),
            "3.99",
            "cpython-399",
            "aa",
        )

    def test_the_compiler_runs_in_an_empty_scratch_folder(self, tmp_path: Path) -> None:
        """The compiler runs in the build's temporary fcsdk-package-*/bytecode, empty then."""
        real = runtime_python("3.12")
        log = tmp_path / "where.log"
        wrapper = script(
            tmp_path / "python3.12",
            f'[ "$1" = "-s" ] && {{ pwd; ls -A; }} > {log}\nexec {real} "$@"\n',
        )
        project = make_project(tmp_path / "p")
        report = build_package(project, with_deps=False, python=str(wrapper))
        assert "__pycache__/index.cpython-312.pyc" in pycs(report.path)
        folder, *listed = log.read_text().splitlines()
        assert listed == []
        assert Path(folder).name == "bytecode"
        assert Path(folder).parent.name.startswith("fcsdk-package-")
        assert Path(folder).parent.parent == Path(tempfile.gettempdir()).resolve()

    def test_a_module_of_the_current_folder_never_shadows_the_compilers(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Run from a project that holds a py_compile.py, the build compiles with the real one."""
        project = make_project(tmp_path / "p")
        (project / "py_compile.py").write_text("raise SystemExit('the project\\'s py_compile')\n")
        monkeypatch.chdir(project)
        report = build_package(project, with_deps=False, output=tmp_path / "out.zip")
        assert report.warnings == []
        assert "__pycache__/index.cpython-312.pyc" in pycs(report.path)
        assert "__pycache__/py_compile.cpython-312.pyc" in pycs(report.path)


class TestWhereInterpretersAre:
    @pytest.mark.usefixtures("no_pythons")
    def test_pyenv_root_newest_patch_first(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """PYENV_ROOT's versions are tried, 3.99.10 before 3.99.9 (by number, not by text)."""
        root = tmp_path / "pyenv-elsewhere"
        for patch in ("9", "10"):
            bin_dir = root / "versions" / f"3.99.{patch}" / "bin"
            bin_dir.mkdir(parents=True)
            script(
                bin_dir / "python",
                'echo \'{"version": "3.99", "implementation": "cpython", '
                f'"cache_tag": "cpython-399", "magic": "{patch}"}}\'\n',
            )
        monkeypatch.setenv("PYENV_ROOT", str(root))
        found = find_interpreter("3.99")
        assert found is not None
        assert (found.path, found.magic) == (str(root / "versions/3.99.10/bin/python"), "10")

    def test_a_relative_explicit_python_is_made_absolute(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """--python venv/python is taken from the current folder; a bare name from PATH."""
        (tmp_path / "venv").mkdir()
        (tmp_path / "venv" / "python").symlink_to(sys.executable)
        monkeypatch.chdir(tmp_path)
        here = f"{sys.version_info.major}.{sys.version_info.minor}"
        found = find_interpreter(here, "venv/python")
        assert found is not None
        assert found.path == str(tmp_path / "venv" / "python")
        monkeypatch.setenv("PATH", str(tmp_path / "venv"))
        bare = find_interpreter(here, "python")
        assert bare is not None
        assert bare.path == "python"

    def test_compiles_into_a_scratch_folder_not_made_yet(self, tmp_path: Path) -> None:
        """compile_tree makes its scratch folder and its parents."""
        here = find_interpreter(f"{sys.version_info.major}.{sys.version_info.minor}")
        assert here is not None
        (tmp_path / "m.py").write_text("X = 1\n")
        pycs, failed = compile_tree({"m.py": tmp_path / "m.py"}, here, tmp_path / "a" / "b")
        assert failed == []
        assert list(pycs) == [f"__pycache__/m.{here.cache_tag}.pyc"]
        assert pycs[f"__pycache__/m.{here.cache_tag}.pyc"].is_file()
