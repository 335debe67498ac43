"""The fcsdk pytest plugin (entry point ``pytest11``): fixtures for handler tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def fc_context() -> Any:
    """A runtime-shaped (python3.10) context with a fresh request id."""
    from fcsdk.testing import fake_context

    return fake_context()
