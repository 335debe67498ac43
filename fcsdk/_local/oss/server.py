"""The HTTP side of LocalOSSServer: a threaded server on 127.0.0.1 that reads requests
the way OSS does (path style), checks their signatures, and answers with OSS's
headers, XML bodies and error documents.

The operations themselves live in :mod:`fcsdk._local.oss.operations`.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import socket
import socketserver
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, unquote

import h11

from fcsdk._local.oss import xml
from fcsdk._local.oss.errors import OSSError, is_number
from fcsdk._local.oss.signing import AuthResult, Keyring, SignedRequest, authenticate
from fcsdk._local.oss.storage import CHUNK, Store

__all__ = ["OSSHTTPServer", "RecordedRequest", "Request", "Response"]

logger = logging.getLogger("fcsdk.testing.oss")

_DRAIN_LIMIT = 256 * 1024 * 1024  # what an authenticated request's unread body may be
_REFUSED_DRAIN_LIMIT = 1024 * 1024  # what is read of a refused request's body, then close
_LINGER_SECONDS = 2.0  # how long the server waits for more of it
_XML_LIMIT = 2 * 1024 * 1024
_HEAD_LIMIT = 64 * 1024  # request line + headers, and a chunked body's trailers
_RECV = 256 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received, for assertions in tests.

    Attributes:
        method: the HTTP method.
        path: the request path, still url-encoded (``/bucket/a%20b``).
        query: the query string, without the leading ``?`` (signatures and
            security tokens of presigned URLs replaced by ``****``).
        bucket: the bucket named in the path (``''`` for service requests).
        key: the object key, decoded (``''`` for bucket requests).
        operation: the OSS operation (``PutObject``, ``ListObjectsV2`` ...).
        auth: how it was signed: ``v1``, ``v4``, ``v1-presigned``,
            ``v4-presigned``, or ``''`` when it was rejected before that.
        access_key_id: the access key id it was signed with, if any.
        token_present: whether it carried an STS security token.
        status: the HTTP status answered.
        error_code: the OSS error code answered, or ``None`` on success.
    """

    method: str
    path: str
    query: str
    bucket: str
    key: str
    operation: str
    auth: str
    access_key_id: str | None
    token_present: bool
    status: int
    error_code: str | None


@dataclass
class Request:
    """A parsed request, as the operations see it."""

    method: str
    bucket: str
    key: str
    params: list[tuple[str, str]]
    headers: dict[str, str]
    body: BodyReader
    auth: AuthResult | None = None

    @property
    def args(self) -> dict[str, str]:
        """The query parameters as a dict (last one wins)."""
        return dict(self.params)


