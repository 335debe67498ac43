"""The runtime's log output: its line format on the root logger and its framing lines.

The FC Python runtime formats every log record as
``%(asctime)s.%(msecs)03dZ %(fc_request_id)s [%(levelname)s] %(message)s``
(UTC), at the level named by ``FC_SERVER_LOG_LEVEL`` (default INFO), and
prints ``FC Invoke Start RequestId: <id>`` / ``FC Invoke End RequestId: <id>``
around each call. The request id of the running invocation lives in a
context variable, set in the thread that runs the handler.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
from typing import TextIO

from fcsdk.logging import RUNTIME_FORMAT, TextFormatter

__all__ = ["LOG_FORMAT", "RuntimeLogs", "current_request_id"]

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
        self.stream = stream
        self._lock = threading.Lock()
        self._handler: logging.Handler | None = None
        self._old_level = logging.NOTSET

    def install(self) -> None:
        """Attach the runtime's handler and level to the root logger."""
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

    def uninstall(self) -> None:
        """Remove what :meth:`install` added."""
        if self._handler is not None:
            root = logging.getLogger()
            root.removeHandler(self._handler)
            root.setLevel(self._old_level)
            self._handler = None

    def frame(self, what: str, request_id: str, note: str = "") -> None:
        """Write ``<what> RequestId: <id>`` (plus an optional note) as the runtime does."""
        line = f"{what} RequestId: {request_id}{note}\n"
        with self._lock:
            self.stream.write(line)
            self.stream.flush()

    def message(self, text: str) -> None:
        """Write one line of fcsdk's own (``fcsdk: ...``)."""
        with self._lock:
            self.stream.write(f"fcsdk: {text}\n")
            self.stream.flush()
