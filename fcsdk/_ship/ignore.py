"""Which of a project's files go into its code package: defaults plus ``.fcignore``.

``.fcignore`` uses the ``.gitignore`` syntax that Serverless Devs also reads:
one pattern a line, ``#`` comments, ``!`` to take a file back, a trailing
``/`` for folders only, a ``/`` inside the pattern to anchor it at the project
root, ``*``/``?``/``[...]`` within a name and ``**`` across folders. Its
patterns come after fcsdk's defaults, and the last pattern that matches a path
decides, so ``!.env`` ships a ``.env`` that the defaults leave out. As in git,
a file inside a left-out folder cannot be taken back.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from fcsdk.exceptions import ConfigurationError

__all__ = ["DEFAULT_IGNORES", "TEST_IGNORES", "IgnoreRules", "collect_files"]

# What a function never needs: tool caches, virtualenvs, VCS data, build output,
# deployment configuration and secrets kept in dotenv files.
DEFAULT_IGNORES: tuple[str, ...] = (
    ".git/",
    ".hg/",
    ".svn/",
    ".venv/",
    "venv/",
    "__pycache__/",
    "*.py[cod]",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    ".hypothesis/",
    ".tox/",
    ".nox/",
    ".coverage",
    ".coverage.*",
    "htmlcov/",
    "*.egg-info/",
    "/dist/",
    "/build/",
    "/.s/",
    "node_modules/",
    ".idea/",
    ".vscode/",
    ".DS_Store",
    ".env",
    ".env.*",
    "/.fcignore",
    "/.gitignore",
    "/s.yaml",
    "/s.yml",
)

# Left out too unless the user asks for tests (``--include-tests``).
TEST_IGNORES: tuple[str, ...] = (
    "tests/",
    "test/",
    "test_*.py",
    "*_test.py",
    "conftest.py",
)


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def _translate(pattern: str) -> str:
    """Turn one gitignore-style glob into a regular expression over a relative path."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            # Any other run of asterisks is a plain "*", as in git: it stays in one name.
            out.append("[^/]*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "^") else i + 1)
            if end == -1:
                out.append(re.escape(c))
                i += 1
                continue
            body = pattern[i + 1 : end]
            if body[:1] in ("!", "^"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        elif c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _parse(line: str) -> _Rule | None:
    text = line.rstrip("\n").rstrip("\r")
    if not text.strip() or text.startswith("#"):
        return None
    # Trailing spaces are dropped unless escaped, as git does.
    if not text.endswith("\\ "):
        text = text.rstrip(" ")
    negate = text.startswith("!")
    if negate or text.startswith(("\\!", "\\#")):
        text = text[1:]
    dir_only = text.endswith("/")
    text = text.rstrip("/")
    if not text:
        return None
    anchored = "/" in text
    text = text.lstrip("/")
    body = _translate(text)
    regex = ("^" if anchored else r"^(?:.*/)?") + body + "$"
    try:
        compiled = re.compile(regex)
    except re.error as exc:
        raise ConfigurationError(f"invalid ignore pattern {line.strip()!r}: {exc}") from exc
    return _Rule(compiled, negate, dir_only)


class IgnoreRules:
    """An ordered list of ignore patterns; the last one that matches a path decides.

    Example:
        >>> rules = IgnoreRules(["*.log", "!keep.log", "data/"])
        >>> rules.ignored("a/b.log", is_dir=False), rules.ignored("keep.log", is_dir=False)
        (True, False)
        >>> rules.ignored("data", is_dir=True), rules.ignored("data", is_dir=False)
        (True, False)
    """

    def __init__(self, patterns: Iterable[str]) -> None:
        """Parse ``patterns``; raises ConfigurationError for one that is not a valid glob."""
        self._rules = [rule for rule in map(_parse, patterns) if rule is not None]

    @classmethod
    def for_project(cls, project: Path, *, include_tests: bool = False) -> IgnoreRules:
        """Return the defaults, the test patterns unless asked, then the project's ``.fcignore``."""
        patterns = list(DEFAULT_IGNORES)
        if not include_tests:
            patterns += TEST_IGNORES
        fcignore = project / ".fcignore"
        if fcignore.is_file():
            try:
                patterns += fcignore.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigurationError(f"cannot read {fcignore}: {exc}") from exc
        return cls(patterns)

    def ignored(self, path: str, *, is_dir: bool) -> bool:
        """Whether ``path`` (relative, ``/``-separated) is left out."""
        result = False
        for rule in self._rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.match(path):
                result = not rule.negate
        return result


def collect_files(root: Path, rules: IgnoreRules) -> Iterator[tuple[str, Path]]:
    """Yield ``(archive_path, file)`` for every file under ``root`` that ``rules`` keep.

    Paths come sorted, folders are walked depth first, symbolic links are
    followed (a link loop is walked once).
    """
    seen: set[str] = set()

    def walk(folder: Path, prefix: str) -> Iterator[tuple[str, Path]]:
        real = os.path.realpath(folder)
        if real in seen:
            return
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            rel = prefix + entry.name
            is_dir = entry.is_dir(follow_symlinks=True)
            if rules.ignored(rel, is_dir=is_dir):
                continue
            if is_dir:
                yield from walk(Path(entry.path), rel + "/")
            elif entry.is_file(follow_symlinks=True):
                yield rel, Path(entry.path)

    yield from walk(root, "")
