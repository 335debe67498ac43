"""One instance's life: the app's lifespan startup and the initializers once, PreStop at the end.

FC calls ``POST /initialize`` when an instance starts (if the function has an
initializer configured) and ``GET /pre-stop`` before it stops (if it has a
PreStop hook). :class:`Lifecycle` runs the ASGI app's lifespan startup and
then every ``@fc.initializer`` hook exactly once per instance: on
``/initialize``, or on the first request when FC sends none; concurrent
first requests wait for the one startup. Stopping runs the ``@fc.pre_stop``
hooks, then the lifespan shutdown (startup's reverse order), once.

A failed startup is final for the instance, as FC discards an instance whose
initializer failed: every later call raises a fresh
:class:`~fcsdk.exceptions.InstanceStartError` saying why (never the same
exception object again, whose traceback would grow with each raise).

Hooks run on the server's event loop when they are ``async def`` (so the
clients they make serve the async routes), in the thread pool otherwise.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

from fcsdk import _secrets
from fcsdk._invocation import enter_hook, leave
from fcsdk.exceptions import InstanceStartError
from fcsdk.handler import LifecycleHook, is_async_callable
from fcsdk.webfunction.invoke import log_failure
from fcsdk.webfunction.lifespan import ASGIApp, Lifespan

__all__ = ["Lifecycle"]


class Lifecycle:
    """The startup and shutdown of one instance (see the module's docstring).

    Args:
        app: the ASGI app whose lifespan runs, or ``None`` (a WSGI app has none).
        initializers: hooks run after the lifespan startup, in order.
        pre_stops: hooks run before the lifespan shutdown, in order.
        pre_freezes: hooks run on FC 2.0's ``GET /pre-freeze``.
        executor: where sync hooks run.
    """

    def __init__(
        self,
        app: ASGIApp | None,
        *,
        initializers: Sequence[Callable[[Any], object]] = (),
        pre_stops: Sequence[Callable[[Any], object]] = (),
        pre_freezes: Sequence[Callable[[Any], object]] = (),
        executor: Executor | None = None,
    ) -> None:
        self.lifespan = Lifespan(app) if app is not None else None
        self.initializers = tuple(initializers)
        self.pre_stops = tuple(pre_stops)
        self.pre_freezes = tuple(pre_freezes)
        self.executor = executor
        self.started = False
        self.stopped = False
        self.failure: str | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def state(self) -> dict[str, Any] | None:
        """The lifespan state the app set at startup (copied into each request's scope)."""
        lifespan = self.lifespan
        return lifespan.state if lifespan is not None and lifespan.supported else None

    async def start(self, context: object) -> None:
        """Run the startup once per instance; return at once when it already ran.

        Raises:
            InstanceStartError: the startup failed (now or before).
        """
        if self.started:
            return
        if self.failure is not None:
            raise self._error()
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._started_meanwhile():
                return
            if self.failure is not None:
                raise self._error()
            try:
                if self.lifespan is not None:
                    await self.lifespan.startup()
                for hook in self.initializers:
                    await self._run(hook, context)
            except Exception as exc:
                self.failure = _secrets.mask(f"{type(exc).__name__}: {exc}")
                log_failure("the instance's startup", _request_id(context), exc)
                raise self._error() from None
            self.started = True

    async def stop(self, context: object) -> None:
        """Run the PreStop hooks and the lifespan shutdown, once (after a startup).

        Raises:
            Exception: a PreStop hook's own exception (the shutdown still ran).
        """
        if self.stopped or not self.started:
            return
        self.stopped = True
        try:
            for hook in self.pre_stops:
                await self._run(hook, context)
        finally:
            if self.lifespan is not None:
                await self.lifespan.shutdown()

    async def freeze(self, context: object) -> None:
        """Run the PreFreeze hooks (FC 2.0)."""
        for hook in self.pre_freezes:
            await self._run(hook, context)

    def _started_meanwhile(self) -> bool:
        """Whether another caller finished the startup while this one waited for the lock."""
        return self.started

    def _error(self) -> InstanceStartError:
        return InstanceStartError(f"the instance failed to start: {self.failure}")

    async def _run(self, hook: Callable[[Any], object], context: object) -> None:
        """Run one hook: ``async def`` ones on this loop, the others in the thread pool."""
        inner = hook.__wrapped__ if isinstance(hook, LifecycleHook) else hook
        if is_async_callable(inner):
            from fcsdk.context import FCContext

            typed = FCContext.from_runtime(context)
            token = enter_hook(typed)
            try:
                await inner(typed)  # type: ignore[misc]
            finally:
                leave(token)
            return
        call = contextvars.copy_context().run
        await asyncio.get_running_loop().run_in_executor(self.executor, call, hook, context)


def _request_id(context: object) -> str:
    return str(getattr(context, "request_id", "") or "")
