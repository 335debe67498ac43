"""A warm function instance: the handler and its hooks, loaded once, called many times.

What the FC runtime does for one instance, in one process: load the handler
(and the ``initializer``/``pre_stop`` hooks named in the configuration), run
the initializer once before the first invocation, give each invocation a
fresh request id and a context of the chosen runtime generation, run up to
``concurrency`` invocations at once, each in its own thread, and answer a
timeout when one runs past ``timeout`` seconds.

A thread cannot be killed, so a timed-out handler keeps running in the
background (FC would recycle the whole instance); its concurrency slot is
given back at once so the instance keeps serving. Invocations run in reused
threads (:mod:`fcsdk._local.threads`), or in the caller's own thread timed by a
watchdog (how ``fcsdk serve`` runs them), each call in a fresh ``contextvars`` context.
"""

from __future__ import annotations

import contextvars
import inspect
import json
import logging
import os
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from fcsdk import _secrets
from fcsdk._local.env import runtime_variables
from fcsdk._local.logs import RuntimeLogs, current_request_id
from fcsdk._local.threads import ThreadPool, Watchdog
from fcsdk._platform.context import (
    FAKE_ACCESS_KEY_ID,
    FAKE_ACCESS_KEY_SECRET,
    FAKE_SECURITY_TOKEN,
    FCContext,
    RuntimeShape,
    fake_context,
    new_request_id,
)
from fcsdk._runtime import error_payload, load_error_frames, load_handler
from fcsdk.exceptions import (
    EventDecodeError,
    FCSDKError,
    FunctionExited,
    FunctionTimeout,
    HandlerLoadError,
    InstanceBusy,
    LocalRuntimeError,
)

__all__ = [
    "FunctionConfig",
    "FunctionExited",
    "FunctionTimeout",
    "Instance",
    "InstanceBusy",
    "WrongModeError",
    "handler_kind",
    "invocation_error",
    "new_request_id",
]

T = TypeVar("T")

LIFESPAN_STARTUP_TIMEOUT = 60.0
"""Seconds an ``fc.from_asgi`` app's lifespan startup may take at instance start."""
LIFESPAN_SHUTDOWN_TIMEOUT = 10.0
"""Seconds its lifespan shutdown may take when the instance stops."""
_LIFESPAN_NOTICE = 3.0  # after this many seconds, say what the instance is waiting for

_WATCHDOG = Watchdog("fc-timeout")
"""Times the invocations that run in their caller's thread (``call(on_timeout=...)``)."""

# Frames of the stand-in itself, left out of the stack traces users see.
_OWN_FRAMES = tuple(
    str(Path(__file__).resolve().parent.parent / sub) + os.sep for sub in ("_local", "_cli")
)

DEFAULT_FAKE_KEY_ID = FAKE_ACCESS_KEY_ID
DEFAULT_FAKE_SECRET = FAKE_ACCESS_KEY_SECRET
DEFAULT_FAKE_TOKEN = FAKE_SECURITY_TOKEN


class WrongModeError(LocalRuntimeError):
    """An event handler reached by HTTP as a WSGI app (``--mode wsgi``, python3.10's default)."""

    def __init__(self, handler: str) -> None:
        super().__init__(
            f"{handler} is an event handler (event, context), but HTTP reaches it as a WSGI app "
            "(FC 2.0): this is an event handler: use --mode event"
        )


@dataclass(frozen=True, kw_only=True)
class FunctionConfig:
    """What FC's function configuration says about one function.

    Example:
        >>> FunctionConfig(handler="index.handler").timeout
        60.0
    """

    handler: str
    code_dir: Path = field(default_factory=Path)
    name: str = "my-function"
    runtime: RuntimeShape = "python3.10"
    initializer: str | None = None
    pre_stop: str | None = None
    memory: int = 512
    timeout: float = 60.0
    concurrency: int = 1
    service_name: str = "my-service"
    region: str = "cn-hangzhou"
    account_id: str = "1234567890123456"
    qualifier: str = "LATEST"
    version_id: str = ""
    env: Mapping[str, str] = field(default_factory=dict)
    access_key_id: str = DEFAULT_FAKE_KEY_ID
    access_key_secret: str = field(default=DEFAULT_FAKE_SECRET, repr=False)
    security_token: str = field(default=DEFAULT_FAKE_TOKEN, repr=False)


