"""Tests for fcsdk/_ship/ignore.py: the defaults and .fcignore."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from fcsdk._ship.ignore import IgnoreRules, collect_files
from fcsdk.exceptions import ConfigurationError
from tests._ship.helpers import make_project


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
            ("lib/util.py", "lib/util.py", False, True),  # a "/" inside anchors at the top
            ("lib/util.py", "sub/lib/util.py", False, False),
            ("a/b/", "x/a/b", True, False),
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

    @settings(max_examples=150, deadline=None, derandomize=os.environ.get("CI") == "true")
    @example(pattern="a/b", paths=["a/b", "b/a/b", "a/b/a"])  # an inner "/" anchors
    @example(pattern="a/*", paths=["a/b", "b/a/b", "a/b/a"])
    @example(pattern="??**", paths=["a", "ab/a", "a/b"])  # "**" inside a name
    @example(pattern="a**b", paths=["a/b", "ab", "aab/b"])
    @example(pattern="a/**/b", paths=["a/b", "a/a/a/b", "b/a/b"])
    @example(pattern="**/a", paths=["a", "b/a", "b/a/b"])
    @example(pattern="[!a]", paths=["a", "b", "a.b"])
    @example(pattern="[a-]", paths=["a", "-", "b"])
    @example(pattern="b/", paths=["b/a", "a/b", "b"])
    @example(pattern="!a", paths=["a", "!a"])
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

    def test_symlinks_inside_the_project_are_followed_once(self, tmp_path: Path) -> None:
        """A link to a file of the project ships its content; a link loop is walked once."""
        (tmp_path / "real").mkdir()
        (tmp_path / "real" / "a.py").write_text("A = 1\n")
        (tmp_path / "link.py").symlink_to(tmp_path / "real" / "a.py")
        (tmp_path / "real" / "loop").symlink_to(tmp_path / "real")
        (tmp_path / "dangling.py").symlink_to(tmp_path / "missing.py")
        outside: list[str] = []
        kept = [rel for rel, _ in collect_files(tmp_path, IgnoreRules([]), outside=outside)]
        assert kept == ["link.py", "real/a.py"]
        assert outside == []

    def test_symlinks_leaving_the_project_are_not_followed(self, tmp_path: Path) -> None:
        """A link to a folder or file outside the project ships nothing, and is reported."""
        home = tmp_path / "home"
        (home / ".aws").mkdir(parents=True)
        (home / ".aws" / "credentials").write_text("aws_secret_access_key = Wb3+c/Tg9x5r7=\n")
        (home / "notes.py").write_text("SECRET = 1\n")
        project = tmp_path / "project"
        (project / "pkg").mkdir(parents=True)
        (project / "index.py").write_text("")
        (project / "shared").symlink_to(home)
        (project / "pkg" / "notes.py").symlink_to(home / "notes.py")
        (project / "up").symlink_to(project / "..")
        outside: list[str] = []
        kept = [rel for rel, _ in collect_files(project, IgnoreRules([]), outside=outside)]
        assert kept == ["index.py"]
        assert outside == ["pkg/notes.py", "shared", "up"]

    @pytest.mark.parametrize(
        "path",
        [
            ".envrc",
            ".aws/credentials",
            ".aliyun/config.json",
            ".ssh/id_rsa",
            "deploy/id_rsa",
            "id_ed25519",
            "certs/server.pem",
            "tls.key",
            "sub/.netrc",
            ".pypirc",
            ".git-credentials",
            ".docker/config.json",
        ],
    )
    def test_well_known_secret_files_stay_home(self, tmp_path: Path, path: str) -> None:
        """Credential folders, private keys and token files are left out by default."""
        (tmp_path / "index.py").write_text("")
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("secret")
        kept = [rel for rel, _ in collect_files(tmp_path, IgnoreRules.for_project(tmp_path))]
        assert kept == ["index.py"]

    def test_unreadable_folder_is_skipped(self, tmp_path: Path) -> None:
        """A folder that cannot be listed yields nothing instead of crashing."""
        assert list(collect_files(tmp_path / "missing", IgnoreRules([]))) == []
