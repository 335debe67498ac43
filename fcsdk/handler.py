"""``@fc.handler`` and the lifecycle hooks: typed events and contexts for FC handlers.

The runtime calls ``handler(event, context)`` with the invocation payload as
``bytes`` and its own plain context object. A decorated handler turns the
payload into the type the user asked for, the context into an
:class:`~fcsdk.FCContext`, and the return value into bytes the runtime sends
back unchanged.

Example:
    >>> import fcsdk as fc
    >>> from pydantic import BaseModel
    >>> class Order(BaseModel):
    ...     order_id: str
    ...     amount: int
    >>> @fc.handler
    ... def main(event: Order, context: fc.FCContext) -> dict[str, bool]:
    ...     return {"accepted": event.amount > 0}
    >>> from fcsdk.testing import fake_context
    >>> main(b'{"order_id": "A1", "amount": 3}', fake_context())
    b'{"accepted":true}'
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Coroutine
from typing import Any, Generic, Protocol, TypeVar, overload

from fcsdk import _invocation
from fcsdk._decode import Decoder, RawEvent, build_decoder, encode_result
from fcsdk._invocation import enter_hook, leave
from fcsdk.context import FCContext
from fcsdk.exceptions import ConfigurationError

__all__ = [
    "EventHandler",
    "LifecycleHook",
    "handler",
    "is_async_callable",
    "initializer",
    "pre_freeze",
    "pre_stop",
    "run_sync",
]

E = TypeVar("E")
R = TypeVar("R")
E_co = TypeVar("E_co", covariant=True)
R_co = TypeVar("R_co", covariant=True)

_UNSET: Any = object()
_from_runtime = FCContext.from_runtime


def _first_call(context: Any) -> _invocation.Invocation:
    """The instance's first invocation: its cold start."""
    cold = _invocation.COLD[0]
    _invocation.COLD[0] = False
    return (context, cold)


def _log_event(event: object) -> None:
    from fcsdk.logging import log_event

    log_event(event)


def _first_param_annotation(func: Callable[..., Any]) -> Any:
    """Return the annotation of ``func``'s first parameter, or ``bytes`` when there is none.

    A function under a ``functools.wraps`` decorator is read through it (``__wrapped__``).
    """
    func = inspect.unwrap(func)
    code = getattr(func, "__code__", None)
    if code is None or code.co_argcount == 0:
        return bytes
    name = code.co_varnames[0]
    try:
        hints = typing.get_type_hints(func)
    except Exception as exc:
        raise ConfigurationError(
            f"cannot resolve the annotations of {func.__qualname__}: {exc}; "
            "pass event_model= explicitly"
        ) from exc
    return hints.get(name, bytes)


def is_async_callable(func: object) -> bool:
    """Whether calling ``func`` makes a coroutine: an ``async def`` function or ``__call__``."""
    while isinstance(func, functools.partial):
        func = func.func
    if inspect.iscoroutinefunction(func):
        return True
    # a function's or method's own type's __call__ is never a coroutine function
    return inspect.iscoroutinefunction(type(func).__call__)


def run_sync(func: Callable[..., Coroutine[Any, Any, R]]) -> Callable[..., R]:
    """A plain function that calls the ``async def`` ``func`` and runs the coroutine to its end.

    The coroutine runs on the instance's one shared event loop (see
    :mod:`fcsdk._aio`), in the caller's context variables. :mod:`asyncio` is
    imported here, at decoration time, not by ``import fcsdk``.
    """
    from fcsdk._aio import run

    @functools.wraps(func)
    def call(*args: Any, **kwargs: Any) -> R:
        return run(func(*args, **kwargs))

    return call


def _wants_context(func: Callable[..., Any]) -> bool:
    """Whether ``func`` takes a second positional parameter for the context.

    Read from its signature, which sees through a ``functools.wraps`` decorator.
    """
    params = [
        p
        for p in inspect.signature(func).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    return len(params) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params)


class EventHandler(Protocol[E_co, R_co]):
    """A decorated event handler: what ``@fc.handler`` returns.

    Call it as the runtime does, ``handler(event, context)``. At run time it
    is a plain function (the cheapest thing to call) carrying the user's
    function as ``__wrapped__``, its name, docstring and module, and
    ``event_model``: the type events are decoded into (``None`` until the
    first call when it comes from an annotation that cannot be resolved yet).
    """

    __name__: str
    __qualname__: str
    __module__: str

    @property
    def __wrapped__(self) -> Callable[..., R_co]: ...
    @property
    def event_model(self) -> Any: ...
    def __call__(self, event: RawEvent, context: Any = None, /) -> bytes | str: ...


