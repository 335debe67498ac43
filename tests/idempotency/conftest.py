"""Real servers for the idempotency tests: a redis-server and the local OSS server.

redis-server is Debian's package (``scripts/ensure-redis.sh`` installs it). Under
``CI=true`` a missing server fails the tests; elsewhere they skip, loudly.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fcsdk.idempotency import RedisStore
from fcsdk.testing import fake_context
from fcsdk.testing.oss import LocalOSSServer

BUCKET = "idem-bucket"
# Credentials shaped like real STS ones: secret and token with "+", "/" and "=".
AK = "STS.NTkUo8ab5Cdx3Z"
SECRET = "s3cr+t/Key=="
TOKEN = "CAIS+token/part==end"


def free_port() -> int:
    """A loopback port the OS says is free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_binary() -> str:
    """The redis-server executable, or skip (fail under CI=true) when it is missing."""
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if found:
        return found
    reason = (
        "NO REDIS: redis-server is missing, the idempotency tests on Redis cannot run; "
        "install it with scripts/ensure-redis.sh"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


class RedisServer:
    """A redis-server of its own on a free loopback port, killed at the end."""

    def __init__(self, tmp: Path) -> None:
        binary = redis_binary()
        for _ in range(5):  # another program may take the free port first
            self.port = free_port()
            self.process = subprocess.Popen(
                [
                    binary,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(tmp),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._wait_ready(10.0):
                return
            self.stop()
        raise AssertionError("redis-server did not start on a free port in five tries")

    def _wait_ready(self, timeout: float) -> bool:
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        give_up = time.monotonic() + timeout
        try:
            while time.monotonic() < give_up:
                if self.process.poll() is not None:
                    return False
                try:
                    return bool(client.ping())
                except redis.ConnectionError:
                    time.sleep(0.02)  # polling the port with a bounded timeout
            return False
        finally:
            client.close()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the session (each test uses its own key prefix)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[Any]:
    """A plain redis client to look at what the store wrote."""
    client = redis_server.client()
    yield client
    client.close()


@pytest.fixture
def store(redis_server: RedisServer) -> Iterator[RedisStore]:
    """A RedisStore on the test's own key prefix."""
    store = RedisStore.from_url(redis_server.url, prefix=f"t-{uuid.uuid4().hex[:8]}:")
    yield store
    store.close()


@pytest.fixture
def context() -> Any:
    """An FC context (runtime shape) with a 60 s function timeout."""
    return fake_context(timeout=60)


@pytest.fixture(scope="session")
def oss_server() -> Iterator[LocalOSSServer]:
    """The local OSS server with STS credentials and the bucket ``idem-bucket``."""
    server = LocalOSSServer(
        access_key_id=AK, access_key_secret=SECRET, security_token=TOKEN, buckets=[BUCKET]
    ).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def oss_env(oss_server: LocalOSSServer, monkeypatch: pytest.MonkeyPatch) -> LocalOSSServer:
    """Point fcsdk's OSS buckets at the local server."""
    monkeypatch.setenv("FCSDK_OSS_ENDPOINT", oss_server.endpoint)
    return oss_server


@pytest.fixture
def oss_context() -> Any:
    """An FC context whose STS credentials the local OSS server accepts."""
    return fake_context(
        timeout=60, access_key_id=AK, access_key_secret=SECRET, security_token=TOKEN
    )
