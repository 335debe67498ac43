"""LocalOSSServer refuses bad framing, bad numbers and anonymous bodies at once, with a 400/403."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import oss2
import pytest
import requests
from oss2 import exceptions as oe

from fcsdk.testing.oss import LocalOSSServer
from tests.testing.oss_support import BUCKET, client, new_server


@pytest.fixture(scope="module")
def server() -> Iterator[LocalOSSServer]:
    with new_server() as srv:
        client(srv).put_object("obj.txt", b"content")
        yield srv


def exchange(server: LocalOSSServer, data: bytes, *, close: bool = False) -> tuple[bytes, float]:
    """Send ``data`` (keeping our side open unless ``close``); return the answer and its delay."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=8) as conn:
        started = time.monotonic()
        conn.sendall(data)
        if close:
            conn.shutdown(socket.SHUT_WR)
        answer = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            answer += chunk
        return answer, time.monotonic() - started


def presigned_path(server: LocalOSSServer, key: str) -> str:
    """A v1-presigned PUT path for ``key`` (authenticated without headers)."""
    url: str = client(server, auth_version="v1").sign_url("PUT", key, 60)
    return url.split(str(server.port), 1)[1]


FRAMING = {
    "te and cl": "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    "two lengths": "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    "hex prefix chunk": "Transfer-Encoding: chunked\r\n\r\n0x5\r\nabcde\r\n0\r\n\r\n",
    "underscore chunk": "Transfer-Encoding: chunked\r\n\r\n0_5\r\nabcde\r\n0\r\n\r\n",
    "gzip coding": "Transfer-Encoding: gzip\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    "superscript length": "Content-Length: \u00b3\r\n\r\nabc",
    "space before colon": "Content-Length : 5\r\n\r\nabcde",
    "xchunked": "Transfer-Encoding: xchunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n",
    "chunked then gzip": "Transfer-Encoding: chunked, gzip\r\n\r\n5\r\nabcde\r\n0\r\n\r\n",
    "chunk without crlf": "Transfer-Encoding: chunked\r\n\r\n5\r\nabcdeXX0\r\n\r\n",
    "broken chunk size": "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc",
    "endless trailers": "Transfer-Encoding: chunked\r\n\r\n0\r\n" + "X-T: v\r\n" * 20000 + "\r\n",
}


class TestFraming:
    @pytest.mark.parametrize("name", sorted(FRAMING))
    def test_bad_framing_is_400_and_closed_at_once(self, server: LocalOSSServer, name: str) -> None:
        """Each framing RFC 9112 forbids answers 400 at once and closes: nothing runs after it."""
        path = presigned_path(server, f"framing-{name.replace(' ', '-')}")
        head = f"PUT {path} HTTP/1.1\r\nHost: x\r\n"
        answer, delay = exchange(server, (head + FRAMING[name]).encode("utf-8"))
        assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
        assert answer.count(b"HTTP/1.1 ") == 1  # no second (smuggled) request answered
        assert b"Connection: close" in answer
        assert delay < 5
        assert not client(server).object_exists(f"framing-{name.replace(' ', '-')}")

    def test_both_framings_are_named(self, server: LocalOSSServer) -> None:
        """A request with both Transfer-Encoding and Content-Length is told what was wrong."""
        answer, _ = exchange(
            server, f"PUT /{BUCKET}/both HTTP/1.1\r\nHost: x\r\n{FRAMING['te and cl']}".encode()
        )
        assert answer.startswith(b"HTTP/1.1 400"), answer[:300]
        assert (
            b"<Message>Malformed HTTP request: both Transfer-Encoding and Content-Length</Message>"
            in answer
        )

    def test_no_host_is_400(self, server: LocalOSSServer) -> None:
        """An HTTP/1.1 request without Host is refused."""
        answer, _ = exchange(server, b"GET /test-bucket/obj.txt HTTP/1.1\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400")

    def test_good_chunked_upload_with_trailer(self, server: LocalOSSServer) -> None:
        """A well-formed chunked body with a trailer is stored."""
        path = presigned_path(server, "chunked-ok")
        answer, _ = exchange(
            server,
            f"PUT {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n".encode(),
            close=True,
        )
        assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
        assert client(server).get_object("chunked-ok").read() == b"abcde"


