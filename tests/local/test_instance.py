"""Tests for fcsdk/_local/instance.py: one warm instance, its hooks, limits and errors."""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fcsdk._local.instance import (
    FunctionConfig,
    FunctionExited,
    FunctionTimeout,
    Instance,
    InstanceBusy,
    handler_kind,
    invocation_error,
)
from fcsdk._local.logs import RuntimeLogs
from fcsdk.exceptions import HandlerNotFound, ImportModuleError, InvalidHandleName

CODE = """
import threading, time
CALLS = []
def handler(event, context):
    CALLS.append(context.request_id)
    if event == b"sleep":
        time.sleep(1)
    if event == b"boom":
        raise LookupError("no such thing")
    return event
def init(context):
    CALLS.append("init")
def exit_init(context):
    raise SystemExit(4)
def bad_stop(context):
    raise RuntimeError("stop failed")
def stop(context):
    CALLS.append("stop")
"""


@pytest.fixture
def code(tmp_path: Path) -> Iterator[Path]:
    """A code folder with a module of its own name, forgotten afterwards."""
    name = f"inst_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(CODE)
    yield tmp_path / name
    sys.modules.pop(name, None)
    if str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))


def make(code: Path, **options: Any) -> tuple[Instance, io.StringIO]:
    out = io.StringIO()
    config = FunctionConfig(handler=f"{code.name}.handler", code_dir=code.parent, **options)
    return Instance(config, RuntimeLogs(out)), out


def echo(func: Any, ctx: Any) -> bytes:
    return bytes(func(b"hi", ctx))


class TestInstance:
    def test_call_frames_and_context(self, code: Path) -> None:
        """A call runs the handler with a fresh context, framed by the runtime's lines."""
        instance, out = make(code)
        seen: list[Any] = []

        def work(func: Any, ctx: Any) -> bytes:
            seen.append(ctx)
            return bytes(func(b"x", ctx))

        assert instance.call(work, request_id="r-1") == b"x"
        assert seen[0].request_id == "r-1"
        assert seen[0].function.handler == f"{code.name}.handler"
        assert seen[0].logger is None
        assert out.getvalue() == "FC Invoke Start RequestId: r-1\nFC Invoke End RequestId: r-1\n"

    def test_logger_with_concurrency(self, code: Path) -> None:
        """With instance concurrency > 1 the older runtimes' context has a logger."""
        instance, _ = make(code, concurrency=2)
        context: Any = instance.context("r")
        assert context.logger is not None

    def test_initializer_once_then_pre_stop(self, code: Path) -> None:
        """The initializer runs once before the first call; stop() runs pre_stop once."""
        instance, out = make(code, initializer=f"{code.name}.init", pre_stop=f"{code.name}.stop")
        instance.call(echo)
        instance.call(echo)
        instance.stop()
        instance.stop()
        calls = sys.modules[code.name].CALLS
        assert calls[0] == "init"
        assert calls[-1] == "stop"
        assert calls.count("init") == 1
        assert calls.count("stop") == 1
        assert out.getvalue().count("FC Initialize Start") == 1
        assert "FC PreStop End RequestId:" in out.getvalue()

    def test_pre_stop_error_is_logged(self, code: Path) -> None:
        """A failing pre_stop is logged, not raised."""
        instance, out = make(code, pre_stop=f"{code.name}.bad_stop")
        instance.call(echo)
        instance.stop()
        assert ", Error: Unhandled" in out.getvalue()

    def test_pre_stop_skipped_when_never_started(self, code: Path) -> None:
        """An instance that never served does not run pre_stop."""
        instance, out = make(code, pre_stop=f"{code.name}.stop")
        instance.stop()
        assert out.getvalue() == ""

    def test_timeout(self, code: Path) -> None:
        """A call past the timeout raises FunctionTimeout; the instance serves on."""
        instance, out = make(code, timeout=0.2)
        with pytest.raises(FunctionTimeout, match=r"timed out after 0\.2 seconds"):
            instance.call(lambda f, c: f(b"sleep", c))
        assert instance.call(echo) == b"hi"
        assert ", Error: Function timed out" in out.getvalue()

    def test_a_call_with_on_timeout_runs_here_in_a_fresh_context(self, code: Path) -> None:
        """With on_timeout, the work runs in the calling thread, in a context of its own, and
        its value and errors come back as without; on_timeout is never called for it."""
        import contextvars

        mark: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="fresh")
        mark.set("caller's")
        instance, _ = make(code, timeout=0.2)
        seen: list[Any] = []
        timeouts: list[FunctionTimeout] = []

        def work(func: Any, ctx: Any) -> bytes:
            seen.append((threading.current_thread(), mark.get()))
            return bytes(func(b"hi", ctx))

        assert instance.call(work, on_timeout=timeouts.append) == b"hi"
        assert seen == [(threading.current_thread(), "fresh")]
        with pytest.raises(LookupError, match="no such thing"):
            instance.call(lambda f, c: f(b"boom", c), on_timeout=timeouts.append)
        threading.Event().wait(0.4)  # past the timeout of both calls
        assert timeouts == []
        assert instance.call(echo, on_timeout=timeouts.append) == b"hi"  # the slot is free

    def test_on_timeout_answers_at_the_timeout_while_the_work_runs_on(self, code: Path) -> None:
        """At the timeout on_timeout gets the error and the slot is free again, while the work
        still runs; when it ends, the call raises the same timeout."""
        instance, out = make(code, timeout=0.2)
        answered, release = threading.Event(), threading.Event()
        timeouts: list[FunctionTimeout] = []
        outcome: list[object] = []

        def answer(exc: FunctionTimeout) -> None:
            timeouts.append(exc)
            answered.set()

        def slow(func: Any, ctx: Any) -> bytes:
            release.wait(30)
            return b"late"

        def caller() -> None:
            try:
                outcome.append(instance.call(slow, on_timeout=answer))
            except FunctionTimeout as exc:
                outcome.append(exc)

        thread = threading.Thread(target=caller)
        thread.start()
        try:
            assert answered.wait(10)
            assert str(timeouts[0]) == "Function timed out after 0.2 seconds"
            assert instance.call(echo, on_timeout=answer) == b"hi"  # its slot was given back
            assert outcome == []  # the slow work still runs
        finally:
            release.set()
            thread.join(10)
        assert len(outcome) == 1
        assert isinstance(outcome[0], FunctionTimeout)
        assert len(timeouts) == 1
        assert out.getvalue().count(", Error: Function timed out") == 1

    def test_the_call_ends_after_its_timeout_answer(self, code: Path) -> None:
        """Work that ends while on_timeout still answers: the call raises only afterwards."""
        instance, _ = make(code, timeout=0.1)
        order: list[str] = []
        release = threading.Event()

        def answer(exc: FunctionTimeout) -> None:
            release.set()  # the work ends now, while this answer is still being written
            threading.Event().wait(0.3)
            order.append("answered")

        with pytest.raises(FunctionTimeout):
            instance.call(lambda f, c: release.wait(30), on_timeout=answer)
        order.append("raised")
        assert order == ["answered", "raised"]
        assert instance.call(echo, on_timeout=answer) == b"hi"  # one slot, given back once

    def test_busy(self, code: Path) -> None:
        """With every slot taken past the wait limit, InstanceBusy."""
        instance, _ = make(code, timeout=5)
        holding, release = threading.Event(), threading.Event()

        def hold(handler: Any, context: Any) -> bool:
            holding.set()  # set inside the invocation: the slot is taken by now
            return release.wait(5)

        worker = threading.Thread(target=instance.call, args=(hold,), daemon=True)
        worker.start()
        assert holding.wait(5)
        try:
            with pytest.raises(InstanceBusy, match="1 concurrency slot"):
                instance.call(echo, timeout=0.1)
        finally:
            release.set()
            worker.join(5)

    def test_load_error_retried(self, tmp_path: Path) -> None:
        """A load error is raised each call (the runtime retries loading)."""
        instance, _ = make(tmp_path / "nomodule")
        for _ in range(2):
            with pytest.raises(ImportModuleError, match="Unable to import module 'nomodule'"):
                instance.call(echo)

    def test_environment(self, code: Path) -> None:
        """environment() has FC's variables, then the user's (which win)."""
        instance, _ = make(code, env={"FC_REGION": "mine", "EXTRA": "1"})
        env = instance.environment()
        assert env["FC_INSTANCE_ID"] == instance.instance_id
        assert env["FC_REGION"] == "mine"
        assert env["EXTRA"] == "1"

    @pytest.mark.parametrize("where", ["handler", "initializer"])
    def test_exit_is_a_function_error(self, code: Path, where: str) -> None:
        """SystemExit from the handler or the initializer becomes FunctionExited."""
        options = {"initializer": f"{code.name}.exit_init"} if where == "initializer" else {}
        instance, _ = make(code, **options)

        def work(func: Any, ctx: Any) -> bytes:
            raise SystemExit(3)

        with pytest.raises(FunctionExited, match="Process exited unexpectedly") as info:
            instance.call(work)
        assert isinstance(info.value.cause, SystemExit)
        assert invocation_error(info.value) == {"errorMessage": str(info.value)}


