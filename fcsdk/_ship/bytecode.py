"""Bytecode for the target Python: found, checked and compiled by an interpreter of its version.

FC's code folder is read-only, so a function's Python cannot write
``__pycache__`` there: without bytecode in the package, every cold start
compiles every module it imports. ``fcsdk package`` therefore ships ``.pyc``
files, compiled by an interpreter of the target's own minor version (bytecode
is specific to it: another version's ``.pyc`` is ignored, or worse). They are
*unchecked-hash* pycs (PEP 552): no timestamp inside, never compared against
the source at import, so the same sources give the same bytes.

The interpreter is ``--python PATH`` when given (refused unless it is the
target's version), else the first of: this Python, ``python3.X`` on ``PATH``,
pyenv's ``versions/3.X.*`` folders, and the ``py -3.X`` launcher.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from fcsdk.exceptions import ConfigurationError, PackageError

__all__ = [
    "COLD_START_COST",
    "Interpreter",
    "compile_tree",
    "find_interpreter",
    "no_interpreter_warning",
    "probe",
]

# Seconds the target interpreter may take to compile a package's sources.
COMPILE_TIMEOUT = 600.0

# What a package without bytecode costs, measured on the event template (see
# benchmarks/bench_coldstart_package.py): for the warning's "roughly".
COLD_START_COST = "about 0.2 s, or 1.7x, on every cold start of the event template"

_PROBE = (
    "import importlib.util, json, sys\n"
    "print(json.dumps({'version': '%d.%d' % sys.version_info[:2],"
    " 'implementation': sys.implementation.name,"
    " 'cache_tag': sys.implementation.cache_tag,"
    " 'magic': importlib.util.MAGIC_NUMBER.hex(),"
    " 'executable': sys.executable}))\n"
)

# Run by the target interpreter: compile each (source, pyc, name) it reads on
# stdin; print the sources that do not compile (they ship as source only).
_COMPILER = r"""
import json, py_compile, sys
jobs = json.load(sys.stdin)
failed = []
for source, cfile, dfile in jobs:
    try:
        py_compile.compile(
            source, cfile=cfile, dfile=dfile, doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    except (py_compile.PyCompileError, SyntaxError, ValueError, UnicodeDecodeError):
        failed.append(dfile)
json.dump(failed, sys.stdout)
"""


# The compiler runs without the user's site-packages (-s) or site (-S), as -I would, but
# NOT with -I or -E: both ignore PYTHONHASHSEED, and Python 3.10's marshal writes a
# frozenset constant (``x in {"a", "b"}``) in the order of its string hashes, which
# differ in every process unless PYTHONHASHSEED is set.
_COMPILER_FLAGS = ("-s", "-S")


def compiler_env() -> dict[str, str]:
    """The compiler's environment: none of the user's ``PYTHON*`` settings, PYTHONHASHSEED=0."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"  # sets and frozensets of str marshal in one order
    return env


@dataclass(frozen=True)
class Interpreter:
    """A Python that can compile bytecode for a target.

    Attributes:
        path: the executable.
        version: its ``major.minor``.
        cache_tag: the ``__pycache__`` tag of its pycs (``cpython-312``).
        magic: the magic number its pycs start with, as hex.
    """

    path: str
    version: str
    cache_tag: str
    magic: str


def probe(path: str) -> Interpreter | None:
    """Run ``path`` and return what it is, or ``None`` when it does not run as CPython."""
    try:
        done = subprocess.run(
            [path, "-I", "-c", _PROBE],
            capture_output=True,  # bytes: what it prints before its answer may be any bytes
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        info = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    if info.get("implementation") != "cpython" or not info.get("cache_tag"):
        return None
    return Interpreter(
        path=path, version=info["version"], cache_tag=info["cache_tag"], magic=info["magic"]
    )


def _candidates(version: str) -> list[str]:
    """Where a Python ``version`` may be, in the order they are tried."""
    found = [sys.executable]
    on_path = shutil.which(f"python{version}")
    if on_path:
        found.append(on_path)
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    for root in filter(None, roots):
        versions = Path(root) / "versions"
        if versions.is_dir():
            # 3.12.10 before 3.12.9: the newest patch release first.
            dirs = [
                d for d in versions.glob(f"{version}.*") if d.name[len(version) + 1 :].isdigit()
            ]
            dirs.sort(key=lambda d: int(d.name[len(version) + 1 :]), reverse=True)
            found += [str(d / "bin" / "python") for d in dirs if (d / "bin" / "python").is_file()]
    launcher = shutil.which("py")
    if launcher:
        found.append(f"{launcher}\0-{version}")
    return list(dict.fromkeys(found))


def find_interpreter(version: str, explicit: str | Path | None = None) -> Interpreter | None:
    """Return an interpreter of Python ``version`` (``3.12``), or ``None`` when none is found.

    Args:
        version: the target's ``major.minor``.
        explicit: ``--python PATH``: used when given, and refused unless it is
            a CPython of ``version``.

    Raises:
        ConfigurationError: ``explicit`` does not run, or is another version.
    """
    if explicit is not None:
        path = str(Path(explicit).absolute()) if os.sep in str(explicit) else str(explicit)
        found = probe(path)
        if found is None:
            raise ConfigurationError(f"--python {explicit}: not a CPython interpreter that runs")
        if found.version != version:
            raise ConfigurationError(
                f"--python {explicit} is Python {found.version}, but the target is Python "
                f"{version}: bytecode is specific to one minor version"
            )
        return found
    for candidate in _candidates(version):
        if "\0" in candidate:  # the py launcher: "py -3.12"
            launcher, flag = candidate.split("\0")
            found = _probe_launcher(launcher, flag)
        else:
            found = probe(candidate)
        if found is not None and found.version == version:
            return found
    return None


def _probe_launcher(launcher: str, flag: str) -> Interpreter | None:
    """Ask the ``py`` launcher for the interpreter of ``flag`` (``-3.12``) and probe that."""
    try:
        done = subprocess.run(
            [launcher, flag, "-c", "import sys; print(sys.executable)"],
            capture_output=True,  # bytes: a banner before the path may be any bytes
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return None
    return probe(os.fsdecode(lines[-1].strip()))


def no_interpreter_warning(version: str) -> str:
    """The warning a package built without bytecode carries, with what it costs and the fix."""
    return (
        f"no Python {version} found (tried this Python, python{version} on PATH, "
        f"~/.pyenv/versions/{version}.*, py -{version}): the package ships without "
        f"bytecode, so FC compiles every module at each cold start ({COLD_START_COST}); "
        f"install Python {version} or pass --python PATH (or --no-compile to build "
        "without bytecode and without this warning)"
    )


def compile_tree(
    sources: dict[str, Path], interpreter: Interpreter, scratch: Path
) -> tuple[dict[str, Path], list[str]]:
    """Compile the ``.py`` files of ``sources`` (archive path -> file) with ``interpreter``.

    Returns:
        The pycs as ``archive path -> file`` (``pkg/__pycache__/mod.cpython-312.pyc``),
        and the archive paths of the sources that did not compile (they are
        shipped as source only, as pip does).

    Raises:
        PackageError: the interpreter failed, or wrote a pyc of another version.
    """
    out_root = scratch / "bytecode"
    jobs: list[tuple[str, str, str]] = []
    pycs: dict[str, Path] = {}
    for rel, source in sorted(sources.items()):
        if not rel.endswith(".py"):
            continue
        folder, _, leaf = rel.rpartition("/")
        pyc_rel = f"{folder}/" if folder else ""
        pyc_rel += f"__pycache__/{leaf[:-3]}.{interpreter.cache_tag}.pyc"
        cfile = out_root / pyc_rel
        # The name recorded in the code object: the archive path, never this build's
        # temporary folder (Python replaces it with the real path when it loads the pyc).
        jobs.append((str(source), str(cfile), rel))
        pycs[pyc_rel] = cfile
    if not jobs:
        return {}, []
    out_root.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [interpreter.path, *_COMPILER_FLAGS, "-c", _COMPILER],
            input=json.dumps(jobs),
            capture_output=True,
            text=True,
            timeout=COMPILE_TIMEOUT,
            check=False,
            env=compiler_env(),
            cwd=out_root,  # an empty folder: nothing of the build's own folder is importable
        )
    except (OSError, subprocess.TimeoutExpired) as exc:  # pragma: no cover - probed just before
        raise PackageError(f"cannot compile bytecode with {interpreter.path}: {exc}") from exc
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise PackageError(f"compiling bytecode with {interpreter.path} failed:\n{tail}")
    failed: list[str] = json.loads(done.stdout or "[]")
    magic = bytes.fromhex(interpreter.magic)
    kept: dict[str, Path] = {}
    skipped = set(failed)
    for (_, written, rel), pyc_rel in zip(jobs, pycs, strict=True):
        if rel in skipped:
            continue
        with open(written, "rb") as fh:
            head = fh.read(4)
        if head != magic:  # never ship another version's bytecode
            raise PackageError(
                f"{interpreter.path} wrote {pyc_rel} with magic {head.hex()}, "
                f"not Python {interpreter.version}'s {interpreter.magic}"
            )
        kept[pyc_rel] = Path(written)
    return kept, sorted(failed)
