"""What a code package is built for: the FC runtime's Python, ABI and Linux platform tags.

FC's built-in Python runtimes run CPython on x86-64 Debian: ``python3.10`` on
Debian 10 (glibc 2.28) and ``python3.12`` on Debian 11 (glibc 2.31), per FC's
runtime overview. FC's custom runtimes (web functions) run the startup
command on Debian too, with a Python built in, per FC's custom-runtime
overview: ``custom.debian12`` has Debian's Python 3.11 (``/usr/bin/python3``,
3.11.2), ``custom.debian11`` Python 3.12 (``/var/fc/lang/python3.12``,
3.12.4) and ``custom.debian10`` Python 3.10 (``/var/fc/lang/python3.10``,
3.10.9; FC's official ``Python310`` layer brings 3.10.5 too). A wheel fits
when its tags name that CPython (or the stable ABI, or pure Python) and a
``manylinux`` platform no newer than that glibc.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fcsdk.exceptions import ConfigurationError

__all__ = [
    "ARCHES",
    "CUSTOM_PYTHONS",
    "CUSTOM_RUNTIMES",
    "DEFAULT_MAX_MB",
    "PACKAGE_RUNTIMES",
    "RUNTIMES",
    "RUNTIME_NAMES",
    "Target",
]

# The one list of the FC runtimes fcsdk supports: `invoke`, `serve`, `init`,
# `package`, `coldstart` and the docs all read it (tests/_ship/test_target.py
# checks they agree). FC's python3.9 runtime is not here: fcsdk needs 3.10+.
# runtime identifier -> (Python version, glibc of its Debian release)
RUNTIMES: dict[str, tuple[str, tuple[int, int]]] = {
    "python3.10": ("3.10", (2, 28)),
    "python3.12": ("3.12", (2, 31)),
}

RUNTIME_NAMES: tuple[str, ...] = tuple(RUNTIMES)

# The custom runtimes of web functions, for ``package`` and ``coldstart``: the Python
# each image has built in (the one fcsdk can run on: 3.10 or newer) and its glibc.
# custom.debian10's default python3 is 2.7 and the old `custom` (Debian 9) has 3.7:
# their Python 3 is at /var/fc/lang/python3.10 (or a Python layer), put on PATH.
CUSTOM_RUNTIMES: dict[str, tuple[str, tuple[int, int]]] = {
    "custom.debian12": ("3.11", (2, 36)),
    "custom.debian11": ("3.12", (2, 31)),
    "custom.debian10": ("3.10", (2, 28)),
}

# Where each custom runtime's Python is, for the docs and messages.
CUSTOM_PYTHONS: dict[str, str] = {
    "custom.debian12": "/usr/bin/python3 (Python 3.11.2, on PATH)",
    "custom.debian11": "/var/fc/lang/python3.12/bin/python3 (Python 3.12.4; add its bin to PATH)",
    "custom.debian10": "/var/fc/lang/python3.10/bin/python3 (Python 3.10.9; add its bin to PATH)",
}

# Every runtime `fcsdk package` and `fcsdk coldstart` build for.
PACKAGE_RUNTIMES: dict[str, tuple[str, tuple[int, int]]] = {**RUNTIMES, **CUSTOM_RUNTIMES}

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
            runtime: ``python3.10``, ``python3.12``, or a custom runtime
                (``custom.debian12``, ``custom.debian11``, ``custom.debian10``).
            arch: the CPU architecture; FC's Python runtimes are ``x86_64`` only.
            python_version: ``3.X`` to build for another CPython than the runtime's
                own (a custom runtime that brings its own interpreter, say).

        Raises:
            ConfigurationError: an unknown runtime, architecture or version.
        """
        if runtime not in PACKAGE_RUNTIMES:
            known = ", ".join(PACKAGE_RUNTIMES)
            raise ConfigurationError(f"unknown runtime {runtime!r}: expected one of {known}")
        if arch not in ARCHES:
            raise ConfigurationError(
                f"unknown architecture {arch!r}: FC's Python runtimes run on {', '.join(ARCHES)}"
            )
        version, glibc = PACKAGE_RUNTIMES[runtime]
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
    def custom(self) -> bool:
        """Whether this is a custom runtime (a web function), whose startup command FC runs."""
        return self.runtime in CUSTOM_RUNTIMES

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
