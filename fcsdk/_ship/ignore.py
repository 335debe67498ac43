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
# deployment configuration, and secrets: dotenv files, credential folders, private keys.
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
    ".envrc",
    # Well-known secret files: cloud and SSH credentials, private keys, tokens.
    ".aws/",
    ".aliyun/",
    ".ssh/",
    ".gnupg/",
    ".kube/",
    ".docker/",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".pypirc",
    ".npmrc",
    ".git-credentials",
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


_NEVER = "(?!)"
_POSIX = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _bracket(pattern: str, start: int) -> tuple[str | None, int]:
    """Translate the ``[...]`` at ``start`` as git's wildmatch reads it.

    Returns the regular expression and the index after it; ``None`` when the
    class is never closed or names an unknown ``[:class:]``. The first member
    may be ``]``; ``\\`` escapes; ``a-z`` is a range; ``[:alpha:]`` and the
    other POSIX classes work; a class never matches ``/``.
    """
    i = start + 1
    negate = pattern[i : i + 1] in ("!", "^")
    if negate:
        i += 1
    members: list[str] = []
    first = True
    while i < len(pattern) and (first or pattern[i] != "]"):
        first = False
        c = pattern[i]
        if c == "\\":
            i += 1
            if i == len(pattern):
                return None, i
            c = pattern[i]
        elif c == "[" and pattern.startswith("[:", i):
            close = pattern.find(":]", i + 2)
            if close != -1:
                name = pattern[i + 2 : close]
                if name not in _POSIX:
                    return None, i  # git: an unknown class makes the pattern match nothing
                members.append(_POSIX[name])
                i = close + 2
                continue
        if pattern[i + 1 : i + 2] == "-" and pattern[i + 2 : i + 3] not in ("", "]"):
            high = pattern[i + 2]
            if high == "\\":
                if i + 3 == len(pattern):
                    return None, i
                high = pattern[i + 3]
                i += 1
            # git: a backwards range ("z-a") holds only its first character
            members.append(re.escape(c) if high < c else f"{re.escape(c)}-{re.escape(high)}")
            i += 3
            continue
        members.append(re.escape(c))
        i += 1
    if i >= len(pattern):
        return None, i
    body = "".join(members)
    return ("[^/" + body + "]" if negate else "(?!/)[" + body + "]"), i + 1


def _translate(pattern: str) -> str:
    """Turn one gitignore-style glob into a regular expression over a relative path.

    As in git's wildmatch, a run of ``*`` spans folders only when it is a whole
    path segment (``**/x``, ``x/**/y``, ``x/**``); anywhere else (``a**b``) it
    is a plain ``*``, which stays within one name.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            end = i
            while end < len(pattern) and pattern[end] == "*":
                end += 1
            whole_segment = (i == 0 or pattern[i - 1] == "/") and (
                end == len(pattern) or pattern[end] == "/"
            )
            if end - i < 2 or not whole_segment:
                out.append("[^/]*")
                i = end
            elif end == len(pattern):
                out.append(".*")  # "x/**": everything inside x; alone: everything
                i = end
            else:
                out.append("(?:.*/)?")  # "**/": zero or more folders
                i = end + 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            cls, i = _bracket(pattern, i)
            if cls is None:
                return _NEVER  # git: an unclosed "[" makes the whole pattern match nothing
            out.append(cls)
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
    text = text.removesuffix("/")  # only one, as in git
    if not text:
        return None
    anchored = "/" in text
    text = text.removeprefix("/")  # only one: git reads "//x" as anchored "/x", matching nothing
    regex = ("^" if anchored else r"^(?:.*/)?") + _translate(text) + "$"
    return _Rule(re.compile(regex, re.DOTALL), negate, dir_only)  # a name may hold a newline


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
        """Parse ``patterns`` as git does: every line has a meaning (some match nothing)."""
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


def collect_files(
    root: Path, rules: IgnoreRules, *, outside: list[str] | None = None
) -> Iterator[tuple[str, Path]]:
    """Yield ``(archive_path, file)`` for every file under ``root`` that ``rules`` keep.

    Paths come sorted, folders are walked depth first. A symbolic link is
    followed only when its target lies inside ``root`` (a link loop is walked
    once); a link that leaves ``root`` is never followed, and its path is
    appended to ``outside`` when given, so the caller can say so.
    """
    seen: set[str] = set()
    top = os.path.realpath(root)
    top_prefix = top.rstrip(os.sep) + os.sep

    def inside(real: str) -> bool:
        return real == top or real.startswith(top_prefix)

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
            if entry.is_symlink() and not inside(os.path.realpath(entry.path)):
                if outside is not None and os.path.exists(entry.path):
                    outside.append(rel)
                continue
            if is_dir:
                yield from walk(Path(entry.path), rel + "/")
            elif entry.is_file(follow_symlinks=True):
                yield rel, Path(entry.path)

    yield from walk(root, "")
