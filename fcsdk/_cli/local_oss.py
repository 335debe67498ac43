"""``--local-oss``: a loopback OSS server holding the objects an OSS trigger event names.

An OSS function's ``event.json`` names a bucket and an object the function
then reads. ``fcsdk invoke --local-oss`` and ``fcsdk coldstart --local-oss``
start :class:`~fcsdk.testing.oss.LocalOSSServer` on 127.0.0.1, create each
bucket and object the event names (text of the size the event gives), and
point the function at it with ``FCSDK_OSS_ENDPOINT``: a fresh scaffold runs
with nothing but the local tools. Any other handler gets the server too,
with the buckets ``--bucket`` names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import unquote

from fcsdk.exceptions import ConfigurationError

__all__ = ["event_objects", "serving_event_objects"]

_FILLER = b"a local object made by fcsdk for the event's key\n"


def event_objects(event: bytes) -> list[tuple[str, str, int]]:
    """The ``(bucket, key, size)`` of each record of an OSS trigger event.

    Raises:
        ConfigurationError: the event is not an OSS trigger event.

    Example:
        >>> event_objects(b'{"events": [{"oss": {"bucket": {"name": "b"},'
        ...               b' "object": {"key": "in/a%20b.txt", "size": 3}}}]}')
        [('b', 'in/a b.txt', 3)]
    """
    try:
        records = json.loads(event)["events"]
        found = [
            (
                str(r["oss"]["bucket"]["name"]),
                unquote(str(r["oss"]["object"]["key"])),
                int(r["oss"]["object"].get("size", len(_FILLER))),
            )
            for r in records
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(
            "--local-oss needs an OSS trigger event (events[].oss.bucket.name and "
            f"events[].oss.object.key): {type(exc).__name__}: {exc}"
        ) from exc
    return found


@contextmanager
def serving_event_objects(
    event: bytes,
    *,
    buckets: Sequence[str] = (),
    access_key_id: str | None = None,
    access_key_secret: str | None = None,
) -> Iterator[dict[str, str]]:
    """Serve ``buckets`` and the objects ``event`` names on a loopback OSS server.

    Any event will do: one that is not an OSS trigger event seeds no object.
    Yields the server's environment (``FCSDK_OSS_ENDPOINT`` and the keys).

    Raises:
        ConfigurationError: a bucket name is not valid, or oss2 is not installed.
    """
    try:
        objects = event_objects(event)
    except ConfigurationError:
        objects = []
    try:
        import oss2
    except ModuleNotFoundError as exc:  # pragma: no cover - the dev install has oss2
        raise ConfigurationError("--local-oss needs oss2: pip install 'fcsdk[oss]'") from exc
    from fcsdk._local.oss.local_server import LocalOSSServer
    from fcsdk.exceptions import InvalidBucketNameError

    names = sorted({b for b, _, _ in objects} | set(buckets))
    try:
        if access_key_id is not None and access_key_secret is not None:
            server = LocalOSSServer(
                access_key_id=access_key_id, access_key_secret=access_key_secret, buckets=names
            )
        else:
            server = LocalOSSServer(buckets=names)
        server.start()
    except (ValueError, InvalidBucketNameError, OSError) as exc:
        raise ConfigurationError(f"--local-oss: {exc}") from exc
    try:
        auth = oss2.Auth(server.access_key_id, server.access_key_secret)
        for bucket, key, size in objects:
            data = (_FILLER * (size // len(_FILLER) + 1))[:size]
            oss2.Bucket(auth, server.endpoint, bucket).put_object(key, data)
        yield server.environ()
    finally:
        server.stop()
