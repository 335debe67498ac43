"""Tests for fcsdk/testing/oss.py: object operations through the real oss2 client."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import oss2
import pytest
import requests
from oss2 import exceptions as oe

from fcsdk.testing.oss import LocalOSSServer
from tests.testing.oss_support import BUCKET, client, new_server

ODD_KEYS = [
    "plain.txt",
    "with space/and more.bin",
    "unicode/文件-ünïcödé.txt",
    "percent/100%25 done %.txt",
    "query?x=1&y=2",
    "hash#fragment",
    "deep/a/b/c/",
    "plus+sign and ~tilde",
]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalOSSServer]:
    with new_server() as srv:
        yield srv


@pytest.fixture(params=["v1", "v4"])
def bucket(request: pytest.FixtureRequest, server: LocalOSSServer) -> Any:
    return client(server, auth_version=request.param)


def md5_etag(data: bytes) -> str:
    return hashlib.md5(data).hexdigest().upper()


class TestPutGet:
    @pytest.mark.parametrize("key", ODD_KEYS)
    def test_odd_keys_round_trip(self, bucket: Any, key: str) -> None:
        """Keys with unicode, spaces, %, ?, # and / round-trip through put, get and list."""
        data = key.encode("utf-8") * 3
        bucket.put_object(key, data)
        assert bucket.get_object(key).read() == data
        listed = [o.key for o in oss2.ObjectIteratorV2(bucket, prefix=key)]
        assert key in listed

    def test_etag_is_md5_and_crc_checked(self, bucket: Any) -> None:
        """The ETag is the upper-case MD5, and oss2's CRC-64 check passes on put and get."""
        data = b"hello world" * 100
        result = bucket.put_object("etag.bin", data)
        assert result.etag == md5_etag(data)
        expected_crc = oss2.utils.Crc64(0)
        expected_crc.update(data)
        assert result.crc == expected_crc.crc
        got = bucket.get_object("etag.bin")
        assert got.read() == data
        assert got.client_crc == got.server_crc

    def test_zero_byte_object(self, bucket: Any) -> None:
        """A zero-byte object stores, heads and reads back as empty."""
        bucket.put_object("empty", b"")
        assert bucket.head_object("empty").content_length == 0
        assert bucket.get_object("empty").read() == b""

    def test_content_type_from_key_and_header(self, bucket: Any) -> None:
        """Content type comes from the header oss2 derives from the key, or the one given."""
        bucket.put_object("page.html", b"<p>")
        assert bucket.head_object("page.html").content_type == "text/html"
        bucket.put_object("data", b"{}", headers={"Content-Type": "application/json"})
        assert bucket.get_object("data").content_type == "application/json"

    def test_user_metadata_and_kept_headers(self, bucket: Any) -> None:
        """x-oss-meta-* and Cache-Control-like headers come back on head and get."""
        bucket.put_object(
            "meta.txt",
            b"x",
            headers={"x-oss-meta-author": "ada", "Cache-Control": "no-cache"},
        )
        head = bucket.head_object("meta.txt")
        assert head.headers["x-oss-meta-author"] == "ada"
        assert head.headers["Cache-Control"] == "no-cache"
        assert head.object_type == "Normal"

    def test_overwrite_replaces(self, bucket: Any) -> None:
        """A second put of the same key replaces the data."""
        bucket.put_object("over", b"one")
        bucket.put_object("over", b"two!")
        assert bucket.get_object("over").read() == b"two!"

    def test_forbid_overwrite(self, bucket: Any) -> None:
        """x-oss-forbid-overwrite refuses to replace an existing object (409)."""
        bucket.put_object("keep", b"1")
        with pytest.raises(oe.ServerError) as info:
            bucket.put_object("keep", b"2", headers={"x-oss-forbid-overwrite": "true"})
        assert (info.value.status, info.value.code) == (409, "FileAlreadyExists")

    def test_content_md5_checked(self, bucket: Any) -> None:
        """A wrong Content-MD5 is InvalidDigest and nothing is stored."""
        bucket.delete_object("digest")
        wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        with pytest.raises(oe.InvalidDigest):
            bucket.put_object("digest", b"data", headers={"Content-MD5": wrong})
        assert not bucket.object_exists("digest")
        with pytest.raises(oe.InvalidDigest):
            bucket.put_object("digest", b"data", headers={"Content-MD5": "not base64!"})
        right = base64.b64encode(hashlib.md5(b"data").digest()).decode()
        bucket.put_object("digest", b"data", headers={"Content-MD5": right})
        assert bucket.object_exists("digest")

    def test_streamed_iterable_upload(self, bucket: Any) -> None:
        """Data without a length goes chunked and is stored whole."""

        def parts() -> Iterator[bytes]:
            for i in range(5):
                yield bytes([65 + i]) * 1000

        bucket.put_object("chunked", parts())
        assert bucket.get_object("chunked").read() == b"".join(
            bytes([65 + i]) * 1000 for i in range(5)
        )

    def test_missing_key_and_bucket(self, server: LocalOSSServer, bucket: Any) -> None:
        """A missing key is NoSuchKey; a missing bucket is NoSuchBucket."""
        with pytest.raises(oe.NoSuchKey):
            bucket.get_object("no/such/key")
        with pytest.raises(oe.NoSuchBucket):
            client(server, "no-such-bucket").get_object("k")
        with pytest.raises(oe.NoSuchBucket):
            client(server, "no-such-bucket").put_object("k", b"x")


