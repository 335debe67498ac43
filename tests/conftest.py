"""What the whole suite shares: a guard on logging, and hypothesis' profile under CI.

Under ``CI=true`` every property test is derandomised and keeps no example database,
also those with settings of their own (they inherit what they do not set): a CI run
passes or fails for the code, not for the draw. Local runs keep exploring new inputs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

settings.register_profile("fcsdk-ci", derandomize=True, database=None)
if os.environ.get("CI") == "true":
    settings.load_profile("fcsdk-ci")


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
