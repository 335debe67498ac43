"""A wheel of the running fcsdk, for when no index serves the version a project pins.

fcsdk is pure Python, so its wheel is its package folder plus metadata: it is
written here from the files of the running installation (a checkout installed
with ``pip install -e``, a private build, a wheel), with no build backend and
no network. ``fcsdk package`` adds it to pip's ``--find-links`` when pip finds
no ``fcsdk`` that fits; the scaffold's Makefile writes it with
``fcsdk package --fcsdk-wheel DIR`` before installing the project's requirements.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path

from fcsdk._ship.archive import ZIP_EPOCH
from fcsdk.exceptions import ConfigurationError

__all__ = ["write_fcsdk_wheel"]

_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = (".pyc", ".pyo")


def _package_files(package: Path) -> list[tuple[str, Path]]:
    files: list[tuple[str, Path]] = []
    for path in sorted(package.rglob("*")):
        rel = path.relative_to(package.parent)
        skipped = _SKIP_DIRS.intersection(rel.parts) or path.name.endswith(_SKIP_SUFFIXES)
        if path.is_file() and not skipped:
            files.append((rel.as_posix(), path))
    return files


def _metadata() -> tuple[str, str, str | None]:
    """The installed fcsdk's version, METADATA and entry points."""
    try:
        dist = metadata.distribution("fcsdk")
    except metadata.PackageNotFoundError as exc:
        raise ConfigurationError(
            "the running fcsdk is not installed (no fcsdk metadata): install it with "
            "pip install -e /path/to/fcsdk, or pass the folder of an fcsdk wheel with --find-links"
        ) from exc
    text = dist.read_text("METADATA")
    if not text:
        raise ConfigurationError("the installed fcsdk has no METADATA: reinstall it")
    return dist.version, text, dist.read_text("entry_points.txt")


def write_fcsdk_wheel(dest: str | Path) -> Path:
    """Write ``fcsdk-<version>-py3-none-any.whl`` of the running fcsdk into ``dest``.

    The wheel's entries are sorted and dated 1980-01-01, so the same fcsdk
    gives the same bytes.

    The version and metadata are the installed fcsdk's (``pip install -e``
    writes them for a checkout), the files those of the running package.

    Raises:
        ConfigurationError: the running fcsdk has no installed metadata.
    """
    version, meta, entry_points = _metadata()
    package = Path(__file__).resolve().parents[1]  # the running fcsdk's own folder
    info = f"fcsdk-{version}.dist-info"
    contents: list[tuple[str, bytes]] = [
        (rel, path.read_bytes()) for rel, path in _package_files(package)
    ]
    contents.append((f"{info}/METADATA", meta.encode("utf-8")))
    if entry_points:
        contents.append((f"{info}/entry_points.txt", entry_points.encode("utf-8")))
    contents.append(
        (
            f"{info}/WHEEL",
            b"Wheel-Version: 1.0\nGenerator: fcsdk\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
    )
    rows = []
    for rel, data in contents:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        rows.append(f"{rel},sha256={digest},{len(data)}")
    rows.append(f"{info}/RECORD,,")
    contents.append((f"{info}/RECORD", ("\n".join(rows) + "\n").encode("utf-8")))
    folder = Path(dest)
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"fcsdk-{version}-py3-none-any.whl"
    partial = wheel.with_name(wheel.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in contents:
            entry = zipfile.ZipInfo(rel, date_time=ZIP_EPOCH)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            zf.writestr(entry, data)
    partial.replace(wheel)
    return wheel
