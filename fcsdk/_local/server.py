"""The HTTP front of ``fcsdk serve``: FC's endpoints on a threaded server on 127.0.0.1.

One :class:`LocalServer` puts one or more warm :class:`Instance` objects
behind what FC exposes:

- the HTTP trigger, on plain paths (a custom domain) and under FC 2.0's
  ``/2016-08-15/proxy/<service>/<function>/`` prefix; in ``wsgi`` mode the
  handler gets FC 2.0's environ, in ``event`` mode FC 3.0's event JSON;
- event invocation: ``POST /invoke`` and the FC API paths
  ``/2023-03-30/functions/<name>/invocations`` (FC 3.0) and
  ``/2016-08-15/services/<service>/functions/<name>/invocations`` (FC 2.0),
  with ``x-fc-invocation-type: Async`` answered 202 and run in the background.

Every answer carries ``x-fc-request-id``. Errors are answered as FC answers
them: a function error as 502 (HTTP trigger) or 200 (invocation API) with
``x-fc-error-type: UnhandledInvocationError`` and the runtime's error JSON; a
request error as 4xx with ``x-fc-error-type: FcCommonError`` and
``{"errorCode", "errorMessage"}``. Request bodies are limited to 6 MB (413).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from fcsdk._local.instance import (
    Instance,
    InstanceBusy,
    invocation_error,
    new_request_id,
)
from fcsdk._local.logs import RuntimeLogs
from fcsdk._local.trigger import (
    HTTPAnswer,
    IncomingRequest,
    call_wsgi,
    http_event,
    read_http_response,
    wsgi_environ,
)
from fcsdk._platform.rules import FC_PROXY_PREFIX, MAX_SYNC_BODY_SIZE
from fcsdk._runtime import runtime_result
from fcsdk.exceptions import InvalidArgumentError, InvalidResponseError

__all__ = ["MAX_BODY_SIZE", "HostedFunction", "LocalServer", "Mode"]

MAX_BODY_SIZE = MAX_SYNC_BODY_SIZE
"""FC's limit on a synchronous request's body and on a response: 6 MB."""

Mode = Literal["wsgi", "event"]

_INVOKE_API = re.compile(
    r"^/(?:2023-03-30/functions/(?P<v3>[^/]+)"
    r"|2016-08-15/services/[^/]+/functions/(?P<v2>[^/]+))/invocations/?$"
)
_HOP_BY_HOP = frozenset(
    {"connection", "content-length", "keep-alive", "transfer-encoding", "x-fc-request-id"}
)
_MAX_TRAILERS = 100
_NO_BODY = frozenset({204, 304})
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


@dataclass(frozen=True)
class HostedFunction:
    """A function the server hosts: its warm instance and how HTTP reaches it."""

    instance: Instance
    mode: Mode


class _Reject(Exception):
    """A request error answered before the function runs (FC's ``FcCommonError``)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class _Gone(Exception):
    """The client went away before its request was complete."""


class LocalServer(ThreadingHTTPServer):
    """A threaded HTTP server standing in for FC's front end.

    Example:
        >>> import io, pathlib, tempfile, threading, urllib.request
        >>> from fcsdk._local.instance import FunctionConfig
        >>> code = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (code / "doc_echo.py").write_text("def h(event, context):\\n    return event\\n")
        >>> logs = RuntimeLogs(io.StringIO())
        >>> inst = Instance(FunctionConfig(handler="doc_echo.h", code_dir=code), logs)
        >>> hosted = {"my-function": HostedFunction(inst, "event")}
        >>> server = LocalServer(("127.0.0.1", 0), hosted, logs)
        >>> threading.Thread(target=server.serve_forever, daemon=True).start()
        >>> url = f"http://127.0.0.1:{server.server_port}/invoke"
        >>> urllib.request.urlopen(urllib.request.Request(url, data=b"ping")).read()
        b'ping'
        >>> server.shutdown(); server.server_close()
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        functions: dict[str, HostedFunction],
        logs: RuntimeLogs,
        *,
        max_body_size: int = MAX_BODY_SIZE,
        read_timeout: float = 30.0,
        bind_and_activate: bool = True,
    ) -> None:
        if not functions:
            raise InvalidArgumentError("LocalServer needs at least one function")
        self.functions = functions
        self.default = next(iter(functions.values()))
        self.logs = logs
        self.max_body_size = max_body_size
        self.read_timeout = read_timeout
        self._async_lock = threading.Lock()
        self._async_jobs: set[threading.Thread] = set()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler, bind_and_activate)

    def lookup(self, name: str) -> HostedFunction | None:
        """Return the function called ``name``; with one function, any name reaches it.

        Leniency lets the sign-in example's pages, which hard-code
        ``/2016-08-15/proxy/service_name/func_name/``, work unchanged.
        """
        found = self.functions.get(name)
        if found is None and len(self.functions) == 1:
            return self.default
        return found

    def run_async(self, job: Callable[[], None]) -> None:
        """Run ``job`` in a background thread the server waits for when it stops."""
        thread = threading.Thread(target=self._async_body, args=(job,), daemon=True)
        with self._async_lock:
            self._async_jobs.add(thread)
        thread.start()

    def _async_body(self, job: Callable[[], None]) -> None:
        try:
            job()
        finally:
            with self._async_lock:
                self._async_jobs.discard(threading.current_thread())

    def wait_async(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for background invocations; return how many remain."""
        deadline = time.monotonic() + timeout
        while True:
            with self._async_lock:
                jobs = list(self._async_jobs)
            remaining = deadline - time.monotonic()
            if not jobs or remaining <= 0:
                return len(jobs)
            jobs[0].join(remaining)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log an unexpected error of one connection; the server carries on."""
        self.logs.message(f"error on a connection from {client_address[0]}:")
        self.logs.stream.write(traceback.format_exc())
        self.logs.stream.flush()


class _Handler(BaseHTTPRequestHandler):
    server: LocalServer
    protocol_version = "HTTP/1.1"
    server_version = "fcsdk-local"
    sys_version = ""
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        self.connection = self.request
        self.connection.settimeout(self.server.read_timeout)
        super().setup()

    # Every method goes the same way; FC's HTTP triggers accept them all.
    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silence the default access log; :meth:`_dispatch` writes its own."""

    def log_error(self, format: str, *args: Any) -> None:
        self.server.logs.message(f"{self.address_string()}: {format % args}")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer a request the HTTP layer refused (bad request line, unknown method) as FC does."""
        self.log_error("code %d, message %s", code, message)
        self.close_connection = True
        # Nobody speaks HTTP/0.9 any more: answer with a status line and headers.
        self.request_version = "HTTP/1.1"
        text = message or HTTPStatus(code).phrase
        reject = _Reject(code, "InvalidArgument" if code < 500 else "NotImplemented", text)
        self._send_common_error(reject, new_request_id())

    def handle_expect_100(self) -> bool:
        """Refuse a too-large body before the client sends it."""
        try:
            self._declared_length()
        except _Reject as reject:
            self._send_common_error(reject, new_request_id())
            self.close_connection = True
            return False
        return super().handle_expect_100()

    # --- reading ----------------------------------------------------------------------

    def _declared_length(self) -> int | None:
        raw = self.headers.get("Content-Length")
        if raw is None:
            return None
        text = raw.strip()
        if not text.isdigit():
            raise _Reject(400, "InvalidArgument", f"invalid Content-Length {raw!r}")
        length = int(text)
        if length > self.server.max_body_size:
            raise _Reject(
                413,
                "EntityTooLarge",
                f"payload size exceeds maximum allowed size ({self.server.max_body_size} bytes)",
            )
        return length

    def _read_exactly(self, length: int) -> bytes:
        try:
            data = self.rfile.read(length)
        except (TimeoutError, ConnectionError) as exc:
            raise _Gone(f"reading the body failed: {exc}") from exc
        if len(data) < length:
            raise _Gone(f"the client sent {len(data)} of {length} body bytes and went away")
        return data

    def _read_chunked(self) -> bytes:
        limit = self.server.max_body_size
        parts: list[bytes] = []
        total = 0
        while True:
            try:
                line = self.rfile.readline(1026)
            except (TimeoutError, ConnectionError) as exc:
                raise _Gone(f"reading the body failed: {exc}") from exc
            if not line:
                raise _Gone("the client went away in the middle of a chunked body")
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _Reject(400, "InvalidArgument", "malformed chunked body") from None
            if size < 0:
                raise _Reject(400, "InvalidArgument", "malformed chunked body")
            if size == 0:
                self._skip_trailers()
                return b"".join(parts)
            total += size
            if total > limit:
                raise _Reject(
                    413,
                    "EntityTooLarge",
                    f"payload size exceeds maximum allowed size ({limit} bytes)",
                )
            parts.append(self._read_exactly(size))
            self._read_exactly(2)

    def _skip_trailers(self) -> None:
        """Read the trailer lines after the last chunk, up to the empty line (bounded)."""
        for _ in range(_MAX_TRAILERS):
            if self.rfile.readline(8194) in (b"\r\n", b"\n", b""):
                return
        raise _Reject(400, "InvalidArgument", "too many trailer lines after a chunked body")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = self._declared_length()
        return b"" if not length else self._read_exactly(length)

    # --- answering --------------------------------------------------------------------

    def _send(self, answer: HTTPAnswer, rid: str, error_type: str | None = None) -> None:
        self.send_response(answer.status)
        for name, value in answer.headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("x-fc-request-id", rid)
        if error_type is not None:
            self.send_header("x-fc-error-type", error_type)
        bodiless = answer.status in _NO_BODY
        if answer.status != 204:
            self.send_header("Content-Length", "0" if bodiless else str(len(answer.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and not bodiless:
            self.wfile.write(answer.body)
        self.wfile.flush()

    def _send_json(
        self, status: int, payload: dict[str, Any], rid: str, error_type: str | None
    ) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(
            HTTPAnswer(status, [("Content-Type", "application/json")], body), rid, error_type
        )

    def _send_common_error(self, reject: _Reject, rid: str) -> None:
        self._send_json(
            reject.status,
            {"errorCode": reject.code, "errorMessage": str(reject)},
            rid,
            "FcCommonError",
        )

    def _function_error(self, exc: BaseException, rid: str, status: int) -> None:
        if isinstance(exc, InstanceBusy):
            self._send_common_error(_Reject(429, "ResourceThrottled", str(exc)), rid)
            return
        self._send_json(status, invocation_error(exc), rid, "UnhandledInvocationError")

    # --- routing ----------------------------------------------------------------------

    def _dispatch(self) -> None:
        rid = new_request_id()
        started = time.monotonic()
        status = "-"
        try:
            body = self._read_body()
            status = self._route(body, rid)
        except _Reject as reject:
            self.close_connection = True
            self._send_common_error(reject, rid)
            status = str(reject.status)
        except _Gone as gone:
            self.close_connection = True
            status = f"client gone ({gone})"
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            status = "client gone while answering"
        except Exception as exc:
            self.close_connection = True
            self.server.logs.message("internal error in fcsdk serve:")
            self.server.logs.stream.write(traceback.format_exc())
            with contextlib.suppress(OSError):
                self._send_common_error(_Reject(500, "InternalServerError", str(exc)), rid)
            status = "500"
        elapsed = (time.monotonic() - started) * 1000
        self.server.logs.message(
            f'{self.client_address[0]} "{self.command} {self.path}" {status} '
            f"{elapsed:.1f} ms RequestId: {rid}"
        )

    def _route(self, body: bytes, rid: str) -> str:
        path, _, query = self.path.partition("?")
        invoke = _INVOKE_API.match(path)
        if self.command == "POST" and (path == "/invoke" or invoke):
            name = invoke.group("v3") or invoke.group("v2") if invoke else None
            # The API names the function exactly; only proxy paths are lenient.
            target = self.server.default if name is None else self.server.functions.get(name)
            if target is None:
                raise _Reject(404, "FunctionNotFound", f"function {name!r} does not exist")
            return self._invoke(target, body, rid)
        proxied = FC_PROXY_PREFIX.match(path)
        target = self.server.default
        raw_path = path or "/"
        if proxied:
            found = self.server.lookup(proxied.group("function"))
            if found is None:
                name = proxied.group("function")
                raise _Reject(404, "FunctionNotFound", f"function {name!r} does not exist")
            target = found
            raw_path = path[proxied.end() :] or "/"
        request = IncomingRequest(
            method=self.command,
            raw_path=raw_path,
            query=query,
            headers=list(self.headers.items()),
            body=body,
            client_ip=self.client_address[0],
            host=self.headers.get("Host", ""),
            request_uri=self.path,
        )
        return self._http_trigger(target, request, rid)

    def _invoke(self, target: HostedFunction, body: bytes, rid: str) -> str:
        instance = target.instance

        def work(func: Callable[..., Any], ctx: Any) -> bytes:
            return runtime_result(func(body, ctx))

        kind = self.headers.get("x-fc-invocation-type", "Sync").strip().lower()
        if kind == "async":

            def job() -> None:
                try:
                    instance.call(work, request_id=rid)
                except Exception as exc:
                    self.server.logs.message(
                        f"async invocation {rid} failed: {json.dumps(invocation_error(exc))}"
                    )

            self.server.run_async(job)
            self._send(HTTPAnswer(202, [], b""), rid)
            return "202"
        try:
            result = instance.call(work, request_id=rid)
        except Exception as exc:
            self._function_error(exc, rid, 200)
            return "function error"
        if len(result) > self.server.max_body_size:
            self._function_error(_too_large(len(result), self.server.max_body_size), rid, 200)
            return "response too large"
        self._send(HTTPAnswer(200, [("Content-Type", "application/octet-stream")], result), rid)
        return "200"

    def _http_trigger(self, target: HostedFunction, request: IncomingRequest, rid: str) -> str:
        instance = target.instance
        if target.mode == "wsgi":

            def work(func: Callable[..., Any], ctx: Any) -> HTTPAnswer:
                return call_wsgi(func, wsgi_environ(request, context=ctx))

        else:
            event = http_event(request, request_id=rid, account_id=instance.config.account_id)

            def work(func: Callable[..., Any], ctx: Any) -> HTTPAnswer:
                return read_http_response(runtime_result(func(event, ctx)))

        try:
            answer = instance.call(work, request_id=rid)
            _check_answer(answer, self.server.max_body_size)
        except Exception as exc:
            self._function_error(exc, rid, 502)
            return "502 function error"
        self._send(answer, rid)
        return str(answer.status)


def _too_large(size: int, limit: int) -> InvalidResponseError:
    return InvalidResponseError(
        f"the function's response ({size} bytes) exceeds FC's limit of {limit} bytes"
    )


def _check_answer(answer: HTTPAnswer, limit: int) -> None:
    """Refuse what could not go out on the wire (a 502, as FC answers a bad response)."""
    if len(answer.body) > limit:
        raise _too_large(len(answer.body), limit)
    if answer.status < 200:
        raise InvalidResponseError(
            f"a final response needs a status of 200 or more, got {answer.status}"
        )
    for name, value in answer.headers:
        if not _TOKEN.match(name):
            raise InvalidResponseError(f"invalid response header name {name!r}")
        if "\r" in value or "\n" in value:
            raise InvalidResponseError(f"response header {name!r} has a line break in its value")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise InvalidResponseError(
                f"response header {name!r} is not latin-1: {value!r}"
            ) from None


def is_loopback(host: str) -> bool:
    """Return True when ``host`` is only reachable from this machine."""
    if host in ("localhost", "::1") or host.startswith("127."):
        return True
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return all(a.startswith("127.") or a == "::1" for a in addresses)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("fcsdk._local.server is private: run `fcsdk serve`")