class _Box(Generic[T]):
    """What a worker thread hands back: a value or an exception, and when it is there.

    The signal is a lock held until the worker finishes (a one-shot latch): cheaper
    to wait on than an ``Event``, which builds a ``Condition`` and a waiter lock.
    """

    def __init__(self) -> None:
        self.value: T | None = None
        self.error: BaseException | None = None
        self.abandoned = False
        self._latch = threading.Lock()
        self._latch.acquire()
        self._settled = threading.Lock()
        self.answering: threading.Lock | None = None
        """Held while the timeout is answered (set before the timeout's side settles)."""

    def settle(self) -> bool:
        """Whether this caller is the first to settle the invocation (finished, or timed out)."""
        return self._settled.acquire(blocking=False)

    def finish(self) -> None:
        """Say the value or the error is there (once, from the worker)."""
        self._latch.release()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for :meth:`finish`; whether it came."""
        return self._latch.acquire(timeout=timeout)


class Instance:
    """One warm instance of a function, safe to call from many threads.

    Example:
        >>> import io, pathlib, tempfile
        >>> code = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (code / "doc_hello.py").write_text("def h(event, context):\\n    return event\\n")
        >>> inst = Instance(FunctionConfig(handler="doc_hello.h", code_dir=code),
        ...                 RuntimeLogs(io.StringIO()))
        >>> inst.call(lambda func, ctx: func(b"hi", ctx))
        b'hi'
    """

    def __init__(self, config: FunctionConfig, logs: RuntimeLogs, *, verbose: bool = False) -> None:
        # The credentials this instance injects are masked in every log and error
        # answer, also for plain handlers that never build an fcsdk context.
        _secrets.remember(config.access_key_secret, config.security_token)
        self.config = config
        self.logs = logs
        self.verbose = verbose
        self.kind: tuple[str, str | None] = ("unknown", None)
        """What the loaded handler is, by :func:`handler_kind`."""
        self.instance_id = f"c-{uuid.uuid4().hex[:24]}"
        self._slots = threading.BoundedSemaphore(config.concurrency)
        # Worker threads are reused: starting one per invocation is measurable.
        self._threads = ThreadPool("fc-invoke", idle=config.concurrency)
        self._load_lock = threading.Lock()
        self._handler: Callable[..., Any] | None = None
        self._initialized = False
        self._stopped = False

    @property
    def code_dir(self) -> Path:
        """The function's code folder, absolute."""
        return self.config.code_dir.resolve()

    def environment(self) -> dict[str, str]:
        """Return the variables this instance's process sees: FC's own, then the user's."""
        cfg = self.config
        env = runtime_variables(
            function_name=cfg.name,
            handler=cfg.handler,
            code_dir=str(self.code_dir),
            runtime=cfg.runtime,
            memory=cfg.memory,
            region=cfg.region,
            account_id=cfg.account_id,
            service_name=cfg.service_name,
            qualifier=cfg.qualifier,
            version_id=cfg.version_id,
            instance_id=self.instance_id,
            access_key_id=cfg.access_key_id,
            access_key_secret=cfg.access_key_secret,
            security_token=cfg.security_token,
        )
        env.update(cfg.env)
        return env

    def context(self, request_id: str) -> FCContext:
        """Return a runtime-shaped context for one invocation."""
        cfg = self.config
        extra: dict[str, Any] = {}
        if cfg.runtime != "python3.12":
            # The older runtimes set context.logger only with instance concurrency > 1.
            extra["logger"] = logging.getLogger() if cfg.concurrency > 1 else None
        return fake_context(
            runtime=cfg.runtime,
            request_id=request_id,
            region=cfg.region,
            account_id=cfg.account_id,
            function_name=cfg.name,
            handler=cfg.handler,
            memory=cfg.memory,
            timeout=max(1, round(cfg.timeout)),
            service_name=cfg.service_name,
            qualifier=cfg.qualifier,
            version_id=cfg.version_id,
            access_key_id=cfg.access_key_id,
            access_key_secret=cfg.access_key_secret,
            security_token=cfg.security_token,
            **extra,
        )

    def load(self) -> Callable[..., Any]:
        """Load the handler (once; a failure is retried on the next call).

        Raises:
            HandlerLoadError: the runtime's load error, by its name.
        """
        with self._load_lock:
            if self._handler is None:
                self._handler = load_handler(self.config.handler, self.code_dir)
                self.kind = handler_kind(self._handler)
            return self._handler

    def _hook(self, name: str | None) -> Callable[..., Any] | None:
        return None if name is None else load_handler(name, self.code_dir)

    def _initialize(self, request_id: str) -> None:
        """Run the initializer once per instance; on failure it runs again next time."""
        with self._load_lock:
            if self._initialized:
                return
            hook = self._hook(self.config.initializer)
            if hook is not None:
                self.logs.frame("FC Initialize Start", request_id)
                try:
                    hook(self.context(request_id))
                except BaseException:
                    self.logs.frame("FC Initialize End", request_id, ", Error: Unhandled")
                    raise
                self.logs.frame("FC Initialize End", request_id)
            self._initialized = True

    def call(
        self,
        work: Callable[[Callable[..., Any], FCContext], T],
        *,
        request_id: str | None = None,
        timeout: float | None = None,
        on_timeout: Callable[[FunctionTimeout], object] | None = None,
    ) -> T:
        """Run ``work(handler, context)`` as one invocation and return what it returns.

        The initializer runs first if it has not yet succeeded. ``work`` runs
        in a thread of its own with the invocation's request id set for
        logging, framed by the runtime's ``FC Invoke Start``/``End`` lines.

        With ``on_timeout``, ``work`` runs in the calling thread instead (one
        thread switch less per invocation, which ``fcsdk serve`` feels under
        load): at the timeout ``on_timeout(error)`` is called from another
        thread, at once, to answer the caller, and this call raises the same
        :class:`FunctionTimeout` when ``work`` ends at last (and ``on_timeout`` has
        returned: the caller may close what it answers on).

        Raises:
            InstanceBusy: no concurrency slot became free within the timeout.
            FunctionTimeout: the invocation ran past the timeout.
            HandlerLoadError: the handler could not be loaded.
            Exception: whatever the handler, the initializer or ``work`` raised.
        """
        rid = request_id or new_request_id()
        limit = self.config.timeout if timeout is None else timeout
        if not self._slots.acquire(timeout=limit):
            raise InstanceBusy(
                f"all {self.config.concurrency} concurrency slot(s) stayed busy for {limit:g} s"
            )
        box: _Box[T] = _Box()
        if on_timeout is not None:
            return self._call_here(work, rid, box, limit, on_timeout)
        try:
            self._threads.submit(lambda: self._run(work, rid, box))
            if not box.wait(limit):
                box.abandoned = True
                self.logs.frame("FC Invoke End", rid, ", Error: Function timed out")
                raise FunctionTimeout(limit)
        finally:
            self._slots.release()
        if box.error is not None:
            raise box.error
        return box.value  # type: ignore[return-value]

    def _call_here(
        self,
        work: Callable[[Callable[..., Any], FCContext], T],
        rid: str,
        box: _Box[T],
        limit: float,
        on_timeout: Callable[[FunctionTimeout], object],
    ) -> T:
        """:meth:`call` in the calling thread, a slot already taken; the watchdog times it."""

        def expire() -> None:
            answering = box.answering = threading.Lock()
            answering.acquire()
            try:
                if box.settle():  # still running: the timeout is the answer
                    box.abandoned = True
                    self.logs.frame("FC Invoke End", rid, ", Error: Function timed out")
                    self._slots.release()
                    on_timeout(FunctionTimeout(limit))
            finally:
                answering.release()

        alarm = _WATCHDOG.schedule(limit, expire)
        try:
            contextvars.Context().run(self._run, work, rid, box)  # a fresh context, as a thread
        finally:
            alarm.cancel()
        if not box.settle():  # the watchdog came first: the caller has (or gets) its answer
            answering = box.answering
            if answering is not None and answering.acquire(timeout=30):
                answering.release()
            raise FunctionTimeout(limit)
        self._slots.release()
        if box.error is not None:
            raise box.error
        return box.value  # type: ignore[return-value]

    def _run(
        self, work: Callable[[Callable[..., Any], FCContext], T], rid: str, box: _Box[T]
    ) -> None:
        current_request_id.set(rid)
        try:
            try:
                func = self.load()
                self._initialize(rid)
            except HandlerLoadError as exc:
                box.error = exc
                self._log_load_error(exc)
                return
            except BaseException as exc:
                box.error = exc if isinstance(exc, Exception) else FunctionExited(exc)
                self._log_exception(exc)
                return
            self.logs.frame("FC Invoke Start", rid)
            try:
                box.value = work(func, self.context(rid))
            except Exception as exc:  # everything is reported to the caller
                box.error = exc
                self._log_exception(exc)
            except BaseException as exc:  # SystemExit & co. must not reach the server
                box.error = FunctionExited(exc)
                self._log_exception(exc)
            if not box.abandoned:
                self.logs.frame("FC Invoke End", rid)
        finally:
            box.finish()

    def _log_load_error(self, exc: HandlerLoadError) -> None:
        """Log a load failure as the runtime does: its error JSON, no fcsdk frames."""
        text = json.dumps(invocation_error(exc), ensure_ascii=False)
        logging.getLogger("fcsdk.local").error("%s", text)

    def _log_exception(self, exc: BaseException) -> None:
        if isinstance(exc, EventDecodeError) and not self.verbose:
            # The caller's mistake (a browser GET on an event function, say): one line.
            first = f"{exc.errors[0][0]}: {exc.errors[0][1]}" if exc.errors else str(exc)
            more = f" (and {len(exc.errors) - 1} more)" if len(exc.errors) > 1 else ""
            logging.getLogger("fcsdk.local").warning(
                "RequestId: %s: the event does not decode: %s%s (--verbose for the traceback)",
                current_request_id.get(),
                first,
                more,
            )
            return
        text = "".join(traceback.format_exception(exc)).rstrip()
        logging.getLogger("fcsdk.local").error("%s", text)

    def start_app(self) -> str | None:
        """Run an ``fc.from_asgi`` handler's lifespan startup now, at instance start.

        Returns the startup error's message (every request then fails with
        it), or ``None``. Other handlers, and a handler whose startup is wired
        as the initializer, start as FC starts them.
        """
        app = _asgi_handler(self._handler)
        if app is None or self.config.initializer is not None:
            return None
        notice = _WATCHDOG.schedule(_LIFESPAN_NOTICE, lambda: self._waiting("startup"))
        try:
            app.startup(timeout=LIFESPAN_STARTUP_TIMEOUT)
        except FCSDKError as exc:
            return str(exc)
        finally:
            notice.cancel()
        return None

    def _waiting(self, phase: str) -> None:
        limit = LIFESPAN_STARTUP_TIMEOUT if phase == "startup" else LIFESPAN_SHUTDOWN_TIMEOUT
        self.logs.message(
            f"waiting for the app's lifespan {phase} (for at most {limit:g} s in all)"
        )

    def stop(self) -> None:
        """Run the ``pre_stop`` hook once, if the instance ever started; errors are logged.

        An ``fc.from_asgi`` handler's lifespan shutdown runs too, when no
        ``pre_stop`` hook is configured to run it.
        """
        if self._stopped:
            return
        self._stopped = True
        app = _asgi_handler(self._handler)
        if app is not None and self.config.pre_stop is None:
            notice = _WATCHDOG.schedule(_LIFESPAN_NOTICE, lambda: self._waiting("shutdown"))
            try:
                app.shutdown(timeout=LIFESPAN_SHUTDOWN_TIMEOUT)
            except FCSDKError as exc:
                self.logs.message(f"warning: {exc}")
            except Exception as exc:
                self._log_exception(exc)
            finally:
                notice.cancel()
        if self.config.pre_stop is None or not self._initialized:
            return
        rid = new_request_id()
        current_request_id.set(rid)
        self.logs.frame("FC PreStop Start", rid)
        try:
            hook = self._hook(self.config.pre_stop)
            assert hook is not None
            hook(self.context(rid))
        except Exception as exc:
            self._log_exception(exc)
            self.logs.frame("FC PreStop End", rid, ", Error: Unhandled")
        else:
            self.logs.frame("FC PreStop End", rid)
        finally:
            current_request_id.set("")


