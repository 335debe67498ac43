"""What a code package is built for: the FC runtime's Python, ABI and Linux platform tags.

FC's built-in Python runtimes run CPython on x86-64 Debian: ``python3.10`` on
Debian 10 (glibc 2.28) and ``python3.12`` on Debian 11 (glibc 2.31), per FC's
runtime overview. A wheel fits when its tags name that CPython (or the stable
ABI, or pure Python) and a ``manylinux`` platform no newer than that glibc.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fcsdk.exceptions import ConfigurationError

__all__ = ["ARCHES", "DEFAULT_MAX_MB", "RUNTIMES", "RUNTIME_NAMES", "Target"]

# The one list of the FC runtimes fcsdk supports: `invoke`, `serve`, `init`,
# `package`, `coldstart` and the docs all read it (tests/_ship/test_target.py
# checks they agree). FC's python3.9 runtime is not here: fcsdk needs 3.10+.
# runtime identifier -> (Python version, glibc of its Debian release)
RUNTIMES: dict[str, tuple[str, tuple[int, int]]] = {
    "python3.10": ("3.10", (2, 28)),
    "python3.12": ("3.12", (2, 31)),
}

RUNTIME_NAMES: tuple[str, ...] = tuple(RUNTIMES)

ARCHES = ("x86_64",)

# FC 3.0 "Quotas and limits": a ZIP uploaded through the console, a developer
# tool (Serverless Devs) or OSS may be 500 MB in the larger regions (100 MB in
# the others, and for a Base64 ZIP sent through the API).
DEFAULT_MAX_MB = 500

# The legacy manylinux names and the glibc they stand for (PEP 600).
_LEGACY = {(2, 17): "manylinux2014", (2, 12): "manylinux2010", (2, 5): "manylinux1"}

_VERSION = re.compile(r"^3\.(\d{1,2})$")


@dataclass(frozen=True)
class Target:
    """The interpreter and platform a package is built for.

    Attributes:
        runtime: the FC runtime identifier (``python3.12``), used in file names.
        python_version: ``major.minor`` of the target CPython.
        glibc: the newest glibc the runtime's OS has, as ``(2, 31)``.
        arch: the CPU architecture (``x86_64``).

    Example:
        >>> t = Target.for_runtime("python3.12")
        >>> t.abi, t.platforms[0], t.platforms[-1]
        ('cp312', 'manylinux_2_31_x86_64', 'manylinux1_x86_64')
    """

    runtime: str
    python_version: str
    glibc: tuple[int, int]
    arch: str = "x86_64"

    @classmethod
    def for_runtime(
        cls, runtime: str, *, arch: str = "x86_64", python_version: str | None = None
    ) -> Target:
        """Return the target of an FC runtime, optionally with another Python version.

        Args:
            runtime: ``python3.10`` or ``python3.12``.
            arch: the CPU architecture; FC's Python runtimes are ``x86_64`` only.
            python_version: ``3.X`` to build for another CPython than the runtime's
                own (a custom runtime that brings its own interpreter, say).

        Raises:
            ConfigurationError: an unknown runtime, architecture or version.
        """
        if runtime not in RUNTIMES:
            known = ", ".join(RUNTIMES)
            raise ConfigurationError(f"unknown runtime {runtime!r}: expected one of {known}")
        if arch not in ARCHES:
            raise ConfigurationError(
                f"unknown architecture {arch!r}: FC's Python runtimes run on {', '.join(ARCHES)}"
            )
        version, glibc = RUNTIMES[runtime]
        if python_version is not None:
            match = _VERSION.match(python_version)
            if match is None or int(match.group(1)) < 10:
                raise ConfigurationError(
                    f"invalid Python version {python_version!r}: expected 3.X with X >= 10 "
                    "(fcsdk needs Python 3.10 or newer)"
                )
            version = python_version
        return cls(runtime=runtime, python_version=version, glibc=glibc, arch=arch)

    @property
    def abi(self) -> str:
        """The CPython ABI tag, ``cp312`` for Python 3.12."""
        return "cp" + self.python_version.replace(".", "")

    @property
    def platforms(self) -> list[str]:
        """Every platform tag a wheel may carry to run here, newest glibc first."""
        major, newest = self.glibc
        tags: list[str] = []
        for minor in range(newest, 4, -1):
            tags.append(f"manylinux_{major}_{minor}_{self.arch}")
            legacy = _LEGACY.get((major, minor))
            if legacy is not None:
                tags.append(f"{legacy}_{self.arch}")
        return tags

    def describe_tags(self) -> str:
        """Summarise the wheel tags that fit, for error messages and reports."""
        py = self.abi
        return (
            f"{py}-{py}, {py}-abi3 and {py}-none wheels for "
            f"manylinux_{self.glibc[0]}_{self.glibc[1]}_{self.arch} down to "
            f"manylinux1_{self.arch}, or pure-Python py3-none-any wheels"
        )
