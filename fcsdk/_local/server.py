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
HTTP/1.1 framing is :mod:`fcsdk._local.http1`'s (h11, strict as RFC 9112
asks): a request it cannot frame safely is a 400 and a closed connection.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from fcsdk import _secrets
from fcsdk._local.http1 import ClientGone, FramingError, Wire
from fcsdk._local.instance import (
    Instance,
    InstanceBusy,
    WrongModeError,
    invocation_error,
    new_request_id,
)
from fcsdk._local.logs import RuntimeLogs
from fcsdk._local.threads import ThreadPool
from fcsdk._local.trigger import (
    HTTPAnswer,
    IncomingRequest,
    call_wsgi,
    http_event,
    read_http_response,
    wsgi_environ,
)
from fcsdk._platform.rules import FC_PROXY_PREFIX, MAX_SYNC_BODY_SIZE
from fcsdk._runtime import call_event_handler
from fcsdk.exceptions import FunctionTimeout, InvalidArgumentError, InvalidResponseError

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
_NO_BODY = frozenset({204, 304})
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
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


_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"})


_IDLE_CONNECTION_THREADS = 32
"""Connection threads kept waiting for the next connection (more are started when needed)."""


class LocalServer(socketserver.ThreadingTCPServer):
    """A threaded HTTP/1.1 server (a thread per open connection) standing in for FC's front end.

    A connection's thread waits for the next connection when its own closes
    (:mod:`fcsdk._local.threads`); every connection still has a thread of its
    own while it is open, so a slow client holds only its own.

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
        self._connections = ThreadPool("fcsdk-connection", idle=_IDLE_CONNECTION_THREADS)
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler, bind_and_activate)

    @property
    def server_port(self) -> int:
        """The port the server listens on."""
        return int(self.server_address[1])

    def lookup(self, name: str) -> HostedFunction | None:
        """Return the function called ``name``; with one function, any name reaches it.

        Leniency lets the sign-in example's pages, which hard-code
        ``/2016-08-15/proxy/service_name/func_name/``, work unchanged.
        """
        found = self.functions.get(name)
        if found is None and len(self.functions) == 1:
            return self.default
        return found

    def process_request(self, request: Any, client_address: Any) -> None:
        """Hand the connection to a waiting connection thread, or to a new one."""
        self._connections.submit(
            functools.partial(self.process_request_thread, request, client_address)
        )

    def server_close(self) -> None:
        """Close the listening socket and let the waiting connection threads end."""
        super().server_close()
        self._connections.close()

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


class _Handler(socketserver.BaseRequestHandler):
    """One connection: requests read by :class:`~fcsdk._local.http1.Wire`, answered in turn."""

    server: LocalServer
    request: socket.socket
    server_version = "fcsdk-local"

    def handle(self) -> None:
        self.wire = Wire(
            self.request,
            max_body_size=self.server.max_body_size,
            read_timeout=self.server.read_timeout,
            server=self.server_version,
        )
        while self._exchange() and self.wire.next_cycle():
            pass

    def _header(self, name: str, default: str = "") -> str:
        wanted = name.lower()
        return next((v for n, v in self.headers if n.lower() == wanted), default)

    # --- answering --------------------------------------------------------------------

    def _send(self, answer: HTTPAnswer, rid: str, error_type: str | None = None) -> None:
        headers = [(n, v) for n, v in answer.headers if n.lower() not in _HOP_BY_HOP]
        headers.append(("x-fc-request-id", rid))
        if error_type is not None:
            headers.append(("x-fc-error-type", error_type))
        bodiless = answer.status in _NO_BODY
        head = self.command == "HEAD"
        if answer.status != 204:
            length = "0" if bodiless else str(len(answer.body))
            if head and not answer.body and not bodiless:
                # A HEAD answer's length is the GET's (RFC 9110 §8.6), which the app gives.
                length = _declared_length(answer.headers) or length
            headers.append(("Content-Length", length))
        body = b"" if bodiless or head else answer.body
        self.wire.answer(answer.status, headers, body, close=self.close_connection)

    def _send_json(
        self, status: int, payload: dict[str, Any], rid: str, error_type: str | None
    ) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(
            HTTPAnswer(status, [("Content-Type", "application/json")], body), rid, error_type
        )

    def _send_common_error(self, reject: _Reject | FramingError, rid: str) -> None:
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

    def _timed_out(self, exc: FunctionTimeout, rid: str, status: int) -> None:
        """Answer a timeout from the watchdog's thread while the handler still runs in this
        connection's; the connection then closes (the handler's late answer is dropped)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self._function_error(exc, rid, status)
        with contextlib.suppress(OSError):
            self.request.shutdown(socket.SHUT_WR)  # the answer goes out, then the end

    # --- routing ----------------------------------------------------------------------

    def _exchange(self) -> bool:
        """Read and answer one request; return False when the connection must close."""
        rid = new_request_id()
        started = time.monotonic()
        self.command, self.path, self.headers = "-", "-", []
        self.close_connection = False
        try:
            head = self.wire.next_request()
            if head is None:
                return False
            self.command, self.path, self.headers = head.method, head.target, head.headers
            if head.method not in _METHODS:
                raise _Reject(501, "NotImplemented", f"unsupported method {head.method!r}")
            body = self.wire.read_body()
            status = self._route(body, rid)
        except (_Reject, FramingError) as reject:
            self.close_connection = True
            status = (
                f"{reject.status} ({reject})"
                if isinstance(reject, FramingError)
                else str(reject.status)
            )
            with contextlib.suppress(OSError):
                self._send_common_error(reject, rid)
                self.wire.linger()
        except ClientGone as gone:
            self.close_connection = True  # (the request was cut short: nothing can follow it)
            status = f"client gone ({gone})"
        except OSError:
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
        line = f'{self.client_address[0]} "{self.command} {self.path}" {status} '
        self.server.logs.message(_secrets.mask(f"{line}{elapsed:.1f} ms RequestId: {rid}"))
        return not self.close_connection

    def _route(self, body: bytes, rid: str) -> str:
        if self.path == "*":  # OPTIONS * asks about the server, not a function
            allow = ", ".join(sorted(_METHODS))
            self._send(HTTPAnswer(200, [("Allow", allow)], b""), rid)
            return "200"
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
        raw_path = path  # an origin-form path (absolute forms too): never empty
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
            headers=list(self.headers),
            body=body,
            client_ip=self.client_address[0],
            request_uri=self.path,
        )
        return self._http_trigger(target, request, rid)

    def _invoke(self, target: HostedFunction, body: bytes, rid: str) -> str:
        instance = target.instance

        def work(func: Callable[..., Any], ctx: Any) -> bytes:
            return call_event_handler(func, body, ctx)

        kind = self._header("x-fc-invocation-type", "Sync").strip().lower()
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
            result = instance.call(
                work, request_id=rid, on_timeout=lambda exc: self._timed_out(exc, rid, 200)
            )
        except FunctionTimeout:
            return "function timed out"  # answered at the timeout, by _timed_out
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
        if target.mode == "wsgi" and instance.kind[0] == "event":
            self._function_error(WrongModeError(instance.config.handler), rid, 502)
            return "502 wrong mode"
        if target.mode == "wsgi":

            def work(func: Callable[..., Any], ctx: Any) -> HTTPAnswer:
                return call_wsgi(func, wsgi_environ(request, context=ctx))

        else:
            event = http_event(request, request_id=rid, account_id=instance.config.account_id)

            def work(func: Callable[..., Any], ctx: Any) -> HTTPAnswer:
                return read_http_response(call_event_handler(func, event, ctx))

        try:
            answer = instance.call(
                work, request_id=rid, on_timeout=lambda exc: self._timed_out(exc, rid, 502)
            )
            _check_answer(answer, self.server.max_body_size)
        except FunctionTimeout:
            return "502 function timed out"  # answered at the timeout, by _timed_out
        except Exception as exc:
            self._function_error(exc, rid, 502)
            return "502 function error"
        self._send(answer, rid)
        return str(answer.status)


def _too_large(size: int, limit: int) -> InvalidResponseError:
    return InvalidResponseError(
        f"the function's response ({size} bytes) exceeds FC's limit of {limit} bytes"
    )


def _declared_length(headers: list[tuple[str, str]]) -> str | None:
    """The answer's own ``Content-Length`` when it gives one valid value, else None."""
    values = {v.strip() for n, v in headers if n.lower() == "content-length"}
    if len(values) == 1:
        value = values.pop()
        if value.isascii() and value.isdigit():
            return str(int(value))
    return None


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
        if _CONTROL.search(value):
            raise InvalidResponseError(
                f"response header {name!r} has a control character in its value"
            )
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
