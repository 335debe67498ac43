"""The local OSS server that ``fcsdk serve`` runs beside the functions it serves.

Fresh temporary credentials for each run, the port next to the function's,
and the hand-off of one server to the processes a supervising ``fcsdk serve``
starts (``--reload``, ``--config``) through an environment variable.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fcsdk.exceptions import ConfigurationError

__all__ = ["OSS_HANDOFF_ENV", "local_oss", "new_credentials", "oss_banner", "oss_port_for"]

OSS_HANDOFF_ENV = "FCSDK_SERVE_OSS"
"""How a supervising ``fcsdk serve`` hands its OSS server to the processes it starts."""


def _b64(n: int) -> str:
    return base64.b64encode(secrets.token_bytes(n)).decode("ascii")


def new_credentials() -> dict[str, str]:
    """Return fresh temporary credentials for the local OSS server and the function.

    The secret and the token contain ``+``, ``/`` and ``=``, as real STS ones do,
    so that every encoding they travel in is exercised (and masked).
    """
    return {
        "access_key_id": "STS.local" + secrets.token_hex(8),
        "access_key_secret": f"{_b64(12)}+{_b64(6)}/{_b64(4)}",
        "security_token": f"CAIS{_b64(24)}+{_b64(12)}/{_b64(16)}",
    }


def oss_port_for(port: int) -> int:
    """Return the OSS port to try first: the function's port + 100 (9000 gives 9100), or any."""
    return port + 100 if 0 < port <= 65435 else 0


@contextmanager
def local_oss(*, root: Path, buckets: list[str], port: int = 0) -> Iterator[dict[str, Any]]:
    """Run the local OSS server with fresh credentials; yield ``{endpoint, buckets, credentials}``.

    It listens on ``port`` when that is free, else on any free port.

    Raises:
        ConfigurationError: a bucket name OSS forbids, or the folder cannot be used.
    """
    from fcsdk._local.oss.local_server import LocalOSSServer

    creds = new_credentials()
    server = None
    try:
        root.mkdir(parents=True, exist_ok=True)
        for candidate in dict.fromkeys([port, 0]):
            attempt = LocalOSSServer(
                access_key_id=creds["access_key_id"],
                access_key_secret=creds["access_key_secret"],
                security_token=creds["security_token"],
                root=root,
                port=candidate,
                buckets=buckets,
            )
            try:
                server = attempt.start()
                break
            except OSError:
                if candidate == 0:
                    raise
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot start the local OSS server: {exc}") from exc
    assert server is not None
    with server:
        yield {"endpoint": server.endpoint, "buckets": list(buckets), "credentials": creds}


def oss_banner(oss: dict[str, Any]) -> str:
    """Return the log line that announces the local OSS server."""
    names = ", ".join(repr(name) for name in oss["buckets"])
    shown = f" (bucket{'s' if len(oss['buckets']) > 1 else ''} {names})" if names else ""
    return f"local OSS at {oss['endpoint']}{shown}, credentials injected"
