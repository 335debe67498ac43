"""Compiled code in a package: found by name and by content, never trusted to a wheel's tag.

A wheel tagged ``py3-none-any`` claims to be pure Python, but nothing stops
one (built on this machine from a source distribution whose ``setup.py``
calls ``gcc`` itself, say) from carrying a ``.so`` compiled for this
machine's Python and C library, which may not load on FC's Linux. So every
distribution ``fcsdk package`` ships is checked: one whose tags are all
platform-independent must hold no native file, and no native file may name
another CPython than the target's (``.cpython-311-x86_64-linux-gnu.so`` in a
package for Python 3.12).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from fcsdk._ship.target import Target

__all__ = [
    "check_installed",
    "foreign_abi",
    "is_native",
    "native_files",
    "native_in_wheel",
    "pure_tags",
]

_SUFFIXES = (".so", ".pyd", ".dylib", ".dll")
# ELF and Mach-O (both byte orders, 32/64-bit, fat) files. Windows ``.exe`` launchers
# (setuptools ships some in its pure wheel) never load on Linux, so they are no concern.
_MAGICS = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
_ABI_TAG = re.compile(r"\.cpython-3(\d+)[-.]")


def distribution_label(dist_info: Path) -> str:
    """``name version`` of an installed distribution, from its ``.dist-info`` folder's name.

    The version follows the last hyphen (a name may keep hyphens of its own):

        >>> distribution_label(Path("old-style-2.0.dist-info"))
        'old-style 2.0'
    """
    return " ".join(dist_info.name[: -len(".dist-info")].rsplit("-", 1))


def is_native(name: str, head: bytes = b"") -> bool:
    """Whether a file is compiled code: by its name (``x.so``, ``libx.so.1``) or first bytes.

    Example:
        >>> is_native("pkg/_speedups.cpython-312-x86_64-linux-gnu.so"), is_native("a.py")
        (True, False)
        >>> is_native("libz.so.1"), is_native("data.bin", b"\\x7fELF\\x02")
        (True, True)
    """
    leaf = name.rsplit("/", 1)[-1].lower()
    if leaf.endswith(_SUFFIXES) or ".so." in leaf:
        return True
    return head.startswith(_MAGICS) and not leaf.endswith((".py", ".pyi", ".txt", ".pyc"))


def foreign_abi(name: str, target: Target) -> bool:
    """Whether ``name`` is an extension module built for another CPython than the target's.

    Example:
        >>> t = Target.for_runtime("python3.12")
        >>> foreign_abi("x.cpython-311-x86_64-linux-gnu.so", t), foreign_abi("x.abi3.so", t)
        (True, False)
    """
    found = _ABI_TAG.search(name.rsplit("/", 1)[-1])
    return found is not None and f"3.{found.group(1)}" != target.python_version


def pure_tags(tags: Iterable[str]) -> bool:
    """Whether every wheel tag (``py3-none-any``) says the wheel is platform-independent."""
    listed = list(tags)
    return bool(listed) and all(tag.endswith("-any") for tag in listed)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(4)
    except OSError:
        return b""


def native_in_wheel(wheel: Path) -> list[str]:
    """The native files inside the wheel file ``wheel``, by name or by content."""
    found: list[str] = []
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            with zf.open(info) as fh:
                head = fh.read(4)
            if is_native(info.filename, head):
                found.append(info.filename)
    return found


def native_files(files: Iterable[tuple[str, Path]]) -> list[str]:
    """The archive paths among ``files`` (``(archive_path, file)``) that are native code."""
    return [rel for rel, path in files if is_native(rel, _head(path))]


def check_installed(staging: Path, target: Target) -> None:
    """Refuse compiled code that cannot be the target's in the distributions under ``staging``.

    Raises:
        PackageError: a distribution whose wheel tags are all platform-independent
            holds a native file, or a native file names another CPython.
    """
    from fcsdk.exceptions import PackageError

    for dist_info in sorted(staging.glob("*.dist-info")):
        label = distribution_label(dist_info)
        record = dist_info / "RECORD"
        wheel = dist_info / "WHEEL"
        if not record.is_file():
            continue
        tags = []
        if wheel.is_file():
            tags = [
                line.split(":", 1)[1].strip()
                for line in wheel.read_text(encoding="utf-8", errors="replace").splitlines()
                if line.startswith("Tag:")
            ]
        files = []
        for row in record.read_text(encoding="utf-8", errors="replace").splitlines():
            rel = row.split(",", 1)[0]
            if rel and not rel.startswith(".."):
                files.append((rel, staging / rel))
        native = native_files(files)
        foreign = [rel for rel in native if foreign_abi(rel, target)]
        if foreign:
            raise PackageError(
                f"{label} holds compiled code for another Python than {target.runtime}'s "
                f"CPython {target.python_version} ({', '.join(foreign[:3])}): it was built "
                "for some other interpreter and would not import on FC"
            )
        if native and pure_tags(tags):
            raise PackageError(
                f"{label}'s wheel is tagged {', '.join(tags)} (pure Python) but holds compiled "
                f"code ({', '.join(native[:3])}), built for some machine, not for FC's Linux: "
                "use a wheel built for the target (manylinux, the runtime's CPython), or build "
                "one on manylinux and pass its folder with --find-links"
            )
