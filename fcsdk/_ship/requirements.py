"""A project's requirements, installed for the target runtime as binary wheels only.

The requirements come from ``requirements.txt`` (handed to pip as is, so
``-r`` includes, hashes and markers keep working) or, when there is none, from
``[project].dependencies`` of ``pyproject.toml``. pip does the resolving:
``pip install --target`` with ``--only-binary=:all:`` and the target's
``--platform``/``--python-version``/``--implementation``/``--abi``, which is
what lets a laptop on macOS, or on another Python, build for FC's Linux.

Building from source runs a distribution's own build code on this machine,
so it happens only when the user opts in (``--build-sdists``). Then a
requirement that publishes only a source distribution (``oss2``, and its
``crcmod``), or names a local folder, archive or VCS URL, is built into a
wheel here, with compilers turned off, and kept only when that wheel is pure
Python by its tag *and* its content (no ``.so`` or other native file): a
package whose C extension is optional (``crcmod``) falls back to its Python
version, and one that needs compiling is reported as such, since code
compiled on this machine may not run on FC's Linux. A local folder is built
from a copy, so nothing is written into it.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

from fcsdk._ship.target import Target
from fcsdk.exceptions import ConfigurationError, NoMatchingWheelError, PackageError

__all__ = [
    "PipOptions",
    "Requirements",
    "build_pure_wheel",
    "find_requirements",
    "install_for_target",
    "install_requirements",
]

# Seconds pip may take for one install before the build gives up.
PIP_TIMEOUT = 900.0
# Source distributions built into wheels for one package, at the most.
MAX_SDIST_BUILDS = 20


@dataclass(frozen=True)
class Requirements:
    """Where a project's requirements come from.

    Attributes:
        source: the file read (``requirements.txt`` or ``pyproject.toml``), or
            ``None`` when the project declares no requirements.
        lines: the requirement strings, for a ``pyproject.toml`` source; a
            requirements file goes to pip whole and leaves this empty.
    """

    source: Path | None
    lines: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether there is nothing to install."""
        return self.source is None or (self.source.name == "pyproject.toml" and not self.lines)


@dataclass(frozen=True)
class PipOptions:
    """Where pip looks for distributions, on top of the user's own pip configuration.

    Attributes:
        find_links: extra folders or pages of wheels (``--find-links``).
        index_url: another package index than PyPI (``--index-url``).
        no_index: look at ``find_links`` only (``--no-index``).
        python: the interpreter whose pip runs (default: this one).
    """

    find_links: tuple[str, ...] = ()
    index_url: str | None = None
    no_index: bool = False
    python: str = field(default_factory=lambda: sys.executable)

    def absolute(self) -> PipOptions:
        """These options with local ``find_links`` folders made absolute (from the current one)."""
        links = tuple(
            link if "://" in link else str(Path(link).absolute()) for link in self.find_links
        )
        return PipOptions(
            find_links=links, index_url=self.index_url, no_index=self.no_index, python=self.python
        )

    def args(self) -> list[str]:
        """Return these options as pip arguments."""
        out: list[str] = []
        for link in self.find_links:
            out += ["--find-links", link]
        if self.index_url is not None:
            out += ["--index-url", self.index_url]
        if self.no_index:
            out.append("--no-index")
        return out


