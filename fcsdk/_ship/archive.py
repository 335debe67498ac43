"""A deterministic zip: the same files give the same bytes, whenever and wherever built.

Entries are sorted by path, carry one fixed timestamp (``SOURCE_DATE_EPOCH``
when set, else 1980-01-01, the earliest a zip can hold), fixed Unix
permissions (``0644``, ``0755`` for files that were executable) and are
compressed with deflate at zlib's default level; nothing of the builder's clock, user or umask
gets in.
"""

from __future__ import annotations

import os
import stat
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

from fcsdk.exceptions import ConfigurationError

__all__ = ["ZIP_EPOCH", "fixed_timestamp", "write_zip"]

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def fixed_timestamp() -> tuple[int, int, int, int, int, int]:
    """The timestamp every entry gets: ``SOURCE_DATE_EPOCH`` (UTC) when set, else 1980-01-01.

    Raises:
        ConfigurationError: ``SOURCE_DATE_EPOCH`` is not a whole number of seconds.
    """
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not raw:
        return ZIP_EPOCH
    try:
        seconds = int(raw)
    except ValueError as exc:
        raise ConfigurationError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {raw!r}"
        ) from exc
    # A zip cannot date anything before 1980 or after 2107.
    seconds = min(max(seconds, 315532800), 4354819199)
    t = time.gmtime(seconds)
    # Zip times have a two-second resolution.
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec - t.tm_sec % 2)


def write_zip(
    dest: Path, files: Iterable[tuple[str, Path]], *, executables: Iterable[str] = ()
) -> None:
    """Write ``files`` (``(archive_path, source)`` pairs) to ``dest``, deterministically.

    ``executables`` are archive paths that get ``0755`` whatever their mode on
    disk (a custom runtime's ``bootstrap``, checked out on a system that
    keeps no executable bit). The archive is written next to ``dest`` first
    and moved into place, so a failed build never leaves a half-written zip behind.
    """
    forced = set(executables)
    date_time = fixed_timestamp()
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, source in sorted(files, key=lambda item: item[0]):
                st = source.stat()
                perm = 0o755 if st.st_mode & stat.S_IXUSR or name in forced else 0o644
                info = zipfile.ZipInfo(name, date_time=date_time)
                info.file_size = st.st_size  # decides zip64 up front for big files
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so the permissions below are read
                info.external_attr = (stat.S_IFREG | perm) << 16
                with source.open("rb") as src, zf.open(info, "w") as out:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
