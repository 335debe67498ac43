"""``fcsdk serve``'s instance bounds an ASGI app's lifespan startup and shutdown, and says so."""

from __future__ import annotations

import asyncio
import io
import threading
from pathlib import Path
from typing import Any

import pytest

from fcsdk import _aio
from fcsdk._local import instance as instance_module
from fcsdk._local.instance import FunctionConfig, Instance
from fcsdk._local.logs import RuntimeLogs

APP = """
import asyncio

import fcsdk as fc

HANG = {hang!r}


async def app(scope, receive, send):
    if scope["type"] != "lifespan":
        return
    await receive()
    if HANG == "startup":
        await asyncio.Event().wait()
    await send({{"type": "lifespan.startup.complete"}})
    await receive()
    if HANG == "shutdown":
        await asyncio.Event().wait()
    await send({{"type": "lifespan.shutdown.complete"}})


handler = fc.from_asgi(app)
"""


def _instance(tmp_path: Path, hang: str) -> tuple[Instance, io.StringIO]:
    module = f"lifespan_hangs_in_{hang}"
    (tmp_path / f"{module}.py").write_text(APP.format(hang=hang))
    out = io.StringIO()
    inst = Instance(
        FunctionConfig(handler=f"{module}.handler", code_dir=tmp_path), RuntimeLogs(out)
    )
    inst.load()
    return inst, out


def _end_the_app(inst: Instance) -> None:
    """Cancel the app's hanging lifespan task, so none is left pending on the shared loop."""
    app: Any = inst.load()
    task = app.lifespan._task

    async def cancel() -> None:
        task.cancel()
        await asyncio.wait([task], timeout=5)

    if task is not None and not task.done():
        _aio.run(cancel())


def _within(seconds: float, call: Any) -> list[Any]:
    """Run ``call`` in a thread: [what it returned], or [] if still running after ``seconds``."""
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(call()), daemon=True)
    thread.start()
    thread.join(seconds)
    return outcome


@pytest.fixture
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(instance_module, "LIFESPAN_STARTUP_TIMEOUT", 0.5, raising=False)
    monkeypatch.setattr(instance_module, "LIFESPAN_SHUTDOWN_TIMEOUT", 0.5, raising=False)
    monkeypatch.setattr(instance_module, "_LIFESPAN_NOTICE", 0.05, raising=False)


class TestLifespanBounds:
    def test_a_hanging_startup_is_announced_then_given_up(
        self, tmp_path: Path, short_bounds: None
    ) -> None:
        """A startup that never finishes: a notice, then a failure every request answers."""
        inst, out = _instance(tmp_path, "startup")
        outcome = _within(15, inst.start_app)
        assert outcome, "start_app is still waiting for the startup"
        assert outcome[0] == "lifespan startup failed: it did not finish within 0.5 s"
        assert "fcsdk: waiting for the app's lifespan startup (for at most 0.5 s in all)" in (
            out.getvalue()
        )
        _end_the_app(inst)

    def test_a_hanging_shutdown_is_announced_then_given_up(
        self, tmp_path: Path, short_bounds: None
    ) -> None:
        """A shutdown that never finishes: a notice, then a warning, and stop() returns."""
        inst, out = _instance(tmp_path, "shutdown")
        assert inst.start_app() is None

        def stop() -> str:
            inst.stop()
            return "stopped"

        assert _within(15, stop) == ["stopped"], "stop() is still waiting for the shutdown"
        log = out.getvalue()
        assert "waiting for the app's lifespan shutdown (for at most 0.5 s in all)" in log
        assert "warning: lifespan shutdown did not finish within 0.5 s; not waiting longer" in log
        _end_the_app(inst)

    def test_a_quick_lifespan_says_nothing(self, tmp_path: Path, short_bounds: None) -> None:
        """A startup and shutdown that finish in time print no notice."""
        inst, out = _instance(tmp_path, "nowhere")
        assert inst.start_app() is None
        inst.stop()
        assert "lifespan" not in out.getvalue()

    def test_the_documented_bounds(self) -> None:
        """fcsdk serve waits 60 s for a startup and 10 s for a shutdown, as the docs say."""
        assert instance_module.LIFESPAN_STARTUP_TIMEOUT == 60.0
        assert instance_module.LIFESPAN_SHUTDOWN_TIMEOUT == 10.0
