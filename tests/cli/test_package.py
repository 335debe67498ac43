"""Tests for ``fcsdk package`` (fcsdk/_cli/package.py and its engine, fcsdk/_ship/).

Most tests resolve against a local folder of small wheels made here
(``--no-index --find-links``), so they are fast and offline. The tests marked
``slow`` do what a user does: resolve fcsdk (a wheel built once from this
checkout) and pydantic from PyPI for the real runtimes, then read the wheel
tags inside the zip, or run the handler from the unpacked zip in an isolated
interpreter.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fcsdk._ship import archive, build, requirements
from fcsdk._ship.build import PackageReport, build_package, format_size, project_name
from fcsdk._ship.ignore import IgnoreRules, collect_files
from fcsdk._ship.requirements import PipOptions, Requirements, find_requirements
from fcsdk._ship.target import Target
from fcsdk.cli import main
from fcsdk.exceptions import (
    ConfigurationError,
    FCSDKError,
    NoMatchingWheelError,
    PackageError,
    PackageTooLargeError,
)

ROOT = Path(__file__).resolve().parents[2]
HOST = f"{sys.version_info.major}.{sys.version_info.minor}"


# --------------------------------------------------------------------------- helpers


def make_wheel(
    folder: Path,
    name: str,
    version: str = "1.0",
    *,
    tag: str = "py3-none-any",
    files: dict[str, bytes] | None = None,
    requires: tuple[str, ...] = (),
) -> Path:
    """Write a minimal valid wheel (METADATA, WHEEL, RECORD) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    content = dict(files if files is not None else {f"{dist}/__init__.py": b"VALUE = 1\n"})
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    meta += "".join(f"Requires-Dist: {r}\n" for r in requires)
    content[f"{info}/METADATA"] = meta.encode()
    content[f"{info}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
    )
    rows = []
    for path, data in content.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{path},sha256={digest},{len(data)}")
    rows.append(f"{info}/RECORD,,")
    content[f"{info}/RECORD"] = ("\n".join(rows) + "\n").encode()
    wheel = folder / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in content.items():
            zf.writestr(path, data)
    return wheel


def make_project(folder: Path, *, requirements_txt: str | None = "demo-dep==1.0\n") -> Path:
    """A small function project: a handler, a helper package, tests and tool litter."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.py").write_text(
        "import demo_dep\n\n\ndef handler(event, context):\n    return event\n"
    )
    (folder / "lib").mkdir()
    (folder / "lib" / "__init__.py").write_text("")
    (folder / "lib" / "util.py").write_text("X = 1\n")
    (folder / "tests").mkdir()
    (folder / "tests" / "test_index.py").write_text("def test_x():\n    pass\n")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "index.cpython-311.pyc").write_bytes(b"\0")
    (folder / ".venv" / "lib").mkdir(parents=True)
    (folder / ".venv" / "lib" / "junk.py").write_text("")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (folder / ".env").write_text("SECRET=1\n")
    (folder / "s.yaml").write_text("edition: 3.0.0\n")
    if requirements_txt is not None:
        (folder / "requirements.txt").write_text(requirements_txt)
    return folder


def names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as zf:
        return zf.namelist()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    """A local index: a pure wheel, one that needs another, and one built for Windows only."""
    house = tmp_path / "wheelhouse"
    make_wheel(house, "demo-dep", requires=("demo-base",))
    make_wheel(
        house,
        "demo-base",
        "2.0",
        files={"demo_base/__init__.py": b"BASE = 2\n", "demo_base/data.bin": b"\x00" * 4096},
    )
    make_wheel(house, "winonly", tag="cp312-cp312-win_amd64")
    return house


@pytest.fixture
def local(wheelhouse: Path) -> PipOptions:
    """pip options that resolve only from the local wheelhouse."""
    return PipOptions(find_links=(str(wheelhouse),), no_index=True)


@pytest.fixture(scope="module", autouse=True)
def _pip_runs_unmeasured() -> Iterator[None]:
    """pip's subprocesses run no fcsdk code: keep coverage's start-up hook out of them.

    Under ``coverage run`` (``patch = subprocess``) every child Python starts
    a tracer, which makes pip several times slower for nothing to measure.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("COVERAGE_PROCESS_CONFIG", raising=False)
        patch.delenv("COVERAGE_PROCESS_START", raising=False)
        yield