class TestRanges:
    DATA = bytes(range(256)) * 4

    @pytest.fixture(autouse=True)
    def _object(self, bucket: Any) -> None:
        bucket.put_object("range.bin", self.DATA)

    @pytest.mark.parametrize(
        ("byte_range", "expected"),
        [
            ((0, 9), DATA[0:10]),
            ((1000, None), DATA[1000:]),
            ((None, 24), DATA[-24:]),
            ((1000, 5000), DATA[1000:]),
        ],
    )
    def test_ranges(self, bucket: Any, byte_range: Any, expected: bytes) -> None:
        """Ranges answer 206 with the right bytes and Content-Range."""
        got = bucket.get_object("range.bin", byte_range=byte_range)
        assert got.status == 206
        assert got.read() == expected
        assert got.content_range.endswith(f"/{len(self.DATA)}")

    @pytest.mark.parametrize("byte_range", [(5000, 6000), (5000, None), (len(DATA), None)])
    def test_start_past_end(self, bucket: Any, byte_range: Any) -> None:
        """A range that starts at or past the end, open-ended or not, is InvalidRange (416)
        with the object's size in Content-Range."""
        with pytest.raises(oe.ServerError) as info:
            bucket.get_object("range.bin", byte_range=byte_range)
        assert (info.value.status, info.value.code) == (416, "InvalidRange")
        assert info.value.headers["Content-Range"] == f"bytes */{len(self.DATA)}"

    @pytest.mark.parametrize("header", ["bytes=9-3", "bytes=-0", "lines=1-2", "bytes=-"])
    def test_invalid_range_is_ignored(self, bucket: Any, header: str) -> None:
        """An invalid Range header gives the whole object, as OSS does."""
        got = bucket.get_object("range.bin", headers={"Range": header})
        assert got.status == 200
        assert got.read() == self.DATA


