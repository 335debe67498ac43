"""Where LocalOSSServer keeps buckets and objects: in memory or in a folder.

Object data is written as it arrives, chunk by chunk, while its MD5 and
CRC-64 are computed; an object is never held twice in memory. The memory
store here keeps one ``bytearray`` per object; the folder store
(:mod:`fcsdk._local.oss.folder`) keeps one file per object.

All metadata changes happen under one lock; data is written outside it, to a
blob that becomes visible only once complete. A blob is never changed once
visible, except that an appendable object's data grows past the size readers
were given: a reader sees the old object or the new one, whole, or a 404,
never half an object. ``open()`` takes a lookup and a hold on the data in one
step, so a DELETE or PUT that lands meanwhile cannot take the data away from
a GET that already found the object.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from fcsdk._local.oss.errors import OSSError

__all__ = [
    "Blob",
    "BlobWriter",
    "Bucket",
    "MemoryStore",
    "ObjectMeta",
    "Part",
    "Store",
    "Upload",
    "crc64",
]

CHUNK = 1024 * 1024

# -- CRC-64/ECMA as OSS computes it (x-oss-hash-crc64ecma) ---------------------------------

_POLY = 0xC96C5795D7870F42  # the reflected form of 0x42F0E1EBA9EA3693
_MASK = 0xFFFFFFFFFFFFFFFF


def _table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ _POLY if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _table()


def crc64_pure(data: bytes | bytearray | memoryview, crc: int = 0) -> int:
    """CRC-64/XZ (``x-oss-hash-crc64ecma``) in pure Python; ``crc`` continues a previous one."""
    value = crc ^ _MASK
    table = _TABLE
    for byte in bytes(data):
        value = table[(value ^ byte) & 0xFF] ^ (value >> 8)
    return value ^ _MASK


def _fast_crc64() -> Callable[[bytes | bytearray | memoryview, int], int]:
    try:
        crcmod = importlib.import_module("crcmod")  # an oss2 dependency, with a C extension
    except ImportError:  # crcmod comes with oss2, but a user may install oss2 without it
        return crc64_pure
    fun: Callable[[bytes | bytearray | memoryview, int], int] = crcmod.mkCrcFun(
        0x142F0E1EBA9EA3693, initCrc=0, rev=True, xorOut=_MASK
    )
    return fun


crc64 = _fast_crc64()


# -- records -----------------------------------------------------------------------------


@dataclass
class ObjectMeta:
    """What the server knows about one object, besides its data."""

    key: str
    size: int
    etag: str  # as OSS sends it: quoted, upper-case hex
    crc64: int
    content_type: str
    last_modified: float
    object_type: str = "Normal"  # Normal, Multipart or Appendable
    user_meta: dict[str, str] = field(default_factory=dict)  # x-oss-meta-* (lower-case)
    headers: dict[str, str] = field(default_factory=dict)  # Cache-Control and friends
    storage_class: str = "Standard"


@dataclass
class Part:
    """One uploaded part of a multipart upload."""

    number: int
    etag: str
    md5: bytes
    size: int
    crc64: int
    last_modified: float
    blob: Blob


@dataclass
class Upload:
    """An initiated, not yet completed multipart upload."""

    upload_id: str
    key: str
    initiated: float
    content_type: str
    user_meta: dict[str, str]
    headers: dict[str, str]
    parts: dict[int, Part] = field(default_factory=dict)


@dataclass
class Bucket:
    """A bucket: its objects by key and its open multipart uploads by id."""

    name: str
    created: float
    objects: dict[str, tuple[ObjectMeta, Blob]] = field(default_factory=dict)
    uploads: dict[str, Upload] = field(default_factory=dict)


class Blob(Protocol):
    """Complete, immutable object data."""

    size: int

    def read(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield the bytes ``[start, end)`` in chunks."""
        ...

    def discard(self) -> None:
        """Free the data (delete the file); readers holding it keep what they opened."""
        ...

    def open(self) -> Blob:
        """Return a hold on the data that a later ``discard`` cannot take away."""
        ...

    def close(self) -> None:
        """Release a hold taken by ``open`` (a no-op on other blobs)."""
        ...


