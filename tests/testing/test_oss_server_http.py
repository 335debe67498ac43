"""Tests for fcsdk/testing/oss.py: the HTTP edge (bad requests, unimplemented ones), the
server's lifecycle, folder storage, and heavy use (many threads)."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import socket
import struct
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import oss2
import pytest
import requests
from oss2 import exceptions as oe

from fcsdk._local.oss import folder, storage
from fcsdk._local.oss import server as server_module
from fcsdk._local.oss.errors import OSSError
from fcsdk._local.oss.operations import Operations
from fcsdk.testing import LocalOSSServer as LazyLocalOSSServer
from fcsdk.testing.oss import LocalOSSServer
from tests.testing.oss_support import BUCKET, client, new_server


@pytest.fixture(scope="module")
def server() -> Iterator[LocalOSSServer]:
    with new_server() as srv:
        client(srv).put_object("obj.txt", b"content")
        yield srv


def raw(server: LocalOSSServer, request: bytes, *, read: int = 65536) -> bytes:
    """Send raw bytes to the server and return what it answers."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        conn.sendall(request)
        conn.shutdown(socket.SHUT_WR)
        data = b""
        while len(data) < read:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


class TestNotImplemented:
    def test_unimplemented_operations_answer_xml(self, server: LocalOSSServer) -> None:
        """Operations the server lacks raise oss2's NotImplemented, not a crash."""
        bucket = client(server)
        with pytest.raises(oe.NotImplemented):
            bucket.put_object_acl("obj.txt", oss2.OBJECT_ACL_PUBLIC_READ)
        with pytest.raises(oe.NotImplemented):
            bucket.put_symlink("obj.txt", "link")
        with pytest.raises(oe.NotImplemented):
            bucket.get_bucket_acl()
        with pytest.raises(oe.NotImplemented):
            bucket.get_object("obj.txt", process="image/resize,w_10")

    @pytest.mark.parametrize("method", ["PATCH", "OPTIONS", "POST", "DELETE"])
    def test_unknown_methods_and_targets(self, server: LocalOSSServer, method: str) -> None:
        """Unknown methods or service-level writes answer NotImplemented XML."""
        response = requests.request(method, server.endpoint + "/", timeout=10)
        assert response.status_code == 400
        assert b"<Code>NotImplemented</Code>" in response.content
        assert response.headers["x-oss-request-id"]


class TestAnswerHeaders:
    def test_a_refused_head_names_x_oss_err_as_oss_does(self, server: LocalOSSServer) -> None:
        """A refused HEAD carries its error document in ``x-oss-err``, spelled as OSS does."""
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            conn.sendall(b"HEAD /test-bucket/k HTTP/1.1\r\nHost: x\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                assert chunk, f"the server closed before its answer's end: {head!r}"
                head += chunk
        fields = dict(
            line.split(b": ", 1) for line in head.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]
        )
        document = base64.b64decode(fields[b"x-oss-err"])
        assert b"<Code>AccessDenied</Code>" in document  # anonymous: refused

    def test_xml_answers_say_so(self, server: LocalOSSServer) -> None:
        """A successful XML answer (a listing) carries Content-Type: application/xml."""
        result = client(server).list_objects_v2()
        assert result.headers["Content-Type"] == "application/xml"

    def test_no_content_answers_have_no_length(self, server: LocalOSSServer) -> None:
        """A 204 answer (DeleteObject) carries no Content-Length, as RFC 9110 §8.6 requires."""
        result = client(server).delete_object("never-there")
        assert result.status == 204
        assert "Content-Length" not in result.headers


