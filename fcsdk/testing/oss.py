"""A loopback OSS server for tests and local runs, that the real ``oss2`` client talks to.

This is the public face of the local OSS server that ``fcsdk serve`` and
``fcsdk oss-server`` also run; it lives with the other local tools in
``fcsdk._local.oss``.

:class:`LocalOSSServer` listens on 127.0.0.1 (path-style URLs), stores in
memory or in a folder, checks every request's signature (v1, v4 and v1/v4
presigned URLs) and STS security token against the credentials it was
started with, and answers with OSS's status codes, headers and XML, so that
``oss2`` raises the same exceptions it raises against OSS. It also records
each request (method, path, operation, signature scheme, whether a token was
present) for assertions.

Example:
    >>> import oss2
    >>> from fcsdk.testing.oss import LocalOSSServer
    >>> with LocalOSSServer() as server:
    ...     server.create_bucket("demo")
    ...     auth = oss2.StsAuth(server.access_key_id, server.access_key_secret, None)
    ...     bucket = oss2.Bucket(auth, server.endpoint, "demo")
    ...     _ = bucket.put_object("hello.txt", b"hi")
    ...     bucket.get_object("hello.txt").read()
    b'hi'
"""

from __future__ import annotations

from fcsdk._local.oss.local_server import LocalOSSServer, RecordedRequest

__all__ = ["LocalOSSServer", "RecordedRequest"]