def _make_handler(
    func: Callable[..., Any], event_model: Any, *, log_event: bool = False
) -> EventHandler[Any, Any]:
    """Wrap ``func`` as an event handler; the decoder is built on the first event."""
    with_context = _wants_context(func)
    user_func = func
    if is_async_callable(func):
        # Each call runs the coroutine on the instance's shared loop (fcsdk._aio); the
        # lambdas hand it straight to run(), no general wrapper in between.
        from fcsdk._aio import run

        if with_context:
            func = lambda event, context: run(user_func(event, context))  # noqa: E731
        else:
            func = lambda event: run(user_func(event))  # noqa: E731
    from_runtime = _from_runtime
    # Inlined _invocation.enter(): this is every invocation's path.
    set_current = _invocation.CURRENT.set
    cold = _invocation.COLD
    explicit = event_model is not _UNSET
    decode: Decoder | None = None

    def resolve() -> Decoder:
        # Built on the first event, not at import: schema building is the
        # largest part of a cold start, and a module may define many handlers.
        nonlocal decode
        model = event_model if explicit else _first_param_annotation(user_func)
        event_handler.event_model = model  # type: ignore[attr-defined]
        decode = build_decoder(model)
        return decode

    trace = _invocation.TRACE

    if with_context:

        def event_handler(event: RawEvent, context: Any = None, /) -> bytes | str:
            ctx = context if type(context) is FCContext else from_runtime(context)
            token = set_current((ctx, False) if not cold[0] else _first_call(ctx))
            try:
                if trace[0] is not None:

                    def run() -> bytes | str:
                        if log_event:
                            _log_event(event)
                        return encode_result(func((decode or resolve())(event), ctx))

                    # the runtime's own object: cheaper to read than the typed context
                    return _traced(trace[0], run, context or ctx, event_handler)
                if log_event:
                    _log_event(event)
                return encode_result(func((decode or resolve())(event), ctx))
            finally:
                leave(token)

    else:

        def event_handler(event: RawEvent, context: Any = None, /) -> bytes | str:
            # The context is not built for a handler that does not take one;
            # logging reads the request id straight from the runtime's object.
            token = set_current((context, False) if not cold[0] else _first_call(context))
            try:
                if trace[0] is not None:

                    def run() -> bytes | str:
                        if log_event:
                            _log_event(event)
                        return encode_result(func((decode or resolve())(event)))

                    return _traced(trace[0], run, context, event_handler)
                if log_event:
                    _log_event(event)
                return encode_result(func((decode or resolve())(event)))
            finally:
                leave(token)

    return _finish(event_handler, user_func, event_model)


def _traced(tracer: Any, run: Callable[[], bytes | str], context: Any, handler: Any) -> bytes | str:
    """Run one invocation inside its span (see :mod:`fcsdk.tracing`)."""
    from fcsdk.tracing._hook import trigger_of

    result: bytes | str = tracer.wrap(
        run, context, trigger_of(getattr(handler, "event_model", None))
    )
    return result


def _finish(
    event_handler: Any, user_func: Callable[..., Any], event_model: Any
) -> EventHandler[Any, Any]:
    """Give ``event_handler`` the user's function's name and docs, and its ``event_model``."""
    functools.update_wrapper(event_handler, user_func)
    if event_model is not _UNSET:
        event_handler.event_model = event_model
    else:
        try:
            event_handler.event_model = _first_param_annotation(user_func)
        except ConfigurationError:
            event_handler.event_model = None  # retried on first call
    return typing.cast("EventHandler[Any, Any]", event_handler)


class _Decorator(Generic[E]):
    """``@fc.handler(event_model=M)``: checks the function's event parameter against ``M``."""

    def __init__(self, event_model: Any, log_event: bool) -> None:
        self._event_model = event_model
        self._log_event = log_event

    @overload
    def __call__(
        self, func: Callable[[E, FCContext], Coroutine[Any, Any, R]], /
    ) -> EventHandler[E, R]: ...
    @overload
    def __call__(self, func: Callable[[E], Coroutine[Any, Any, R]], /) -> EventHandler[E, R]: ...
    @overload
    def __call__(self, func: Callable[[E, FCContext], R], /) -> EventHandler[E, R]: ...
    @overload
    def __call__(self, func: Callable[[E], R], /) -> EventHandler[E, R]: ...
    def __call__(self, func: Callable[..., Any], /) -> EventHandler[Any, Any]:
        return _make_handler(func, self._event_model, log_event=self._log_event)