@pytest.fixture(scope="module")
def fcsdk_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a wheel of fcsdk built from this checkout (fcsdk is not on PyPI)."""
    out = tmp_path_factory.mktemp("fcsdk-wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out)]
    try:
        import hatchling  # noqa: F401

        cmd.append("--no-build-isolation")
    except ModuleNotFoundError:  # pragma: no cover - the dev venv usually has hatchling
        pass
    subprocess.run([*cmd, str(ROOT)], check=True, timeout=300, capture_output=True)
    return out


class TestDocstringExamples:
    @pytest.mark.parametrize(
        "module",
        [
            "fcsdk._ship.target",
            "fcsdk._ship.ignore",
            "fcsdk._ship.build",
            "fcsdk._ship.archive",
            "fcsdk._ship.requirements",
            "fcsdk._scaffold",
        ],
    )
    def test_examples_run(self, module: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """Every example in the packaging and scaffold docstrings runs as written."""
        import doctest
        import importlib

        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
        result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
        assert result.failed == 0


# --------------------------------------------------------------------------- target


class TestTarget:
    def test_python312_runs_on_debian11_glibc(self) -> None:
        """python3.12 targets cp312 and glibc 2.31 (Debian 11) down to manylinux1."""
        t = Target.for_runtime("python3.12")
        assert (t.python_version, t.abi, t.arch) == ("3.12", "cp312", "x86_64")
        assert t.platforms[0] == "manylinux_2_31_x86_64"
        assert t.platforms[-1] == "manylinux1_x86_64"
        assert "manylinux2014_x86_64" in t.platforms
        assert "manylinux2010_x86_64" in t.platforms

    def test_python310_runs_on_debian10_glibc(self) -> None:
        """python3.10 targets cp310 and glibc 2.28 (Debian 10): no newer manylinux."""
        t = Target.for_runtime("python3.10")
        assert t.abi == "cp310"
        assert t.platforms[0] == "manylinux_2_28_x86_64"
        assert "manylinux_2_31_x86_64" not in t.platforms

    def test_python_version_override(self) -> None:
        """--python-version swaps the CPython but keeps the runtime's platform."""
        t = Target.for_runtime("python3.10", python_version="3.11")
        assert (t.abi, t.glibc) == ("cp311", (2, 28))

    @pytest.mark.parametrize(
        ("runtime", "arch", "version", "message"),
        [
            ("python3.9", "x86_64", None, "unknown runtime"),
            ("python3.12", "arm64", None, "unknown architecture"),
            ("python3.12", "x86_64", "3.9", "invalid Python version"),
            ("python3.12", "x86_64", "three", "invalid Python version"),
        ],
    )
    def test_bad_options(self, runtime: str, arch: str, version: str | None, message: str) -> None:
        """An unknown runtime, architecture or Python version is a ConfigurationError."""
        with pytest.raises(ConfigurationError, match=message):
            Target.for_runtime(runtime, arch=arch, python_version=version)

    def test_describe_tags_names_abi_and_platforms(self) -> None:
        """The description lists the ABI and the manylinux range."""
        text = Target.for_runtime("python3.12").describe_tags()
        assert "cp312-cp312" in text
        assert "manylinux_2_31_x86_64" in text
        assert "py3-none-any" in text


# --------------------------------------------------------------------------- ignore rules


def left_out(rules: IgnoreRules, path: str) -> bool:
    """Whether ``collect_files`` leaves out the file ``path``: it or a folder on its way ignored."""
    parts = path.split("/")
    folders = ["/".join(parts[: i + 1]) for i in range(len(parts) - 1)]
    return any(rules.ignored(f, is_dir=True) for f in folders) or rules.ignored(path, is_dir=False)