@dataclass
class Response:
    """What an operation answers."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    length: int | None = None

    @classmethod
    def xml(cls, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        """An XML document response."""
        return cls(status, {"Content-Type": "application/xml", **(headers or {})}, body)


class BodyReader:
    """The request body, read as a stream.

    This base class reads a ``Content-Length`` body from a file object (what
    the operations' own tests give it); the server's requests use
    :class:`_FramedBody`, whose framing (length or chunked) h11 checks.
    """

    def __init__(self, rfile: Any, headers: dict[str, str]) -> None:
        self._rfile = rfile
        self.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = headers.get("content-length")
        self.length: int | None = None
        if not self.chunked and length is not None:
            text = length.strip(" \t")
            if not is_number(text):
                raise OSSError(
                    400,
                    "InvalidArgument",
                    "Content-Length is not a number.",
                    ArgumentName="Content-Length",
                )
            self.length = int(text)
        self._remaining = self.length or 0
        self._done = not self.chunked and self._remaining == 0
        self.started = False

    @property
    def present(self) -> bool:
        """Whether the request declared a body (length or chunked)."""
        return self.chunked or self.length is not None

    @property
    def done(self) -> bool:
        """Whether the whole body was read."""
        return self._done

    def chunks(self) -> Iterator[bytes]:
        """Yield the body in chunks of at most 1 MiB."""
        self.started = True
        while self._remaining > 0:
            chunk = self._rfile.read(min(CHUNK, self._remaining))
            if not chunk:
                raise OSSError(400, "IncompleteBody", "The request body ended early.")
            self._remaining -= len(chunk)
            yield chunk
        self._done = True

    def read_all(self, limit: int = _XML_LIMIT) -> bytes:
        """Read a small body whole (XML documents)."""
        data = bytearray()
        for chunk in self.chunks():
            data += chunk
            if len(data) > limit:
                raise OSSError(400, "EntityTooLarge", "The request body is too large.")
        return bytes(data)

    def drain(self, limit: int | None = None) -> bool:
        """Read and drop what is left, at most ``limit`` bytes; False if that was not all."""
        if self._done:
            return True
        budget = _DRAIN_LIMIT if limit is None else limit
        if not self.chunked and self._remaining > budget:
            return False
        try:
            for chunk in self.chunks():
                budget -= len(chunk)
                if budget < 0:
                    break
        except (OSError, OSSError):
            return False
        return self._done


class _FramedBody(BodyReader):
    """A body read through h11: h11 checks the framing, chunk sizes and trailers."""

    def __init__(self, connection: _Connection, headers: dict[str, str]) -> None:
        super().__init__(None, headers)
        self._connection = connection
        self._done = False

    def chunks(self) -> Iterator[bytes]:
        """Yield the body as it arrives (sending ``100 Continue`` first if it was asked for).

        A body cut short is no event: h11 raises, which :meth:`_Connection.next_event`
        answers as ``IncompleteBody``.
        """
        self.started = True
        while not self._done:
            event = self._connection.next_event()
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            else:
                # the only other event h11 gives while a body is read: never end one quietly
                assert isinstance(event, h11.EndOfMessage), event
                self._done = True


class _Connection:
    """One client connection, framed by h11 (RFC 9112: lengths, chunks, trailers, Host)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=_HEAD_LIMIT)
        self._eof = False
        self._fed = 0  # bytes given to h11 on this connection
        self._message_start = 0  # where the current request began, in those bytes

    def _consumed(self) -> int:
        """How many of the bytes given to h11 it has read so far."""
        return self._fed - len(self.h11.trailing_data[0])

    def next_event(self) -> Any:
        """The next h11 event, reading from the socket as needed.

        h11 bounds a head or trailer section only while it is incomplete; a
        complete one is measured here, so that the 64 KiB limit holds however
        the bytes arrived.

        Raises:
            OSSError: 400 for a request h11 rejects (bad framing, a broken chunk
                size, a head or trailers over 64 KiB, no ``Host``).
        """
        while True:
            in_head = self.h11.their_state is h11.IDLE  # an error makes it ERROR
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                if self.h11.their_state is h11.ERROR and self._eof:
                    raise OSSError(400, "IncompleteBody", "The request body ended early.") from None
                if exc.error_status_hint == 431:  # over the limit before it was complete
                    part = "request head is" if in_head else "trailer fields are"
                    raise _BadFraming(f"the {part} over {_HEAD_LIMIT} bytes") from None
                raise _BadFraming(str(exc)) from None  # h11 always says what was wrong
            if isinstance(event, h11.Request):
                if self._consumed() - self._message_start > _HEAD_LIMIT:
                    raise _BadFraming(f"the request head is over {_HEAD_LIMIT} bytes")
            elif isinstance(event, h11.EndOfMessage):
                trailer = event.headers.raw_items()
                if sum(len(n) + len(v) + 4 for n, v in trailer) > _HEAD_LIMIT:
                    raise _BadFraming(f"the trailer fields are over {_HEAD_LIMIT} bytes")
                self._message_start = self._consumed()
            if event is not h11.NEED_DATA:
                return event
            if self.h11.they_are_waiting_for_100_continue:
                self.send(h11.InformationalResponse(status_code=100, headers=[]))
            try:
                data = self.sock.recv(_RECV)
            except TimeoutError:
                data = b""
            self._eof = not data
            self._fed += len(data)
            self.h11.receive_data(data)

    def send(self, event: Any) -> None:
        """Send one h11 event."""
        data = self.h11.send(event)
        if data:
            self.sock.sendall(data)


class _BadFraming(OSSError):
    def __init__(self, reason: str) -> None:
        super().__init__(400, "InvalidArgument", f"Malformed HTTP request: {reason}")


def new_request_id() -> str:
    """A request id shaped like OSS's (24 upper-case hex digits)."""
    return uuid.uuid4().hex[:24].upper()