class BlobWriter:
    """Receives data chunk by chunk, hashing as it goes; ``finish()`` gives the blob.

    ``crc`` is the CRC-64 to continue from: 0 for new data, the object's for an append.
    """

    def __init__(self, sink: _Sink, *, crc: int) -> None:
        self._sink = sink
        self.md5 = hashlib.md5()
        self.crc64 = crc
        self.size = 0

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        """Append a chunk."""
        self._sink.write(chunk)
        self.md5.update(chunk)
        self.crc64 = crc64(chunk, self.crc64)
        self.size += len(chunk)

    def finish(self) -> Blob:
        """Return the blob of everything written."""
        return self._sink.finish()

    def abort(self) -> None:
        """Throw away what was written."""
        self._sink.abort()


class _Sink(Protocol):
    def write(self, chunk: bytes | bytearray | memoryview) -> None: ...
    def finish(self) -> Blob: ...
    def abort(self) -> None: ...


# -- memory ------------------------------------------------------------------------------


class _MemoryBlob:
    def __init__(self, data: bytearray) -> None:
        self.data = data
        self.size = len(data)

    def read(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        stop = self.size if end is None else min(end, self.size)
        data = self.data
        # Slices, not a memoryview: an append may resize the bytearray meanwhile.
        for offset in range(start, stop, CHUNK):
            yield bytes(data[offset : min(offset + CHUNK, stop)])

    def discard(self) -> None:
        # Nothing to free by hand: a reader that still holds this blob keeps its bytes,
        # the garbage collector takes them after the last one.
        pass

    def open(self) -> Blob:
        return self

    def close(self) -> None:
        pass


class _MemorySink:
    def __init__(self, size_hint: int | None) -> None:
        self._data = bytearray()
        del size_hint  # bytearray grows in place; no second copy is ever made

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        self._data += chunk

    def finish(self) -> Blob:
        return _MemoryBlob(self._data)

    def abort(self) -> None:
        self._data = bytearray()  # frees what was written; the sink is not used again


# -- the stores --------------------------------------------------------------------------


def new_upload_id() -> str:
    """An upload id shaped like OSS's (32 upper-case hex digits)."""
    return uuid.uuid4().hex.upper()


def multipart_etag(md5s: Iterable[bytes]) -> str:
    """The ETag OSS gives a completed multipart object: MD5 of the parts' MD5s, ``-N``."""
    digests = list(md5s)
    joined = hashlib.md5(b"".join(digests)).hexdigest().upper()
    return f'"{joined}-{len(digests)}"'


def quoted_md5(md5: Any) -> str:
    """The ETag OSS gives a normal object: its MD5, upper-case hex, in quotes."""
    return f'"{md5.hexdigest().upper()}"'


def content_md5(md5: Any) -> str:
    """The ``Content-MD5`` form (base64) of an MD5 hash object."""
    return base64.b64encode(md5.digest()).decode("ascii")


class Store:
    """Buckets and objects, behind one lock; subclasses decide where data lives."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.buckets: dict[str, Bucket] = {}

    # data
    def writer(self, bucket: str, *, size_hint: int | None = None, crc: int = 0) -> BlobWriter:
        """Return a writer for new object data in ``bucket``."""
        raise NotImplementedError

    def copy_blob(self, bucket: str, blob: Blob) -> Blob:
        """Return an independent copy of ``blob`` stored in ``bucket``."""
        writer = self.writer(bucket, size_hint=blob.size)
        for chunk in blob.read():
            writer.write(chunk)
        return writer.finish()

    def append_blob(self, bucket: str, blob: Blob, writer: BlobWriter) -> Blob:
        """Return ``blob`` followed by what ``writer`` received (consuming both)."""
        raise NotImplementedError

    # persistence hooks (no-ops in memory)
    def saved_bucket(self, bucket: Bucket) -> None:
        """Persist a bucket's existence."""

    def deleted_bucket(self, name: str) -> None:
        """Forget a bucket on disk."""

    def saved_object(self, bucket: str, meta: ObjectMeta, blob: Blob) -> Blob:
        """Persist an object; returns the blob where it now lives."""
        return blob

    def deleted_object(self, bucket: str, key: str) -> None:
        """Forget an object's metadata on disk."""

    # queries
    def bucket(self, name: str) -> Bucket:
        """Return the bucket or raise ``NoSuchBucket``."""
        found = self.buckets.get(name)
        if found is None:
            raise OSSError(404, "NoSuchBucket", "The specified bucket does not exist.", bucket=name)
        return found

    def get(self, bucket: str, key: str) -> tuple[ObjectMeta, Blob]:
        """Return an object's metadata and data, or raise ``NoSuchKey``."""
        with self.lock:
            found = self.bucket(bucket).objects.get(key)
        if found is None:
            raise OSSError(404, "NoSuchKey", "The specified key does not exist.", key=key)
        return found

    def open(self, bucket: str, key: str) -> tuple[ObjectMeta, Blob]:
        """Like ``get``, with a hold on the data taken under the lock; ``close()`` the blob.

        The blob's ``read()`` hands the hold to the iterator it returns, which
        releases it when exhausted or closed.
        """
        with self.lock:
            meta, blob = self.get(bucket, key)
            return meta, blob.open()

    def put(self, bucket: str, meta: ObjectMeta, blob: Blob) -> None:
        """Store an object, replacing any object of the same key."""
        with self.lock:
            target = self.bucket(bucket)
            blob = self.saved_object(bucket, meta, blob)
            old = target.objects.get(meta.key)
            target.objects[meta.key] = (meta, blob)
        if old is not None and old[1] is not blob:
            old[1].discard()

    def delete(self, bucket: str, key: str) -> bool:
        """Delete an object; returns whether it existed."""
        with self.lock:
            old = self.bucket(bucket).objects.pop(key, None)
            if old is not None:
                self.deleted_object(bucket, key)
        if old is None:
            return False
        old[1].discard()
        return True

    def create_bucket(self, name: str) -> Bucket:
        """Create a bucket, or raise ``BucketAlreadyExists``."""
        with self.lock:
            if name in self.buckets:
                raise OSSError(
                    409,
                    "BucketAlreadyExists",
                    "The requested bucket name is not available.",
                    bucket=name,
                )
            created = Bucket(name=name, created=time.time())
            self.buckets[name] = created
            self.saved_bucket(created)
            return created

    def delete_bucket(self, name: str) -> None:
        """Delete an empty bucket, or raise ``BucketNotEmpty``/``NoSuchBucket``."""
        with self.lock:
            found = self.bucket(name)
            if found.objects or found.uploads:
                raise OSSError(
                    409,
                    "BucketNotEmpty",
                    "The bucket you tried to delete is not empty.",
                    bucket=name,
                )
            del self.buckets[name]
            self.deleted_bucket(name)

    def close(self) -> None:
        """Release what the store holds open."""


class MemoryStore(Store):
    """Everything in memory: one ``bytearray`` per object."""

    def writer(self, bucket: str, *, size_hint: int | None = None, crc: int = 0) -> BlobWriter:
        """Return a writer that accumulates into one growing ``bytearray``."""
        return BlobWriter(_MemorySink(size_hint), crc=crc)

    def append_blob(self, bucket: str, blob: Blob, writer: BlobWriter) -> Blob:
        """Extend the object's ``bytearray`` in place (no copy of what is there).

        Readers of the old object keep their size and never read past it.
        """
        assert isinstance(blob, _MemoryBlob)
        addition = writer.finish()
        assert isinstance(addition, _MemoryBlob)
        blob.data += addition.data
        return _MemoryBlob(blob.data)


def updated(meta: ObjectMeta, **changes: Any) -> ObjectMeta:
    """Return a copy of ``meta`` with ``changes``."""
    return replace(meta, **changes)