def _load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file with tomllib (3.11+) or, on 3.10, tomli (a dependency there)."""
    if sys.version_info >= (3, 11):
        import tomllib as toml
    else:  # Python 3.10 (make test runs the suite on it too): tomli, a dependency there
        import tomli as toml
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = toml.load(fh)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc
    return data


def find_requirements(project: Path, *, requirements: Path | None = None) -> Requirements:
    """Return the requirements of ``project``.

    ``requirements`` names a file explicitly (a relative path is read from the
    current folder, as pip reads ``-r``); otherwise ``requirements.txt`` wins
    over ``pyproject.toml``'s ``[project].dependencies``.

    Raises:
        ConfigurationError: the named file does not exist, or ``pyproject.toml``
            is not valid TOML or its dependencies are not a list of strings.
    """
    if requirements is not None:
        path = requirements.absolute()
        if not path.is_file():
            raise ConfigurationError(f"requirements file not found: {path}")
        if path.name == "pyproject.toml":
            return _from_pyproject(path)
        return Requirements(source=path)
    txt = project / "requirements.txt"
    if txt.is_file():
        return Requirements(source=txt)
    pyproject = project / "pyproject.toml"
    if pyproject.is_file():
        return _from_pyproject(pyproject)
    return Requirements(source=None)


def _from_pyproject(path: Path) -> Requirements:
    project_table = _load_toml(path).get("project", {})
    deps = project_table.get("dependencies", []) if isinstance(project_table, dict) else []
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise ConfigurationError(f"{path}: [project].dependencies must be a list of strings")
    return Requirements(source=path, lines=tuple(deps))


_NO_MATCH = re.compile(r"No matching distribution found for ([^\s;]+)")
_NO_VERSION = re.compile(r"Could not find a version that satisfies the requirement ([^\s;]+)")


def _requirement_name(spec: str) -> str:
    """``pydantic-core==2.27`` -> ``pydantic-core``."""
    return re.split(r"[\s<>=!~;\[@(]", spec, maxsplit=1)[0]


def install_for_target(
    reqs: Requirements,
    dest: Path,
    target: Target,
    *,
    pip: PipOptions | None = None,
    scratch: Path,
    cwd: Path,
) -> None:
    """Install ``reqs`` into ``dest`` as wheels built for ``target``.

    Args:
        reqs: what to install.
        dest: the staging folder (``pip install --target``).
        target: the runtime's Python and platform.
        pip: where to look for distributions.
        scratch: a folder for temporary files (a requirements file made from
            ``pyproject.toml``).
        cwd: the folder pip runs in (the project), which relative paths in the
            requirements (``./libs/x.whl``) are relative to.

    Raises:
        NoMatchingWheelError: a requirement has no wheel for ``target``.
        PackageError: pip failed for another reason (its last lines are kept).
        ConfigurationError: pip cannot be run with ``pip.python``.
    """
    if reqs.empty:
        return
    options = pip or PipOptions()
    assert reqs.source is not None
    if reqs.lines:
        req_file = scratch / "requirements-from-pyproject.txt"
        req_file.write_text("\n".join(reqs.lines) + "\n", encoding="utf-8")
    else:
        req_file = reqs.source
    cmd = [
        options.python,
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--no-input",
        "--no-compile",
        "--no-warn-script-location",
        "--target",
        str(dest),
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        target.python_version,
        "--abi",
        target.abi,
    ]
    for platform in target.platforms:
        cmd += ["--platform", platform]
    cmd += options.args()
    cmd += ["--requirement", str(req_file)]
    env = _pip_env()
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=PIP_TIMEOUT,
            check=False,
            env=env,
            cwd=cwd,
        )
    except FileNotFoundError as exc:
        raise ConfigurationError(f"cannot run pip: {options.python} not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise PackageError(f"pip took longer than {PIP_TIMEOUT:.0f} s and was stopped") from exc
    if done.returncode == 0:
        return
    output = (done.stderr or "") + (done.stdout or "")
    if "No module named pip" in output:
        raise ConfigurationError(
            f"pip is not installed for {options.python}: "
            "fcsdk package needs it to resolve the requirements"
        )
    missing = _NO_MATCH.search(output) or _NO_VERSION.search(output)
    if missing is not None:
        name = _requirement_name(missing.group(1))
        raise NoMatchingWheelError(
            f"no wheel of {name!r} fits {target.runtime} "
            f"(CPython {target.python_version}, Linux {target.arch}): tried "
            f"{target.describe_tags()}. The package may publish only a source "
            "distribution, or no build for this Python; pin a version that has one, "
            "or build the wheel yourself on manylinux and pass its folder with --find-links.",
            requirement=name,
            tags=_tried_tags(target),
            pip_output=_tail(output),
        )
    raise PackageError(
        f"pip could not install the requirements of {reqs.source.name} for "
        f"{target.runtime}:\n{_tail(output)}"
    )


def _pip_env(**extra: str) -> dict[str, str]:
    """pip's environment: the user's, never prompting, and without "require a virtualenv".

    A user's ``PIP_REQUIRE_VIRTUALENV`` would stop both a ``--target`` install
    and a wheel build run by a Python outside any virtualenv.
    """
    env = {**os.environ, "PIP_NO_INPUT": "1", **extra}
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
    return env


SOURCE_OPT_IN = "--build-sdists"


def install_requirements(
    reqs: Requirements,
    dest: Path,
    target: Target,
    *,
    pip: PipOptions | None = None,
    scratch: Path,
    cwd: Path,
    build_sdists: bool = False,
) -> None:
    """:func:`install_for_target`, with two fallbacks for a requirement no index has a wheel of.

    - ``fcsdk`` itself: a project made by ``fcsdk init`` pins
      ``fcsdk==<version>``; when pip finds none that fits (a checkout, a
      private build, no network), a wheel of the running fcsdk (pure Python,
      written on the fly) goes on ``--find-links``.
    - With ``build_sdists``, a requirement that publishes only a source
      distribution: it is built with :func:`build_pure_wheel` and the built
      wheels go on ``--find-links``.

    A requirement that names a local folder, an archive or a VCS URL is built
    (from a copy, for a folder) before the install with ``build_sdists``, and
    refused without it.

    The install is retried after each. Takes the same arguments and raises the
    same errors as :func:`install_for_target`; a requirement whose source
    builds compiled code, or that must be built without ``build_sdists``, is a
    :class:`NoMatchingWheelError` that says so.
    """
    options = pip or PipOptions()
    given = reqs
    reqs = _with_sources_built(reqs, options, scratch=scratch, cwd=cwd, allowed=build_sdists)
    built_folder = scratch / "built-wheels"
    built: set[str] = set()
    own_wheel: Path | None = None
    first_fcsdk_error: NoMatchingWheelError | None = None
    while True:
        try:
            install_for_target(reqs, dest, target, pip=options, scratch=scratch, cwd=cwd)
            if reqs is not given:
                _forget_scratch_urls(dest, scratch)
            return
        except NoMatchingWheelError as exc:
            name = _normal(exc.requirement)
            if name == "fcsdk":
                if own_wheel is not None:
                    running = own_wheel.name.split("-")[1]
                    raise NoMatchingWheelError(
                        f"no index serves the fcsdk your requirements pin, and the running "
                        f"fcsdk is {running}: pin fcsdk=={running}, or pass the "
                        "folder of a matching fcsdk wheel with --find-links",
                        requirement="fcsdk",
                        tags=exc.tags,
                        pip_output=exc.pip_output,
                    ) from first_fcsdk_error
                from fcsdk._ship.selfwheel import write_fcsdk_wheel

                first_fcsdk_error = exc
                own_wheel = write_fcsdk_wheel(scratch / "fcsdk-wheel")
                options = _with_link(options, own_wheel.parent)
                continue
            if not build_sdists:
                raise NoMatchingWheelError(
                    f"{exc} If {exc.requirement!r} publishes only a source distribution of "
                    f"pure Python, {SOURCE_OPT_IN} builds it here (its build code runs on this "
                    "machine, with the C compiler turned off; a wheel with compiled code is "
                    "still refused).",
                    requirement=exc.requirement,
                    tags=exc.tags,
                    pip_output=exc.pip_output,
                ) from exc
            if name in built or len(built) >= MAX_SDIST_BUILDS:
                raise
            spec = _missing_spec(exc.pip_output) or exc.requirement
            outcome = build_pure_wheel(spec, built_folder, options, cwd=cwd)
            if outcome == "no source":
                raise
            if outcome != "built":
                raise NoMatchingWheelError(
                    f"{exc}\n{exc.requirement!r} publishes a source distribution, but it "
                    f"builds compiled code ({outcome}), and code compiled here may not run "
                    "on FC's Linux: build its wheel on manylinux (for example in FC's build "
                    "image, with `s build`) and pass the folder with --find-links.",
                    requirement=exc.requirement,
                    tags=exc.tags,
                    pip_output=exc.pip_output,
                ) from exc
            built.add(name)
            options = _with_link(options, built_folder)


def _with_sources_built(
    reqs: Requirements, pip: PipOptions, *, scratch: Path, cwd: Path, allowed: bool
) -> Requirements:
    """``reqs`` with every folder, archive or VCS requirement replaced by a pure wheel of it.

    Raises:
        NoMatchingWheelError: there is such a requirement and ``allowed`` is false,
            or its wheel is not pure Python.
    """
    from fcsdk._ship.sources import (
        copy_folder,
        find_source_references,
        is_url,
        local_folder,
        rewrite_requirements,
    )

    references = find_source_references(reqs.source, reqs.lines)
    if not references:
        return reqs
    assert reqs.source is not None
    first = references[0]
    if not allowed:
        raise NoMatchingWheelError(
            f"{first.where}: {first.reference} is built from source, which runs its build "
            "code on this machine and compiles any C code for this machine's Python, not "
            f"for FC's: build a wheel of it for the target (on manylinux when it has C "
            f"code) and require that wheel, or pass {SOURCE_OPT_IN} to build it here as pure "
            "Python (from a copy; a wheel with compiled code is refused)",
            requirement=first.reference,
        )
    wheels: dict[tuple[Path, int], str] = {}
    for number, reference in enumerate(references):
        folder = local_folder(reference, cwd)
        spec = reference.reference
        if folder is not None:
            spec = str(copy_folder(folder, scratch / "source-copies"))
        elif not is_url(spec):
            spec = str(cwd / Path(spec).expanduser())  # pip reads a relative path from cwd
        out = scratch / "source-wheels" / str(number)
        outcome = build_pure_wheel(spec, out, pip, cwd=cwd)
        if outcome != "built":
            raise NoMatchingWheelError(
                f"{reference.where}: {reference.reference} does not build into a pure-Python "
                f"wheel ({outcome}), and code compiled here may not run on FC's Linux: build "
                "its wheel on manylinux and require that wheel instead",
                requirement=reference.reference,
            )
        (wheel,) = out.glob("*.whl")
        markers = f" ; {reference.markers}" if reference.markers else ""
        wheels[(reference.file, reference.line)] = f"{wheel}{markers}"
    rewritten = rewrite_requirements(reqs.source, reqs.lines, wheels, scratch / "rewritten")
    return Requirements(source=rewritten)


def _forget_scratch_urls(dest: Path, scratch: Path) -> None:
    """Drop the ``direct_url.json`` pip wrote for each wheel it installed from ``scratch``.

    A folder, archive or VCS requirement is installed from the wheel built of it in
    ``scratch`` (a temporary folder with a random name): pip records that wheel's
    ``file://`` URL in the distribution's ``direct_url.json`` (PEP 610), which would
    make each build's zip differ and ship a path of this machine that no longer exists.
    The file goes, and its line in ``RECORD``.
    """
    roots = {scratch.absolute(), scratch.resolve()}
    for dist_info in sorted(dest.glob("*.dist-info")):
        direct = dist_info / "direct_url.json"
        if not direct.is_file():
            continue
        try:
            url = json.loads(direct.read_text(encoding="utf-8")).get("url", "")
        except (ValueError, AttributeError):
            continue
        if not isinstance(url, str) or not url.startswith("file:"):
            continue
        where = Path(url2pathname(urlparse(url).path))
        if not any(where.is_relative_to(root) for root in roots):
            continue
        direct.unlink()
        record = dist_info / "RECORD"
        if record.is_file():
            entry = f"{dist_info.name}/direct_url.json"
            with record.open(encoding="utf-8", newline="") as fh:
                rows = [row for row in csv.reader(fh) if row and row[0] != entry]
            with record.open("w", encoding="utf-8", newline="") as fh:
                csv.writer(fh).writerows(rows)  # as pip writes it


def _with_link(options: PipOptions, folder: Path) -> PipOptions:
    """``options`` with ``folder`` added to its ``--find-links`` (once)."""
    if str(folder) in options.find_links:
        return options
    return replace(options, find_links=(*options.find_links, str(folder)))


def build_pure_wheel(spec: str, folder: Path, pip: PipOptions, *, cwd: Path) -> str:
    """Build a pure-Python wheel of ``spec`` from its source distribution, into ``folder``.

    pip builds it (``pip wheel --no-deps --no-binary --no-cache-dir``, from the
    same indexes and links as the install) with ``CC``, ``CXX`` and ``LDSHARED`` set to
    ``false``, so no C code compiles: a package whose extension is optional
    falls back to its Python version; any other wheel than ``*-none-any`` is
    deleted.

    Returns:
        ``"built"``; ``"no source"`` when no source distribution fits
        ``spec``; otherwise why the wheel could not be used (a short phrase).
    """
    from fcsdk._ship.native import native_in_wheel
    from fcsdk._ship.sources import needs_build

    direct = needs_build(spec)  # a folder, an archive or a URL: its name is not known here
    project = ":all:" if direct else _requirement_name(spec)
    name = _normal(project)
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    cmd = [
        pip.python,
        "-m",
        "pip",
        "wheel",
        "--disable-pip-version-check",
        "--no-input",
        "--no-deps",
        # pip's wheel cache may hold a wheel of it compiled with a compiler
        "--no-cache-dir",
        "--no-binary",
        project,
        "--wheel-dir",
        str(folder),
        *pip.args(),
        spec,
    ]
    env = _pip_env(CC="false", CXX="false", LDSHARED="false")
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=PIP_TIMEOUT, check=False, env=env, cwd=cwd
        )
    except subprocess.TimeoutExpired:
        return f"building it took longer than {PIP_TIMEOUT:.0f} s"
    output = (done.stderr or "") + (done.stdout or "")
    if done.returncode != 0:
        if _NO_MATCH.search(output) or _NO_VERSION.search(output):
            return "no source"
        return "its build fails with the C compiler turned off"
    wheels = [w for w in set(folder.iterdir()) - before if w.suffix == ".whl"]
    made = [w for w in wheels if direct or _normal(w.name.split("-")[0]) == name]
    if made and all(w.name.endswith("-none-any.whl") for w in made):
        # The tag is the builder's claim: a setup.py that calls gcc itself writes a
        # py3-none-any wheel holding the .so it compiled for this machine.
        native = [f for w in made for f in native_in_wheel(w)]
        if not native:
            return "built"
        reason = f"its wheel is tagged pure Python but holds compiled code: {native[0]}"
    else:
        reason = "its wheel is not pure Python"
    for wheel in wheels:
        wheel.unlink()
    return reason


def _normal(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _missing_spec(pip_output: str) -> str | None:
    """The requirement, with its version specifier, that pip said it found nothing for.

    Example:
        >>> _missing_spec("ERROR: No matching distribution found for crcmod>=1.7")
        'crcmod>=1.7'
    """
    found = _NO_MATCH.search(pip_output) or _NO_VERSION.search(pip_output)
    return None if found is None else found.group(1)


def _tried_tags(target: Target) -> list[str]:
    py = target.abi
    tags = [f"{py}-{abi}-{plat}" for abi in (py, "abi3", "none") for plat in target.platforms]
    return [*tags, "py3-none-any"]


def _tail(output: str, lines: int = 15) -> str:
    """The last lines pip printed, which hold its error."""
    kept = [line for line in output.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])
