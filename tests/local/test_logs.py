"""Tests for fcsdk/_local/logs.py: the runtime's log format and framing lines."""

from __future__ import annotations

import io
import logging
import re
import threading

import pytest

from fcsdk._local.logs import RuntimeLogs, current_request_id


class TestRuntimeLogs:
    def test_format_and_request_id(self) -> None:
        """A record is formatted as the runtime does, with the current request id."""
        out = io.StringIO()
        logs = RuntimeLogs(out)
        logs.install()
        try:

            def in_thread() -> None:
                current_request_id.set("1-abc")
                logging.getLogger("x").info("hello %s", "there")

            thread = threading.Thread(target=in_thread)
            thread.start()
            thread.join(5)
            logging.getLogger("x").debug("not shown at INFO")
        finally:
            logs.uninstall()
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 1-abc \[INFO\] hello there\n", out.getvalue()
        )

    def test_record_with_own_request_id_kept(self) -> None:
        """A record that already carries fc_request_id keeps it."""
        out = io.StringIO()
        logs = RuntimeLogs(out)
        logs.install()
        try:
            logging.getLogger().warning("w", extra={"fc_request_id": "given"})
        finally:
            logs.uninstall()
        assert " given [WARNING] w" in out.getvalue()

    @pytest.mark.parametrize(("level", "expected"), [("debug", 10), ("NOPE", 20), ("", 20)])
    def test_level_from_env(
        self, monkeypatch: pytest.MonkeyPatch, level: str, expected: int
    ) -> None:
        """FC_SERVER_LOG_LEVEL sets the root level; unknown or empty means INFO."""
        monkeypatch.setenv("FC_SERVER_LOG_LEVEL", level)
        root = logging.getLogger()
        before = root.level
        logs = RuntimeLogs(io.StringIO())
        logs.install()
        try:
            assert root.level == expected
        finally:
            logs.uninstall()
        assert root.level == before
        logs.uninstall()  # a second uninstall is harmless

    def test_frame_and_message(self) -> None:
        """Framing lines and fcsdk's own lines are written whole."""
        out = io.StringIO()
        logs = RuntimeLogs(out)
        logs.frame("FC Invoke End", "r-1", ", Error: x")
        logs.message("hello")
        assert out.getvalue() == "FC Invoke End RequestId: r-1, Error: x\nfcsdk: hello\n"