class TestInvocationError:
    def test_timeout_shape(self) -> None:
        """A timeout is FC's bare errorMessage."""
        assert invocation_error(FunctionTimeout(3)) == {
            "errorMessage": "Function timed out after 3 seconds"
        }

    @pytest.mark.parametrize("exc", [InvalidHandleName("bad"), HandlerNotFound("gone")])
    def test_load_error_shape(self, exc: Exception) -> None:
        """A load error is its runtime type and message, without fcsdk's frames."""
        assert invocation_error(exc) == {"errorMessage": str(exc), "errorType": type(exc).__name__}

    def test_handler_error_without_own_frames(self, code: Path) -> None:
        """A handler error keeps the user's frames and drops the stand-in's."""
        instance, _ = make(code)
        with pytest.raises(LookupError) as info:
            instance.call(lambda f, c: f(b"boom", c))
        payload = invocation_error(info.value)
        assert payload["errorType"] == "LookupError"
        files = [frame[0] for frame in payload["stackTrace"]]
        assert any(code.name in f for f in files)
        assert not any("/_local/" in f for f in files)


class TestHandlerKind:
    def test_kinds(self) -> None:
        """WSGI apps and fcsdk HTTP handlers are http; event functions are event, typed or not."""
        from pydantic import BaseModel

        import fcsdk as fc

        class Order(BaseModel):
            order_id: str

        def wsgi(environ: Any, start_response: Any) -> Any:
            return []

        def event(event: bytes, context: Any) -> Any:
            return event

        def other(a: Any, b: Any) -> Any:
            return a

        @fc.http
        def web(request: fc.Request) -> str:
            return "hi"

        typed = fc.handler(event_model=Order)(lambda e, c: e)
        untyped = fc.handler(event_model=dict)(lambda e, c: e)
        assert handler_kind(wsgi) == ("http", None)
        assert handler_kind(web) == ("http", None)
        assert handler_kind(event) == ("event", None)
        assert handler_kind(typed) == ("event", "Order")
        assert handler_kind(untyped) == ("event", None)
        assert handler_kind(other) == ("unknown", None)
        assert handler_kind(object()) == ("unknown", None)