class TestHeadExistsMeta:
    def test_head_and_meta(self, bucket: Any) -> None:
        """head_object and get_object_meta give size, ETag and time."""
        bucket.put_object("h.txt", b"12345")
        head = bucket.head_object("h.txt")
        assert head.content_length == 5
        assert head.etag == md5_etag(b"12345")
        assert head.last_modified > 0
        meta = bucket.get_object_meta("h.txt")
        assert (meta.content_length, meta.etag) == (5, md5_etag(b"12345"))

    def test_head_missing_raises_no_such_key(self, bucket: Any) -> None:
        """A HEAD of a missing key gives NoSuchKey through x-oss-err, as OSS does."""
        with pytest.raises(oe.NoSuchKey) as info:
            bucket.head_object("nope")
        assert info.value.request_id
        assert info.value.message == "The specified key does not exist."
        assert info.value.details["Key"] == "nope"

    def test_exists(self, server: LocalOSSServer, bucket: Any) -> None:
        """object_exists is True, False, or raises NoSuchBucket for a missing bucket."""
        bucket.put_object("e", b"1")
        assert bucket.object_exists("e") is True
        assert bucket.object_exists("not-e") is False
        with pytest.raises(oe.NoSuchBucket):
            client(server, "missing-bucket").object_exists("e")

    def test_conditions(self, bucket: Any) -> None:
        """If-Match failing is PreconditionFailed; If-None-Match matching is NotModified."""
        etag = bucket.put_object("cond", b"c").etag
        with pytest.raises(oe.PreconditionFailed):
            bucket.get_object("cond", headers={"If-Match": '"0000"'})
        assert bucket.get_object("cond", headers={"If-Match": f'"{etag}"'}).read() == b"c"
        with pytest.raises(oe.NotModified):
            bucket.get_object("cond", headers={"If-None-Match": f'"{etag}"'})
        with pytest.raises(oe.NotModified):  # * matches any object there is
            bucket.get_object("cond", headers={"If-None-Match": "*"})
        assert bucket.get_object("cond", headers={"If-None-Match": '"0000"'}).read() == b"c"

    def test_response_overrides(self, server: LocalOSSServer) -> None:
        """response-* parameters of a signed URL override the response headers."""
        bucket = client(server, auth_version="v1")
        bucket.put_object("dl.bin", b"d")
        url = bucket.sign_url(
            "GET",
            "dl.bin",
            60,
            params={"response-content-disposition": "attachment; filename=x.bin"},
        )
        response = requests.get(url, timeout=10)
        assert response.headers["Content-Disposition"] == "attachment; filename=x.bin"

    @pytest.mark.parametrize("value", ["text/€", "a\r\nX-Injected: 1", "a\x00b", " padded"])
    def test_an_override_no_header_can_carry_is_refused(
        self, server: LocalOSSServer, value: str
    ) -> None:
        """A response-* value outside Latin-1, with CR/LF or NUL, or padded: 400, named."""
        bucket = client(server, auth_version="v1")
        bucket.put_object("dl2.bin", b"d")
        url = bucket.sign_url("GET", "dl2.bin", 60, params={"response-content-type": value})
        response = requests.get(url, timeout=10)
        assert response.status_code == 400
        assert "X-Injected" not in response.headers
        assert "<Code>InvalidArgument</Code>" in response.text
        assert (
            "<Message>The response-content-type parameter cannot be sent as a header value."
            "</Message>" in response.text
        )
        assert "<ArgumentName>response-content-type</ArgumentName>" in response.text

    def test_an_override_any_header_can_carry_is_sent(self, server: LocalOSSServer) -> None:
        """Latin-1 text and inner tabs and spaces are sent as given."""
        bucket = client(server, auth_version="v1")
        bucket.put_object("dl3.bin", b"d")
        value = "text/plain; name=caf\xe9\tx  y"
        url = bucket.sign_url("GET", "dl3.bin", 60, params={"response-content-type": value})
        response = requests.get(url, timeout=10)
        assert (response.status_code, response.headers["Content-Type"]) == (200, value)


