"""The folder store of LocalOSSServer: one file per object, found again on restart.

Crash consistency (a ``kill -9`` of the server at any point): data is written
to a file no metadata refers to yet; the metadata, which names its data file,
is then replaced atomically (``os.replace``). A crash before that leaves the
old object, whole; a crash after it leaves the new one. Each PUT, copy or
completed multipart upload gets a data file of its own name, so removing an
old object's data can never remove a newer object's. An appendable object's
file grows in place: the metadata records how many bytes belong to the object,
readers never read past that, and bytes a crashed append left past it are cut
off before the next append and at start-up. Files nothing refers to are removed
at start-up. This covers a crash of the server process, not a power cut (no
``fsync``).

The tests kill the server at each named step of a write: with
``FCSDK_OSS_CRASH_AT=STEP`` (or ``STEP:N``, the N-th time) in its environment
the store kills its own process with SIGKILL when it reaches that step (see
:data:`CRASH_STEPS`). Nothing else reads that variable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import signal
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from fcsdk._local.oss.errors import OSSError
from fcsdk._local.oss.storage import (
    CHUNK,
    Blob,
    BlobWriter,
    Bucket,
    ObjectMeta,
    Store,
)
from fcsdk.exceptions import InvalidArgumentError

__all__ = ["FolderStore", "StoredObject", "stored_objects"]

logger = logging.getLogger("fcsdk.testing.oss")

CRASH_STEPS = (
    "data-receiving",  # the first chunk of new data is in a file of tmp/
    "data-placed",  # the data file has its own name beside the metadata, not yet named by it
    "metadata-half-written",  # half of the new metadata is written (to a file of its own)
    "metadata-replaced",  # the metadata names the new data; the old data file is still there
    "append-copied",  # an append's bytes are in the file, its length not yet recorded
)
"""The steps of a write at which ``FCSDK_OSS_CRASH_AT`` can kill the server, in order."""


def _crash_plan(spec: str) -> list[Any] | None:
    """``[step, times]`` from ``FCSDK_OSS_CRASH_AT``'s ``STEP`` or ``STEP:N``; None when unset."""
    if not spec:
        return None
    step, _, times = spec.partition(":")
    if step not in CRASH_STEPS or not (times or "1").isdigit():
        raise InvalidArgumentError(
            f"FCSDK_OSS_CRASH_AT={spec!r}: expected one of {CRASH_STEPS}[:N]"
        )
    return [step, int(times or "1")]


def _gone() -> OSSError:
    return OSSError(404, "NoSuchKey", "The specified key does not exist.")