class TestBadRequests:
    def test_invalid_utf8_key(self, server: LocalOSSServer) -> None:
        """A key that is not UTF-8 is InvalidObjectName."""
        response = requests.get(f"{server.endpoint}/{BUCKET}/%FF%FE", timeout=10)
        assert response.status_code == 400
        assert b"InvalidObjectName" in response.content

    def test_invalid_utf8_bucket(self, server: LocalOSSServer) -> None:
        """A bucket name in the path that is not UTF-8 is a 400 too, not a server error."""
        response = requests.get(f"{server.endpoint}/%FF%FE/k", timeout=10)
        assert response.status_code == 400
        assert b"<Code>InvalidObjectName</Code>" in response.content

    @pytest.mark.parametrize("key", ["k" * 1024, "/leading-slash"])
    def test_forbidden_keys(self, server: LocalOSSServer, key: str) -> None:
        """Keys over 1023 bytes or starting with '/' are InvalidObjectName."""
        with pytest.raises(oe.InvalidObjectName):
            client(server).put_object(key, b"x")

    def test_absolute_uri(self, server: LocalOSSServer) -> None:
        """A request line with a full URL is InvalidURI."""
        answer = raw(server, b"GET http://example.com/x HTTP/1.1\r\nHost: x\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400")
        assert b"<Code>InvalidURI</Code>" in answer

    def test_put_without_length(self, server: LocalOSSServer) -> None:
        """A PUT with neither Content-Length nor chunking is 411 (checked after auth)."""
        url = client(server, auth_version="v1").sign_url("PUT", "nolen", 60)
        path = url.split(str(server.port), 1)[1]
        answer = raw(server, f"PUT {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 411")
        assert b"MissingContentLength" in answer

    def test_bad_content_length(self, server: LocalOSSServer) -> None:
        """A Content-Length that is not a number is InvalidArgument and closes the connection."""
        answer = raw(
            server, b"PUT /test-bucket/x HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n"
        )
        assert answer.startswith(b"HTTP/1.1 400")
        assert b"Connection: close" in answer

    def test_malformed_chunked_body(self, server: LocalOSSServer) -> None:
        """A broken chunked body is a 400, and the server keeps serving."""
        url = client(server, auth_version="v1").sign_url("PUT", "chunky", 60)
        path = url.split(str(server.port), 1)[1]
        answer = raw(
            server,
            f"PUT {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".encode(),
        )
        assert answer.startswith(b"HTTP/1.1 400")
        assert client(server).get_object("obj.txt").read() == b"content"

    def test_chunked_with_trailers(self, server: LocalOSSServer) -> None:
        """A chunked body with chunk extensions and trailers is stored whole."""
        url = client(server, auth_version="v1").sign_url("PUT", "trailed", 60)
        path = url.split(str(server.port), 1)[1]
        answer = raw(
            server,
            f"PUT {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n".encode(),
        )
        assert answer.startswith(b"HTTP/1.1 200")
        assert client(server).get_object("trailed").read() == b"abcde"

    def test_chunked_cut_short(self, server: LocalOSSServer) -> None:
        """A chunked body that ends inside a chunk is IncompleteBody."""
        url = client(server, auth_version="v1").sign_url("PUT", "cut", 60)
        path = url.split(str(server.port), 1)[1]
        answer = raw(
            server,
            f"PUT {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            "10\r\nabc".encode(),
        )
        assert b"IncompleteBody" in answer

    def test_xml_body_too_large(self, server: LocalOSSServer) -> None:
        """An XML body over 2 MB is EntityTooLarge, not read into memory whole."""
        body = b"<Delete>" + b" " * (3 * 1024 * 1024) + b"</Delete>"
        with pytest.raises(oe.ServerError) as info:
            client(server)._Bucket__do_bucket("POST", data=body, params={"delete": ""})
        assert (info.value.status, info.value.code) == (400, "EntityTooLarge")

    def test_body_cut_short(self, server: LocalOSSServer) -> None:
        """A body that ends early is IncompleteBody, and nothing is stored."""
        url = client(server, auth_version="v1").sign_url("PUT", "short", 60)
        path = url.split(str(server.port), 1)[1]
        answer = raw(
            server, f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc".encode()
        )
        assert b"IncompleteBody" in answer
        assert not client(server).object_exists("short")

    def test_refused_big_upload_closes(
        self, server: LocalOSSServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A refused upload too big to drain gets its error and a closed connection."""
        monkeypatch.setattr(server_module, "_DRAIN_LIMIT", 10)
        answer = raw(
            server,
            b"PUT /test-bucket/big HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n"
            + b"x" * 1000,
        )
        assert answer.startswith(b"HTTP/1.1 403")
        assert b"Connection: close" in answer

    def test_unread_body_within_the_drain_limit_keeps_the_connection(
        self, server: LocalOSSServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A body the operation did not read, exactly as long as the drain limit, is read
        and dropped: the next request on the connection is answered."""
        monkeypatch.setattr(server_module, "_DRAIN_LIMIT", 10)
        path = (
            client(server, auth_version="v1")
            .sign_url("GET", "obj.txt", 60)
            .split(str(server.port), 1)[1]
        )
        answer = raw(
            server,
            f"GET {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n".encode()
            + b"0123456789"
            + f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        )
        assert answer.count(b"HTTP/1.1 200 OK") == 2

    def test_unread_chunked_body_over_the_drain_limit_closes(
        self, server: LocalOSSServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An unread chunked body longer than the drain limit ends the connection after
        the answer (the server waits for no further request)."""
        monkeypatch.setattr(server_module, "_DRAIN_LIMIT", 10)
        path = (
            client(server, auth_version="v1")
            .sign_url("GET", "obj.txt", 60)
            .split(str(server.port), 1)[1]
        )
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            conn.sendall(
                f"GET {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                "b\r\n0123456789a\r\n0\r\n\r\n".encode()
            )
            data = b""
            try:
                while chunk := conn.recv(65536):
                    data += chunk
                closed = True
            except TimeoutError:  # still open: waiting for another request
                closed = False
        assert data.startswith(b"HTTP/1.1 200 OK")
        assert closed

    def test_not_modified_keeps_the_connection(self, server: LocalOSSServer) -> None:
        """A 304 answer has no body and the connection serves the next request."""
        path = (
            client(server, auth_version="v1")
            .sign_url("GET", "obj.txt", 60)
            .split(str(server.port), 1)[1]
        )
        etag = f'"{hashlib.md5(b"content").hexdigest().upper()}"'
        answer = raw(
            server,
            f"GET {path} HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\n\r\n".encode()
            + f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
        )
        first, _, rest = answer.partition(b"\r\n\r\n")
        assert first.startswith(b"HTTP/1.1 304 Not Modified")
        assert rest.startswith(b"HTTP/1.1 200 OK")
        assert rest.endswith(b"\r\n\r\ncontent")

    @pytest.mark.parametrize(
        "body",
        [
            b"<Delete><Quiet>false</Quiet></Delete>",
            b"<NotDelete/>",
            b"not xml",
            b"<Delete>" + b"<Object><Key>k</Key></Object>" * 1001 + b"</Delete>",
        ],
    )
    def test_malformed_delete(self, server: LocalOSSServer, body: bytes) -> None:
        """Malformed DeleteMultipleObjects bodies are MalformedXML."""
        bucket = client(server)
        with pytest.raises(oe.MalformedXml):
            bucket._Bucket__do_bucket(
                "POST", data=body, params={"delete": "", "encoding-type": "url"}
            )

    def test_delete_quiet_and_md5(self, server: LocalOSSServer) -> None:
        """Quiet mode lists nothing; a wrong Content-MD5 is InvalidDigest."""
        bucket = client(server)
        bucket.put_object("q", b"1")
        body = b"<Delete><Quiet>true</Quiet><Object><Key>q</Key></Object></Delete>"
        response = bucket._Bucket__do_bucket("POST", data=body, params={"delete": ""})
        assert b"<Deleted>" not in response.read()
        assert not bucket.object_exists("q")
        with pytest.raises(oe.InvalidDigest):
            bucket._Bucket__do_bucket(
                "POST", data=body, params={"delete": ""}, headers={"Content-MD5": "AAAA"}
            )

    def test_bucket_config_must_be_xml(self, server: LocalOSSServer) -> None:
        """A PutBucket body that is not CreateBucketConfiguration XML is MalformedXML."""
        with pytest.raises(oe.MalformedXml):
            client(server, "xml-bucket").create_bucket(input=b"<Wrong/>")

    def test_internal_error_is_xml(
        self,
        server: LocalOSSServer,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """A bug inside the server answers InternalError XML (500), never a traceback; the
        traceback is logged with the request's method and path."""

        def broken(request: Any) -> Any:
            raise RuntimeError("boom")

        monkeypatch.setattr(server._operations, "head_object", broken)
        with (
            caplog.at_level(logging.ERROR, logger="fcsdk.testing.oss"),
            pytest.raises(oe.ServerError) as info,
        ):
            client(server).head_object("obj.txt")
        assert (info.value.status, info.value.code) == (500, "InternalError")
        assert "boom" not in str(info.value)
        (record,) = [r for r in caplog.records if r.name == "fcsdk.testing.oss"]
        assert record.getMessage() == f"LocalOSSServer failed on HEAD /{BUCKET}/obj.txt"
        assert record.exc_info is not None
        assert str(record.exc_info[1]) == "boom"

    def test_client_leaving_mid_download(self, server: LocalOSSServer) -> None:
        """A client that hangs up mid-download does not break the server."""
        client(server).put_object("large", b"z" * (3 * storage.CHUNK))
        got = client(server).get_object("large")
        got.read(10)
        got.close()
        assert client(server).get_object("obj.txt").read() == b"content"


class TestLifecycle:
    def test_start_stop_idempotent(self) -> None:
        """start twice is one server; stop twice is fine; port needs a running server."""
        srv = LocalOSSServer()
        with pytest.raises(RuntimeError, match="not running"):
            _ = srv.port
        assert "stopped" in repr(srv)
        assert srv.start() is srv.start()
        assert srv.endpoint in repr(srv)
        srv.stop()
        srv.stop()

    def test_lazy_export(self) -> None:
        """fcsdk.testing exports LocalOSSServer lazily."""
        assert LazyLocalOSSServer is LocalOSSServer

    @pytest.mark.parametrize(
        "kwargs",
        [{"access_key_id": ""}, {"access_key_secret": ""}, {"port": 70000}],
    )
    def test_bad_arguments(self, kwargs: dict[str, Any]) -> None:
        """Empty keys or an impossible port are a ValueError."""
        with pytest.raises(ValueError, match=r"non-empty|port"):
            LocalOSSServer(**kwargs)

    def test_port_taken(self) -> None:
        """A taken port raises OSError at start."""
        with LocalOSSServer() as first, pytest.raises(OSError, match="in use"):
            LocalOSSServer(port=first.port).start()

    def test_environ(self) -> None:
        """environ() gives the endpoint and credentials variables."""
        with LocalOSSServer(security_token="t") as srv:
            env = srv.environ()
            assert env["FCSDK_OSS_ENDPOINT"] == srv.endpoint
            assert env["ALIBABA_CLOUD_SECURITY_TOKEN"] == "t"
        with LocalOSSServer() as srv:
            assert "ALIBABA_CLOUD_SECURITY_TOKEN" not in srv.environ()

    def test_a_server_never_stopped_does_not_keep_python_running(self) -> None:
        """A program that starts a server and never stops it still exits."""
        code = "from fcsdk.testing.oss import LocalOSSServer; LocalOSSServer().start()"
        done = subprocess.run([sys.executable, "-c", code], timeout=20, check=False)
        assert done.returncode == 0

    def test_stop_ends_keep_alive_connections(self) -> None:
        """stop() closes idle keep-alive connections, so no handler thread lingers."""
        before = set(threading.enumerate())
        srv = new_server()
        bucket = client(srv)
        bucket.put_object("k", b"v")
        srv.stop()
        started = [t for t in threading.enumerate() if t not in before]
        for thread in started:
            thread.join(5)
        assert not [t for t in started if t.is_alive()]
        srv.clear_requests()
        assert srv.requests == []


class TestFolderStore:
    def test_persists_across_restarts(self, tmp_path: Path) -> None:
        """Objects of every kind survive a restart on the same folder."""
        with new_server(root=tmp_path) as srv:
            bucket = client(srv)
            bucket.put_object("dir/ü.txt", b"normal", headers={"x-oss-meta-a": "1"})
            bucket.append_object("log", 0, b"a")
            bucket.append_object("log", 1, b"b")
            upload_id = bucket.init_multipart_upload("mp").upload_id
            etag = bucket.upload_part("mp", upload_id, 1, b"m").etag
            bucket.complete_multipart_upload("mp", upload_id, [oss2.models.PartInfo(1, etag)])
            bucket.copy_object(BUCKET, "dir/ü.txt", "copy")
            bucket.put_object("gone", b"x")
            bucket.delete_object("gone")
            bucket.put_object("dir/ü.txt", b"normal, again")
            client(srv, "temp-bucket").create_bucket()
            client(srv, "temp-bucket").delete_bucket()
        assert not (tmp_path / "temp-bucket").exists()
        (tmp_path / BUCKET / "tmp").mkdir(exist_ok=True)
        (tmp_path / BUCKET / "tmp" / "stale.data").write_bytes(b"left over")
        with new_server(root=tmp_path) as srv:
            bucket = client(srv)
            assert srv.object_keys(BUCKET) == ["copy", "dir/ü.txt", "log", "mp"]
            assert bucket.get_object("dir/ü.txt").read() == b"normal, again"
            assert bucket.get_object("copy").read() == b"normal"
            assert bucket.head_object("copy").headers["x-oss-meta-a"] == "1"
            assert bucket.get_object("log").read() == b"ab"
            assert bucket.append_object("log", 2, b"c").next_position == 3
            assert bucket.get_object("mp").read() == b"m"
            with pytest.raises(oe.InvalidDigest):
                bucket.put_object("bad-md5", b"x", headers={"Content-MD5": "AAAA"})
            assert not bucket.object_exists("bad-md5")
        assert not (tmp_path / BUCKET / "tmp" / "stale.data").exists()

    def test_download_cut_off_closes_its_file_at_once(self, tmp_path: Path) -> None:
        """A client that resets its connection mid-download: the server closes the object's
        file as the sending fails, not later when the garbage collector finds it open
        (which warns ``ResourceWarning: unclosed file``)."""
        with new_server(root=tmp_path) as srv:
            bucket = client(srv)
            bucket.put_object("big", b"z" * (32 << 20))  # more than the sockets' buffers hold
            path = bucket.sign_url("GET", "big", 60).split(str(srv.port), 1)[1]
            before = set(threading.enumerate())
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                conn = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
                conn.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                assert conn.recv(65536).startswith(b"HTTP/1.1 200")
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()  # a reset: the server's next send fails
                handlers = [t for t in threading.enumerate() if t not in before]
                assert len(handlers) == 1
                handlers[0].join(10)
                assert not handlers[0].is_alive()
            assert [str(w.message) for w in caught if w.category is ResourceWarning] == []


def _put_now(store: Any, key: str) -> None:
    """Store a one-byte normal object ``key`` in bucket ``race`` at once (another request's)."""
    blob = store.writer("race")
    blob.write(b"n")
    store.put("race", storage.ObjectMeta(key, 1, '"X"', 0, "text/plain", 0.0), blob.finish())


class TestRaces:
    """Races between requests, made to happen at the exact moment."""

    def request(self, method: str, key: str, params: list[tuple[str, str]], body: bytes) -> Any:
        headers = {"content-length": str(len(body))}
        return server_module.Request(
            method=method,
            bucket="race",
            key=key,
            params=params,
            headers=headers,
            body=server_module.BodyReader(io.BytesIO(body), headers),
        )

    def operations(self) -> tuple[Operations, storage.Store]:
        store = storage.MemoryStore()
        store.create_bucket("race")
        return Operations(store, "cn-hangzhou"), store

    def test_object_made_normal_during_append(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An append whose target turns into a normal object meanwhile is refused, data dropped."""
        ops, store = self.operations()
        receive = ops._receive

        def racing(request: Any, *, crc: int = 0) -> Any:
            writer = receive(request, crc=crc)
            _put_now(store, "log")
            return writer

        monkeypatch.setattr(ops, "_receive", racing)
        request = self.request("POST", "log", [("append", ""), ("position", "0")], b"abc")
        with pytest.raises(OSSError, match="ObjectNotAppendable"):
            ops.append_object(request)

    def test_bucket_deleted_during_put(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A put into a bucket deleted meanwhile is NoSuchBucket."""
        ops, store = self.operations()
        receive = ops._receive

        def racing(request: Any, *, crc: int = 0) -> Any:
            writer = receive(request, crc=crc)
            store.delete_bucket("race")
            return writer

        monkeypatch.setattr(ops, "_receive", racing)
        with pytest.raises(OSSError, match="NoSuchBucket"):
            ops.put_object(self.request("PUT", "k", [], b"abc"))

    def test_object_created_during_create_only_put(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A forbid-overwrite put whose key comes to exist while its body arrives is
        FileAlreadyExists, and the object made meanwhile is kept."""
        ops, store = self.operations()
        receive = ops._receive

        def racing(request: Any, *, crc: int = 0) -> Any:
            writer = receive(request, crc=crc)
            _put_now(store, "k")
            return writer

        monkeypatch.setattr(ops, "_receive", racing)
        request = self.request("PUT", "k", [], b"abc")
        request.headers["x-oss-forbid-overwrite"] = "true"
        with pytest.raises(OSSError, match="FileAlreadyExists"):
            ops.put_object(request)
        meta, blob = store.open("race", "k")
        blob.close()
        assert meta.etag == '"X"'

    def test_upload_completed_twice_at_once(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Of two completes racing on one upload, the second is NoSuchUpload."""
        ops, store = self.operations()
        store.bucket("race").uploads["U"] = storage.Upload("U", "k", 0.0, "a/b", {}, {})
        ops.upload_part(self.request("PUT", "k", [("partNumber", "1"), ("uploadId", "U")], b"p"))
        writer = store.writer

        def racing(bucket: str, **kwargs: Any) -> Any:
            store.bucket("race").uploads.pop("U", None)
            return writer(bucket, **kwargs)

        monkeypatch.setattr(store, "writer", racing)
        complete = self.request("POST", "k", [("uploadId", "U")], b"")
        complete.headers["x-oss-complete-all"] = "yes"
        with pytest.raises(OSSError, match="NoSuchUpload") as info:
            ops.complete_upload(complete)
        assert info.value.status == 404

    def test_upload_aborted_while_completed(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A complete whose upload is aborted after it chose the parts, before it read their
        files (deleted by the abort), is a 404 NoSuchUpload, and no object is made."""
        store = folder.FolderStore(tmp_path)
        store.create_bucket("race")
        ops = Operations(store, "cn-hangzhou")
        store.bucket("race").uploads["U"] = storage.Upload("U", "k", 0.0, "a/b", {}, {})
        ops.upload_part(self.request("PUT", "k", [("partNumber", "1"), ("uploadId", "U")], b"p"))
        writer = store.writer

        def racing(bucket: str, **kwargs: Any) -> Any:
            ops.abort_upload(self.request("DELETE", "k", [("uploadId", "U")], b""))
            return writer(bucket, **kwargs)

        monkeypatch.setattr(store, "writer", racing)
        complete = self.request("POST", "k", [("uploadId", "U")], b"")
        complete.headers["x-oss-complete-all"] = "yes"
        with pytest.raises(OSSError, match="NoSuchUpload") as info:
            ops.complete_upload(complete)
        assert info.value.status == 404
        assert info.value.message == "The specified upload does not exist."
        assert "k" not in store.bucket("race").objects
        assert list((tmp_path / "race" / "tmp").iterdir()) == []  # the partial data is gone too


class TestConcurrency:
    @pytest.mark.parametrize("folder", [False, True])
    def test_fifty_threads_lose_nothing(self, tmp_path: Path, folder: bool) -> None:
        """50 threads each uploading and reading back distinct objects lose nothing."""
        with new_server(root=tmp_path if folder else None) as srv:
            bucket = client(srv, connect_timeout=30)
            errors: list[BaseException] = []

            def work(i: int) -> None:
                try:
                    for j in range(4):
                        key = f"t/{i:02d}/{j} ü"
                        data = f"{i}-{j}".encode() * (i + 1)
                        bucket.put_object(key, data)
                        assert bucket.get_object(key).read() == data
                except BaseException as exc:  # collected for the main thread
                    errors.append(exc)

            threads = [threading.Thread(target=work, args=(i,)) for i in range(50)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert not [t for t in threads if t.is_alive()], "a client thread is stuck"
            assert not errors
            keys = [o.key for o in oss2.ObjectIteratorV2(bucket, prefix="t/")]
            assert len(keys) == 200
            assert len(srv.requests) >= 400


class TestCrc:
    def test_without_crcmod_the_pure_python_crc_is_used(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With crcmod not installed (oss2 can be installed without it) the fallback is picked."""
        monkeypatch.setitem(sys.modules, "crcmod", None)
        assert storage._fast_crc64() is storage.crc64_pure

    def test_pure_python_crc_matches(self) -> None:
        """The pure-Python CRC-64 fallback matches the crcmod one, chained or not."""
        data = bytes(range(256)) * 3
        assert storage.crc64_pure(data) == storage.crc64(data, 0)
        assert storage.crc64_pure(data[100:], storage.crc64_pure(data[:100])) == storage.crc64(
            data, 0
        )
