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
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote

from fcsdk._local.oss import xml
from fcsdk._local.oss.errors import OSSError, is_number
from fcsdk._local.oss.signing import AuthResult, Keyring, SignedRequest, authenticate
from fcsdk._local.oss.storage import CHUNK, Store

__all__ = ["OSSHTTPServer", "RecordedRequest", "Request", "Response"]

logger = logging.getLogger("fcsdk.testing.oss")

_DRAIN_LIMIT = 256 * 1024 * 1024
_XML_LIMIT = 2 * 1024 * 1024


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
    request_id: str
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
    """The request body, read as a stream (``Content-Length`` or chunked)."""

    def __init__(self, rfile: Any, headers: dict[str, str]) -> None:
        self._rfile = rfile
        self.chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        length = headers.get("content-length")
        self.length: int | None = None
        if not self.chunked and length is not None:
            text = length.strip(" \t")
            if not is_number(text):
                raise OSSError(400, "InvalidArgument", "Content-Length is not a number.")
            self.length = int(text)
        self._remaining = self.length or 0
        self._done = not self.chunked and self._remaining == 0

    @property
    def present(self) -> bool:
        """Whether the request declared a body (length or chunked)."""
        return self.chunked or self.length is not None

    def chunks(self) -> Iterator[bytes]:
        """Yield the body in chunks of at most 1 MiB."""
        if self.chunked:
            yield from self._chunked()
            return
        while self._remaining > 0:
            chunk = self._rfile.read(min(CHUNK, self._remaining))
            if not chunk:
                raise OSSError(400, "IncompleteBody", "The request body ended early.")
            self._remaining -= len(chunk)
            yield chunk
        self._done = True

    def _chunked(self) -> Iterator[bytes]:
        while not self._done:
            line = self._rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
                if size < 0:
                    raise ValueError(size)
            except ValueError:
                raise OSSError(400, "InvalidArgument", "Malformed chunked body.") from None
            if size == 0:
                while self._rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                self._done = True
                return
            remaining = size
            while remaining > 0:
                chunk = self._rfile.read(min(CHUNK, remaining))
                if not chunk:
                    raise OSSError(400, "IncompleteBody", "The request body ended early.")
                remaining -= len(chunk)
                yield chunk
            self._rfile.readline(1024)

    def read_all(self, limit: int = _XML_LIMIT) -> bytes:
        """Read a small body whole (XML documents)."""
        data = bytearray()
        for chunk in self.chunks():
            data += chunk
            if len(data) > limit:
                raise OSSError(400, "EntityTooLarge", "The request body is too large.")
        return bytes(data)

    def drain(self) -> bool:
        """Read and drop what is left; returns False if it was too much to bother."""
        if self._done:
            return True
        if not self.chunked and self._remaining > _DRAIN_LIMIT:
            return False
        try:
            for _ in self.chunks():
                pass
        except (OSError, OSSError):
            return False
        return True


def new_request_id() -> str:
    """A request id shaped like OSS's (24 upper-case hex digits)."""
    return uuid.uuid4().hex[:24].upper()


class OSSHTTPServer(ThreadingHTTPServer):
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
    ) -> None:
        super().__init__(address, OSSRequestHandler)
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


class OSSRequestHandler(BaseHTTPRequestHandler):
    """Reads one request, authenticates it, runs the operation, writes OSS's answer."""

    server: OSSHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "AliyunOSS"
    sys_version = ""
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:
        """Log to ``fcsdk.testing.oss`` at debug level instead of stderr."""
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        """Handle GET."""
        self._handle()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    def do_OPTIONS(self) -> None:
        """Answer methods OSS has but this server does not implement."""
        self._handle()

    do_PATCH = do_OPTIONS

    # -- the request cycle -----------------------------------------------------------------

    def _handle(self) -> None:
        request_id = new_request_id()
        raw_path, _, query = self.path.partition("?")
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            lower = name.lower()
            headers[lower] = f"{headers[lower]},{value}" if lower in headers else value
        bucket = key = ""
        operation = "Unknown"
        auth: AuthResult | None = None
        body: BodyReader | None = None
        try:
            body = BodyReader(self.rfile, headers)
            bucket, key = self._split_path(raw_path)
            request = Request(
                method=self.command,
                bucket=bucket,
                key=key,
                params=parse_qsl(query, keep_blank_values=True),
                headers=headers,
                body=body,
                request_id=request_id,
            )
            operation, handler = self.server.operations.route(request)
            if operation == "Unknown":
                handler(request)  # NotImplemented, whoever asks
            auth = authenticate(
                SignedRequest(self.command, bucket, key, request.params, headers),
                self.server.keyring,
            )
            request.auth = auth
            response = handler(request)
        except OSSError as error:
            response = self._error(error, request_id, bucket)
        except Exception:  # a bug here must still give OSS-shaped XML, not a traceback
            logger.exception("LocalOSSServer failed on %s %s", self.command, raw_path)
            response = self._error(
                OSSError(500, "InternalError", "We encountered an internal error."),
                request_id,
                bucket,
            )
        if body is not None and not body.drain():
            self.close_connection = True
            response.headers["Connection"] = "close"
        elif body is None:
            self.close_connection = True
        error_code = response.headers.pop("x-fcsdk-error-code", None)
        self.server.record(
            RecordedRequest(
                method=self.command,
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
        self._send(response, request_id)

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

    def _error(self, error: OSSError, request_id: str, bucket: str) -> Response:
        host = f"{bucket}.127.0.0.1" if bucket else "127.0.0.1"
        document = xml.error_document(error, request_id, host)
        headers = {
            "Content-Type": "application/xml",
            "x-oss-ec": "0000-00000000",
            "x-fcsdk-error-code": error.code,
            **error.headers,
        }
        if error.status == 304:
            return Response(304, headers, b"", 0)
        if self.command == "HEAD":
            # HEAD answers have no body: OSS sends the document base64-encoded in x-oss-err.
            headers["x-oss-err"] = base64.b64encode(document).decode("ascii")
            return Response(error.status, headers, b"", 0)
        return Response(error.status, headers, document)

    def _send(self, response: Response, request_id: str) -> None:
        body = response.body
        length = response.length
        if isinstance(body, bytes | bytearray):
            length = len(body) if length is None else length
        self.send_response(response.status)
        self.send_header("x-oss-request-id", request_id)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(length or 0))
        if self.close_connection and "Connection" not in response.headers:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            _close(body)
            return
        try:
            if isinstance(body, bytes | bytearray):
                self.wfile.write(body)
            else:
                for chunk in body:
                    self.wfile.write(chunk)
        except OSError:  # the client went away mid-download
            self.close_connection = True
        finally:
            _close(body)


def _close(body: object) -> None:
    close = getattr(body, "close", None)
    if callable(close):
        close()


def http_date(timestamp: float | None = None) -> str:
    """An HTTP date header value."""
    return xml.http_time(time.time() if timestamp is None else timestamp)
