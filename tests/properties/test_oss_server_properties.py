"""The local OSS server's request parsing: any request gets an OSS answer, never a 500 or a hang.

Requests go over a real socket to :class:`~fcsdk.testing.oss.LocalOSSServer`
on 127.0.0.1, as raw bytes: request lines and targets with bad
percent-encoding and invalid UTF-8, headers that lie (``Content-Length``
longer or shorter than the body, malformed chunked bodies), unknown
sub-resources. Signed requests (presigned with the server's own keys, as
``oss2`` signs them) get past authentication into every operation with
fuzzed keys, parameters, conditional headers and XML bodies. The property:
an answer arrives within the time bound, its status is below 500, and an
error answer is OSS's XML ``Error`` document.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import quote, urlsplit

import oss2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fcsdk.testing.oss import LocalOSSServer
from tests.properties._support import (
    LoggedErrors,
    clean_text,
    content_length_text,
    invalid_utf8,
    percent_text,
    profile,
    weird_text,
)

TIMEOUT = 10.0
BUCKET = "fuzz-bucket"
UPLOAD_IDS: list[str] = []  # the fixture's open multipart upload


@pytest.fixture(scope="module")
def server() -> Iterator[LocalOSSServer]:
    """One server for the module, with a bucket and a few objects in it."""
    with LocalOSSServer(buckets=[BUCKET, "other-bucket"]) as running:
        bucket = oss2.Bucket(
            oss2.Auth(running.access_key_id, running.access_key_secret), running.endpoint, BUCKET
        )
        bucket.put_object("a.txt", b"hello")
        bucket.put_object("dir/b.bin", bytes(range(256)))
        bucket.append_object("log.txt", 0, b"line\n")
        upload = bucket.init_multipart_upload("mp.bin").upload_id
        bucket.upload_part("mp.bin", upload, 1, b"p" * 10)
        UPLOAD_IDS.append(upload)
        yield running


def exchange(server: LocalOSSServer, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw`` on a fresh connection, close our side, and read the whole answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as conn:
        try:
            conn.sendall(raw)
            conn.shutdown(socket.SHUT_WR)
        except OSError:  # the server may answer and close before reading everything
            pass
        chunks = []
        while True:
            try:
                chunk = conn.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1."), data[:200]
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def check_answer(server: LocalOSSServer, raw: bytes, *, method: str = "") -> int:
    """Send ``raw``; the answer must come, be below 500, and an error must be OSS XML."""
    with LoggedErrors() as logged:
        status, headers, body = exchange(server, raw)
    if status >= 500:
        logged.raise_first()
    if status == 501 and method not in HTTP_METHODS:
        return status  # http.server's own answer to a method it has no handler for
    assert status < 500, (status, body[:300])
    if status >= 400 and body and method != "HEAD" and headers.get("x-oss-request-id"):
        assert body.startswith(b"<?xml"), body[:200]
        assert b"<Error>" in body
        assert b"<Code>" in body
    return status


def request_bytes(method: str, target: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    """An HTTP/1.1 request as bytes (headers UTF-8, so non-latin-1 text goes through too)."""
    # A CR, LF or space in the target would split the request line itself (HTTP/0.9 then).
    target = target.replace("\r", "%0D").replace("\n", "%0A").replace(" ", "%20")
    lines = [f"{method} {target} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogatepass") + body


# -- strategies ---------------------------------------------------------------------------------

HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH")
methods = st.sampled_from(HTTP_METHODS)
sub_resources = st.sampled_from(
    [
        "uploads",
        "uploadId",
        "partNumber",
        "append",
        "position",
        "delete",
        "max-keys",
        "prefix",
        "marker",
        "delimiter",
        "continuation-token",
        "encoding-type",
        "list-type",
        "start-after",
        "bucketInfo",
        "location",
        "objectMeta",
        "acl",
        "response-content-type",
        "response-content-disposition",
        "security-token",
    ]
)
param_values = st.one_of(
    st.sampled_from(
        ["", "0", "1", "2", "1000", "1001", "-1", "url", "abc", "99999999999999999999"]
    ),
    clean_text,
)
keys = st.one_of(
    st.sampled_from(["a.txt", "dir/b.bin", "log.txt", "missing", "/lead", "\\lead", "x" * 1024]),
    clean_text.filter(bool),
    st.text(alphabet="ab/.%", min_size=1, max_size=10),
)
condition_headers = st.sampled_from(
    [
        ("Range", "bytes=0-1"),
        ("Range", "bytes=-1"),
        ("Range", "bytes=5-2"),
        ("Range", "bytes=99999999999999999999-"),
        ("Range", "bytes=a-b"),
        ("Range", "items=0-1"),
        ("If-Match", '"nope"'),
        ("If-None-Match", "*"),
        ("If-Modified-Since", "Tue, 24 Nov 2099 00:00:00 GMT"),
        ("If-Unmodified-Since", "not a date"),
        ("Content-MD5", "not base64!"),
        ("Content-MD5", "AAAA"),
        ("x-oss-copy-source", "/fuzz-bucket/a.txt"),
        ("x-oss-copy-source", "/nope"),
        ("x-oss-copy-source", "%zz"),
        ("x-oss-forbid-overwrite", "true"),
        ("x-oss-meta-Key", "value"),
        ("Content-Type", "text/plain"),
    ]
)
xml_bodies = st.one_of(
    st.sampled_from(
        [
            b"",
            b"<Delete><Quiet>false</Quiet><Object><Key>a.txt</Key></Object></Delete>",
            b"<Delete><Object><Key></Key></Object></Delete>",
            b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part>"
            b"</CompleteMultipartUpload>",
            b"<CompleteMultipartUpload><Part><PartNumber>a</PartNumber></Part>"
            b"</CompleteMultipartUpload>",
            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]><Delete>&a;</Delete>",
            b"<Delete>" * 500,
            b"<unclosed",
        ]
    ),
    st.binary(max_size=60),
    invalid_utf8,
)


def presign(
    server: LocalOSSServer,
    method: str,
    bucket: str,
    key: str,
    params: dict[str, str],
    headers: dict[str, str],
) -> str:
    """The path and query of a v1 presigned URL for this request, signed as oss2 signs."""
    auth = oss2.Auth(server.access_key_id, server.access_key_secret)
    url = f"{server.endpoint}/{bucket}/{quote(key.encode('utf-8', 'surrogatepass'), safe='')}"
    request = oss2.http.Request(method, url, params=params, headers=headers)
    signed: str = auth._sign_url(request, bucket, key, 300)
    parts = urlsplit(signed)
    return parts.path + ("?" + parts.query if parts.query else "")


#: Characters that pass ``str.isdigit`` or ``str.strip`` but not ``int()``, and other bad bytes.
TRICKY_CHARS = ["\u00b3", "\u0663", "\x1c", "\x85", " ", "%", "%zz", "\xff", "-", "+", ""]


class TestRawRequests:
    @profile(120, deadline_ms=15000)
    @given(
        data=st.data(),
        method=st.sampled_from(["GET", "PUT", "HEAD", "DELETE"]),
        key=st.sampled_from(["a.txt", "new.txt"]),
    )
    def test_damaged_presigned_urls(
        self, server: LocalOSSServer, data: st.DataObject, method: str, key: str
    ) -> None:
        """A valid presigned URL with a character replaced (in Expires, say) gets an answer below 500."""  # noqa: E501
        target = presign(server, method, BUCKET, key, {}, {})
        index = data.draw(st.integers(0, 10_000)) % len(target)  # the URL's length varies
        damaged = target[:index] + data.draw(st.sampled_from(TRICKY_CHARS)) + target[index + 1 :]
        damaged = damaged.replace(" ", "%20")  # a space would split the request line
        length = data.draw(st.sampled_from(["0", "\u00b3", "\x1c0", "9" * 4301, "00"]))
        # latin-1 on the wire: http.server reads the request line and headers as latin-1
        raw = f"{method} {damaged} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n"
        check_answer(server, raw.encode("latin-1", "replace"), method=method)

    @profile(150, deadline_ms=15000)
    @given(
        method=methods | st.text(alphabet="ABCXYZ", min_size=1, max_size=8),
        target=st.one_of(
            st.builds(lambda p: f"/{BUCKET}/" + p, percent_text),
            st.builds(lambda p: "/" + p, percent_text),
            st.builds(lambda q: f"/{BUCKET}/a.txt?" + q, percent_text),
            weird_text.map(lambda t: "/" + t.replace(" ", "%20")),
            st.just("*"),
            st.just("http://127.0.0.1/" + BUCKET),
        ),
        headers=st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "Authorization",
                        "Date",
                        "x-oss-date",
                        "x-oss-security-token",
                        "Content-Type",
                        "X-Any",
                    ]
                ),
                weird_text.map(lambda t: t.replace("\r", "").replace("\n", "")),
            ),
            max_size=4,
        ),
        body=st.binary(max_size=40),
        length=st.one_of(st.none(), content_length_text),
    )
    def test_unsigned_requests(
        self,
        server: LocalOSSServer,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
        length: str | None,
    ) -> None:
        """Any unsigned or badly signed request gets an OSS answer below 500, never a hang."""
        if length is not None:
            headers = [*headers, ("Content-Length", length)]
        check_answer(server, request_bytes(method, target, headers, body), method=method)

    @profile(60, deadline_ms=15000)
    @given(
        chunks=st.lists(
            st.one_of(
                st.binary(max_size=10).map(lambda b: f"{len(b):x}\r\n".encode() + b + b"\r\n"),
                st.sampled_from(
                    [
                        b"zz\r\n",
                        b"ffffffffffffffffffff\r\n",
                        b"5\r\nab",
                        b"-1\r\n",
                        b"\r\n",
                        b"0\r\n\r\n",
                    ]
                ),
            ),
            max_size=5,
        )
    )
    def test_chunked_bodies(self, server: LocalOSSServer, chunks: list[bytes]) -> None:
        """A malformed chunked body gets a 4xx, never a 500 or a hang."""
        target = presign(server, "PUT", BUCKET, "chunked.bin", {}, {})
        raw = request_bytes("PUT", target, [("Transfer-Encoding", "chunked")], b"".join(chunks))
        check_answer(server, raw, method="PUT")


#: Each operation the server routes to: method, whether it names a key, its sub-resources.
OPERATIONS: list[tuple[str, bool, tuple[str, ...]]] = [
    ("GET", False, ()),
    ("GET", False, ("list-type", "continuation-token")),
    ("GET", False, ("bucketInfo",)),
    ("GET", False, ("location",)),
    ("POST", False, ("delete",)),
    ("PUT", False, ()),
    ("DELETE", False, ()),
    ("GET", True, ()),
    ("HEAD", True, ()),
    ("HEAD", True, ("objectMeta",)),
    ("PUT", True, ()),
    ("DELETE", True, ()),
    ("POST", True, ("append", "position")),
    ("POST", True, ("uploads",)),
    ("PUT", True, ("partNumber", "uploadId")),
    ("POST", True, ("uploadId",)),
    ("DELETE", True, ("uploadId",)),
    ("GET", True, ("uploadId",)),
]
LIST_PARAMS = ["max-keys", "prefix", "marker", "delimiter", "encoding-type", "start-after"]


@st.composite
def signed_requests(draw: st.DrawFn) -> tuple[str, str, str, dict[str, str]]:
    """An operation's method, bucket, key and parameters, with fuzzed values."""
    method, has_key, names = draw(st.sampled_from(OPERATIONS))
    bucket = draw(st.sampled_from([BUCKET] * 4 + ["other-bucket", "no-such-bucket", "Bad_Name"]))
    if method in ("PUT", "DELETE") and not has_key and bucket == BUCKET:
        bucket = draw(st.sampled_from(["other-bucket", "new-bucket-1", "a"]))
    key = draw(st.sampled_from(["mp.bin", "a.txt", "log.txt"]) | keys) if has_key else ""
    values = param_values | st.sampled_from(UPLOAD_IDS or ["none"])
    params = {name: draw(values) for name in names}
    if method == "GET" and not has_key:
        params.update(draw(st.dictionaries(st.sampled_from(LIST_PARAMS), param_values, max_size=3)))
    if draw(st.integers(0, 9)) == 0:
        params.update(draw(st.dictionaries(sub_resources, param_values, max_size=2)))
    return method, bucket, key, params


