"""A one-line progress display on a terminal, for ``fcsdk package`` and ``fcsdk coldstart``.

Each step overwrites the line before it (``fcsdk: installing the
requirements…``) and the line is cleared when the work ends, so only the
result stays on screen. Off when the stream is not a terminal (a pipe, a log
file, CI), where such lines would only be noise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress", "Step", "quiet"]

Step = Callable[[str], None]


def quiet(_text: str) -> None:
    """A step that shows nothing: the default of the engines."""


class Progress:
    """Show steps on ``stream`` (default ``sys.stderr``) when it is a terminal.

    Example:
        >>> import io
        >>> p = Progress(io.StringIO())  # not a terminal: nothing is written
        >>> p.step("compiling"); p.close(); p.stream.getvalue()
        ''
    """

    def __init__(self, stream: TextIO | None = None, *, prefix: str = "fcsdk") -> None:
        """Write to ``stream``; each line starts with ``prefix``."""
        self.stream = stream if stream is not None else sys.stderr
        try:
            self.enabled = self.stream.isatty()
        except (AttributeError, ValueError):  # a closed or unusual stream
            self.enabled = False
        self.prefix = prefix
        self._shown = False

    def step(self, text: str) -> None:
        """Replace the line on screen with ``text``."""
        if not self.enabled:
            return
        self.stream.write(f"\r\x1b[K{self.prefix}: {text}…")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        """Clear the line, so what follows starts on a clean one."""
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False
