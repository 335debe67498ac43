"""The folder store of LocalOSSServer: one file per object, found again on restart."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fcsdk._local.oss.storage import (
    CHUNK,
    Blob,
    BlobWriter,
    Bucket,
    ObjectMeta,
    Store,
)

__all__ = ["FolderStore"]


class _FileBlob:
    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.size = size

    def read(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        stop = self.size if end is None else min(end, self.size)
        # Opened now, not on first iteration: a later replace of the file must not
        # change what this read returns.
        f = self.path.open("rb")
        f.seek(start)
        return _FileChunks(f, stop - start)

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class _FileChunks(Iterator[bytes]):
    """Chunks of an open file; closes it when exhausted or closed."""

    def __init__(self, f: Any, remaining: int) -> None:
        self._file = f
        self._remaining = remaining

    def __next__(self) -> bytes:
        chunk = self._file.read(min(CHUNK, self._remaining)) if self._remaining > 0 else b""
        if not chunk:
            self.close()
            raise StopIteration
        self._remaining -= len(chunk)
        return bytes(chunk)

    def close(self) -> None:
        """Close the file."""
        self._file.close()


class _FileSink:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix="blob-", suffix=".data")
        self._file = os.fdopen(fd, "wb")
        self._path = Path(name)
        self._size = 0

    def write(self, chunk: bytes | bytearray | memoryview) -> None:
        self._file.write(chunk)
        self._size += len(chunk)

    def finish(self) -> Blob:
        self._file.close()
        return _FileBlob(self._path, self._size)

    def abort(self) -> None:
        self._file.close()
        self._path.unlink(missing_ok=True)


class FolderStore(Store):
    """Everything in a folder, found again on restart.

    Layout: ``<root>/<bucket>/bucket.json``; ``<root>/<bucket>/objects/<sha256
    of key>.data`` and ``.json`` (metadata); ``<root>/<bucket>/tmp/`` for
    data being received and parts of multipart uploads (which do not survive
    a restart).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        super().__init__()
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._load()

    def _load(self) -> None:
        for info in sorted(self.root.glob("*/bucket.json")):
            data = json.loads(info.read_text("utf-8"))
            bucket = Bucket(name=data["name"], created=float(data["created"]))
            for meta_file in (info.parent / "objects").glob("*.json"):
                meta = ObjectMeta(**json.loads(meta_file.read_text("utf-8")))
                path = meta_file.with_suffix(".data")
                if path.exists():
                    bucket.objects[meta.key] = (meta, _FileBlob(path, meta.size))
            shutil.rmtree(info.parent / "tmp", ignore_errors=True)
            self.buckets[bucket.name] = bucket

    def _dir(self, bucket: str) -> Path:
        return self.root / bucket

    def _object_path(self, bucket: str, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self._dir(bucket) / "objects" / digest

    def writer(self, bucket: str, *, size_hint: int | None = None, crc: int = 0) -> BlobWriter:
        """Return a writer that streams into a temporary file of the bucket."""
        return BlobWriter(_FileSink(self._dir(bucket) / "tmp"), crc=crc)

    def copy_blob(self, bucket: str, blob: Blob) -> Blob:
        """Copy the file (the operating system does the work)."""
        assert isinstance(blob, _FileBlob)
        folder = self._dir(bucket) / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix="blob-", suffix=".data")
        os.close(fd)
        shutil.copyfile(blob.path, name)
        return _FileBlob(Path(name), blob.size)

    def append_blob(self, bucket: str, blob: Blob, writer: BlobWriter) -> Blob:
        """Append the new data to the object's file."""
        assert isinstance(blob, _FileBlob)
        addition = writer.finish()
        assert isinstance(addition, _FileBlob)
        with blob.path.open("ab") as out, addition.path.open("rb") as src:
            shutil.copyfileobj(src, out, CHUNK)
        addition.discard()
        return _FileBlob(blob.path, blob.size + addition.size)

    def saved_bucket(self, bucket: Bucket) -> None:
        """Write ``bucket.json``."""
        folder = self._dir(bucket.name)
        (folder / "objects").mkdir(parents=True, exist_ok=True)
        (folder / "bucket.json").write_text(
            json.dumps({"name": bucket.name, "created": bucket.created}), "utf-8"
        )

    def deleted_bucket(self, name: str) -> None:
        """Remove the bucket's folder."""
        shutil.rmtree(self._dir(name), ignore_errors=True)

    def saved_object(self, bucket: str, meta: ObjectMeta, blob: Blob) -> Blob:
        """Move the data into place and write the metadata next to it."""
        assert isinstance(blob, _FileBlob)
        base = self._object_path(bucket, meta.key)
        base.parent.mkdir(parents=True, exist_ok=True)
        data_path = base.with_suffix(".data")
        if blob.path != data_path:
            os.replace(blob.path, data_path)
        meta_path = base.with_suffix(".json")
        tmp = meta_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(asdict(meta)), "utf-8")
        os.replace(tmp, meta_path)
        return _FileBlob(data_path, meta.size)

    def put(self, bucket: str, meta: ObjectMeta, blob: Blob) -> None:
        """Store an object; the old file is replaced on disk, not deleted afterwards."""
        with self.lock:
            target = self.bucket(bucket)
            target.objects[meta.key] = (meta, self.saved_object(bucket, meta, blob))

    def deleted_object(self, bucket: str, key: str) -> None:
        """Remove the metadata file (the data file is removed by ``discard``)."""
        self._object_path(bucket, key).with_suffix(".json").unlink(missing_ok=True)
