"""The current invocation, as a context variable (no imports beyond the standard library).

Every adapter that calls user code (``@fc.handler``, the lifecycle hooks, the
HTTP adapters) sets it for the duration of the call with :func:`enter` and
resets it with :func:`leave`, so that ``fc.logger`` and
:func:`current_context` know the request they run for, even when one
process serves several requests at once (a web function; FC 2.0's instance
concurrency; ``fcsdk serve --concurrency``), in threads or event-loop tasks.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

__all__ = ["TRACE", "Invocation", "current", "enter", "enter_hook", "leave"]

Invocation = tuple[Any, bool]
"""``(context, cold_start)``: the context (typed or the runtime's own) and whether
this is the instance's first invocation."""

CURRENT: ContextVar[Invocation | None] = ContextVar("fcsdk_invocation", default=None)
COLD = [True]  # [is the next invocation the instance's first]
TRACE: list[Any] = [None]
"""[the invocation tracer]: set by :func:`fcsdk.tracing.configure`, ``None`` while tracing is
off; each adapter reads it once per invocation (see :mod:`fcsdk.tracing._hook`)."""


def enter(context: Any) -> Token[Invocation | None]:
    """Mark ``context``'s invocation as the current one; returns the token for :func:`leave`.

    The instance's first invocation is its cold start; later ones are warm.
    """
    cold = COLD[0]
    if cold:
        COLD[0] = False
    return CURRENT.set((context, cold))


def enter_hook(context: Any) -> Token[Invocation | None]:
    """Like :func:`enter`, for a lifecycle hook: it does not use up the cold start."""
    return CURRENT.set((context, COLD[0]))


leave = CURRENT.reset
"""Restore the invocation that was current before :func:`enter`."""


def current() -> Invocation | None:
    """Return ``(context, cold_start)`` of the invocation running now, or ``None``."""
    return CURRENT.get()
