"""A loopback async HTTP server that echoes each request's x-request-id, as a remote service.

It runs on a loop and thread of its own (not fcsdk's) and answers after
``delay`` seconds. ``benchmarks/bench_async.py`` loads it with concurrent
invocations; the async and ASGI tests use it too.
"""

from __future__ import annotations

import asyncio
import threading


class EchoServer:
    """An HTTP/1.1 server that answers each request with its ``x-request-id`` header.

    Use it as a context manager; ``base`` is its URL once entered.
    """

    def __init__(self, *, delay: float = 0.001) -> None:
        self.delay = delay
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.port = 0
        self.writers: set[asyncio.StreamWriter] = set()

    @property
    def base(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._client, "127.0.0.1", 0, backlog=512)
        )
        self.port = server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()
        server.close()
        # Close every connection too (3.10's wait_closed() does not), so that no transport
        # is left for the garbage collector to warn about in a later test.
        for writer in list(self.writers):
            writer.close()
        self.loop.run_until_complete(asyncio.sleep(0.05))
        self.loop.run_until_complete(server.wait_closed())
        self.loop.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                rid = b""
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"x-request-id:"):
                        rid = line.split(b":", 1)[1].strip()
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(rid), rid))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
        finally:
            self.writers.discard(writer)

    def start(self) -> str:
        """Start serving; return the base URL."""
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError("the echo server did not start within 10 s")
        return self.base

    def stop(self) -> None:
        """Stop serving, close every connection and the loop."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def __enter__(self) -> EchoServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