class _InferringDecorator(Protocol):
    """``@fc.handler()``: the event type comes from the function's annotation."""

    @overload
    def __call__(
        self, func: Callable[[E, FCContext], Coroutine[Any, Any, R]], /
    ) -> EventHandler[E, R]: ...
    @overload
    def __call__(self, func: Callable[[E], Coroutine[Any, Any, R]], /) -> EventHandler[E, R]: ...
    @overload
    def __call__(self, func: Callable[[E, FCContext], R], /) -> EventHandler[E, R]: ...
    @overload
    def __call__(self, func: Callable[[E], R], /) -> EventHandler[E, R]: ...


@overload
def handler(func: Callable[[E, FCContext], Coroutine[Any, Any, R]], /) -> EventHandler[E, R]: ...
@overload
def handler(func: Callable[[E], Coroutine[Any, Any, R]], /) -> EventHandler[E, R]: ...
@overload
def handler(func: Callable[[E, FCContext], R], /) -> EventHandler[E, R]: ...
@overload
def handler(func: Callable[[E], R], /) -> EventHandler[E, R]: ...
@overload
def handler(*, event_model: type[E], log_event: bool = ...) -> _Decorator[E]: ...
@overload
def handler(*, event_model: Any, log_event: bool = ...) -> _Decorator[Any]: ...
@overload
def handler(*, log_event: bool = ...) -> _InferringDecorator: ...
def handler(
    func: Callable[..., Any] | None = None,
    /,
    *,
    event_model: Any = _UNSET,
    log_event: bool = False,
) -> Any:
    """Make ``func`` an FC event handler with a typed event and context.

    Usable bare (``@fc.handler``: the event type is the first parameter's
    annotation, raw ``bytes`` when it has none) or with options
    (``@fc.handler(event_model=M)``). ``M`` may be anything pydantic's
    ``TypeAdapter`` understands: a model, ``list[M]``, a union, a dataclass,
    a ``TypedDict``, ``dict[str, Any]``, ``str`` (UTF-8 text), ``bytes``
    (unchanged) or ``Any`` (parsed JSON).

    The decorated handler accepts the event as ``bytes``, ``str``,
    ``bytearray``, ``memoryview`` or an already-decoded ``dict``/``list``;
    its second argument, the runtime's context, reaches the function as an
    :class:`~fcsdk.FCContext` (a one-parameter function gets no context).
    It returns ``bytes`` (``str`` when the function returned ``str``).

    While the function runs, its invocation is the current one for
    ``fc.logger`` (records carry its request id). ``log_event=True`` logs
    each incoming event at INFO through ``fc.logger``, secrets redacted
    (see :func:`fcsdk.logging.log_event`).

    ``func`` may be ``async def``: the decorated handler stays a plain
    function (what the runtime calls) that runs the coroutine to its end on
    the instance's one shared event loop, so an async client made once
    serves every invocation, concurrent ones included (see the "Async and
    ASGI" guide). The result type is the awaited one.

    Raises:
        EventDecodeError: the event does not decode into the model (when called).
        ResultEncodeError: the function returned something that cannot be sent.
    """
    if func is not None:
        return _make_handler(func, _UNSET)
    return _Decorator(event_model, log_event)


class LifecycleHook:
    """A decorated lifecycle hook: the runtime's ``hook(context)`` gets a typed context."""

    __wrapped__: Callable[[FCContext], object]
    __name__: str
    __qualname__: str

    def __init__(self, func: Callable[[FCContext], object], kind: str) -> None:
        self._func = run_sync(func) if is_async_callable(func) else func  # type: ignore[arg-type]
        self.kind = kind
        functools.update_wrapper(self, func)

    def __call__(self, context: Any, /) -> None:
        """Run the hook with the runtime's context, converted to an :class:`FCContext`."""
        ctx = FCContext.from_runtime(context)
        token = enter_hook(ctx)
        try:
            self._func(ctx)
        finally:
            leave(token)

    def __repr__(self) -> str:
        return f"<fcsdk {self.kind} {self._func.__module__}.{self._func.__qualname__}>"


def initializer(func: Callable[[FCContext], object], /) -> LifecycleHook:
    """Mark ``func`` as the instance initializer (``initializer: index.init`` in the config).

    The runtime calls it once per instance, before the first invocation.
    ``func`` may be ``async def`` (as may the other hooks'): it runs on the
    event loop async handlers share, so clients it makes serve them.
    """
    return LifecycleHook(func, "initializer")


def pre_stop(func: Callable[[FCContext], object], /) -> LifecycleHook:
    """Mark ``func`` as the PreStop hook, run before the instance is reclaimed."""
    return LifecycleHook(func, "pre_stop")


def pre_freeze(func: Callable[[FCContext], object], /) -> LifecycleHook:
    """Mark ``func`` as the PreFreeze hook (FC 2.0 only), run before the instance is frozen."""
    return LifecycleHook(func, "pre_freeze")
