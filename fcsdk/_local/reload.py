"""What ``fcsdk serve --reload`` watches: watchfiles when installed, else a poller.

With ``watchfiles`` installed (``pip install watchfiles``, as uvicorn uses
it) the operating system reports changes, and a large tree costs nothing
between them. Without it, a poller compares the modification times of the
source files every half second: enough for a project, slow on a tree of
tens of thousands of files. Both watch the same files: the suffixes below,
outside caches, virtualenvs and ``.git``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

__all__ = ["PollingWatcher", "Watcher", "WatchfilesWatcher", "is_source", "snapshot", "watcher"]

SKIP_DIRS = frozenset({".git", ".venv", "venv", "__pycache__", ".fcsdk", "node_modules", "site"})
WATCH_SUFFIXES = frozenset({".py", ".html", ".json", ".env", ".txt", ".toml", ".yaml", ".yml"})
MAX_WATCHED = 20_000


class Watcher(Protocol):
    """Tells whether the watched source changed since it was last asked."""

    def changed(self) -> bool: ...

    def close(self) -> None: ...


def _skipped(name: str) -> bool:
    return name in SKIP_DIRS or name.endswith(".egg-info")


def _watched(path: Path) -> bool:
    # ".env" itself has no suffix (Path(".env").suffix == ""): match it by name too
    return path.suffix in WATCH_SUFFIXES or path.name in WATCH_SUFFIXES


def is_source(path: Path, root: Path) -> bool:
    """Tell whether a change to ``path`` (under ``root``) should restart the function.

    Example:
        >>> is_source(Path("/app/pkg/index.py"), Path("/app"))
        True
        >>> is_source(Path("/app/.venv/lib/site.py"), Path("/app"))
        False
    """
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    return _watched(path) and not any(_skipped(part) for part in parts[:-1])


def snapshot(folders: Sequence[Path]) -> dict[str, float]:
    """Return ``{path: mtime}`` of the source files under ``folders`` (bounded)."""
    seen: dict[str, float] = {}
    for folder in folders:
        for path in _walk(folder):
            try:
                seen[str(path)] = path.stat().st_mtime
            except OSError:
                continue
            if len(seen) >= MAX_WATCHED:
                return seen
    return seen


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not _skipped(d)]
        for name in files:
            path = Path(root, name)
            if _watched(path):
                yield path


class PollingWatcher:
    """Compares the source files' modification times on every :meth:`changed` call."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = list(folders)
        self.files = snapshot(self.folders)

    def changed(self) -> bool:
        """Tell whether a source file was added, removed or modified since the last call."""
        current = snapshot(self.folders)
        if current == self.files:
            return False
        self.files = current
        return True

    def close(self) -> None:
        """Nothing to release."""


class WatchfilesWatcher:
    """Learns of changes from ``watchfiles`` in a background thread.

    Should ``watchfiles`` fail (a folder it cannot watch), it falls back to
    a :class:`PollingWatcher` rather than stop reloading.
    """

    def __init__(self, folders: Sequence[Path], watchfiles: Any) -> None:
        self.folders = [folder.resolve() for folder in folders]
        self._watchfiles = watchfiles
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._fallback: PollingWatcher | None = None
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fcsdk-reload", daemon=True)
        self._thread.start()

    def _wanted(self, change: object, path: str) -> bool:
        candidate = Path(path)
        return any(is_source(candidate, root) for root in self.folders)

    def _run(self) -> None:
        try:
            for _changes in self._watchfiles.watch(
                *self.folders,
                watch_filter=self._wanted,
                stop_event=self._stop,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                self._dirty.set()
        except Exception as exc:  # keep reloading, by polling
            self.failure = exc
            self._fallback = PollingWatcher(self.folders)

    def changed(self) -> bool:
        """Tell whether watchfiles reported a source change since the last call."""
        if self._fallback is not None:
            return self._fallback.changed() or self._take()
        return self._take()

    def _take(self) -> bool:
        if not self._dirty.is_set():
            return False
        self._dirty.clear()
        return True

    def close(self) -> None:
        """Stop the watching thread."""
        self._stop.set()
        self._thread.join(10)


def watcher(folders: Sequence[Path]) -> Watcher:
    """Return a :class:`WatchfilesWatcher` when ``watchfiles`` imports, else a poller."""
    try:
        import watchfiles
    except ImportError:
        return PollingWatcher(folders)
    return WatchfilesWatcher(folders, watchfiles)
