"""Tests for fcsdk/_ship/ignore.py: the defaults and .fcignore."""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fcsdk._ship.ignore import IgnoreRules, collect_files
from fcsdk.exceptions import ConfigurationError
from tests._ship.helpers import make_project


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
            ("a**b", "a/x/b", False, False),  # as in git: only "/**/" crosses folders
            ("a**b", "axyb", False, True),
            ("sp\\ ", "sp ", False, True),
            ("build/", "build", False, False),
            ("build/", "build", True, True),
            ("file?.py", "file1.py", False, True),
            ("file?.py", "file12.py", False, False),
            ("[ab].py", "a.py", False, True),
            ("[!ab].py", "a.py", False, False),
            ("[!ab].py", "c.py", False, True),
            ("[unclosed", "[unclosed", False, True),
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
        """An invalid pattern or an unreadable .fcignore is a ConfigurationError naming it."""
        (tmp_path / ".fcignore").write_text("ok.py\n[z-a].py\n")
        with pytest.raises(ConfigurationError, match=r"invalid ignore pattern '\[z-a\]\.py'"):
            IgnoreRules.for_project(tmp_path)
        (tmp_path / ".fcignore").write_bytes(b"\xff\xfe\x00bad")
        with pytest.raises(ConfigurationError, match="cannot read"):
            IgnoreRules.for_project(tmp_path)

    @given(pattern=st.text(max_size=30), path=st.text(max_size=30), is_dir=st.booleans())
    def test_any_pattern_gives_a_rule_or_a_typed_error(
        self, pattern: str, path: str, is_dir: bool
    ) -> None:
        """Any line parses to a rule (answering a bool) or fails with ConfigurationError."""
        try:
            rules = IgnoreRules([pattern])
        except ConfigurationError:
            return
        assert rules.ignored(path, is_dir=is_dir) in (True, False)

    @given(
        pattern=st.text(alphabet="ab.*?", min_size=1, max_size=8),
        name=st.text(alphabet="ab.", min_size=1, max_size=8),
    )
    def test_name_globs_agree_with_fnmatch(self, pattern: str, name: str) -> None:
        """A pattern without a slash matches a file's name, at any depth, as fnmatch does."""
        expected = fnmatch.fnmatchcase(name, pattern)
        assert IgnoreRules([pattern]).ignored(f"deep/er/{name}", is_dir=False) is expected

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
