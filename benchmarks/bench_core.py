"""Benchmarks of the core: ``@fc.handler`` decoding per call, and a whole cold start.

decode: ``@fc.handler(event_model=Event)`` called with a ~600-byte OSS-shaped
event and a runtime-shaped context, returning a small model, against (a) the
hand-written floor ``Event.model_validate_json`` + ``Receipt.model_dump_json``
and (b) aws-lambda-powertools' ``@event_parser(model=Event)``. Powertools is
given the event already decoded to ``str`` (its parser validates ``str`` as
JSON), which favours it slightly.

cold start: fresh interpreters that import, define the same models and handle
one event (``benchmarks/coldstart/*.py``), whole process, interleaved runs,
medians; reported raw and net of an empty interpreter.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from benchmarks._runner import Case, Extra
from benchmarks.coldstart import floor
from benchmarks.coldstart.with_fcsdk import Event, Receipt, handler

HERE = Path(__file__).parent
EVENT = (HERE / "coldstart" / "_event.json").read_bytes()


def runtime_context() -> SimpleNamespace:
    """A context object shaped like the 3.10 runtime's."""
    return SimpleNamespace(
        request_id="1-6560a1b2-0123456789abcdef",
        credentials=SimpleNamespace(
            access_key_id="STS.k", access_key_secret="s", security_token="t"
        ),
        function=SimpleNamespace(name="f", handler="index.handler", memory=512, timeout=60),
        service=SimpleNamespace(
            name="svc", log_project="", log_store="", qualifier="", version_id=""
        ),
        region="cn-hangzhou",
        account_id="1234567890123456",
        retry_count=0,
        tracing=None,
        logger=None,
    )


def cases() -> list[Case]:
    """The decode case."""
    from benchmarks.coldstart.with_powertools import handler as powertools_handler

    context = runtime_context()
    text = EVENT.decode()
    assert handler(EVENT, context) == floor.handler(EVENT, None)

    def fcsdk_call() -> object:
        return handler(EVENT, context)

    def floor_call() -> object:
        event = Event.model_validate_json(EVENT)
        obj = event.events[0].oss.object
        return Receipt(key=obj.key, size=obj.size).model_dump_json().encode()

    def powertools_call() -> object:
        return powertools_handler(text, cast(Any, context))

    return [
        Case(
            key="core.decode",
            name="decode: @fc.handler(event_model=Event), ~600-byte OSS-shaped event",
            subject=fcsdk_call,
            baselines={
                "floor (validate_json+dump)": floor_call,
                "powertools @event_parser": powertools_call,
            },
            calls=2000,
        )
    ]


# A deployed function imports from byte-compiled modules (pip compiles on
# install); let the children write and use .pyc files whatever this shell says.
_CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run_once(script: Path | None) -> float:
    args = [sys.executable, str(script)] if script else [sys.executable, "-c", "pass"]
    start = time.perf_counter()
    subprocess.run(args, input=EVENT, capture_output=True, check=True, env=_CHILD_ENV)
    return time.perf_counter() - start


def extra_report(rounds: int = 15) -> Extra:
    """The cold start comparison: printed lines and the figures ``coldstart / <other>``."""
    scripts: dict[str, Path | None] = {
        "empty interpreter": None,
        "floor (hand-written pydantic)": HERE / "coldstart" / "floor.py",
        "fcsdk": HERE / "coldstart" / "with_fcsdk.py",
        "powertools": HERE / "coldstart" / "with_powertools.py",
    }
    times: dict[str, list[float]] = {name: [] for name in scripts}
    for script in scripts.values():  # warm the OS file cache and write .pyc files
        _run_once(script)
    for i in range(rounds):
        order = list(scripts.items())
        if i % 2:
            order.reverse()
        for name, script in order:
            times[name].append(_run_once(script))
    med = {name: statistics.median(values) for name, values in times.items()}
    empty = med["empty interpreter"]
    lines = [f"cold start: one event in a fresh interpreter, medians of {rounds} interleaved runs"]
    for name, value in med.items():
        lines.append(f"  {name:<32}{value * 1e3:8.1f} ms   net {(value - empty) * 1e3:7.1f} ms")
    figures: dict[str, float] = {}
    for other in ("floor (hand-written pydantic)", "powertools"):
        ratio = med["fcsdk"] / med[other]
        net = (med["fcsdk"] - empty) / (med[other] - empty)
        figures[f"coldstart / {other}"] = ratio
        lines.append(
            f"  fcsdk / {other:<30} ratio {ratio:5.2f}x  (net of the interpreter {net:5.2f}x)"
        )
    return Extra(lines, figures)
