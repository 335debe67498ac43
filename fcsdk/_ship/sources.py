"""Requirements pip would build from source: local folders, archives, VCS and sdist URLs.

pip builds such a requirement whatever ``--only-binary`` says, with this
machine's compiler and for this machine's Python, and it builds a local
folder in place (leaving ``build/`` in it). ``fcsdk package`` therefore finds
them first, in ``requirements.txt`` (following ``-r`` and ``-c`` includes) or
in ``pyproject.toml``'s ``name @ URL`` dependencies, and refuses them unless
the user opted in to source builds; then each is built into a pure-Python
wheel (from a copy, for a folder) and the requirements pip reads name that
wheel instead.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SourceReference",
    "copy_folder",
    "find_source_references",
    "is_url",
    "local_folder",
    "needs_build",
    "rewrite_requirements",
]

_INCLUDE = re.compile(r"^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=[^\s-]))(\S+)")
_EDITABLE = re.compile(r"^(-e|--editable)(?:\s*=\s*|\s+)(\S+)")
_NAMED_URL = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*@\s*(\S+)")
_URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|(?:git|hg|svn|bzr)\+)")
_ARCHIVES = (".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar")


@dataclass(frozen=True)
class SourceReference:
    """One requirement that would be built from source.

    Attributes:
        file: the requirements file (or ``pyproject.toml``) that names it.
        line: its line number there (1-based; for ``pyproject.toml``, its
            place in the dependency list).
        reference: the folder, archive or URL that would be built.
        markers: its environment markers (``python_version < "3.11"``), or ``""``.
    """

    file: Path
    line: int
    reference: str
    markers: str = ""

    @property
    def where(self) -> str:
        """``requirements.txt line 3``: where the user finds it."""
        return f"{self.file.name} line {self.line}"


def is_url(reference: str) -> bool:
    """Whether ``reference`` is a URL (``https://``, ``git+…``), not a path."""
    return _URL.match(reference) is not None


def needs_build(reference: str) -> bool:
    """Whether a requirement's path or URL is something pip builds (anything but a wheel).

    Example:
        >>> needs_build("../libs/localpkg"), needs_build("./wheels/x-1.0-py3-none-any.whl")
        (True, False)
        >>> needs_build("pydantic>=2"), needs_build("git+https://example.com/x.git@v1")
        (False, True)
    """
    if _URL.match(reference):
        path = reference.split("#", 1)[0].split("?", 1)[0]
        return not path.endswith(".whl")
    looks_like_path = (
        reference.startswith((".", "/", "~"))
        or "/" in reference
        or "\\" in reference
        or reference.endswith(_ARCHIVES)
    )
    return looks_like_path and not reference.endswith(".whl")


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """The lines of a requirements file, continuations joined, comments dropped."""
    out: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        line = re.sub(r"(^|\s)#.*$", "", pending + raw).strip()
        pending = ""
        if line:
            out.append((start, line))
    if pending.strip():
        out.append((start, pending.strip()))
    return out


def _reference_of(line: str) -> tuple[str, str] | None:
    """The path or URL a requirement line names, and its markers; ``None`` for a plain name."""
    editable = _EDITABLE.match(line)
    if editable is not None:
        return editable.group(2), ""
    if line.startswith("-"):
        return None
    requirement = re.split(r"\s+--?[a-z]", line, maxsplit=1)[0]
    spec, _, markers = requirement.partition(";")
    spec = spec.strip()
    named = _NAMED_URL.match(spec)
    if named is not None and not _URL.match(spec):
        spec = named.group(3)
    return spec, markers.strip()


def _scan(path: Path, seen: set[Path], found: list[SourceReference]) -> None:
    if path in seen or not path.is_file():
        return
    seen.add(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    for number, line in _logical_lines(text):
        include = _INCLUDE.match(line)
        if include is not None:
            name = include.group(2)
            if not _URL.match(name):
                _scan((path.parent / name).resolve(), seen, found)
            continue
        reference = _reference_of(line)
        if reference is not None and needs_build(reference[0]):
            found.append(SourceReference(path, number, reference[0], reference[1]))


def find_source_references(source: Path | None, lines: tuple[str, ...]) -> list[SourceReference]:
    """Every requirement of a project that pip would build from source.

    Args:
        source: the requirements file, or ``pyproject.toml``, or ``None``.
        lines: the dependency strings, for a ``pyproject.toml`` source.
    """
    found: list[SourceReference] = []
    if source is None:
        return found
    if source.name == "pyproject.toml" or lines:
        for number, line in enumerate(lines, 1):
            reference = _reference_of(line)
            if reference is not None and needs_build(reference[0]):
                found.append(SourceReference(source, number, reference[0], reference[1]))
        return found
    _scan(source.resolve(), set(), found)
    return found


def local_folder(reference: SourceReference, cwd: Path) -> Path | None:
    """The folder a reference names (relative ones from ``cwd``, as pip reads them), if any."""
    if _URL.match(reference.reference):
        if not reference.reference.startswith("file://"):
            return None
        candidate = Path(reference.reference[len("file://") :].split("#", 1)[0])
    else:
        candidate = Path(reference.reference).expanduser()
        if not candidate.is_absolute():
            candidate = cwd / candidate
    return candidate if candidate.is_dir() else None


_COPY_IGNORES = shutil.ignore_patterns(
    ".git", ".hg", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".tox", ".nox"
)


def copy_folder(folder: Path, scratch: Path) -> Path:
    """Copy a local source folder into ``scratch``, without its VCS data and build litter.

    The build then happens in the copy: nothing is ever written into the user's folder.
    Symbolic links are copied as links; a relative one that leads out of the folder
    (``shared -> ../../shared``) is pointed at what it led to from the folder, so the
    copy builds what the folder would.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    dest = scratch / f"{len(list(scratch.iterdir()))}-{folder.name}"
    shutil.copytree(folder, dest, ignore=_COPY_IGNORES, symlinks=True)
    for where, dirs, files in os.walk(dest):
        for name in [*dirs, *files]:
            link = Path(where, name)
            if not link.is_symlink():
                continue
            target = os.readlink(link)
            rel = link.parent.relative_to(dest)
            reached = os.path.normpath(rel / target)
            if os.path.isabs(target) or (
                reached != os.pardir and not reached.startswith(os.pardir + os.sep)
            ):
                continue
            link.unlink()
            link.symlink_to(os.path.join(os.path.realpath(folder / rel), target))
    return dest


def rewrite_requirements(
    source: Path, lines: tuple[str, ...], wheels: dict[tuple[Path, int], str], scratch: Path
) -> Path:
    """Write the requirements again into ``scratch``, each built reference replaced by its wheel.

    ``wheels`` maps ``(file, line)`` of each :class:`SourceReference` to the
    requirement line that replaces it (the wheel's path, and its markers).
    Includes (``-r``, ``-c``) point at their rewritten copies; every other
    line is kept as written. The top file keeps its name, for pip's messages.

    Returns:
        The rewritten top file.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    if source.name == "pyproject.toml" or lines:
        out = scratch / "requirements-from-pyproject.txt"
        kept = [wheels.get((source, n), line) for n, line in enumerate(lines, 1)]
        out.write_text("\n".join(kept) + "\n", encoding="utf-8")
        return out
    written: dict[Path, Path] = {}

    def copy(path: Path, top: bool) -> Path:
        if path in written:
            return written[path]
        dest = scratch / (path.name if top else f"{len(written)}-{path.name}")
        written[path] = dest
        out: list[str] = []
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in _logical_lines(text):
            include = _INCLUDE.match(line)
            if include is not None and not _URL.match(include.group(2)):
                nested = (path.parent / include.group(2)).resolve()
                flag = "-c" if include.group(1) in ("-c", "--constraint") else "-r"
                out.append(f"{flag} {copy(nested, False)}" if nested.is_file() else line)
                continue
            out.append(wheels.get((path, number), line))
        dest.write_text("\n".join(out) + "\n", encoding="utf-8")
        return dest

    return copy(source.resolve(), True)