class TestAnonymousBodies:
    def test_anonymous_put_refused_before_its_body(self, server: LocalOSSServer) -> None:
        """A 200 MB anonymous PUT gets its 403 on its headers alone, before any body is sent."""
        answer, delay = exchange(
            server,
            b"PUT /test-bucket/big HTTP/1.1\r\nHost: x\r\nContent-Length: 200000000\r\n\r\n",
        )
        assert answer.startswith(b"HTTP/1.1 403"), answer[:200]
        assert b"Connection: close" in answer
        assert delay < 5

    def test_anonymous_expect_100_gets_no_continue(self, server: LocalOSSServer) -> None:
        """An anonymous request asking for 100-continue gets the 403 and no 100."""
        answer, _ = exchange(
            server,
            b"PUT /test-bucket/big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n"
            b"Expect: 100-continue\r\n\r\n",
        )
        assert answer.startswith(b"HTTP/1.1 403")
        assert b"100 Continue" not in answer

    def test_signed_expect_100_gets_continue(self, server: LocalOSSServer) -> None:
        """A signed request asking for 100-continue gets it, then its 200."""
        path = presigned_path(server, "continued")
        with socket.create_connection(("127.0.0.1", server.port), timeout=8) as conn:
            conn.sendall(
                f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                "Expect: 100-continue\r\n\r\n".encode()
            )
            assert conn.recv(100).startswith(b"HTTP/1.1 100")
            conn.sendall(b"abc")
            assert conn.recv(65536).startswith(b"HTTP/1.1 200")
        assert client(server).get_object("continued").read() == b"abc"

    def test_waiting_client_is_not_held(self, server: LocalOSSServer) -> None:
        """A refused client that never sends its body is closed after a bounded linger."""
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            started = time.monotonic()
            conn.sendall(
                b"PUT /test-bucket/big HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"
            )
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 403")
            assert time.monotonic() - started < 6

    def test_refused_body_over_1_mib_is_not_read(self, server: LocalOSSServer) -> None:
        """After refusing a request whose body is over 1 MiB the server reads none of it: it
        closes the connection, so a client sending the body after the answer is reset."""
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
            head = f"PUT /{BUCKET}/big HTTP/1.1\r\nHost: x\r\nContent-Length: {16 << 20}\r\n\r\n"
            conn.sendall(head.encode())
            answer = b""
            while b"</Error>" not in answer:
                chunk = conn.recv(65536)
                assert chunk, answer
                answer += chunk
            assert answer.startswith(b"HTTP/1.1 403")
            with pytest.raises((ConnectionResetError, BrokenPipeError)):
                conn.sendall(b"x" * (16 << 20))

    def test_requests_sending_whole_body_reads_the_403(self, server: LocalOSSServer) -> None:
        """A client that sends a whole 3 MB body before reading still gets the 403 document."""
        response = requests.put(
            f"{server.endpoint}/{BUCKET}/anon", data=b"x" * 3_000_000, timeout=10
        )
        assert response.status_code == 403
        assert b"<Code>AccessDenied</Code>" in response.content


class TestNumbers:
    @pytest.mark.parametrize("number", ["\u00b3", "\u0661", "1" * 5000, "0", "10001", "+1"])
    def test_part_numbers_are_ascii_digits_in_range(
        self, server: LocalOSSServer, number: str
    ) -> None:
        """``<PartNumber>`` ³, Arabic-Indic 1, 5,000 digits or out of range: 400 InvalidArgument."""
        bucket = client(server)
        upload = bucket.init_multipart_upload("parts.bin").upload_id
        part = bucket.upload_part("parts.bin", upload, 1, b"p")
        with pytest.raises(oe.ServerError) as caught:
            bucket.complete_multipart_upload(
                "parts.bin",
                upload,
                [oss2.models.PartInfo(number, part.etag)],
            )
        assert caught.value.status == 400
        assert caught.value.code == "InvalidArgument"
        bucket.abort_multipart_upload("parts.bin", upload)

    @pytest.mark.parametrize("token", ["!!!!", "a", "\u00e9", "YQ", "YQ==YQ==", "Y Q=="])
    def test_malformed_continuation_token(self, server: LocalOSSServer, token: str) -> None:
        """A continuation-token this server did not give is 400 InvalidArgument."""
        with pytest.raises(oe.ServerError) as caught:
            client(server).list_objects_v2(continuation_token=token)
        assert caught.value.status == 400
        assert caught.value.code == "InvalidArgument"

    def test_good_continuation_token_pages(self, server: LocalOSSServer) -> None:
        """The token of one page gives the next."""
        bucket = client(server)
        for key in ("p/1", "p/2", "p/3"):
            bucket.put_object(key, b"x")
        first = bucket.list_objects_v2(prefix="p/", max_keys=2)
        assert first.is_truncated
        second = bucket.list_objects_v2(
            prefix="p/", continuation_token=first.next_continuation_token
        )
        assert [o.key for o in second.object_list] == ["p/3"]
