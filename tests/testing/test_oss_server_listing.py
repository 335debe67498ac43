"""Tests for fcsdk/testing/oss.py: buckets and object listings through the real oss2 client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import oss2
import pytest
from oss2 import exceptions as oe

from fcsdk.testing.oss import LocalOSSServer
from tests.testing.oss_support import client, new_server, service

KEYS = [
    "a.txt",
    "dir/1.txt",
    "dir/2.txt",
    "dir/sub/3.txt",
    "dir/sub/4.txt",
    "dir2/5.txt",
    "z/ünï/6.txt",
]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalOSSServer]:
    with new_server(buckets=["list-bucket"]) as srv:
        filler = client(srv, "list-bucket")
        for key in KEYS:
            filler.put_object(key, key.encode())
        yield srv


@pytest.fixture(params=["v1", "v4"])
def bucket(request: pytest.FixtureRequest, server: LocalOSSServer) -> Any:
    return client(server, "list-bucket", auth_version=request.param)


class TestListObjects:
    def test_all_sorted(self, bucket: Any) -> None:
        """v1 and v2 list every key in byte order with sizes and ETags."""
        v1 = bucket.list_objects()
        assert [o.key for o in v1.object_list] == KEYS
        assert v1.object_list[0].size == len(KEYS[0])
        assert v1.object_list[0].type == "Normal"
        v2 = bucket.list_objects_v2(fetch_owner=True)
        assert [o.key for o in v2.object_list] == KEYS
        assert v2.object_list[0].owner is not None

    @pytest.mark.parametrize("version", [1, 2])
    def test_prefix_and_delimiter(self, bucket: Any, version: int) -> None:
        """A delimiter folds deeper keys into common prefixes."""
        listing = (
            bucket.list_objects(prefix="dir/", delimiter="/")
            if version == 1
            else bucket.list_objects_v2(prefix="dir/", delimiter="/")
        )
        assert [o.key for o in listing.object_list] == ["dir/1.txt", "dir/2.txt"]
        assert listing.prefix_list == ["dir/sub/"]
        top = bucket.list_objects_v2(delimiter="/")
        assert [o.key for o in top.object_list] == ["a.txt"]
        assert top.prefix_list == ["dir/", "dir2/", "z/"]

    def test_v1_pagination_with_marker(self, bucket: Any) -> None:
        """max_keys pages v1 listings; next_marker continues, prefixes included."""
        seen: list[str] = []
        marker = ""
        while True:
            page = bucket.list_objects(delimiter="/", prefix="", marker=marker, max_keys=2)
            seen += [o.key for o in page.object_list] + page.prefix_list
            if not page.is_truncated:
                break
            marker = page.next_marker
        assert seen == ["a.txt", "dir/", "dir2/", "z/"]

    def test_v2_pagination_with_token(self, bucket: Any) -> None:
        """ObjectIteratorV2 walks every key through continuation tokens."""
        keys = [o.key for o in oss2.ObjectIteratorV2(bucket, max_keys=2)]
        assert keys == KEYS
        first = bucket.list_objects_v2(max_keys=3)
        assert first.is_truncated
        rest = bucket.list_objects_v2(continuation_token=first.next_continuation_token)
        assert [o.key for o in first.object_list + rest.object_list] == KEYS

    def test_v1_iterator_with_delimiter(self, bucket: Any) -> None:
        """ObjectIterator with a delimiter gives keys and prefixes once each."""
        entries = [
            o.key for o in oss2.ObjectIterator(bucket, prefix="dir/", delimiter="/", max_keys=1)
        ]
        assert entries == ["dir/1.txt", "dir/2.txt", "dir/sub/"]

    def test_start_after_and_marker_inside_prefix(self, bucket: Any) -> None:
        """start_after skips keys; a marker inside a common prefix skips that prefix."""
        after = bucket.list_objects_v2(start_after="dir/sub/3.txt")
        assert [o.key for o in after.object_list] == KEYS[4:]
        inside = bucket.list_objects(delimiter="/", marker="dir/1.txt")
        assert inside.prefix_list == ["dir2/", "z/"]

    def test_unencoded_listing(self, bucket: Any) -> None:
        """encoding_type='' returns raw keys, unicode included."""
        listing = bucket.list_objects_v2(prefix="z/", encoding_type="")
        assert [o.key for o in listing.object_list] == ["z/ünï/6.txt"]

    def test_max_keys_zero(self, bucket: Any) -> None:
        """max_keys=0 returns nothing and says more is there."""
        listing = bucket.list_objects(max_keys=0)
        assert listing.object_list == []
        assert listing.is_truncated

    @pytest.mark.parametrize("max_keys", [-1, 1001])
    def test_bad_max_keys(self, bucket: Any, max_keys: int) -> None:
        """max-keys outside 0..1000 is InvalidArgument."""
        with pytest.raises(oe.InvalidArgument) as info:
            bucket.list_objects(max_keys=max_keys)
        assert info.value.name == "max-keys"

    def test_bad_continuation_token(self, bucket: Any) -> None:
        """A token the server never gave is InvalidArgument."""
        with pytest.raises(oe.InvalidArgument):
            bucket.list_objects_v2(continuation_token="%%%not-base64")

    def test_missing_bucket(self, server: LocalOSSServer) -> None:
        """Listing a missing bucket is NoSuchBucket."""
        with pytest.raises(oe.NoSuchBucket):
            client(server, "never-made").list_objects()


class TestBuckets:
    @pytest.mark.parametrize("auth_version", ["v1", "v4"])
    def test_create_list_delete(self, server: LocalOSSServer, auth_version: str) -> None:
        """create_bucket, list_buckets and delete_bucket work; info and location answer."""
        name = f"made-by-{auth_version}"
        bucket = client(server, name, auth_version=auth_version)
        bucket.create_bucket(oss2.BUCKET_ACL_PRIVATE)
        names = [b.name for b in oss2.BucketIterator(service(server, auth_version=auth_version))]
        assert name in names
        assert name in server.bucket_names()
        info = bucket.get_bucket_info()
        assert info.name == name
        assert bucket.get_bucket_location().location == "oss-cn-hangzhou"
        bucket.delete_bucket()
        assert name not in server.bucket_names()

    def test_create_with_configuration(self, server: LocalOSSServer) -> None:
        """A CreateBucketConfiguration body is accepted: the bucket exists and serves objects."""
        bucket = client(server, "configured")
        bucket.create_bucket(
            input=oss2.models.BucketCreateConfig(oss2.BUCKET_STORAGE_CLASS_STANDARD)
        )
        assert "configured" in server.bucket_names()
        assert bucket.get_bucket_info().name == "configured"
        bucket.put_object("k", b"v")
        assert bucket.get_object("k").read() == b"v"

    def test_existing_bucket(self, server: LocalOSSServer) -> None:
        """Creating a bucket twice is BucketAlreadyExists (409)."""
        with pytest.raises(oe.ServerError) as info:
            client(server, "list-bucket").create_bucket()
        assert (info.value.status, info.value.code) == (409, "BucketAlreadyExists")

    def test_delete_not_empty_or_missing(self, server: LocalOSSServer) -> None:
        """A bucket with objects is BucketNotEmpty; a missing one NoSuchBucket."""
        with pytest.raises(oe.BucketNotEmpty):
            client(server, "list-bucket").delete_bucket()
        with pytest.raises(oe.NoSuchBucket):
            client(server, "gone-bucket").delete_bucket()

    def test_bucket_with_open_upload_is_not_empty(self, server: LocalOSSServer) -> None:
        """An open multipart upload keeps a bucket from being deleted."""
        bucket = client(server, "with-upload")
        bucket.create_bucket()
        upload_id = bucket.init_multipart_upload("big").upload_id
        with pytest.raises(oe.BucketNotEmpty):
            bucket.delete_bucket()
        bucket.abort_multipart_upload("big", upload_id)
        bucket.delete_bucket()

    def test_list_buckets_pages(self, server: LocalOSSServer) -> None:
        """list_buckets honours prefix and max_keys, and pages with next_marker."""
        for i in range(3):
            server.create_bucket(f"page-{i}")
        svc = service(server)
        first = svc.list_buckets(prefix="page-", max_keys=2)
        assert [b.name for b in first.buckets] == ["page-0", "page-1"]
        assert first.is_truncated
        rest = svc.list_buckets(prefix="page-", marker=first.next_marker)
        assert [b.name for b in rest.buckets] == ["page-2"]
        assert rest.buckets[0].location == "oss-cn-hangzhou"

    def test_invalid_bucket_name_over_http(self, server: LocalOSSServer) -> None:
        """A request naming a forbidden bucket is InvalidBucketName (400)."""
        bucket = client(server, "ok-name")
        bucket.bucket_name = "Bad_Name"
        with pytest.raises(oe.ServerError) as info:
            bucket.get_object("k")
        assert (info.value.status, info.value.code) == (400, "InvalidBucketName")
        assert info.value.details["BucketName"] == "Bad_Name"

    def test_server_side_helpers(self, server: LocalOSSServer) -> None:
        """create_bucket (direct) validates names; object_keys lists a bucket's keys."""
        with pytest.raises(ValueError, match="invalid OSS bucket name"):
            server.create_bucket("No")
        server.create_bucket("list-bucket")  # already there: left alone
        assert server.object_keys("list-bucket") == KEYS
        with pytest.raises(KeyError):
            server.object_keys("never-made")