class TestSignedRequests:
    @profile(300, deadline_ms=15000)
    @given(
        request=signed_requests(),
        headers=st.lists(condition_headers, max_size=3).map(dict),
        body=xml_bodies,
        length=st.sampled_from(["honest", "honest", "honest", "short", "long", "absent"]),
    )
    def test_every_operation(
        self,
        server: LocalOSSServer,
        request: tuple[str, str, str, dict[str, str]],
        headers: dict[str, str],
        body: bytes,
        length: str,
    ) -> None:
        """A correctly signed request of every operation, with fuzzed values, gets a status below 500."""  # noqa: E501
        method, bucket, key, params = request
        target = presign(server, method, bucket, key, params, headers)
        sent = list(headers.items())
        if length == "honest":
            sent.append(("Content-Length", str(len(body))))
        elif length == "short":
            sent.append(("Content-Length", str(max(0, len(body) - 1))))
        elif length == "long":
            sent.append(("Content-Length", str(len(body) + 5)))
        check_answer(server, request_bytes(method, target, sent, body), method=method)

    @profile(40, deadline_ms=15000)
    @given(
        key=keys,
        body=st.binary(max_size=200),
        position=param_values | st.just("the object's length"),
    )
    def test_append_and_read_back(
        self, server: LocalOSSServer, key: str, body: bytes, position: str
    ) -> None:
        """AppendObject succeeds only at the object's length (old + new bytes); else no change."""

        def read() -> tuple[int, bytes]:
            target = presign(server, "GET", BUCKET, key, {}, {})
            status, _, content = exchange(server, request_bytes("GET", target, [], b""))
            assert status < 500, (status, content[:300])
            return status, content

        before_status, before = read()
        old = before if before_status == 200 else b""
        if position == "the object's length":
            position = str(len(old))
        target = presign(server, "POST", BUCKET, key, {"append": "", "position": position}, {})
        raw = request_bytes("POST", target, [("Content-Length", str(len(body)))], body)
        status = check_answer(server, raw, method="POST")
        if status == 200:
            assert position == str(len(old))
            assert read() == (200, old + body)
        elif before_status == 200:
            assert read() == (200, before)
        else:
            assert read()[0] == before_status


class TestAfterFuzzing:
    def test_server_still_serves(self, server: LocalOSSServer) -> None:
        """After every fuzzed request the server still serves oss2 normally."""
        bucket = oss2.Bucket(
            oss2.Auth(server.access_key_id, server.access_key_secret), server.endpoint, BUCKET
        )
        bucket.put_object("after-fuzzing.txt", b"still here")
        assert bucket.get_object("after-fuzzing.txt").read() == b"still here"
        assert server.bucket_names()
