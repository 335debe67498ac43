"""Guards for the whole suite: a test leaves the process's logging as it found it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _root_logger_left_as_found() -> Iterator[None]:
    """A test that leaves the root logger's level changed makes later tests' log captures lie.

    (A fixture that set the level and then called ``caplog.set_level`` did: caplog restored
    the DEBUG it found, and every later test saw asyncio's debug records.)
    """
    root = logging.getLogger()
    level = root.level
    yield
    assert logging.getLevelName(root.level) == logging.getLevelName(level), (
        "the test left the root logger's level changed"
    )
