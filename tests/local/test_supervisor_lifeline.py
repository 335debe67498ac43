"""A supervised ``fcsdk serve`` child never outlives its supervisor, even one killed with -9."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fcsdk._local.supervisor import PARENT_FD_ENV
from tests.local.serving import ROOT, start

linux_only = pytest.mark.skipif(
    not hasattr(os, "pidfd_open"), reason="waits on the child with pidfd_open (Linux)"
)


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _ends_within(pid: int, seconds: float) -> bool:
    """Whether process ``pid`` ends within ``seconds`` (a pidfd becomes readable when it does)."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([pidfd], [], [], seconds)
        return bool(ready)
    finally:
        os.close(pidfd)


@linux_only
@pytest.mark.slow
class TestSupervisorKilled:
    def test_the_child_dies_with_a_supervisor_killed_with_sigkill(self, tmp_path: Path) -> None:
        """kill -9 of the supervisor: its serving child ends too (it was left serving, ppid 1)."""
        (tmp_path / "index.py").write_text("def main(event, context):\n    return event\n")
        server = start("index.main", "--code-dir", str(tmp_path), "--no-oss")
        children = _children(server.process.pid)
        try:
            assert len(children) == 1, children
            os.kill(server.process.pid, signal.SIGKILL)
            server.process.wait(10)
            assert _ends_within(children[0], 20), "the child outlived its supervisor"
        finally:
            for child in children:
                if not _ends_within(child, 0):
                    os.kill(child, signal.SIGKILL)


class TestWatchParent:
    def test_the_pipe_ending_stops_the_child(self) -> None:
        """Without the kernel's help, a child stops (SIGTERM) when its supervisor's pipe ends."""
        read, write = os.pipe()
        code = (
            "import signal, sys\n"
            "from fcsdk._local.supervisor import watch_parent\n"
            "assert watch_parent() is not None\n"
            "print('watching', flush=True)\n"
            "signal.pause()\n"
        )
        child = subprocess.Popen(
            [sys.executable, "-c", code],
            pass_fds=(read,),
            env={**os.environ, "PYTHONPATH": str(ROOT), PARENT_FD_ENV: str(read)},
            stdout=subprocess.PIPE,
            text=True,
        )
        os.close(read)
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == "watching\n"
            os.close(write)  # what the kernel does when the supervisor dies
            assert child.wait(20) == -signal.SIGTERM
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(5)
            if child.stdout is not None:
                child.stdout.close()

    def test_not_supervised(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A process not started by a supervisor watches nothing."""
        from fcsdk._local.supervisor import watch_parent

        monkeypatch.delenv(PARENT_FD_ENV, raising=False)
        assert watch_parent() is None
