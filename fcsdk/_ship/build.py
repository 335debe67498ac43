"""``fcsdk package``'s engine: stage the dependencies, add the code, write and check the zip."""

from __future__ import annotations

import csv
import hashlib
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fcsdk._ship.archive import write_zip
from fcsdk._ship.bytecode import compile_tree, find_interpreter, no_interpreter_warning
from fcsdk._ship.declared import Declared, declared_function
from fcsdk._ship.ignore import IgnoreRules, collect_files
from fcsdk._ship.imports import missing_imports, requirement_hint, top_level_names
from fcsdk._ship.native import check_installed, distribution_label, native_files
from fcsdk._ship.progress import Step, quiet
from fcsdk._ship.requirements import (
    PipOptions,
    Requirements,
    find_requirements,
    install_requirements,
)
from fcsdk._ship.target import DEFAULT_MAX_MB, PACKAGE_RUNTIMES, Target
from fcsdk.exceptions import ConfigurationError, PackageError, PackageTooLargeError

__all__ = ["DEFAULT_MAX_MB", "MB", "PackageReport", "build_package", "format_size"]

MB = 1024 * 1024

YOUR_CODE = "(your code)"

# What pip leaves in a --target folder that a function never uses.
_STAGING_IGNORES = IgnoreRules(["__pycache__/", "*.py[co]", "/bin/"])


def format_size(size: int) -> str:
    """Return ``size`` in bytes as ``11.2 MB``, ``340 KB`` or ``12 B``.

    Example:
        >>> format_size(11_744_051), format_size(348_160), format_size(12)
        ('11.2 MB', '340 KB', '12 B')
    """
    if size >= MB:
        return f"{size / MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


