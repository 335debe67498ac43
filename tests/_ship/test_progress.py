"""Tests for fcsdk/_ship/progress.py: the one-line progress display on a terminal."""

from __future__ import annotations

import io
import sys

import pytest

from fcsdk._ship.progress import Progress


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        """Always a terminal."""
        return True


def test_steps_overwrite_the_line_and_close_clears_it_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each step replaces the line on the stream given (not stderr); close clears it once."""
    stderr = Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    screen = Terminal()
    progress = Progress(screen, prefix="fcsdk coldstart")
    progress.close()  # nothing shown yet: nothing to clear
    progress.step("tracing the imports")
    progress.step("run 1 of 2")
    progress.close()
    progress.close()  # already cleared
    assert screen.getvalue() == (
        "\r\x1b[Kfcsdk coldstart: tracing the imports…\r\x1b[Kfcsdk coldstart: run 1 of 2…\r\x1b[K"
    )
    assert stderr.getvalue() == ""


def test_stderr_by_default_and_silent_off_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a stream, stderr; a stream that is not a terminal, or is closed, shows nothing."""
    stderr = Terminal()
    monkeypatch.setattr(sys, "stderr", stderr)
    progress = Progress()
    progress.step("compiling")
    progress.close()
    assert stderr.getvalue() == "\r\x1b[Kfcsdk: compiling…\r\x1b[K"
    closed = io.StringIO()
    closed.close()  # its isatty() raises ValueError
    for stream in (io.StringIO(), closed):
        quiet = Progress(stream)
        assert quiet.enabled is False
        quiet.step("compiling")
        quiet.close()
