"""Shared helpers for the LocalOSSServer tests: a server and real oss2 clients for it."""

from __future__ import annotations

from typing import Any

import oss2

from fcsdk.testing.oss import LocalOSSServer

AK = "STS.test-access-key-id"
SECRET = "test-secret-value-1234"
TOKEN = "test-security-token-5678"
REGION = "cn-hangzhou"
BUCKET = "test-bucket"


def new_server(**kwargs: Any) -> LocalOSSServer:
    """A started server with STS credentials and the bucket ``test-bucket``."""
    options: dict[str, Any] = {
        "access_key_id": AK,
        "access_key_secret": SECRET,
        "security_token": TOKEN,
        "buckets": [BUCKET],
    }
    options.update(kwargs)
    return LocalOSSServer(**options).start()


def client(
    server: LocalOSSServer,
    name: str = BUCKET,
    *,
    auth_version: str = "v4",
    key_id: str = AK,
    secret: str = SECRET,
    token: str | None = TOKEN,
    **options: Any,
) -> Any:
    """A real ``oss2.Bucket`` for ``server``, signed with ``oss2.StsAuth``."""
    auth = oss2.StsAuth(key_id, secret, token, auth_version=auth_version)
    return oss2.Bucket(auth, server.endpoint, name, region=REGION, **options)


def service(server: LocalOSSServer, *, auth_version: str = "v4") -> Any:
    """A real ``oss2.Service`` for ``server``."""
    auth = oss2.StsAuth(AK, SECRET, TOKEN, auth_version=auth_version)
    return oss2.Service(auth, server.endpoint, region=REGION)
