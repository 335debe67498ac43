"""A project's requirements, installed for the target runtime as binary wheels only.

The requirements come from ``requirements.txt`` (handed to pip as is, so
``-r`` includes, hashes and markers keep working) or, when there is none, from
``[project].dependencies`` of ``pyproject.toml``. pip does the resolving:
``pip install --target`` with ``--only-binary=:all:`` and the target's
``--platform``/``--python-version``/``--implementation``/``--abi``, which is
what lets a laptop on macOS, or on another Python, build for FC's Linux.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fcsdk._ship.target import Target
from fcsdk.exceptions import ConfigurationError, NoMatchingWheelError, PackageError

__all__ = ["PipOptions", "Requirements", "find_requirements", "install_for_target"]

# Seconds pip may take for one install before the build gives up.
PIP_TIMEOUT = 900.0


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
    else:  # pragma: no cover - coverage runs on a newer Python
        import tomli as toml
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = toml.load(fh)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read {path}: {exc}") from exc
    return data


def find_requirements(project: Path, *, requirements: Path | None = None) -> Requirements:
    """Return the requirements of ``project``.

    ``requirements`` names a file explicitly; otherwise ``requirements.txt``
    wins over ``pyproject.toml``'s ``[project].dependencies``.

    Raises:
        ConfigurationError: the named file does not exist, or ``pyproject.toml``
            is not valid TOML or its dependencies are not a list of strings.
    """
    if requirements is not None:
        path = requirements if requirements.is_absolute() else project / requirements
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
    env = {**os.environ, "PIP_NO_INPUT": "1"}
    # A user's "require a virtualenv" setting would stop a --target install.
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
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


def _tried_tags(target: Target) -> list[str]:
    py = target.abi
    tags = [f"{py}-{abi}-{plat}" for abi in (py, "abi3", "none") for plat in target.platforms]
    return [*tags, "py3-none-any"]


def _tail(output: str, lines: int = 15) -> str:
    """The last lines pip printed, which hold its error."""
    kept = [line for line in output.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])