class OSSHTTPServer(socketserver.ThreadingTCPServer):
    """The threaded HTTP server: one thread per connection, daemon, closed on stop."""

    daemon_threads = True
    # The default backlog of 5 resets connections when many clients connect at once.
    request_queue_size = 128
    block_on_close = False
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        store: Store,
        keyring: Keyring,
        region: str,
        operations: Any,
        record: Callable[[RecordedRequest], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(address, OSSRequestHandler)
        self.clock = clock
        self.store = store
        self.keyring = keyring
        self.region = region
        self.operations = operations
        self.record = record
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        """Track the connection so that ``close_connections`` can end it."""
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Forget a connection that ended."""
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that broke (a client went away): log it, do not print a traceback."""
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)

    def close_connections(self) -> None:
        """End every open (keep-alive) connection, so that no thread lingers."""
        with self._connections_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


def _redacted_query(query: str) -> str:
    hidden = {"Signature", "security-token", "x-oss-signature", "x-oss-security-token"}
    if not any(name in query for name in hidden):
        return query
    parts = []
    for item in query.split("&"):
        name, sep, _ = item.partition("=")
        parts.append(f"{name}=****" if sep and unquote(name) in hidden else item)
    return "&".join(parts)


class OSSRequestHandler(socketserver.BaseRequestHandler):
    """Serves one connection: reads requests (framed by h11), authenticates each one
    before reading its body, runs the operation, writes OSS's answer."""

    server: OSSHTTPServer
    request: socket.socket
    timeout = 60

    def handle(self) -> None:
        """Answer requests on this connection until it closes."""
        self.request.settimeout(self.timeout)
        connection = _Connection(self.request)
        while True:
            try:
                event = connection.next_event()
            except _BadFraming as error:
                self._refuse(connection, error)
                return
            if not isinstance(event, h11.Request):
                return  # the client closed the connection (or went silent)
            if not self._cycle(connection, event):
                return
            try:
                connection.h11.start_next_cycle()
            except h11.LocalProtocolError:
                return

    def _refuse(self, connection: _Connection, error: OSSError) -> None:
        """Answer a request h11 could not frame with a 400, then close."""
        if connection.h11.our_state not in (h11.IDLE, h11.SEND_RESPONSE):
            return
        request_id = new_request_id()
        response = self._error(error, request_id, "", "GET")
        response.headers["Connection"] = "close"
        with contextlib.suppress(h11.LocalProtocolError, OSError):
            self._send(connection, response, request_id, "GET")

    # -- the request cycle -----------------------------------------------------------------

    def _cycle(self, connection: _Connection, event: h11.Request) -> bool:
        """Answer one request; returns whether the connection can serve another."""
        method = event.method.decode("ascii", "replace").upper()
        target = event.target.decode("latin-1")
        request_id = new_request_id()
        raw_path, _, query = target.partition("?")
        headers: dict[str, str] = {}
        for raw_name, raw_value in event.headers:
            lower = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[lower] = f"{headers[lower]},{value}" if lower in headers else value
        bucket = key = ""
        operation = "Unknown"
        auth: AuthResult | None = None
        body: BodyReader | None = None
        if "transfer-encoding" in headers and "content-length" in headers:
            # RFC 9112 §6.3: a request smuggling attempt more often than not; refuse it.
            self._refuse(connection, _BadFraming("both Transfer-Encoding and Content-Length"))
            return False
        try:
            body = _FramedBody(connection, headers)
            bucket, key = self._split_path(raw_path)
            request = Request(
                method=method,
                bucket=bucket,
                key=key,
                params=parse_qsl(query, keep_blank_values=True),
                headers=headers,
                body=body,
            )
            operation, handler = self.server.operations.route(request)
            if operation == "Unknown":
                handler(request)  # NotImplemented, whoever asks
            # Authenticated before a byte of the body is read: an anonymous 200 MB PUT
            # is refused with its headers only (and 100-continue is never sent).
            auth = authenticate(
                SignedRequest(method, bucket, key, request.params, headers),
                self.server.keyring,
                now=self.server.clock(),
            )
            request.auth = auth
            response = handler(request)
        except _BadFraming as error:  # a broken chunk size, trailers too long ...
            self._refuse(connection, error)
            return False  # (h11 could not start another cycle: the refusal said close)
        except OSSError as error:
            response = self._error(error, request_id, bucket, method)
        except Exception:  # a bug here must still give OSS-shaped XML, not a traceback
            logger.exception("LocalOSSServer failed on %s %s", method, raw_path)
            response = self._error(
                OSSError(500, "InternalError", "We encountered an internal error."),
                request_id,
                bucket,
                method,
            )
        # The answer goes out first; an unread body is read afterwards (up to a bound),
        # so a client that sends its whole body before reading still gets the answer.
        keep = body is not None and (
            body.done or (auth is not None and not connection.h11.they_are_waiting_for_100_continue)
        )
        if not keep:
            response.headers["Connection"] = "close"
        error_code = response.headers.pop("x-fcsdk-error-code", None)
        self.server.record(
            RecordedRequest(
                method=method,
                path=raw_path,
                query=_redacted_query(query),
                bucket=bucket,
                key=key,
                operation=operation,
                auth=auth.scheme if auth else "",
                access_key_id=auth.access_key_id if auth else None,
                token_present=auth.token_present
                if auth
                else bool(headers.get("x-oss-security-token") or "security-token" in query),
                status=response.status,
                error_code=error_code,
            )
        )
        try:
            self._send(connection, response, request_id, method)
        except (h11.LocalProtocolError, OSError):
            return False
        if body is None or body.done:
            return keep
        if keep:
            return body.drain()
        # Linger as nginx does: read (and drop) a bounded amount so that the client
        # reads the answer instead of a reset, then close.
        with contextlib.suppress(OSSError, OSError):
            connection.sock.settimeout(_LINGER_SECONDS)
            body.drain(_REFUSED_DRAIN_LIMIT)
        return keep  # False: the answer said Connection: close

    def _split_path(self, raw_path: str) -> tuple[str, str]:
        if not raw_path.startswith("/"):
            raise OSSError(400, "InvalidURI", "Couldn't parse the specified URI.")
        bucket_part, _, key_part = raw_path[1:].partition("/")
        try:
            bucket = unquote(bucket_part, errors="strict")
            key = unquote(key_part, errors="strict")
        except UnicodeDecodeError:
            raise OSSError(
                400, "InvalidObjectName", "The object name is not valid UTF-8."
            ) from None
        return bucket, key

    def _error(self, error: OSSError, request_id: str, bucket: str, method: str) -> Response:
        host = f"{bucket}.127.0.0.1" if bucket else "127.0.0.1"
        document = xml.error_document(error, request_id, host)
        headers = {
            "Content-Type": "application/xml",
            "x-oss-ec": "0000-00000000",
            "x-fcsdk-error-code": error.code,
            **error.headers,
        }
        if error.status == 304:
            return Response(304, headers)  # no body, and no Content-Length (see _send)
        if method == "HEAD":
            # HEAD answers have no body: OSS sends the document base64-encoded in x-oss-err.
            headers["x-oss-err"] = base64.b64encode(document).decode("ascii")
            return Response(error.status, headers, b"", 0)
        return Response(error.status, headers, document)

    def _send(
        self, connection: _Connection, response: Response, request_id: str, method: str
    ) -> None:
        body = response.body
        length = response.length
        if isinstance(body, bytes | bytearray):
            length = len(body) if length is None else length
        fields: list[tuple[str, str]] = [
            ("Server", "AliyunOSS"),
            ("Date", http_date()),
            ("x-oss-request-id", request_id),
            *response.headers.items(),
        ]
        if response.status not in (204, 304):
            fields.append(("Content-Length", str(length or 0)))
        reason = HTTPStatus(response.status).phrase  # every status answered is a standard one
        try:
            connection.send(
                h11.Response(
                    status_code=response.status,
                    headers=[(n.encode("latin-1"), v.encode("latin-1")) for n, v in fields],
                    reason=reason.encode("ascii"),
                )
            )
            if method != "HEAD":
                if isinstance(body, bytes | bytearray):
                    if body:
                        connection.send(h11.Data(data=bytes(body)))
                else:
                    for chunk in body:
                        connection.send(h11.Data(data=chunk))
            connection.send(h11.EndOfMessage())
        finally:
            _close(body)


def _close(body: object) -> None:
    close = getattr(body, "close", None)
    if callable(close):
        close()


def http_date(timestamp: float | None = None) -> str:
    """An HTTP date header value."""
    return xml.http_time(time.time() if timestamp is None else timestamp)