class _FileBlob:
    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = size

    def read(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        blob = self.open()
        return blob.read(start, end)

    def open(self) -> Blob:
        try:
            f = self.path.open("rb")
        except FileNotFoundError:  # deleted meanwhile (a part of an aborted upload)
            raise _gone() from None
        return _OpenFileBlob(f, self.size)

    def close(self) -> None:
        pass

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class _OpenFileBlob:
    """A blob whose file is already open: unlinking the file no longer affects it."""

    def __init__(self, f: IO[bytes], size: int) -> None:
        self._file = f
        self.size = size

    def read(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        stop = self.size if end is None else min(end, self.size)
        return _FileChunks(self._file, start, stop)

    def open(self) -> Blob:
        return self

    def close(self) -> None:
        self._file.close()

    def discard(self) -> None:
        self._file.close()


class _FileChunks(Iterator[bytes]):
    """Chunks ``[start, stop)`` of an open file; closes it when exhausted or closed."""

    def __init__(self, f: IO[bytes], start: int, stop: int) -> None:
        self._file = f
        self._offset = start
        self._stop = stop

    def __next__(self) -> bytes:
        remaining = self._stop - self._offset
        chunk = (
            os.pread(self._file.fileno(), min(CHUNK, remaining), self._offset)
            if remaining > 0
            else b""
        )
        if not chunk:
            self.close()
            raise StopIteration
        self._offset += len(chunk)
        return chunk

    def close(self) -> None:
        """Close the file."""
        self._file.close()


class _FileSink:
    def __init__(self, folder: Path, reached: Callable[[str], None]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix="blob-", suffix=".data")
        self._file = os.fdopen(fd, "wb")
        self._path = Path(name)
        self._size = 0
        self._reached = reached

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        self._file.write(chunk)
        if not self._size:
            self._file.flush()
            self._reached("data-receiving")
        self._size += len(chunk)

    def finish(self) -> Blob:
        self._file.close()
        return _FileBlob(self._path, self._size)

    def abort(self) -> None:
        self._file.close()
        self._path.unlink(missing_ok=True)


def _read_meta(meta_file: Path) -> tuple[ObjectMeta, Path] | None:
    """An object's metadata and the path of its data file; None when unreadable."""
    try:
        fields: dict[str, Any] = json.loads(meta_file.read_text("utf-8"))
        data_name = fields.pop("data", meta_file.with_suffix(".data").name)
        meta = ObjectMeta(**fields)
    except (OSError, ValueError, TypeError):
        return None
    return meta, meta_file.parent / Path(str(data_name)).name


@dataclass(frozen=True)
class StoredObject:
    """One object of a folder store, as :func:`stored_objects` finds it."""

    bucket: str
    meta: ObjectMeta
    path: Path
    """Its data file (stored under a hashed name; the object is its first ``meta.size`` bytes)."""


def stored_objects(root: str | os.PathLike[str]) -> list[StoredObject]:
    """The objects a folder store holds, by bucket and key, read without changing a file.

    Safe while a server uses the folder: unlike a server's start, it removes
    nothing and truncates nothing. Metadata it cannot read is left out.

    Raises:
        FileNotFoundError: ``root`` is not a folder store (no bucket in it).
    """
    folder = Path(root)
    infos = sorted(folder.glob("*/bucket.json"))
    if not infos:
        raise FileNotFoundError(f"no buckets stored in {folder}")
    found = []
    for info in infos:
        name = info.parent.name
        for meta_file in (info.parent / "objects").glob("*.json"):
            read = _read_meta(meta_file)
            if read is not None:
                found.append(StoredObject(name, *read))
    return sorted(found, key=lambda o: (o.bucket, o.meta.key))


class FolderStore(Store):
    """Everything in a folder, found again on restart.

    Layout: ``<root>/<bucket>/bucket.json``; ``<root>/<bucket>/objects/<sha256
    of key>.json`` (the metadata, naming its data file) and
    ``<sha256 of key>.<unique>.data``; ``<root>/<bucket>/tmp/`` for data being
    received and parts of multipart uploads (which do not survive a restart).
    :func:`stored_objects` (``fcsdk oss-server ls``) says which file holds which key.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        super().__init__()
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._crash_at = _crash_plan(os.environ.get("FCSDK_OSS_CRASH_AT", ""))
        self._load()

    def _reached(self, step: str) -> None:
        """Kill this process at ``step`` when ``FCSDK_OSS_CRASH_AT`` names it (tests only)."""
        plan = self._crash_at
        if plan is not None and plan[0] == step:
            plan[1] -= 1
            if plan[1] == 0:
                os.kill(os.getpid(), signal.SIGKILL)

    def _load(self) -> None:
        for info in sorted(self.root.glob("*/bucket.json")):
            data = json.loads(info.read_text("utf-8"))
            bucket = Bucket(name=data["name"], created=float(data["created"]))
            objects = info.parent / "objects"
            used: set[str] = set()
            for meta_file in objects.glob("*.json"):
                loaded = self._load_object(meta_file)
                if loaded is not None:
                    meta, blob = loaded
                    bucket.objects[meta.key] = (meta, blob)
                    used.add(blob.path.name)
            for leftover in objects.glob("*"):
                # data files no metadata names (a crash before the metadata was
                # replaced, or before an old file was removed) and metadata drafts
                if leftover.suffix != ".json" and leftover.name not in used:
                    leftover.unlink(missing_ok=True)
            shutil.rmtree(info.parent / "tmp", ignore_errors=True)
            self.buckets[bucket.name] = bucket

    @staticmethod
    def _load_object(meta_file: Path) -> tuple[ObjectMeta, _FileBlob] | None:
        found = _read_meta(meta_file)
        if found is None:
            logger.warning("LocalOSSServer: ignoring unreadable metadata %s", meta_file)
            return None
        meta, path = found
        try:
            actual = path.stat().st_size
        except FileNotFoundError:
            logger.warning("LocalOSSServer: %s has no data file, ignoring it", meta_file)
            return None
        if actual < meta.size:
            logger.warning("LocalOSSServer: %s is shorter than recorded, ignoring it", path)
            return None
        if actual > meta.size:  # a crashed append wrote past the recorded length
            os.truncate(path, meta.size)
        return meta, _FileBlob(path, meta.size)

    def _dir(self, bucket: str) -> Path:
        return self.root / bucket

    def _object_base(self, bucket: str, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self._dir(bucket) / "objects" / digest

    def writer(self, bucket: str, *, size_hint: int | None = None, crc: int = 0) -> BlobWriter:
        """Return a writer that streams into a temporary file of the bucket."""
        return BlobWriter(_FileSink(self._dir(bucket) / "tmp", self._reached), crc=crc)

    def append_blob(self, bucket: str, blob: Blob, writer: BlobWriter) -> Blob:
        """Append the new data to the object's file, after what the object has recorded.

        Called under the store's lock. Bytes past ``blob.size`` (a crashed
        append's) are cut off first; readers of the old object never read them.
        """
        assert isinstance(blob, _FileBlob)
        addition = writer.finish()
        assert isinstance(addition, _FileBlob)
        with blob.path.open("r+b") as out, addition.path.open("rb") as src:
            out.truncate(blob.size)
            out.seek(blob.size)
            shutil.copyfileobj(src, out, CHUNK)
        self._reached("append-copied")
        addition.discard()
        return _FileBlob(blob.path, blob.size + addition.size)

    def saved_bucket(self, bucket: Bucket) -> None:
        """Write ``bucket.json``."""
        folder = self._dir(bucket.name)
        (folder / "objects").mkdir(parents=True, exist_ok=True)
        self._write_atomically(
            folder / "bucket.json", json.dumps({"name": bucket.name, "created": bucket.created})
        )

    def deleted_bucket(self, name: str) -> None:
        """Remove the bucket's folder."""
        shutil.rmtree(self._dir(name), ignore_errors=True)

    def _write_atomically(self, path: Path, text: str) -> None:
        """Write ``text`` to a file of its own, then put it in ``path``'s place at once."""
        tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
        data = text.encode("utf-8")
        try:
            with tmp.open("wb") as f:
                f.write(data[: len(data) // 2])
                f.flush()
                self._reached("metadata-half-written")
                f.write(data[len(data) // 2 :])
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def saved_object(self, bucket: str, meta: ObjectMeta, blob: Blob) -> Blob:
        """Move the data to a name of its own, then point the metadata at it (atomically)."""
        assert isinstance(blob, _FileBlob)
        base = self._object_base(bucket, meta.key)
        base.parent.mkdir(parents=True, exist_ok=True)
        if blob.path.parent == base.parent:  # an append: the file is already in place
            data_path = blob.path
        else:
            data_path = base.with_name(f"{base.name}.{uuid.uuid4().hex}.data")
            os.replace(blob.path, data_path)
        self._reached("data-placed")
        self._write_atomically(
            base.with_suffix(".json"), json.dumps({**asdict(meta), "data": data_path.name})
        )
        return _FileBlob(data_path, meta.size)

    def put(self, bucket: str, meta: ObjectMeta, blob: Blob) -> None:
        """Store an object; the replaced object's own data file is removed afterwards."""
        with self.lock:
            target = self.bucket(bucket)
            stored = self.saved_object(bucket, meta, blob)
            old = target.objects.get(meta.key)
            target.objects[meta.key] = (meta, stored)
            self._reached("metadata-replaced")
        if (
            old is not None
            and isinstance(old[1], _FileBlob)
            and isinstance(stored, _FileBlob)
            and old[1].path != stored.path
        ):
            old[1].discard()

    def deleted_object(self, bucket: str, key: str) -> None:
        """Remove the metadata file (the data file is removed by ``discard``)."""
        self._object_base(bucket, key).with_suffix(".json").unlink(missing_ok=True)