_PLAIN_EVENTS = (None, bytes, bytearray, str, dict, list, object, Any)


def handler_kind(func: object) -> tuple[str, str | None]:
    """Say what a handler is: ``("http" | "event" | "unknown", typed event model name)``.

    ``@fc.http``, ``HTTPApp`` and ``from_wsgi``/``from_asgi`` handlers are
    ``http``; ``@fc.handler`` functions and plain ``(event, context)``
    functions are ``event`` (with their model's name when it is typed); a
    plain ``(environ, start_response)`` function is ``http``.
    """
    web = sys.modules.get("fcsdk.web.adapter")
    if web is not None and isinstance(func, web.PlaceApp):
        return ("http", None)
    if hasattr(func, "event_model"):
        model = getattr(func, "event_model", None)
        typed = not any(model is plain for plain in _PLAIN_EVENTS)
        return ("event", getattr(model, "__name__", repr(model)) if typed else None)
    try:
        names = [
            p.name
            for p in inspect.signature(func).parameters.values()  # type: ignore[arg-type]
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        return ("unknown", None)
    if len(names) >= 2 and names[1].lstrip("_") == "start_response":
        return ("http", None)
    if len(names) >= 2 and (
        names[0].lstrip("_") in ("event", "evt") or names[1].lstrip("_") in ("context", "ctx")
    ):
        return ("event", None)
    return ("unknown", None)


def _asgi_handler(handler: object) -> Any:
    """``handler`` if it is an ``fc.from_asgi`` handler (never imports the web layer)."""
    module = sys.modules.get("fcsdk.web.asgi_app")
    if module is not None and isinstance(handler, module.ASGIHandler):
        return handler
    return None


def invocation_error(exc: BaseException) -> dict[str, Any]:
    """Return the JSON body FC sends for a failed invocation, known secrets masked.

    A handler's exception gives the runtime's error JSON with its stack
    trace; a load failure its runtime error type and message, with the
    user's own frames when the module raised while being imported (never
    fcsdk's); a timeout FC's bare ``errorMessage``.
    """
    if isinstance(exc, FunctionTimeout | FunctionExited):
        return _masked({"errorMessage": str(exc)})
    if isinstance(exc, WrongModeError):
        return {"errorMessage": str(exc), "errorType": type(exc).__name__}
    if isinstance(exc, HandlerLoadError):
        payload: dict[str, Any] = {"errorMessage": str(exc), "errorType": type(exc).__name__}
        frames = load_error_frames(exc)
        if frames:
            payload["stackTrace"] = frames
        return _masked(payload)
    payload = error_payload(exc)
    payload["stackTrace"] = [
        frame for frame in payload["stackTrace"] if not str(frame[0]).startswith(_OWN_FRAMES)
    ]
    return _masked(payload)


def _masked(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with every secret fcsdk knows masked in its strings (as the log masks them)."""
    masked: dict[str, Any] = json.loads(_secrets.mask(json.dumps(payload, ensure_ascii=False)))
    return masked