def git_ignored(repo: Path, paths: list[str]) -> dict[str, bool]:
    """Ask git itself which of ``paths`` (files, absent from disk) ``repo/.gitignore`` ignores."""
    out = subprocess.run(
        ["git", "check-ignore", "--no-index", "--stdin", "-z", "-v", "-n"],
        cwd=repo,
        input="\0".join(paths) + "\0",
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode in (0, 1), out.stderr
    fields = out.stdout.split("\0")
    # -z -v -n: source, line number, pattern, path per record; no pattern when nothing matched.
    records = [fields[i : i + 4] for i in range(0, len(fields) - 1, 4)]
    return {path: bool(pat) and not pat.startswith("!") for _, _, pat, path in records}


@pytest.fixture(scope="module")
def git_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty git repository whose .gitignore a test writes (git must be installed)."""
    repo = tmp_path_factory.mktemp("gitignore")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


class TestIgnoreRules:
    def test_defaults_leave_out_tool_litter_secrets_and_tests(self, tmp_path: Path) -> None:
        """The defaults drop .venv, .git, caches, .env, s.yaml and tests; code stays."""
        project = make_project(tmp_path / "p")
        kept = [rel for rel, _ in collect_files(project, IgnoreRules.for_project(project))]
        assert kept == ["index.py", "lib/__init__.py", "lib/util.py", "requirements.txt"]

    def test_include_tests(self, tmp_path: Path) -> None:
        """include_tests keeps the tests folder."""
        project = make_project(tmp_path / "p")
        rules = IgnoreRules.for_project(project, include_tests=True)
        kept = [rel for rel, _ in collect_files(project, rules)]
        assert "tests/test_index.py" in kept

    def test_fcignore_adds_and_takes_back(self, tmp_path: Path) -> None:
        """.fcignore patterns come after the defaults: it can drop more and take back."""
        project = make_project(tmp_path / "p")
        (project / ".fcignore").write_text("# comment\n\nlib/util.py\n!.env\n*.txt\n")
        kept = [rel for rel, _ in collect_files(project, IgnoreRules.for_project(project))]
        assert kept == [".env", "index.py", "lib/__init__.py"]

    @pytest.mark.parametrize(
        ("pattern", "path", "is_dir", "ignored"),
        [
            ("*.log", "a/b/c.log", False, True),
            ("/top.txt", "top.txt", False, True),
            ("/top.txt", "sub/top.txt", False, False),
            ("docs/*.md", "docs/a.md", False, True),
            ("docs/*.md", "docs/x/a.md", False, False),
            ("docs/**/a.md", "docs/x/y/a.md", False, True),
            ("**/cache", "deep/er/cache", True, True),
            ("data/**", "data/x/y", False, True),
            ("a**b", "a/x/b", False, False),  # git: "**" inside a name is a plain "*"
            ("sp\\ ", "sp ", False, True),
            ("build/", "build", False, False),
            ("build/", "build", True, True),
            ("file?.py", "file1.py", False, True),
            ("file?.py", "file12.py", False, False),
            ("[ab].py", "a.py", False, True),
            ("[!ab].py", "a.py", False, False),
            ("[!ab].py", "c.py", False, True),
            ("[unclosed", "[unclosed", False, False),  # git: an unclosed class matches nothing
            ("[]a].py", "].py", False, True),
            ("[z-a].py", "z.py", False, True),  # git: a backwards range holds its first character
            ("[z-a].py", "m.py", False, False),
            ("[[:digit:]x].py", "7.py", False, True),
            ("[[:nope:]].py", "n.py", False, False),
            ("[a\\]]", "]", False, True),
            ("*", "new\nline.py", False, True),  # a file name may hold a newline
            ("**/x", "a\nb/x", False, True),
            ("\\#hash", "#hash", False, True),
            ("\\!bang", "!bang", False, True),
            ("name\\*", "name*", False, True),
            ("name\\*", "names", False, False),
            ("trailing   ", "trailing", False, True),
            ("/", "anything", False, False),
            ("   ", "anything", False, False),
        ],
    )
    def test_gitignore_syntax(self, pattern: str, path: str, is_dir: bool, ignored: bool) -> None:
        """Each pattern follows .gitignore's meaning."""
        assert IgnoreRules([pattern]).ignored(path, is_dir=is_dir) is ignored

    def test_bad_fcignore(self, tmp_path: Path) -> None:
        """An unreadable .fcignore is a ConfigurationError naming it."""
        (tmp_path / ".fcignore").write_bytes(b"\xff\xfe\x00bad")
        with pytest.raises(ConfigurationError, match="cannot read"):
            IgnoreRules.for_project(tmp_path)

    @given(pattern=st.text(max_size=30), path=st.text(max_size=30), is_dir=st.booleans())
    def test_any_pattern_gives_a_rule(self, pattern: str, path: str, is_dir: bool) -> None:
        """Any line parses (git gives each a meaning); its negation answers the opposite."""
        assume(not pattern.startswith(("!", "#")) and pattern.strip())
        plain = IgnoreRules([pattern]).ignored(path, is_dir=is_dir)
        assert IgnoreRules(["*", "!" + pattern]).ignored(path, is_dir=is_dir) is not plain

    @settings(max_examples=150, deadline=None)
    @given(
        pattern=st.text(alphabet="ab.*?/[]!-", min_size=1, max_size=8),
        paths=st.lists(
            st.lists(
                st.text(alphabet="ab.", min_size=1, max_size=4).filter(
                    lambda s: s not in (".", "..")
                ),
                min_size=1,
                max_size=3,
            ).map("/".join),
            min_size=1,
            max_size=6,
            unique=True,
        ),
    )
    def test_globs_agree_with_git(self, git_repo: Path, pattern: str, paths: list[str]) -> None:
        """Any pattern leaves out exactly the files `git check-ignore` ignores (git's wildmatch)."""
        (git_repo / ".gitignore").write_text(pattern + "\n")
        rules = IgnoreRules([pattern])
        assert {path: left_out(rules, path) for path in paths} == git_ignored(git_repo, paths)

    @pytest.mark.parametrize(
        ("pattern", "path", "ignored"),
        [
            ("??**", "a", False),  # "**" inside a name is a plain "*": at least two characters
            ("??**", "deep/er/a", True),  # ... and "er", a folder on the way, has two
            ("a**b", "a/b", False),
            ("a**b", "axyb", True),
            ("a/**b", "a/x/b", False),
            ("a/**/b", "a/x/y/b", True),
            ("**/b", "x/y/b", True),
            ("a/**", "a/x/y", True),
            ("a/**", "a", False),
            ("[a\\", "a", False),  # unclosed after an escape: matches nothing
            ("b[[:x]", "b:", True),  # "[:" without ":]" is a plain "["
            ("[a-\\]]", "a", True),  # a backwards range through an escape
            ("[a-\\]]", "b", False),
            ("[a-\\", "a", False),
            ("[b-d].py", "c.py", True),
            ("[!b-d].py", "c.py", False),
        ],
    )
    def test_edge_cases_as_git_reads_them(
        self, git_repo: Path, pattern: str, path: str, ignored: bool
    ) -> None:
        """'**' crosses folders only as a whole segment; classes as wildmatch; git agrees."""
        (git_repo / ".gitignore").write_text(pattern + "\n")
        assert git_ignored(git_repo, [path]) == {path: ignored}
        assert left_out(IgnoreRules([pattern]), path) is ignored

    def test_files_inside_a_dropped_folder_stay_dropped(self, tmp_path: Path) -> None:
        """As in git, a negation cannot reach into a folder already left out."""
        (tmp_path / "skip").mkdir()
        (tmp_path / "skip" / "keep.py").write_text("")
        rules = IgnoreRules(["skip/", "!skip/keep.py"])
        assert list(collect_files(tmp_path, rules)) == []

    def test_symlinks_are_followed_once(self, tmp_path: Path) -> None:
        """A linked file is shipped with its content; a link loop is walked once."""
        (tmp_path / "real").mkdir()
        (tmp_path / "real" / "a.py").write_text("A = 1\n")
        (tmp_path / "link.py").symlink_to(tmp_path / "real" / "a.py")
        (tmp_path / "real" / "loop").symlink_to(tmp_path / "real")
        (tmp_path / "dangling.py").symlink_to(tmp_path / "missing.py")
        kept = [rel for rel, _ in collect_files(tmp_path, IgnoreRules([]))]
        assert kept == ["link.py", "real/a.py"]

    def test_unreadable_folder_is_skipped(self, tmp_path: Path) -> None:
        """A folder that cannot be listed yields nothing instead of crashing."""
        assert list(collect_files(tmp_path / "missing", IgnoreRules([]))) == []


# --------------------------------------------------------------------------- requirements


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

    def test_explicit_file(self, tmp_path: Path) -> None:
        """An explicit file, relative to the project, is used as is."""
        (tmp_path / "prod.txt").write_text("x\n")
        assert find_requirements(tmp_path, requirements=Path("prod.txt")).source == (
            tmp_path / "prod.txt"
        )

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


class TestDeterministicZip:
    def test_entries_sorted_with_fixed_time_and_permissions(self, tmp_path: Path) -> None:
        """Entries are sorted and carry 1980-01-01 and 0644/0755, whatever the files had."""
        (tmp_path / "b.py").write_text("b")
        (tmp_path / "a.sh").write_text("#!/bin/sh\n")
        (tmp_path / "a.sh").chmod(0o700)
        out = tmp_path / "out.zip"
        archive.write_zip(out, [("b.py", tmp_path / "b.py"), ("a.sh", tmp_path / "a.sh")])
        with zipfile.ZipFile(out) as zf:
            infos = zf.infolist()
        assert [i.filename for i in infos] == ["a.sh", "b.py"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert [stat.S_IMODE(i.external_attr >> 16) for i in infos] == [0o755, 0o644]
        assert not (tmp_path / "out.zip.partial").exists()

    def test_source_date_epoch(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """SOURCE_DATE_EPOCH sets the entries' time (UTC, even seconds)."""
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1763884801")
        assert archive.fixed_timestamp() == (2025, 11, 23, 8, 0, 0)
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
        assert archive.fixed_timestamp() == (1980, 1, 1, 0, 0, 0)

    def test_bad_source_date_epoch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A SOURCE_DATE_EPOCH that is not an integer is a ConfigurationError."""
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
        with pytest.raises(ConfigurationError, match="SOURCE_DATE_EPOCH"):
            archive.fixed_timestamp()

    def test_failed_write_leaves_nothing(self, tmp_path: Path) -> None:
        """A source that vanishes mid-build leaves neither the zip nor a partial file."""
        out = tmp_path / "out.zip"
        with pytest.raises(FileNotFoundError):
            archive.write_zip(out, [("gone.py", tmp_path / "gone.py")])
        assert list(tmp_path.iterdir()) == []

    def test_same_inputs_same_bytes(self, tmp_path: Path, local: PipOptions) -> None:
        """Two builds of the same project, at different times and mtimes, are byte-identical."""
        project = make_project(tmp_path / "p")
        first = build_package(project, pip=local, output=tmp_path / "one.zip")
        os.utime(project / "index.py", (1, 1))
        (project / "lib" / "util.py").chmod(0o600)
        second = build_package(project, pip=local, output=tmp_path / "two.zip")
        assert first.sha256 == second.sha256 == sha256(tmp_path / "two.zip")
        assert (tmp_path / "one.zip").read_bytes() == (tmp_path / "two.zip").read_bytes()


# --------------------------------------------------------------------------- build_package


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
        assert not [n for n in listed if "__pycache__" in n or n.endswith(".pyc")]
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
        assert build._distribution_of(staging) == {
            "ok.py": "ok 2.0",
            "ok-2.0.dist-info/RECORD": "ok 2.0",
        }
        assert build._top_level("orphan/x.py") == "orphan"

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
        report = build_package(project, with_deps=False, runtime="python3.10")
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

    def test_relative_paths_in_requirements_are_from_the_project(self, tmp_path: Path) -> None:
        """A wheel named by a path relative to the project installs, as pip run there would."""
        project = make_project(tmp_path / "p", requirements_txt=None)
        make_wheel(project / "vendor", "demo-dep")
        (project / "reqs").mkdir()
        (project / "reqs" / "prod.txt").write_text("./vendor/demo_dep-1.0-py3-none-any.whl\n")
        (project / ".fcignore").write_text("vendor/\nreqs/\n")
        report = build_package(project, requirements="reqs/prod.txt", pip=PipOptions(no_index=True))
        listed = names(report.path)
        assert "demo_dep/__init__.py" in listed
        assert not [n for n in listed if n.startswith(("vendor/", "reqs/"))]

    def test_warns_without_requirements_or_handler(self, tmp_path: Path) -> None:
        """No requirements and no top-level module are warnings, not failures."""
        (tmp_path / "p" / "pkg").mkdir(parents=True)
        (tmp_path / "p" / "pkg" / "mod.py").write_text("")
        report = build_package(tmp_path / "p")
        assert len(report.warnings) == 2
        assert "no requirements found" in report.warnings[0]
        assert "no Python module at the top" in report.warnings[1]
        assert "warning: no requirements" in report.render()

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
        with pytest.raises(PackageError, match="not valid UTF-8"):
            build_package(project, with_deps=False, output=tmp_path / "out.zip")
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


# --------------------------------------------------------------------------- real runtimes


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

    def test_two_builds_give_the_same_hash(
        self,
        tmp_path: Path,
        sample_project: Path,
        fcsdk_wheels: Path,
        real_builds: dict[str, PackageReport],
    ) -> None:
        """Resolving and packing again for python3.12 gives a byte-identical zip."""
        again = build_package(
            sample_project,
            output=tmp_path / "again.zip",
            pip=PipOptions(find_links=(str(fcsdk_wheels),)),
        )
        first = real_builds["python3.12"]
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