class TestDeleteCopyAppend:
    def test_delete(self, bucket: Any) -> None:
        """delete_object removes; deleting a missing key still succeeds (204)."""
        bucket.put_object("del", b"1")
        assert bucket.delete_object("del").status == 204
        assert not bucket.object_exists("del")
        assert bucket.delete_object("del").status == 204

    def test_batch_delete(self, bucket: Any) -> None:
        """batch_delete_objects deletes many keys, odd ones included, and lists them."""
        keys = ["b/1", "b/два", "b/3 %?#"]
        for key in keys:
            bucket.put_object(key, b"x")
        result = bucket.batch_delete_objects([*keys, "b/never-there"])
        assert sorted(result.deleted_keys) == sorted([*keys, "b/never-there"])
        assert [o.key for o in oss2.ObjectIterator(bucket, prefix="b/")] == []

    def test_copy_keeps_meta(self, bucket: Any) -> None:
        """copy_object copies data, ETag, content type and user metadata."""
        bucket.put_object("src.txt", b"copy me", headers={"x-oss-meta-k": "v"})
        result = bucket.copy_object(BUCKET, "src.txt", "dst/ü copy.txt")
        assert result.etag == md5_etag(b"copy me")
        head = bucket.head_object("dst/ü copy.txt")
        assert head.headers["x-oss-meta-k"] == "v"
        assert head.content_type == "text/plain"
        assert bucket.get_object("dst/ü copy.txt").read() == b"copy me"

    def test_copy_replace_meta_and_update(self, bucket: Any) -> None:
        """update_object_meta (copy onto itself with REPLACE) replaces the metadata."""
        bucket.put_object("self.txt", b"s", headers={"x-oss-meta-old": "1"})
        bucket.update_object_meta("self.txt", {"x-oss-meta-new": "2", "Content-Type": "a/b"})
        head = bucket.head_object("self.txt")
        assert "x-oss-meta-old" not in head.headers
        assert head.headers["x-oss-meta-new"] == "2"
        assert head.content_type == "a/b"

    def test_copy_errors(self, bucket: Any) -> None:
        """Copying a missing source is NoSuchKey; onto itself without REPLACE is InvalidArgument."""
        with pytest.raises(oe.NoSuchKey):
            bucket.copy_object(BUCKET, "no-source", "t")
        bucket.put_object("same", b"1")
        with pytest.raises(oe.InvalidArgument):
            bucket.copy_object(BUCKET, "same", "same")
        with pytest.raises(oe.InvalidArgument):
            bucket.copy_object(BUCKET, "same", "t", headers={"x-oss-metadata-directive": "MERGE"})
        with pytest.raises(oe.NotImplemented):
            bucket.copy_object(BUCKET, "same", "t", params={"versionId": "v1"})
        with pytest.raises(oe.InvalidArgument):
            bucket.put_object("t", b"", headers={"x-oss-copy-source": f"/{BUCKET}"})

    def test_append(self, bucket: Any) -> None:
        """append_object grows an appendable object and reports the next position and CRC."""
        bucket.delete_object("log.txt")
        first = bucket.append_object("log.txt", 0, b"line 1\n", init_crc=0)
        assert first.next_position == 7
        second = bucket.append_object("log.txt", 7, b"line 2\n", init_crc=first.crc)
        assert second.next_position == 14
        got = bucket.get_object("log.txt")
        assert got.read() == b"line 1\nline 2\n"
        assert got.object_type == "Appendable"
        assert got.server_crc == second.crc

    def test_append_errors(self, bucket: Any) -> None:
        """A wrong position and a normal object give OSS's two append errors."""
        bucket.delete_object("app")
        bucket.append_object("app", 0, b"abc")
        with pytest.raises(oe.PositionNotEqualToLength) as info:
            bucket.append_object("app", 1, b"d")
        assert info.value.next_position == 3
        bucket.put_object("normal", b"n")
        with pytest.raises(oe.ObjectNotAppendable):
            bucket.append_object("normal", 1, b"d")
        with pytest.raises(oe.PositionNotEqualToLength):
            bucket.append_object("fresh-append", 5, b"d")
        with pytest.raises(oe.InvalidArgument):
            bucket._Bucket__do_object(
                "POST", "app", data=b"d", params={"append": "", "position": ""}
            )

    def test_copy_of_appendable_is_normal(self, bucket: Any) -> None:
        """A copy of an appendable object is a normal object."""
        bucket.delete_object("app-src")
        bucket.append_object("app-src", 0, b"abc")
        bucket.copy_object(BUCKET, "app-src", "app-copy")
        assert bucket.head_object("app-copy").object_type == "Normal"
