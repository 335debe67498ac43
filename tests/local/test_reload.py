"""Tests for fcsdk/_local/reload.py: what --reload watches, with watchfiles and with the poller."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import watchfiles

from fcsdk._local import reload
from fcsdk._local.reload import PollingWatcher, Watcher, WatchfilesWatcher, is_source, snapshot


def noisy_tree(root: Path) -> None:
    """Lay out one source file beside caches, a virtualenv, egg-info and a binary."""
    (root / "a.py").write_text("x = 1")
    for folder, name in [
        ("__pycache__", "a.cpython.pyc"),
        (".venv", "lib.py"),
        ("pkg.egg-info", "x.txt"),
        (".git", "config.toml"),
    ]:
        (root / folder).mkdir()
        (root / folder / name).write_text("")
    (root / "image.png").write_bytes(b"")


def sees_change(watcher: Watcher, touch: Path, *, seconds: float = 15.0) -> bool:
    """Modify ``touch`` until ``watcher`` reports a change (bounded); the watcher may start late."""
    deadline = time.monotonic() + seconds
    count = 0
    while time.monotonic() < deadline:
        count += 1
        touch.write_text(f"x = {count}\n")
        for _ in range(10):
            if watcher.changed():
                return True
            time.sleep(0.05)
    return False


def stays_quiet(watcher: Watcher, seconds: float = 0.5) -> bool:
    """Return True when ``watcher`` reports nothing for ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if watcher.changed():
            return False
        time.sleep(0.05)
    return True


class TestWhatIsWatched:
    def test_snapshot_lists_sources_not_noise(self, tmp_path: Path) -> None:
        """snapshot() lists source files, not caches, virtualenvs, .git or egg-info."""
        noisy_tree(tmp_path)
        assert list(snapshot([tmp_path])) == [str(tmp_path / "a.py")]

    def test_snapshot_is_bounded(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """snapshot() stops at its file limit."""
        monkeypatch.setattr(reload, "MAX_WATCHED", 3)
        for index in range(5):
            (tmp_path / f"m{index}.py").write_text("")
        assert len(snapshot([tmp_path])) == 3

    @pytest.mark.parametrize(
        ("relative", "watched"),
        [
            ("index.py", True),
            ("templates/page.html", True),
            (".env", True),  # matched by name: Path(".env").suffix is ""
            ("conf.env", True),
            ("__pycache__/index.cpython-312.pyc", False),
            (".venv/lib/site.py", False),
            ("node_modules/x/index.json", False),
            ("dist/pkg.egg-info/PKG-INFO.txt", False),
            ("image.png", False),
        ],
    )
    def test_is_source_agrees_with_the_walk(
        self, tmp_path: Path, relative: str, watched: bool
    ) -> None:
        """The watchfiles filter and the poller's walk keep and skip the same files."""
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
        assert is_source(path, tmp_path) is watched
        assert (str(path) in snapshot([tmp_path])) is watched

    def test_is_source_outside_the_root(self, tmp_path: Path) -> None:
        """A path outside the watched folder is not a source of it."""
        assert not is_source(Path("/elsewhere/index.py"), tmp_path)


class TestPollingWatcher:
    def test_sees_a_change_then_nothing(self, tmp_path: Path) -> None:
        """A modified file is reported once; a change to a cache file is not."""
        noisy_tree(tmp_path)
        watcher = PollingWatcher([tmp_path])
        assert not watcher.changed()
        assert sees_change(watcher, tmp_path / "a.py")
        (tmp_path / "__pycache__" / "a.cpython.pyc").write_text("new")
        assert not watcher.changed()
        watcher.close()

    def test_sees_a_new_and_a_removed_file(self, tmp_path: Path) -> None:
        """Adding or deleting a source file is a change."""
        watcher = PollingWatcher([tmp_path])
        (tmp_path / "new.py").write_text("")
        assert watcher.changed()
        (tmp_path / "new.py").unlink()
        assert watcher.changed()


class TestWatchfilesWatcher:
    def test_sees_a_change_and_ignores_noise(self, tmp_path: Path) -> None:
        """watchfiles reports an edited source file, and not a write into __pycache__."""
        noisy_tree(tmp_path)
        watcher = WatchfilesWatcher([tmp_path], watchfiles)
        try:
            assert sees_change(watcher, tmp_path / "a.py")
            time.sleep(0.3)  # let the last edit's event drain
            watcher.changed()
            (tmp_path / "__pycache__" / "a.cpython.pyc").write_text("new")
            (tmp_path / ".venv" / "lib.py").write_text("new")
            assert stays_quiet(watcher)
            assert watcher.failure is None
        finally:
            watcher.close()
        assert not watcher._thread.is_alive()

    def test_falls_back_to_polling_when_watchfiles_fails(self, tmp_path: Path) -> None:
        """When watchfiles raises (here a stand-in for it), the folder is polled instead."""

        def watch(*paths: Path, **options: object) -> Iterator[set[object]]:
            yield from ()  # a generator, as watchfiles.watch is
            raise OSError(28, "inotify watch limit reached")

        watcher = WatchfilesWatcher([tmp_path], SimpleNamespace(watch=watch))
        try:
            watcher._thread.join(10)
            assert isinstance(watcher.failure, OSError)
            (tmp_path / "index.py").write_text("")
            assert watcher.changed()
            assert not watcher.changed()
        finally:
            watcher.close()


class TestChoice:
    def test_watchfiles_when_installed(self, tmp_path: Path) -> None:
        """With watchfiles importable, --reload uses it."""
        chosen = reload.watcher([tmp_path])
        try:
            assert isinstance(chosen, WatchfilesWatcher)
        finally:
            chosen.close()

    def test_poller_without_watchfiles(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without watchfiles (an import that fails), --reload polls."""
        monkeypatch.setitem(sys.modules, "watchfiles", None)
        chosen = reload.watcher([tmp_path])
        assert isinstance(chosen, PollingWatcher)
        (tmp_path / "index.py").write_text("")
        assert chosen.changed()
