"""The HTTP front of a local web function: uvicorn serving a proxy to the instance.

What FC's front does for a web function, on 127.0.0.1: each HTTP request goes
to the instance as itself (method, path, query, headers, body) plus the common
``x-fc-*`` headers, with a fresh request id; headers a client sends under
``x-fc-`` are dropped, as FC refuses them. Bodies stream both ways (httpx), so
a chunked or server-sent-events answer reaches the client as the function
writes it, and a WebSocket is relayed message by message (``websockets``).

uvicorn, httpx and websockets are imported only here, only when
``fcsdk serve`` runs a web function.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from fcsdk import _secrets
from fcsdk._local.webfunction import WebInstance
from fcsdk.exceptions import ConfigurationError, LocalRuntimeError

__all__ = ["WebProxy", "require_front", "serve_web_function"]

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]

# Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection, never forwarded.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
_READY_WAIT = 30.0
"""How long a request waits for an instance that is (re)starting, in seconds."""


def require_front() -> None:
    """Check that the local front's libraries are installed.

    Raises:
        ConfigurationError: uvicorn, httpx or websockets is missing, with the
            command that installs them.
    """
    missing = []
    for name in ("uvicorn", "httpx", "websockets"):
        try:
            __import__(name)
        except ModuleNotFoundError:
            missing.append(name)
    if missing:
        raise ConfigurationError(
            f"running a web function locally needs {', '.join(missing)}: "
            "pip install uvicorn httpx websockets (or pip install 'fcsdk[web]' httpx)"
        )


def _forwarded(headers: list[tuple[bytes, bytes]], *, websocket: bool = False) -> list[Any]:
    kept = []
    for name, value in headers:
        lower = name.lower()
        if lower in _HOP_BY_HOP or lower.startswith(b"x-fc-"):
            continue
        if websocket and (lower.startswith(b"sec-websocket-") or lower == b"host"):
            continue  # the client library makes its own handshake
        kept.append((name.decode("latin-1"), value.decode("latin-1")))
    return kept


class WebProxy:
    """An ASGI app that forwards every request to a :class:`WebInstance`, as FC does."""

    def __init__(
        self,
        instance: WebInstance,
        *,
        ready_wait: float = _READY_WAIT,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.instance = instance
        self.log = log
        """Where each request's line goes (``fcsdk serve``'s log), if anywhere."""
        self.ready_wait = ready_wait
        """How long a request waits for an instance that is (re)starting, in seconds."""
        self._client: Any = None

    def _http_client(self) -> Any:
        if self._client is None:
            import httpx

            timeout = httpx.Timeout(self.instance.config.timeout, connect=10.0)
            # trust_env=False: a developer's HTTP_PROXY must not catch loopback calls
            self._client = httpx.AsyncClient(timeout=timeout, trust_env=False)
            # Only the client's own headers reach the function: httpx's defaults
            # (Accept-Encoding: gzip made a GZip middleware compress for curl) do not.
            self._client.headers.clear()
        return self._client

    async def aclose(self) -> None:
        """Close the connections to the instance."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:  # lifespan: the one other scope uvicorn sends
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:  # the connections to the instance close on the loop that opened them
                    await self.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return

    async def _ready(self) -> str | None:
        """Wait for a running instance; return why there is none, if there is none."""
        instance = self.instance
        if await asyncio.to_thread(instance.wait_ready, self.ready_wait):
            return None
        failure = instance.failure
        if failure is not None:
            return f"the function did not start: {failure}"
        return "the function is not running (it is starting, or it stopped)"

    def _target(self, scope: Scope, scheme: str) -> str:
        path = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = scope.get("query_string", b"")
        url = f"{scheme}://127.0.0.1:{self.instance.port}{path.decode('latin-1')}"
        return f"{url}?{query.decode('latin-1')}" if query else url

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.monotonic()
        outcome = {"status": "client gone", "request_id": "-"}
        try:
            await self._forward(scope, receive, send, outcome)
        finally:
            if self.log is not None:  # the line the event functions' local server writes too
                client = (scope.get("client") or ("-",))[0]
                target = scope.get("raw_path") or scope["path"].encode("utf-8")
                if scope.get("query_string"):
                    target += b"?" + scope["query_string"]
                elapsed = (time.monotonic() - started) * 1000
                line = (
                    f'{client} "{scope["method"]} {target.decode("latin-1")}" '
                    f"{outcome['status']} {elapsed:.1f} ms RequestId: {outcome['request_id']}"
                )
                self.log(_secrets.mask(line))

    async def _forward(
        self, scope: Scope, receive: Receive, send: Send, outcome: dict[str, str]
    ) -> None:
        import httpx

        problem = await self._ready()
        if problem is not None:
            outcome["status"] = "503"
            await _plain(send, 503, problem)
            return
        fc_headers = self.instance.config.headers()
        outcome["request_id"] = fc_headers["x-fc-request-id"]
        request_id = fc_headers["x-fc-request-id"].encode("latin-1")
        headers = _forwarded(scope["headers"]) + list(fc_headers.items())
        first = await receive()
        if first["type"] != "http.request":
            return  # the client went away before its request was read
        content: bytes | AsyncIterator[bytes] = first.get("body", b"")
        if first.get("more_body", False):
            content = _rest_of_body(first.get("body", b""), receive)
        # else the whole body is here: it goes with its length (a GET without a body
        # gets neither a Content-Length nor a chunked Transfer-Encoding, as from FC)

        client = self._http_client()
        request = client.build_request(
            scope["method"], self._target(scope, "http"), headers=headers, content=content
        )
        try:
            response = await client.send(request, stream=True)
        except httpx.TimeoutException:
            timeout = self.instance.config.timeout
            outcome["status"] = "504"
            await _plain(send, 504, f"the function did not answer within its timeout ({timeout} s)")
            return
        except httpx.HTTPError as exc:
            outcome["status"] = "502"
            await _plain(
                send,
                502,
                f"the function's server did not answer ({type(exc).__name__}); "
                f"its process {await asyncio.to_thread(self.instance.describe_exit, 1.0)}",
            )
            return
        outcome["status"] = str(response.status_code)
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        *(
                            (name, value)
                            for name, value in response.headers.raw
                            if name.lower() not in _HOP_BY_HOP
                            and name.lower() != b"x-fc-request-id"
                        ),
                        (b"x-fc-request-id", request_id),  # FC's front adds it to every answer
                    ],
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except httpx.HTTPError:
            pass  # the function's server broke the answer off: so does the front
        finally:
            await response.aclose()

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

        await receive()  # websocket.connect: the server sends nothing else first
        if await self._ready() is not None:
            await send({"type": "websocket.close", "code": 1011})
            return
        headers = _forwarded(scope["headers"], websocket=True)
        headers += list(self.instance.config.headers().items())
        try:
            upstream = await connect(
                self._target(scope, "ws"),
                additional_headers=headers,
                subprotocols=scope.get("subprotocols") or None,
                user_agent_header=None,
                compression=None,
                proxy=None,
                max_size=None,
                open_timeout=self.instance.config.timeout,
            )
        except InvalidStatus as exc:  # the function refused the handshake: so does the front
            status = exc.response.status_code
            await send({"type": "websocket.close", "code": 1008 if status == 403 else 1011})
            return
        except (OSError, WebSocketException, asyncio.TimeoutError):
            await send({"type": "websocket.close", "code": 1011})
            return
        await send({"type": "websocket.accept", "subprotocol": upstream.subprotocol})

        async def client_to_function() -> None:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    await upstream.close(message.get("code", 1000))
                    return
                data = message.get("bytes")
                await upstream.send(data if data is not None else message.get("text", ""))

        async def function_to_client() -> None:
            with contextlib.suppress(ConnectionClosed):
                async for data in upstream:
                    key = "bytes" if isinstance(data, bytes) else "text"
                    await send({"type": "websocket.send", key: data})
            code = upstream.close_code or 1000
            with contextlib.suppress(Exception):  # the client may be gone already
                await send({"type": "websocket.close", "code": code})

        tasks = [
            asyncio.ensure_future(client_to_function()),
            asyncio.ensure_future(function_to_client()),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                    await task
            await upstream.close()


async def _rest_of_body(first: bytes, receive: Receive) -> AsyncIterator[bytes]:
    """A body that comes in several parts: ``first``, then the rest as it arrives."""
    if first:
        yield first
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def _plain(send: Send, status: int, text: str) -> None:
    body = (text + "\n").encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _ws_protocol() -> str:
    from uvicorn.config import WS_PROTOCOLS

    return "websockets-sansio" if "websockets-sansio" in WS_PROTOCOLS else "websockets"


def serve_web_function(
    instance: WebInstance,
    sock: socket.socket,
    *,
    message: Callable[[str], None],
    watcher: Any = None,
    poll: float = 0.5,
) -> int:
    """Serve ``instance`` behind uvicorn on ``sock`` until Ctrl-C or SIGTERM; return the exit code.

    The instance must be started (or have failed, when ``watcher`` reloads).
    With a ``watcher`` the instance restarts on code changes (``/pre-stop``,
    a new process, ``/initialize``), and a process that ends waits for the
    next change; without one, a process that ends stops the front with exit
    code 1. The instance is stopped (``GET /pre-stop``, then the process) on
    the way out, whatever ends the front.
    """
    import uvicorn

    proxy = WebProxy(instance, log=message)
    config = uvicorn.Config(
        proxy,
        lifespan="on",
        log_level="warning",
        access_log=False,
        server_header=False,
        date_header=False,
        ws=_ws_protocol(),
        ws_max_size=128 * 1024 * 1024,
    )
    server = uvicorn.Server(config)
    stop = threading.Event()
    outcome = {"code": 0}

    def watch() -> None:
        reported = False
        while not stop.wait(poll):
            if watcher is not None and watcher.changed():
                message("code changed, restarting the instance")
                instance.stop()
                reported = False
                try:
                    instance.start()
                except LocalRuntimeError as exc:
                    message(f"{exc}; waiting for a code change")
                continue
            code = instance.exit_code()
            if code is None or reported or server.should_exit:
                continue
            reported = True
            ended = f"the function's process {instance.describe_exit()}"
            if watcher is not None:
                message(f"{ended}; waiting for a code change to restart it")
            else:
                message(f"{ended}; stopping")
                outcome["code"] = 1
                server.should_exit = True

    def on_signal(signum: int, frame: object) -> None:
        server.should_exit = True

    # uvicorn restores the handlers it found and raises the signal it caught again once it
    # has stopped: with these, that ends nothing, and the instance is stopped below.
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    monitor = threading.Thread(target=watch, name="fcsdk-web-monitor", daemon=True)
    monitor.start()
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop.set()
        monitor.join(10)
        instance.stop()
        if watcher is not None:
            watcher.close()
    return outcome["code"]
