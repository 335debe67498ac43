"""fcsdk serve's HTTP/1.1 framing: any bytes give requests, a 4xx refusal or a closed client.

Raw bytes, and requests assembled from fuzzed framing headers (several
``Content-Length``, ``Transfer-Encoding`` lists, chunk-size lines with
extensions, signs, underscores and ``0x`` prefixes, trailers), are read by
:class:`~fcsdk._local.http1.Wire` over a socket pair. The property: within
the time bound each input ends in whole requests, a :class:`FramingError`
with a 4xx status, or :class:`ClientGone`; never another exception. A
request carrying both ``Content-Length`` and ``Transfer-Encoding`` is never
read as a request (RFC 9112 §6.1).
"""

from __future__ import annotations

import socket

from hypothesis import given
from hypothesis import strategies as st

from fcsdk._local.http1 import ClientGone, FramingError, RequestHead, Wire
from tests.properties._support import profile

LIMIT = 4096


def read_all(data: bytes) -> tuple[list[RequestHead], FramingError | ClientGone | None]:
    """Read every request in ``data`` (answering each with an empty 200); return heads and end."""
    ours, theirs = socket.socketpair()
    heads: list[RequestHead] = []
    with ours, theirs:
        theirs.sendall(data)
        theirs.shutdown(socket.SHUT_WR)
        wire = Wire(ours, max_body_size=LIMIT, read_timeout=1.0, server="props")
        try:
            for _ in range(20):
                head = wire.next_request()
                if head is None:
                    return heads, None
                wire.read_body()
                heads.append(head)
                wire.answer(200, [("Content-Length", "0")], b"")
                if not wire.next_cycle():
                    break
        except (FramingError, ClientGone) as end:
            return heads, end
    return heads, None


TOKENS = st.sampled_from(["chunked", "gzip", "identity", "xchunked", "chunked, gzip", " chunked"])
SIZES = st.one_of(
    st.integers(0, 5000).map(lambda n: format(n, "x")),
    st.sampled_from(["0x5", "0_5", "-1", "+5", "5;ext=1", "5 ", "", "fffffffffffffffff", "\u00b3"]),
)


@st.composite
def framed(draw: st.DrawFn) -> bytes:
    """A request with fuzzed framing headers and a chunked or plain body."""
    lines = ["POST /invoke HTTP/1.1"]
    if draw(st.booleans()):
        lines.append("Host: x")
    for length in draw(
        st.lists(st.sampled_from(["5", "6", "0", "05", " 5", "\u00b3"]), max_size=2)
    ):
        lines.append(f"Content-Length{draw(st.sampled_from(['', ' ']))}: {length}")
    for coding in draw(st.lists(TOKENS, max_size=2)):
        lines.append(f"Transfer-Encoding: {coding}")
    body = b""
    for size in draw(st.lists(SIZES, max_size=3)):
        ending = draw(st.sampled_from([b"\r\n", b"XX", b""]))
        body += size.encode() + b"\r\n" + b"a" * 5 + ending
    if draw(st.booleans()):
        body += b"0\r\n" + draw(st.sampled_from([b"", b"X-T: 1\r\n"])) + b"\r\n"
    head = "\r\n".join(lines).encode("utf-8") + b"\r\n\r\n"
    return head + body + draw(st.sampled_from([b"", b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"]))


class TestFramingProperties:
    @profile(300)
    @given(st.binary(max_size=2000))
    def test_any_bytes(self, data: bytes) -> None:
        """Arbitrary bytes end in requests, a 4xx refusal or a gone client."""
        _, end = read_all(data)
        if isinstance(end, FramingError):
            assert end.status in (400, 413, 431)

    @profile(400)
    @given(framed())
    def test_fuzzed_framing(self, data: bytes) -> None:
        """Fuzzed framing never smuggles: CL with TE is refused; nothing follows a refusal."""
        heads, end = read_all(data)
        for head in heads:
            names = {name.lower() for name, _ in head.headers}
            assert not {"content-length", "transfer-encoding"} <= names
        if isinstance(end, FramingError):
            assert end.status in (400, 413, 431)
            assert all(head.target != "/smuggled" for head in heads)
