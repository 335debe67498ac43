"""The local OSS server: :class:`LocalOSSServer`, public as :mod:`fcsdk.testing.oss`.

It assembles the parts in this package (signing, storage, the HTTP server,
the operations) into one object that starts and stops.
"""

from __future__ import annotations

import contextlib
import os
import threading
from types import TracebackType
from typing import TYPE_CHECKING

from fcsdk._local.oss.errors import OSSError
from fcsdk._local.oss.folder import FolderStore
from fcsdk._local.oss.operations import Operations
from fcsdk._local.oss.server import OSSHTTPServer, RecordedRequest
from fcsdk._local.oss.signing import CredentialSet, Keyring
from fcsdk._local.oss.storage import MemoryStore, Store
from fcsdk._platform.context import FAKE_ACCESS_KEY_ID, FAKE_ACCESS_KEY_SECRET
from fcsdk.exceptions import InvalidArgumentError

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["LocalOSSServer", "RecordedRequest"]

# The same credentials as fcsdk.testing.fake_context(), so the two work together.
DEFAULT_ACCESS_KEY_ID = FAKE_ACCESS_KEY_ID
DEFAULT_ACCESS_KEY_SECRET = FAKE_ACCESS_KEY_SECRET


class LocalOSSServer:
    """An OSS-compatible HTTP server on 127.0.0.1 that checks signatures.

    Args:
        access_key_id: the access key id requests must be signed with.
        access_key_secret: its secret.
        security_token: the STS token requests must carry
            (``x-oss-security-token``); ``None`` for long-term keys, in which
            case a token, if sent, is not checked.
        root: a folder to store buckets and objects in (kept across
            restarts); ``None`` keeps everything in memory.
        port: the port to listen on; ``0`` picks a free one.
        region: the region reported in bucket information.
        buckets: buckets to create at start.

    The defaults match :func:`fcsdk.testing.fake_context`'s credentials
    (without the token), so a handler run with a fake context can reach it.

    Example:
        >>> server = LocalOSSServer(buckets=["demo"]).start()
        >>> server.endpoint.startswith("http://127.0.0.1:")
        True
        >>> server.stop()
    """

    def __init__(
        self,
        *,
        access_key_id: str = DEFAULT_ACCESS_KEY_ID,
        access_key_secret: str = DEFAULT_ACCESS_KEY_SECRET,
        security_token: str | None = None,
        root: str | os.PathLike[str] | None = None,
        port: int = 0,
        region: str = "cn-hangzhou",
        buckets: list[str] | tuple[str, ...] = (),
    ) -> None:
        if not access_key_id or not access_key_secret:
            raise InvalidArgumentError(
                "LocalOSSServer needs a non-empty access_key_id and access_key_secret"
            )
        if not 0 <= port <= 65535:
            raise InvalidArgumentError(f"port must be 0 to 65535, got {port}")
        self._keyring = Keyring(CredentialSet(access_key_id, access_key_secret, security_token))
        self._store: Store = FolderStore(root) if root is not None else MemoryStore()
        self._operations = Operations(self._store, region)
        self._port = port
        self.region = region
        self._server: OSSHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._records: list[RecordedRequest] = []
        self._records_lock = threading.Lock()
        for name in buckets:
            self.create_bucket(name)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving in a background thread; returns ``self``.

        Raises:
            OSError: the port is taken.
        """
        with self._lock:
            if self._server is not None:
                return self
            server = OSSHTTPServer(
                ("127.0.0.1", self._port),
                store=self._store,
                keyring=self._keyring,
                region=self.region,
                operations=self._operations,
                record=self._record,
            )
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"LocalOSSServer:{server.server_address[1]}",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and close every connection; the stored data stays (in ``root``)."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- where and how to reach it ----------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on (only once started)."""
        if self._server is None:
            raise RuntimeError("LocalOSSServer is not running: call start() or use 'with'")
        return int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """The endpoint URL for ``oss2`` and ``FCSDK_OSS_ENDPOINT``: ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_key_id(self) -> str:
        """The access key id currently accepted."""
        return self._keyring.current.access_key_id

    @property
    def access_key_secret(self) -> str:
        """The secret currently accepted."""
        return self._keyring.current.access_key_secret

    @property
    def security_token(self) -> str | None:
        """The STS token currently required (``None``: not checked)."""
        return self._keyring.current.security_token

    def environ(self) -> dict[str, str]:
        """The environment variables that point fcsdk (and the 3.12 runtime's shape) here.

        ``FCSDK_OSS_ENDPOINT`` and the ``ALIBABA_CLOUD_*`` credentials; use with
        ``monkeypatch.setenv`` or ``os.environ.update``.
        """
        env = {
            "FCSDK_OSS_ENDPOINT": self.endpoint,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": self.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": self.access_key_secret,
        }
        if self.security_token is not None:
            env["ALIBABA_CLOUD_SECURITY_TOKEN"] = self.security_token
        return env

    def rotate_credentials(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        security_token: str | None = None,
    ) -> None:
        """Accept new credentials from now on; requests signed with the old ones are refused.

        An old STS set answers ``InvalidSecurityToken`` (expired), an old
        long-term key ``InvalidAccessKeyId``, as OSS does.
        """
        if not access_key_id or not access_key_secret:
            raise InvalidArgumentError(
                "rotate_credentials needs a non-empty access_key_id and secret"
            )
        self._keyring.rotate(CredentialSet(access_key_id, access_key_secret, security_token))

    def add_credentials(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        security_token: str | None = None,
    ) -> None:
        """Accept another set of credentials as well as the current ones.

        For tests where several invocations, each with its own keys, reach the
        server at once.
        """
        if not access_key_id or not access_key_secret:
            raise InvalidArgumentError("add_credentials needs a non-empty access_key_id and secret")
        self._keyring.add(CredentialSet(access_key_id, access_key_secret, security_token))

    # -- data -----------------------------------------------------------------------------------

    def create_bucket(self, name: str) -> None:
        """Create a bucket directly (no request); existing buckets are left alone.

        Raises:
            InvalidBucketNameError: OSS forbids the name (a ``ValueError``).
        """
        from fcsdk.oss import validate_bucket_name

        validate_bucket_name(name)
        with contextlib.suppress(OSSError):  # already there
            self._store.create_bucket(name)

    def bucket_names(self) -> list[str]:
        """The names of the buckets stored, sorted."""
        with self._store.lock:
            return sorted(self._store.buckets)

    def object_keys(self, bucket: str) -> list[str]:
        """The keys stored in ``bucket``, sorted.

        Raises:
            KeyError: there is no such bucket.
        """
        with self._store.lock:
            found = self._store.buckets.get(bucket)
            if found is None:
                raise KeyError(bucket)
            return sorted(found.objects)

    # -- what it received --------------------------------------------------------------------------

    def _record(self, entry: RecordedRequest) -> None:
        with self._records_lock:
            self._records.append(entry)

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far, oldest first (a copy)."""
        with self._records_lock:
            return list(self._records)

    def clear_requests(self) -> None:
        """Forget the requests recorded so far."""
        with self._records_lock:
            self._records.clear()

    def __repr__(self) -> str:
        where = self.endpoint if self._server is not None else "stopped"
        return f"LocalOSSServer({where}, access_key_id={self.access_key_id!r})"
