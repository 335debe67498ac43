"""The local OSS server answers x-oss-forbid-overwrite as OSS does (the OSS store's claim)."""

from __future__ import annotations

import threading
from typing import Any
from xml.etree import ElementTree as ET

import oss2
import pytest
import requests

from fcsdk.testing.oss import LocalOSSServer
from tests.idempotency.conftest import AK, BUCKET, SECRET, TOKEN

FORBID = {"x-oss-forbid-overwrite": "true"}


@pytest.fixture
def bucket(oss_server: LocalOSSServer) -> Any:
    return oss2.Bucket(oss2.StsAuth(AK, SECRET, TOKEN), oss_server.endpoint, BUCKET)


class TestForbidOverwrite:
    def test_put_object_on_an_existing_key(self, bucket: Any) -> None:
        """PutObject with the header on an existing key: 409 FileAlreadyExists, OSS's XML body."""
        bucket.put_object("fo/put", b"first")
        with pytest.raises(oss2.exceptions.ServerError) as info:
            bucket.put_object("fo/put", b"second", headers=FORBID)
        error = info.value
        assert (error.status, error.code) == (409, "FileAlreadyExists")
        assert (
            error.message == "The object you specified already exists and can not be overwritten."
        )
        assert error.request_id
        assert bucket.get_object("fo/put").read() == b"first"
        # the raw answer: an OSS XML <Error> document
        signed = bucket.sign_url("PUT", "fo/put", 60, headers=FORBID)
        raw = requests.put(signed, data=b"x", headers=FORBID, timeout=10)
        assert raw.status_code == 409
        assert raw.headers["Content-Type"] == "application/xml"
        root = ET.fromstring(raw.content)
        assert root.tag == "Error"
        assert root.findtext("Code") == "FileAlreadyExists"

    def test_put_object_on_a_new_key_and_false(self, bucket: Any) -> None:
        """The header on a new key creates it; ``false`` overwrites as usual."""
        bucket.delete_object("fo/new")
        bucket.put_object("fo/new", b"1", headers=FORBID)
        bucket.put_object("fo/new", b"2", headers={"x-oss-forbid-overwrite": "false"})
        assert bucket.get_object("fo/new").read() == b"2"

    def test_a_value_that_is_not_a_boolean(self, bucket: Any) -> None:
        """Any value but true or false is 400 InvalidArgument."""
        with pytest.raises(oss2.exceptions.ServerError) as info:
            bucket.put_object("fo/bad", b"1", headers={"x-oss-forbid-overwrite": "abc"})
        assert (info.value.status, info.value.code) == (400, "InvalidArgument")

    def test_copy_object(self, bucket: Any) -> None:
        """CopyObject with the header onto an existing object: 409; onto a new key: copied."""
        bucket.put_object("fo/src", b"source")
        bucket.put_object("fo/dst", b"kept")
        with pytest.raises(oss2.exceptions.ServerError) as info:
            bucket.copy_object(BUCKET, "fo/src", "fo/dst", headers=FORBID)
        assert (info.value.status, info.value.code) == (409, "FileAlreadyExists")
        assert bucket.get_object("fo/dst").read() == b"kept"
        bucket.delete_object("fo/dst2")
        bucket.copy_object(BUCKET, "fo/src", "fo/dst2", headers=FORBID)
        assert bucket.get_object("fo/dst2").read() == b"source"

    def test_complete_multipart_upload(self, bucket: Any) -> None:
        """CompleteMultipartUpload with the header, the object made after the upload began: 409."""
        bucket.delete_object("fo/multi")
        upload_id = bucket.init_multipart_upload("fo/multi").upload_id
        part = bucket.upload_part("fo/multi", upload_id, 1, b"part data")
        bucket.put_object("fo/multi", b"came first")
        parts = [oss2.models.PartInfo(1, part.etag)]
        with pytest.raises(oss2.exceptions.ServerError) as info:
            bucket.complete_multipart_upload("fo/multi", upload_id, parts, headers=FORBID)
        assert (info.value.status, info.value.code) == (409, "FileAlreadyExists")
        assert bucket.get_object("fo/multi").read() == b"came first"

    def test_racing_create_only_puts_have_one_winner(self, bucket: Any) -> None:
        """Of 16 simultaneous create-only PutObjects of one new key, exactly one succeeds."""
        bucket.delete_object("fo/race")
        barrier = threading.Barrier(16)
        outcomes: list[int] = []
        body = b"x" * 4 * 1024 * 1024  # a body that takes a moment to receive

        def put() -> None:
            barrier.wait(10)
            try:
                bucket.put_object("fo/race", body, headers=FORBID)
                outcomes.append(200)
            except oss2.exceptions.ServerError as exc:
                outcomes.append(exc.status)

        threads = [threading.Thread(target=put) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outcomes) == [200] + [409] * 15
