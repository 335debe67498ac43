"""Tests for fcsdk/testing/oss.py: multipart uploads and oss2's resumable transfers."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import oss2
import pytest
from oss2 import exceptions as oe
from oss2.models import PartInfo

from fcsdk._local.oss import multipart
from fcsdk.testing.oss import LocalOSSServer
from tests.testing.oss_support import client, new_server

PART = 100 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[LocalOSSServer]:
    with new_server() as srv:
        yield srv


@pytest.fixture(params=["v1", "v4"])
def bucket(request: pytest.FixtureRequest, server: LocalOSSServer) -> Any:
    return client(server, auth_version=request.param)


def upload_parts(bucket: Any, key: str, chunks: list[bytes]) -> tuple[str, list[PartInfo]]:
    upload_id = bucket.init_multipart_upload(key).upload_id
    parts = []
    for number, chunk in enumerate(chunks, start=1):
        result = bucket.upload_part(key, upload_id, number, chunk)
        parts.append(PartInfo(number, result.etag, size=len(chunk), part_crc=result.crc))
    return upload_id, parts


class TestMultipart:
    def test_complete(self, bucket: Any) -> None:
        """Parts upload, complete into one object with OSS's multipart ETag, CRC checked."""
        chunks = [os.urandom(PART), os.urandom(PART), b"tail"]
        upload_id, parts = upload_parts(bucket, "mp/ü object.bin", chunks)
        result = bucket.complete_multipart_upload("mp/ü object.bin", upload_id, parts)
        md5s = b"".join(hashlib.md5(c).digest() for c in chunks)
        assert result.etag == hashlib.md5(md5s).hexdigest().upper() + "-3"
        got = bucket.get_object("mp/ü object.bin")
        assert got.read() == b"".join(chunks)
        assert got.object_type == "Multipart"

    def test_list_parts_and_reupload(self, bucket: Any) -> None:
        """list_parts pages the parts; uploading a part number again replaces it."""
        upload_id, _ = upload_parts(bucket, "lp", [b"a" * PART, b"b" * PART, b"c"])
        bucket.upload_part("lp", upload_id, 2, b"B" * PART)
        first = bucket.list_parts("lp", upload_id, max_parts=2)
        assert [p.part_number for p in first.parts] == [1, 2]
        assert first.is_truncated
        rest = bucket.list_parts("lp", upload_id, marker=first.next_marker)
        assert [p.part_number for p in rest.parts] == [3]
        assert first.parts[1].etag == hashlib.md5(b"B" * PART).hexdigest().upper()
        parts = [PartInfo(p.part_number, p.etag) for p in first.parts + rest.parts]
        bucket.complete_multipart_upload("lp", upload_id, parts)
        assert bucket.get_object("lp").read() == b"a" * PART + b"B" * PART + b"c"

    def test_complete_all(self, bucket: Any) -> None:
        """x-oss-complete-all: yes completes with every uploaded part."""
        upload_id, _ = upload_parts(bucket, "all", [b"1" * PART, b"2"])
        bucket.complete_multipart_upload(
            "all", upload_id, None, headers={"x-oss-complete-all": "yes"}
        )
        assert bucket.get_object("all").read() == b"1" * PART + b"2"

    def test_init_keeps_metadata(self, bucket: Any) -> None:
        """Content type and user metadata given at initiation land on the object."""
        upload_id = bucket.init_multipart_upload(
            "meta.json", headers={"x-oss-meta-origin": "mp"}
        ).upload_id
        etag = bucket.upload_part("meta.json", upload_id, 1, b"{}").etag
        bucket.complete_multipart_upload("meta.json", upload_id, [PartInfo(1, etag)])
        head = bucket.head_object("meta.json")
        assert head.content_type == "application/json"
        assert head.headers["x-oss-meta-origin"] == "mp"

    def test_abort(self, bucket: Any) -> None:
        """An aborted upload is gone: its id answers NoSuchUpload."""
        upload_id, parts = upload_parts(bucket, "ab", [b"x"])
        assert bucket.abort_multipart_upload("ab", upload_id).status == 204
        with pytest.raises(oe.NoSuchUpload):
            bucket.complete_multipart_upload("ab", upload_id, parts)
        with pytest.raises(oe.NoSuchUpload):
            bucket.abort_multipart_upload("ab", upload_id)
        with pytest.raises(oe.NoSuchUpload):
            bucket.upload_part("ab", "0" * 32, 1, b"x")

    def test_complete_errors(self, bucket: Any) -> None:
        """Wrong ETags, wrong order and small parts give OSS's errors."""
        upload_id, parts = upload_parts(bucket, "bad", [b"s" * 10, b"t" * 10])
        with pytest.raises(oe.ServerError) as info:
            bucket.complete_multipart_upload("bad", upload_id, parts)
        assert info.value.code == "EntityTooSmall"
        with pytest.raises(oe.ServerError) as info:
            bucket.complete_multipart_upload("bad", upload_id, [PartInfo(1, "0" * 32)])
        assert info.value.code == "InvalidPart"
        order = (
            b"<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>x</ETag></Part>"
            b"<Part><PartNumber>1</PartNumber><ETag>y</ETag></Part></CompleteMultipartUpload>"
        )
        with pytest.raises(oe.ServerError) as info:
            bucket._Bucket__do_object("POST", "bad", params={"uploadId": upload_id}, data=order)
        assert info.value.code == "InvalidPartOrder"
        with pytest.raises(oe.ServerError) as info:  # a part named twice is out of order too
            bucket.complete_multipart_upload("bad", upload_id, [parts[0], parts[0], parts[1]])
        assert info.value.code == "InvalidPartOrder"
        with pytest.raises(oe.MalformedXml):
            bucket._Bucket__do_object("POST", "bad", params={"uploadId": upload_id}, data=b"<x")
        no_number = (
            b"<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>"
        )
        with pytest.raises(oe.MalformedXml):
            bucket._Bucket__do_object("POST", "bad", params={"uploadId": upload_id}, data=no_number)
        with pytest.raises(oe.ServerError) as info:
            bucket._Bucket__do_object(
                "POST",
                "bad",
                params={"uploadId": upload_id},
                data=b"<CompleteMultipartUpload/>",
            )
        assert (info.value.code, info.value.message) == (
            "InvalidPart",
            "One or more of the specified parts could not be found.",
        )
        with pytest.raises(oe.InvalidArgument):
            bucket.complete_multipart_upload(
                "bad", upload_id, parts, headers={"x-oss-complete-all": "yes"}
            )
        bucket.abort_multipart_upload("bad", upload_id)

    def test_times_are_those_of_the_upload(
        self, bucket: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A part's LastModified is when it was uploaded; the object's, when it was completed."""
        now = [1_600_000_000.0]
        monkeypatch.setattr(multipart, "time", SimpleNamespace(time=lambda: now[0]))
        upload_id, parts = upload_parts(bucket, "timed", [b"only part"])
        now[0] = 1_700_000_000.0
        (part,) = bucket.list_parts("timed", upload_id).parts
        assert part.last_modified == 1_600_000_000
        bucket.complete_multipart_upload("timed", upload_id, parts)
        assert bucket.head_object("timed").last_modified == 1_700_000_000

    def test_bad_part_number(self, bucket: Any) -> None:
        """Part numbers outside 1..10000 are InvalidArgument."""
        upload_id = bucket.init_multipart_upload("pn").upload_id
        with pytest.raises(oe.InvalidArgument):
            bucket.upload_part("pn", upload_id, 10001, b"x")
        bucket.abort_multipart_upload("pn", upload_id)

    def test_upload_part_copy_not_implemented(self, bucket: Any) -> None:
        """UploadPartCopy answers NotImplemented."""
        bucket.put_object("copy-src", b"x")
        upload_id = bucket.init_multipart_upload("upc").upload_id
        with pytest.raises(oe.NotImplemented):
            bucket.upload_part_copy(bucket.bucket_name, "copy-src", (0, 0), "upc", upload_id, 1)
        bucket.abort_multipart_upload("upc", upload_id)


class TestListUploads:
    def test_list_and_page(self, server: LocalOSSServer) -> None:
        """list_multipart_uploads lists open uploads by key, folds prefixes, and pages."""
        bucket = client(server, "uploads-bucket")
        bucket.create_bucket()
        made: dict[str, list[str]] = {}
        for key in ["a/1", "a/2", "b", "b", "ü/x"]:
            made.setdefault(key, []).append(bucket.init_multipart_upload(key).upload_id)
        listed = [(u.key, u.upload_id) for u in oss2.MultipartUploadIterator(bucket, max_uploads=2)]
        assert [k for k, _ in listed] == ["a/1", "a/2", "b", "b", "ü/x"]
        assert sorted(i for k, i in listed if k == "b") == sorted(made["b"])
        folded = bucket.list_multipart_uploads(delimiter="/")
        assert [u.key for u in folded.upload_list] == ["b", "b"]
        assert folded.prefix_list == ["a/", "ü/"]
        paged = bucket.list_multipart_uploads(delimiter="/", max_uploads=1)
        assert paged.is_truncated
        assert paged.prefix_list == ["a/"]
        rest = bucket.list_multipart_uploads(delimiter="/", key_marker=paged.next_key_marker)
        assert [u.key for u in rest.upload_list] == ["b", "b"]
        assert rest.prefix_list == ["ü/"]
        for key, ids in made.items():
            for upload_id in ids:
                bucket.abort_multipart_upload(key, upload_id)
        assert bucket.list_multipart_uploads().upload_list == []
        bucket.delete_bucket()


class TestResumable:
    def test_resumable_upload_and_download(self, bucket: Any, tmp_path: Path) -> None:
        """oss2.resumable_upload (multipart, threads) and resumable_download work unchanged."""
        source = tmp_path / "source.bin"
        data = os.urandom(5 * PART + 123)
        source.write_bytes(data)
        oss2.resumable_upload(
            bucket,
            "resumable/file.bin",
            str(source),
            store=oss2.ResumableStore(root=str(tmp_path)),
            multipart_threshold=PART,
            part_size=PART,
            num_threads=3,
        )
        head = bucket.head_object("resumable/file.bin")
        assert head.object_type == "Multipart"
        assert head.content_length == len(data)
        target = tmp_path / "target.bin"
        oss2.resumable_download(
            bucket,
            "resumable/file.bin",
            str(target),
            store=oss2.ResumableDownloadStore(root=str(tmp_path)),
            multiget_threshold=PART,
            part_size=PART,
            num_threads=3,
        )
        assert target.read_bytes() == data

    def test_small_file_goes_through_put(self, bucket: Any, tmp_path: Path) -> None:
        """Under the threshold resumable_upload uses a plain put."""
        source = tmp_path / "small.txt"
        source.write_bytes(b"small")
        oss2.resumable_upload(bucket, "resumable/small.txt", str(source))
        assert bucket.head_object("resumable/small.txt").object_type == "Normal"
