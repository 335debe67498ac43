"""The runtime's log output: its line format on the root logger and its framing lines.

The FC Python runtime formats every log record as
``%(asctime)s.%(msecs)03dZ %(fc_request_id)s [%(levelname)s] %(message)s``
(UTC), at the level named by ``FC_SERVER_LOG_LEVEL`` (default INFO), and
prints ``FC Invoke Start RequestId: <id>`` / ``FC Invoke End RequestId: <id>``
around each call. The request id of the running invocation lives in a
context variable, set in the thread that runs the handler.

Everything the local runtime prints masks the secrets fcsdk knows (the
credentials it injects among them): its log lines, its own ``fcsdk: ...``
lines (the access log, warnings), what is written to its stream directly (a
traceback), and, while installed, whatever the handler prints to
``sys.stdout`` and ``sys.stderr``. A write is masked as a whole: a secret
written in two pieces is not.
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import threading
from typing import Any, TextIO, cast

from fcsdk import _secrets
from fcsdk.logging import RUNTIME_FORMAT, TextFormatter

__all__ = ["LOG_FORMAT", "MaskedStream", "RuntimeLogs", "current_request_id"]

LOG_FORMAT = RUNTIME_FORMAT

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "fcsdk_local_request_id", default=""
)


class _RequestIdFilter(logging.Filter):
    """Give every record the ``fc_request_id`` of the invocation that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "fc_request_id"):
            record.fc_request_id = current_request_id.get()
        return True


class MaskedStream:
    """A text stream that masks known secrets in each write; the rest is the wrapped stream's.

    Example:
        >>> import io
        >>> _secrets.remember("doc+Secret/value=")
        >>> out = io.StringIO()
        >>> _ = MaskedStream(out).write("key doc+Secret/value=\\n")
        >>> out.getvalue()
        'key ***\\n'
    """

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream

    def write(self, text: str) -> int:
        """Write ``text`` with every known secret masked; return its length, as given."""
        self.wrapped.write(_secrets.mask(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        """Write each line, masked."""
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


def masked(stream: TextIO) -> TextIO:
    """``stream`` wrapped in a :class:`MaskedStream` (once: a masked stream is returned as is)."""
    return stream if isinstance(stream, MaskedStream) else cast(TextIO, MaskedStream(stream))


class RuntimeLogs:
    """The root logger set up as the runtime sets it, writing to ``stream``.

    ``install()`` adds one handler to the root logger; ``uninstall()`` takes
    it away again (for in-process use by tests). ``frame()`` writes one of
    the runtime's framing lines.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> logs = RuntimeLogs(out)
        >>> logs.frame("FC Invoke Start", "r-1")
        >>> out.getvalue()
        'FC Invoke Start RequestId: r-1\\n'
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = masked(stream)
        self._lock = threading.Lock()
        self._handler: logging.Handler | None = None
        self._old_level = logging.NOTSET
        self._std: tuple[TextIO, TextIO] | None = None

    def install(self) -> None:
        """Attach the runtime's handler and level to the root logger; mask stdout and stderr."""
        handler = logging.StreamHandler(self.stream)
        handler.setFormatter(TextFormatter())
        handler.addFilter(_RequestIdFilter())
        root = logging.getLogger()
        self._old_level = root.level
        level_name = os.environ.get("FC_SERVER_LOG_LEVEL", "INFO").strip().upper() or "INFO"
        level = logging.getLevelName(level_name)
        root.setLevel(level if isinstance(level, int) else logging.INFO)
        root.addHandler(handler)
        self._handler = handler
        if self._std is None:
            self._std = sys.stdout, sys.stderr
            sys.stdout, sys.stderr = masked(sys.stdout), masked(sys.stderr)

    def uninstall(self) -> None:
        """Remove what :meth:`install` added."""
        if self._handler is not None:
            root = logging.getLogger()
            root.removeHandler(self._handler)
            root.setLevel(self._old_level)
            self._handler = None
        if self._std is not None:
            out, err = self._std
            self._std = None
            # Put back only what is still ours (a test's capture may have replaced it since).
            if isinstance(sys.stdout, MaskedStream) and sys.stdout.wrapped is out:
                sys.stdout = out
            if isinstance(sys.stderr, MaskedStream) and sys.stderr.wrapped is err:
                sys.stderr = err

    def frame(self, what: str, request_id: str, note: str = "") -> None:
        """Write ``<what> RequestId: <id>`` (plus an optional note) as the runtime does."""
        line = f"{what} RequestId: {request_id}{note}\n"
        with self._lock:
            self.stream.write(line)
            self.stream.flush()

    def message(self, text: str) -> None:
        """Write one line of fcsdk's own (``fcsdk: ...``), known secrets masked."""
        with self._lock:
            self.stream.write(f"fcsdk: {text}\n")
            self.stream.flush()
