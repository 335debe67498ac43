"""The fcsdk pytest plugin (entry point ``pytest11``): fixtures for handler tests."""

from __future__ import annotations

from typing import Any

import pytest

__all__ = ["fc_context", "oss_server"]


@pytest.fixture
def fc_context() -> Any:
    """A runtime-shaped (python3.10) context with a fresh request id."""
    from fcsdk.testing import fake_context

    return fake_context()


@pytest.fixture
def oss_server(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A running :class:`~fcsdk.testing.oss.LocalOSSServer` that ``context.oss_bucket()`` uses.

    It accepts :func:`~fcsdk.testing.fake_context`'s credentials, security
    token included (and checked), has a bucket named ``test-bucket``, and is
    reached through ``FCSDK_OSS_ENDPOINT`` for the duration of the test.
    """
    from fcsdk._platform.context import (
        FAKE_ACCESS_KEY_ID,
        FAKE_ACCESS_KEY_SECRET,
        FAKE_SECURITY_TOKEN,
    )
    from fcsdk.testing.oss import LocalOSSServer

    server = LocalOSSServer(
        access_key_id=FAKE_ACCESS_KEY_ID,
        access_key_secret=FAKE_ACCESS_KEY_SECRET,
        security_token=FAKE_SECURITY_TOKEN,
        buckets=["test-bucket"],
    )
    with server:
        monkeypatch.setenv("FCSDK_OSS_ENDPOINT", server.endpoint)
        yield server
