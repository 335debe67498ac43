"""The ASGI lifespan protocol for the app a web function serves: startup, then shutdown.

Kept here rather than taken from :mod:`fcsdk.web.asgi` so that starting the
server does not import the whole HTTP layer of the built-in runtimes
(a tenth of a second of the process's start to its first answer).

An app without lifespan support (one that raises or returns on the
``lifespan`` scope before answering startup) goes on without, as uvicorn's
``lifespan="auto"`` does. The state the app sets in ``scope["state"]`` is
:attr:`Lifespan.state`, copied into each request's scope.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fcsdk import _invocation
from fcsdk.exceptions import LifespanError

__all__ = ["Lifespan"]

logger = logging.getLogger("fcsdk.webfunction")

Message = MutableMapping[str, Any]
ASGIApp = Callable[..., Awaitable[None]]


class Lifespan:
    """One app's lifespan: :meth:`startup` once, :meth:`shutdown` at the end.

    Args:
        app: the ASGI app.
        shutdown_timeout: how long :meth:`shutdown` waits, in seconds, for the
            app's lifespan call to return once it answered the shutdown (5 s
            by default).
    """

    def __init__(self, app: ASGIApp, *, shutdown_timeout: float = 5.0) -> None:
        self.app = app
        self.shutdown_timeout = shutdown_timeout
        self.state: dict[str, Any] = {}
        self.supported = True
        self._inbox: asyncio.Queue[tuple[Message, _invocation.Invocation | None]] = asyncio.Queue()
        self._answer: asyncio.Future[str | None] | None = None
        self._task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        """Run the app's startup; return when it is complete.

        Raises:
            LifespanError: the app sent ``lifespan.startup.failed`` or failed
                after it had started answering the lifespan scope.
        """
        self._task = asyncio.get_running_loop().create_task(self._main())
        self._task.add_done_callback(_retrieve)
        failure = await self._exchange("startup")
        if failure is not None:
            raise LifespanError(f"lifespan startup failed: {failure}")

    async def shutdown(self) -> None:
        """Run the app's shutdown; its failure is logged (the instance stops anyway)."""
        if not self.supported or self._task is None or self._task.done():
            return
        failure = await self._exchange("shutdown")
        if failure is not None:
            logger.error("lifespan shutdown failed: %s", failure)
        await asyncio.wait([self._task], timeout=self.shutdown_timeout)

    async def _exchange(self, phase: str) -> str | None:
        """Send ``lifespan.<phase>``; ``None`` once complete, else why it failed."""
        assert self._task is not None
        answer = self._answer = asyncio.get_running_loop().create_future()
        # the caller's invocation goes with the message: the shutdown's log lines carry
        # the PreStop's request id, not the one of the /initialize that started the task
        await self._inbox.put(({"type": f"lifespan.{phase}"}, _invocation.current()))
        await asyncio.wait([answer, self._task], return_when=asyncio.FIRST_COMPLETED)
        if answer.done():
            outcome: str | None = answer.result()
            return outcome
        # The app's lifespan call ended without answering.
        error = self._task.exception()
        if phase == "startup" and not self._task.cancelled():
            self.supported = False
            logger.debug("the ASGI app does not support lifespan (%r); going on without", error)
            return None
        return f"{type(error).__name__}: {error}" if error else f"no answer to {phase}"

    async def _main(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.3"}}
        scope["state"] = self.state
        await self.app(scope, self._receive, self._send)

    async def _receive(self) -> Message:
        """The next lifespan message, run under the invocation of the call that sent it."""
        message, invocation = await self._inbox.get()
        _invocation.CURRENT.set(invocation)  # the lifespan task's own context
        return message

    async def _send(self, message: Message) -> None:
        kind = message.get("type", "")
        answer = self._answer
        if answer is None or answer.done():
            logger.warning("the ASGI app sent %r when no lifespan event was pending", kind)
            return
        if kind in ("lifespan.startup.complete", "lifespan.shutdown.complete"):
            answer.set_result(None)
        elif kind in ("lifespan.startup.failed", "lifespan.shutdown.failed"):
            answer.set_result(str(message.get("message", "")) or "(no message)")
        else:
            answer.set_result(f"the app sent a lifespan message of unknown type {kind!r}")


def _retrieve(task: asyncio.Task[None]) -> None:
    """Mark the lifespan task's exception seen: the lifespan messages reported it."""
    if not task.cancelled():
        task.exception()