@dataclass(frozen=True)
class PackageReport:
    """What ``fcsdk package`` built.

    Attributes:
        path: the zip written.
        target: the runtime it was built for.
        layer: whether it is an FC layer (dependencies under ``python/``).
        zipped_size: the zip's size in bytes.
        unzipped_size: the size of every file in it, unpacked.
        file_count: how many files it holds.
        sha256: the zip's SHA-256, the same for the same inputs.
        largest: the biggest parts as ``(name, bytes)``, biggest first: each
            installed distribution, and the project's own code.
        warnings: things the user should know that did not stop the build.
        bytecode: the ``__pycache__`` tag of the shipped pycs (``cpython-312``),
            or ``None`` when the package has no bytecode.
        bytecode_size: the pycs' share of ``unzipped_size``, in bytes.
    """

    path: Path
    target: Target
    layer: bool
    zipped_size: int
    unzipped_size: int
    file_count: int
    sha256: str
    largest: list[tuple[str, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    bytecode: str | None = None
    bytecode_size: int = 0

    def render(self, *, top: int = 5) -> str:
        """Return the human-readable summary ``fcsdk package`` prints."""
        kind = "layer" if self.layer else "code package"
        t = self.target
        lines = [
            f"{_shown(self.path)}: {format_size(self.zipped_size)}, "
            f"{self.file_count} file{'' if self.file_count == 1 else 's'}",
            f"  {kind} for {t.runtime} (CPython {t.python_version}, "
            f"manylinux_{t.glibc[0]}_{t.glibc[1]} {t.arch})",
            f"  unzipped  {format_size(self.unzipped_size)}",
            f"  bytecode  {self._bytecode_line()}",
            f"  sha256    {self.sha256}",
        ]
        if self.largest:
            width = max(len(name) for name, _ in self.largest[:top])
            lines.append("  largest:")
            lines += [
                f"    {name.ljust(width)}  {format_size(size):>9}"
                for name, size in self.largest[:top]
            ]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _bytecode_line(self) -> str:
        if self.bytecode is None:
            return "none (each cold start compiles what it imports)"
        return f"{self.bytecode} ({format_size(self.bytecode_size)} unzipped)"


def _shown(path: Path) -> str:
    """``path`` relative to the working folder when it lies inside it, else absolute."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)


def project_name(project: Path) -> str:
    """The name used for the zip: ``[project].name`` of ``pyproject.toml``, else the folder's."""
    name = project.resolve().name
    pyproject = project / "pyproject.toml"
    if pyproject.is_file():
        from fcsdk._ship.requirements import _load_toml

        declared = _load_toml(pyproject).get("project", {}).get("name")
        if isinstance(declared, str) and declared:
            name = declared
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "function"


def _distribution_of(staging: Path) -> dict[str, str]:
    """Map each installed file (relative to ``staging``) to its distribution's name and version."""
    owner: dict[str, str] = {}
    for dist_info in sorted(staging.glob("*.dist-info")):
        label = distribution_label(dist_info)
        record = dist_info / "RECORD"
        if not record.is_file():
            continue
        with record.open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                if row:
                    owner[row[0]] = label
    return owner


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def build_package(
    project: str | Path = ".",
    *,
    runtime: str | None = None,
    arch: str = "x86_64",
    python_version: str | None = None,
    output: str | Path | None = None,
    layer: bool = False,
    with_deps: bool = True,
    include_tests: bool = False,
    requirements: str | Path | None = None,
    pip: PipOptions | None = None,
    max_zip_mb: float = DEFAULT_MAX_MB,
    max_unzipped_mb: float = DEFAULT_MAX_MB,
    compile_bytecode: bool = True,
    python: str | Path | None = None,
    build_sdists: bool = False,
    handler: str | None = None,
    progress: Step = quiet,
) -> PackageReport:
    """Build a deployable zip of ``project`` for an FC Python runtime.

    The requirements are installed for the target as binary wheels only,
    the project's files are added (less what the defaults and ``.fcignore``
    leave out), every ``.py`` is compiled to bytecode by an interpreter of the
    target's Python version (unchecked-hash pycs, so FC's read-only code folder
    never compiles at a cold start), and the zip is written with sorted entries
    and fixed timestamps and permissions, so the same inputs give the same bytes.

    Relative paths (``project``, ``output``, ``requirements``, ``python``,
    local ``pip.find_links``) are read from the current folder, as pip does.

    Args:
        project: the project folder.
        runtime: ``python3.10``, ``python3.12``, or a custom runtime
            (``custom.debian12``...) for a web function (default: the one the
            project's ``s.yaml`` declares, else ``python3.12``).
        arch: the CPU architecture (``x86_64``).
        python_version: build for another CPython (``3.11``) than the runtime's.
        output: the zip to write (default ``dist/<name>-<runtime>.zip`` in
            the project, ``dist/<name>-layer-<runtime>.zip`` for a layer).
        layer: build an FC layer: only the dependencies, under ``python/``.
        with_deps: install the requirements (``False`` when a layer brings them).
        include_tests: ship the tests too.
        requirements: a requirements file other than ``requirements.txt``.
        pip: where pip looks for distributions.
        max_zip_mb: the largest zip FC accepts, in MB.
        max_unzipped_mb: the largest unpacked size to allow, in MB.
        compile_bytecode: ship bytecode (``False``: sources only, no warning).
        python: the interpreter that compiles the bytecode; it must be the
            target's version (default: found on this machine, else the package
            has no bytecode and a warning says so).
        build_sdists: build requirements that publish only a source
            distribution, or name a local folder, archive or VCS URL, into
            pure-Python wheels here (their build code runs on this machine;
            a wheel with compiled code is refused). Off: they are refused.
        handler: the function's handler (``index.main``): a warning says so when
            its module is not in the package. Default: the one the project's
            ``s.yaml`` declares, if any.
        progress: called with each step's description as the build goes
            (``fcsdk package`` shows them on a terminal).

    Returns:
        A :class:`PackageReport`; ``render()`` gives the summary to print.

    Raises:
        ConfigurationError: a bad option, no such project, nothing to package,
            or a ``python`` that is not the target's version.
        NoMatchingWheelError: a requirement has no wheel for the target.
        PackageTooLargeError: the package passes a size limit.
        PackageError: pip failed for another reason, or the zip cannot be written.

    Example:
        >>> import pathlib, tempfile
        >>> root = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (root / "index.py").write_text("def handler(event, context):\\n    return event\\n")
        >>> report = build_package(
        ...     root, with_deps=False, output=root / "out.zip", compile_bytecode=False
        ... )
        >>> report.path.name, report.file_count, report.largest, report.bytecode
        ('out.zip', 1, [('(your code)', 46)], None)
    """
    root = Path(project).resolve()
    if not root.is_dir():
        raise ConfigurationError(f"project folder not found: {root}")
    if layer and not with_deps:
        raise ConfigurationError("a layer holds the dependencies: --layer and --no-deps conflict")
    if not (max_zip_mb > 0 and max_unzipped_mb > 0):  # NaN fails this too
        raise ConfigurationError("size limits must be positive numbers of MB")
    declared = declared_function(root)
    if runtime is None:
        runtime = "python3.12"
        if declared is not None and declared.runtime in PACKAGE_RUNTIMES:
            runtime = declared.runtime
    target = Target.for_runtime(runtime, arch=arch, python_version=python_version)
    if handler is None and declared is not None:
        handler = declared.handler
    startup = _startup_file(target, declared)
    reqs = None
    if with_deps:
        reqs = find_requirements(
            root, requirements=Path(requirements).absolute() if requirements else None
        )
    interpreter = None
    warnings: list[str] = []
    if compile_bytecode:
        interpreter = find_interpreter(target.python_version, python)
        if interpreter is None:
            warnings.append(no_interpreter_warning(target.python_version))
    elif python is not None:
        raise ConfigurationError("--python compiles the bytecode: it conflicts with --no-compile")
    pip = (pip or PipOptions()).absolute()
    if output is None:
        own = PACKAGE_RUNTIMES[runtime][0]
        suffix = runtime if target.python_version == own else f"python{target.python_version}"
        kind = "-layer" if layer else ""
        dest = root / "dist" / f"{project_name(root)}{kind}-{suffix}.zip"
    else:
        dest = Path(output).resolve()
    if dest.suffix != ".zip":
        raise ConfigurationError(f"the output must be a .zip file, got {dest}")
    with tempfile.TemporaryDirectory(prefix="fcsdk-package-") as tmp:
        staging = Path(tmp) / "deps"
        staging.mkdir()
        if reqs is not None:
            if reqs.empty:
                warnings.append(
                    "no requirements found (requirements.txt or pyproject.toml "
                    "dependencies): the package holds your code only"
                )
            progress(f"installing the requirements for {target.runtime} with pip")
            install_requirements(
                reqs,
                staging,
                target,
                pip=pip,
                scratch=Path(tmp),
                cwd=root,
                build_sdists=build_sdists,
            )
            check_installed(staging, target)
        entries: dict[str, Path] = {}
        owners: dict[str, str] = {}
        dist_of = _distribution_of(staging)
        prefix = "python/" if layer else ""
        for rel, path in collect_files(staging, _STAGING_IGNORES):
            entries[prefix + rel] = path
            owners[prefix + rel] = dist_of.get(rel) or _top_level(rel)
        if not layer:
            progress("adding your code")
            rules = IgnoreRules.for_project(root, include_tests=include_tests)
            outside: list[str] = []
            for rel, path in _code_files(root, rules, dest, outside):
                if rel in entries:
                    warnings.append(
                        f"{rel} is both in your code and in a dependency: yours is kept"
                    )
                entries[rel] = path
                owners[rel] = YOUR_CODE
            native = native_files((r, entries[r]) for r, o in owners.items() if o == YOUR_CODE)
            if native:
                warnings.append(
                    f"your code holds compiled files ({_listed(native)}): they are shipped as "
                    f"they are; make sure they were built for FC's Linux (manylinux "
                    f"{target.arch}, CPython {target.python_version})"
                )
            if outside:
                warnings.append(
                    f"left out {_listed(outside)}: symbolic links that point outside "
                    f"{root.name}/ are never followed; copy what the function needs into "
                    "the project, or list it as a requirement"
                )
            code = {r: entries[r] for r, o in owners.items() if o == YOUR_CODE}
            if reqs is not None:
                warnings += _check_imports(root, reqs, code, entries)
            if startup is not None:
                warnings += _check_startup(startup, code)
            elif not target.custom:
                warnings += _check_handler(root, code, handler)
        if not entries:
            raise ConfigurationError(f"nothing to package in {root}")
        bytecode_size = 0
        if interpreter is not None:
            progress(f"compiling bytecode with Python {interpreter.version}")
            pycs, failed = compile_tree(entries, interpreter, Path(tmp))
            for rel in pycs:
                owners[rel] = owners[_source_of(rel)]
            entries.update(pycs)
            bytecode_size = sum(p.stat().st_size for p in pycs.values())
            ours = [rel for rel in failed if owners[rel] == YOUR_CODE]
            if ours:
                warnings.append(
                    f"{_listed(ours)} did not compile "
                    f"with Python {interpreter.version}: shipped as source; check the syntax"
                )
        sizes = {rel: path.stat().st_size for rel, path in entries.items()}
        unzipped = sum(sizes.values())
        if unzipped > max_unzipped_mb * MB:
            raise PackageTooLargeError(
                f"the package would unzip to {format_size(unzipped)}, over the "
                f"{max_unzipped_mb:g} MB limit; largest parts: "
                + ", ".join(f"{n} {format_size(s)}" for n, s in _largest(owners, sizes)[:5]),
                size=unzipped,
                limit=int(max_unzipped_mb * MB),
            )
        progress(f"writing {dest.name}")
        try:
            write_zip(dest, entries.items(), executables=[startup] if startup else [])
        except OSError as exc:
            raise PackageError(f"cannot write {dest}: {exc}") from exc
        except UnicodeEncodeError as exc:
            # A file name that is not valid UTF-8 on disk cannot be named in a zip; the
            # zip's names are sorted, so a module's bytecode may come first: name the source.
            bad = exc.object
            if bad.endswith(".pyc") and _source_of(bad) in entries:
                bad = _source_of(bad)
            raise PackageError(
                f"cannot write {dest}: the file name {bad!r} is not valid UTF-8; "
                "rename it or leave it out with .fcignore"
            ) from exc
    zipped = dest.stat().st_size
    if zipped > max_zip_mb * MB:
        dest.unlink()
        raise PackageTooLargeError(
            f"the zip is {format_size(zipped)}, over FC's {max_zip_mb:g} MB code package "
            "limit (--max-zip-mb); move dependencies to a layer (--layer), or upload "
            "through OSS",
            size=zipped,
            limit=int(max_zip_mb * MB),
        )
    return PackageReport(
        path=dest,
        target=target,
        layer=layer,
        zipped_size=zipped,
        unzipped_size=unzipped,
        file_count=len(entries),
        sha256=_sha256(dest),
        largest=_largest(owners, sizes),
        warnings=warnings,
        bytecode=interpreter.cache_tag if interpreter is not None else None,
        bytecode_size=bytecode_size,
    )


def _check_imports(
    root: Path, reqs: Requirements, code: dict[str, Path], entries: dict[str, Path]
) -> list[str]:
    """Refuse code importing fcsdk or pydantic when no requirement is declared; else warn.

    Raises:
        ConfigurationError: the project declares no requirements, and its code
            imports fcsdk or pydantic.
    """
    installed = top_level_names(rel for rel in entries if rel not in code)
    missing = missing_imports(code, installed)
    if not missing:
        return []
    who, lines = requirement_hint(missing)
    # fcsdk and pydantic are never on FC's runtimes: without them the package cannot
    # run. Another name may be one the runtime itself provides: a warning then.
    if reqs.empty and {"fcsdk", "pydantic"} & set(missing):
        raise ConfigurationError(
            f"{who}, but {root.name}/ declares no requirements (no requirements.txt, no "
            "[project].dependencies in pyproject.toml), so the package would fail on FC with "
            f"ModuleNotFoundError. Add {root.name}/requirements.txt with:\n{lines}\n"
            "(use the names pip installs them by), or pass --no-deps when a layer brings them"
        )
    declared = reqs.source.name if reqs.source is not None else "requirements.txt"
    return [
        f"{who}, which no requirement installs (nor your code): the function will fail "
        f"to import it on FC unless the runtime or a layer brings it; add to {declared}:\n" + lines
    ]


def _startup_file(target: Target, declared: Declared | None) -> str | None:
    """The archive path of a custom runtime's startup command (``bootstrap``), if in ``/code``.

    FC runs ``customRuntimeConfig.command`` (default ``/code/bootstrap``) with
    the code package unpacked in ``/code``, its working folder.
    """
    if not target.custom:
        return None
    command = declared.command if declared is not None and declared.command else ()
    program = command[0] if command else "/code/bootstrap"
    if program.startswith("/code/"):
        return program[len("/code/") :]
    if command and "/" not in program:
        return None  # python3, sh...: a program of the image, not of the package
    return program.removeprefix("./") if not program.startswith("/") else None


def _check_startup(startup: str, code: dict[str, Path]) -> list[str]:
    """Warn when the startup command is missing or cannot run (Windows line endings)."""
    if startup not in code:
        return [
            f"the startup command /code/{startup} is not in the package: FC starts it to run "
            f"the web function; add an executable {startup} (or set "
            "customRuntimeConfig.command in s.yaml)"
        ]
    with code[startup].open("rb") as fh:
        first = fh.readline(256)
    if first.startswith(b"#!") and first.endswith(b"\r\n"):
        return [
            f"{startup} has Windows line endings: FC cannot run its '#!' line; "
            "save it with Unix line endings (LF)"
        ]
    return []


def _check_handler(root: Path, code: dict[str, Path], handler: str | None) -> list[str]:
    """Warn when the handler's module is not in the package (or, undeclared, no module is)."""
    if handler is None:
        if not any(r.endswith(".py") and "/" not in r for r in code):
            return [f"no Python module at the top of {root}: is the handler there?"]
        return []
    module = handler.rpartition(".")[0].replace(".", "/")
    if module and not {f"{module}.py", f"{module}/__init__.py"} & set(code):
        return [
            f"the handler {handler} needs {module}.py, which the package does "
            "not hold: check the handler, or .fcignore"
        ]
    return []


def _source_of(pyc_rel: str) -> str:
    """``pkg/__pycache__/mod.cpython-312.pyc`` -> ``pkg/mod.py``."""
    folder, _, leaf = pyc_rel.rpartition("__pycache__/")
    return folder + leaf.split(".", 1)[0] + ".py"


def _listed(items: list[str], most: int = 3) -> str:
    """``a, b, c …``: the first few of ``items``."""
    return ", ".join(items[:most]) + (" …" if len(items) > most else "")


def _top_level(rel: str) -> str:
    return rel.split("/", 1)[0]


def _code_files(
    root: Path, rules: IgnoreRules, dest: Path, outside: list[str]
) -> Iterator[tuple[str, Path]]:
    for rel, path in collect_files(root, rules, outside=outside):
        if path.resolve() == dest or path.name.endswith(".zip.partial"):
            continue
        yield rel, path


def _largest(owners: dict[str, str], sizes: dict[str, int]) -> list[tuple[str, int]]:
    totals: Counter[str] = Counter()
    for rel, size in sizes.items():
        totals[owners[rel]] += size
    return sorted(totals.items(), key=lambda item: (-item[1], item[0]))
