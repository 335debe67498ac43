"""HTTP/1.1 framing for ``fcsdk serve``, by h11: strict as RFC 9112 asks, bounded everywhere.

h11 reads the request line, the header fields and the body framing. What it
refuses (two different ``Content-Length`` values, a ``Content-Length`` that is
not ASCII digits, whitespace before a colon, a transfer coding other than
``chunked``, a chunk size that is not hex digits, a chunk not followed by
CRLF, an HTTP/1.1 request without ``Host``) is a :class:`FramingError`; this
module adds what h11 allows but RFC 9112 §6.1 lets a server refuse:
``Content-Length`` together with ``Transfer-Encoding``. It also checks what
h11 passes through (RFC 9112 §3.2, RFC 9110 §7.2): the request target is in
origin form (``/path?query``, no ``#fragment``), in absolute form (its path is
used and its authority becomes the ``Host``), or ``*`` for ``OPTIONS``; the
``Host`` is a host and an optional port, nothing else; an HTTP/1.x request
newer than 1.0 has a ``Host``, and an HTTP/2 or later request line is a 505.
The request head (request line and header fields, as they came on the wire)
is refused past 64 KiB however its bytes arrived (431), and so are trailer
fields past 64 KiB (400). Every framing error is answered and the connection
closed, since what follows on the wire can no longer be trusted to be the
next request.

When a request is refused with its body unread (413, 400), :meth:`Wire.linger`
does what nginx's lingering close does: stop writing, then read and discard
what the client still sends, for a bounded time and size, so a client that
sends its whole body before reading (``urllib``, ``requests``) gets the
answer instead of a broken pipe.

h11 is imported by this module only, which only the loopback servers import.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus

import h11

__all__ = ["ClientGone", "FramingError", "RequestHead", "Wire"]

MAX_HEAD_SIZE = 64 * 1024
"""The longest request line plus header fields (or trailer fields) read: 64 KiB."""
MAX_FIELDS = 100
"""The most header fields, or trailer fields, in one request."""
LINGER_SECONDS = 10.0
"""How long a refused request's remaining body is read and discarded, at most."""
LINGER_IDLE_SECONDS = 2.0
"""How long a lingering connection may stay silent before it is closed."""
LINGER_BYTES = 64 * 1024 * 1024
"""How much of a refused request's body is discarded, at least (4 limits when more)."""
_RECV = 65536

_REG_NAME = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*"
_IP_LITERAL = r"\[(?:[0-9A-Fa-f:.]+|[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]"
_AUTHORITY = re.compile(rf"(?:{_IP_LITERAL}|{_REG_NAME})(?::[0-9]*)?")
"""RFC 3986's authority without userinfo: what a ``Host`` field may hold (RFC 9110 §7.2)."""
_ABSOLUTE = re.compile(
    r"(?i:https?)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)(?P<query>\?.*)?", re.S
)


class FramingError(Exception):
    """A request HTTP/1.1 cannot frame safely, or over a limit: answered, then closed."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class ClientGone(Exception):
    """The client went away (or stalled past the read timeout) mid-request."""


@dataclass(frozen=True)
class RequestHead:
    """A request line and header fields as read (names as sent, latin-1 text)."""

    method: str
    target: str
    """The target in origin form (``/path?query``); ``*`` for ``OPTIONS *``."""
    headers: list[tuple[str, str]]
    content_length: int | None


def _bad(message: str) -> FramingError:
    return FramingError(400, "InvalidArgument", message)


def _origin_form(
    method: str, target: str, fields: list[tuple[str, str]]
) -> tuple[str, list[tuple[str, str]]]:
    """The target in origin form, and the fields with the authority of an absolute form as Host.

    Raises:
        FramingError: a target in no form RFC 9112 §3.2 allows for ``method`` (400).
    """
    if "#" in target:
        raise _bad("a request target cannot hold a #fragment (RFC 9112 section 3.2)")
    if target.startswith("/") or (target == "*" and method == "OPTIONS"):
        return target, fields
    absolute = _ABSOLUTE.fullmatch(target)
    if absolute is None:
        raise _bad(
            f"request target {target[:100]!r} is not a path, an http(s) URL, "
            "or * with OPTIONS (RFC 9112 section 3.2)"
        )
    authority = absolute.group("authority")
    if not _AUTHORITY.fullmatch(authority):
        raise _bad(f"invalid authority {authority[:100]!r} in the request target")
    # RFC 9112 §3.2.2: the target's authority is the host, whatever Host says.
    others = [(n, v) for n, v in fields if n.lower() != "host"]
    path = absolute.group("path") or "/"
    return path + (absolute.group("query") or ""), [("Host", authority), *others]


def _too_large(limit: int) -> FramingError:
    return FramingError(
        413, "EntityTooLarge", f"payload size exceeds maximum allowed size ({limit} bytes)"
    )


class Wire:
    """One server-side HTTP/1.1 connection: read requests, write answers, close politely."""

    def __init__(
        self, sock: socket.socket, *, max_body_size: int, read_timeout: float, server: str
    ) -> None:
        self.sock = sock
        self.max_body_size = max_body_size
        self.read_timeout = read_timeout
        self.server = server
        self.conn = self._reader(b"")
        self._keep_alive = False
        self._continued = False  # (next_request sets it for each request, before it is read)
        sock.settimeout(read_timeout)
        with contextlib.suppress(OSError):  # not a TCP socket
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # --- reading ----------------------------------------------------------------------

    def _reader(self, leftover: bytes) -> h11.Connection:
        """An h11 reader for one request, fed what came after the previous one.

        h11 is never told of the client's end of stream (:meth:`_event` answers it
        itself), so what came after a request is bytes only.
        """
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_SIZE)
        self._fed = len(leftover)  # the bytes given to it: a complete head is measured by them
        if leftover:
            conn.receive_data(leftover)
        return conn

    def _event(self) -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
        while True:
            in_head = self.conn.their_state is h11.IDLE  # an error makes it ERROR
            try:
                event = self.conn.next_event()
            except h11.RemoteProtocolError as exc:
                # RFC 9112 §6.3: an unusable framing (a transfer coding other than
                # chunked included) is a 400 and a closed connection.
                if exc.error_status_hint == 431:
                    # over the limit before it was complete: the same answer as a whole one
                    if in_head:
                        raise FramingError(
                            431,
                            "InvalidArgument",
                            f"the request head is over {MAX_HEAD_SIZE} bytes",
                        ) from None
                    raise FramingError(
                        400, "InvalidArgument", f"the trailer fields are over {MAX_HEAD_SIZE} bytes"
                    ) from None
                raise FramingError(400, "InvalidArgument", str(exc)) from None
            if event is not h11.NEED_DATA:
                return event
            if self.conn.they_are_waiting_for_100_continue and not self._continued:
                self._continued = True
                self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            idle = self.conn.their_state is h11.IDLE and not self.conn.trailing_data[0]
            try:
                data = self.sock.recv(_RECV)
            except (TimeoutError, ConnectionError, OSError) as exc:
                if idle:
                    return h11.ConnectionClosed()
                raise ClientGone(f"reading the body failed: {exc}") from exc
            if not data:
                if idle:
                    return h11.ConnectionClosed()
                raise ClientGone("the client went away in the middle of a request")
            self._fed += len(data)
            self.conn.receive_data(data)

    def next_request(self) -> RequestHead | None:
        """Read the next request's head; None when the client closed between requests.

        Raises:
            FramingError: the head is malformed or its framing unusable (400, 431, 501).
            ClientGone: the client went away mid-head.
        """
        event = self._event()
        if isinstance(event, h11.ConnectionClosed):
            return None
        assert isinstance(event, h11.Request), event
        # h11 bounds only an incomplete head; a complete one is measured here, as it came.
        if self._fed - len(self.conn.trailing_data[0]) > MAX_HEAD_SIZE:
            raise FramingError(
                431, "InvalidArgument", f"the request head is over {MAX_HEAD_SIZE} bytes"
            )
        fields = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in event.headers.raw_items()]
        if len(fields) > MAX_FIELDS:
            raise FramingError(431, "InvalidArgument", f"more than {MAX_FIELDS} header fields")
        version = event.http_version
        if version[:1] != b"1":
            raise FramingError(
                505, "HTTPVersionNotSupported", f"HTTP/{version.decode()} is not supported"
            )
        hosts = [v for n, v in fields if n.lower() == "host"]
        if not hosts and version > b"1.0":  # h11 asks for a Host from HTTP/1.1 only
            raise _bad(f"an HTTP/{version.decode()} request needs a Host (RFC 9112 section 3.2)")
        if hosts and not _AUTHORITY.fullmatch(hosts[0]):
            raise _bad(f"invalid Host {hosts[0][:100]!r}: a host and an optional port only")
        method = event.method.decode("ascii")
        target, fields = _origin_form(method, event.target.decode("latin-1"), fields)
        names = {name.lower() for name, _ in fields}
        if "transfer-encoding" in names and "content-length" in names:
            raise FramingError(
                400,
                "InvalidArgument",
                "a request with both Content-Length and Transfer-Encoding is refused "
                "(RFC 9112 section 6.1)",
            )
        length = None
        if "content-length" in names:
            length = int(next(v for n, v in fields if n.lower() == "content-length"))
            if length > self.max_body_size:
                raise _too_large(self.max_body_size)
        connection = ",".join(v for n, v in fields if n.lower() == "connection").lower()
        tokens = {token.strip() for token in connection.split(",")}
        self._keep_alive = version > b"1.0" and "close" not in tokens
        self._continued = False
        return RequestHead(method, target, fields, length)

    def read_body(self) -> bytes:
        """Read the body of the request whose head was just read (bounded by the limit).

        Raises:
            FramingError: a malformed chunked body (400) or a body over the limit (413).
            ClientGone: the client went away or stalled mid-body.
        """
        parts: list[bytes] = []
        total = 0
        while True:
            event = self._event()
            if isinstance(event, h11.Data):
                total += len(event.data)
                if total > self.max_body_size:
                    raise _too_large(self.max_body_size)
                parts.append(bytes(event.data))
                continue
            # h11 gives only Data and EndOfMessage in a body (h11 never sees the stream end)
            assert isinstance(event, h11.EndOfMessage), event
            trailer = event.headers.raw_items()
            if len(trailer) > MAX_FIELDS:
                raise _bad("too many trailer lines after a chunked body")
            if sum(len(n) + len(v) + 4 for n, v in trailer) > MAX_HEAD_SIZE:
                raise _bad(f"the trailer fields are over {MAX_HEAD_SIZE} bytes")
            return b"".join(parts)

    # --- answering --------------------------------------------------------------------

    def answer(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes,
        *,
        close: bool = False,
    ) -> None:
        """Send one final answer: ``headers`` must be valid fields (the caller checked them).

        The answer is written here, not by h11 (whose checks of outgoing
        fields cost more than the rest of a hello request); h11 reads each
        request afresh, so the state it keeps is the reader's only.
        """
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
        self._keep_alive = self._keep_alive and not close
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{name}: {value.strip()}" for name, value in headers]
        lines += [f"Server: {self.server}", f"Date: {formatdate(usegmt=True)}"]
        if not self._keep_alive:
            lines.append("Connection: close")
        head = "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n"
        self.sock.sendall(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            self.sock.sendall(body)

    def next_cycle(self) -> bool:
        """Get ready for the next request on this connection; False when it must close."""
        if not self._keep_alive or self.conn.their_state is not h11.DONE:
            return False
        self.conn = self._reader(bytes(self.conn.trailing_data[0]))
        return True

    def linger(self) -> None:
        """Stop writing, then discard what the client still sends (bounded), as nginx does."""
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:  # pragma: no cover - the client reset the connection first
            return
        budget = max(LINGER_BYTES, 4 * self.max_body_size)
        deadline = time.monotonic() + LINGER_SECONDS
        self.sock.settimeout(LINGER_IDLE_SECONDS)
        while budget > 0 and time.monotonic() < deadline:
            try:
                data = self.sock.recv(_RECV)
            except OSError:  # pragma: no cover - the client reset, or stayed silent too long
                return
            if not data:
                return
            budget -= len(data)
