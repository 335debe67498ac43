"""The benchmark runner: interleaved timing of a case against its baselines.

A module under ``benchmarks/`` contributes cases by defining
``cases() -> list[Case]``; ``python -m benchmarks`` (``make bench``) runs them
all and prints, per case, the median time per call of the subject and of each
baseline, and the ratio subject/baseline next to its target.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Case", "Result", "measure", "report"]


@dataclass
class Case:
    """One benchmark: ``subject`` against named ``baselines``.

    ``targets`` maps a baseline's name to the largest acceptable ratio
    subject/baseline (``0.85`` means "at least 15% faster than it").
    ``calls`` is how many calls one timed sample makes.
    """

    name: str
    subject: Callable[[], object]
    baselines: dict[str, Callable[[], object]]
    targets: dict[str, float] = field(default_factory=dict)
    calls: int = 1000
    samples: int = 21
    unit: str = "us"


@dataclass
class Result:
    """Median seconds per call of the subject and each baseline."""

    case: Case
    subject: float
    baselines: dict[str, float]

    def ratio(self, baseline: str) -> float:
        """Return subject time / baseline time."""
        return self.subject / self.baselines[baseline]


def _sample(func: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        func()
    return (time.perf_counter() - start) / calls


def measure(case: Case) -> Result:
    """Time ``case``: samples of subject and baselines interleaved, medians per call."""
    runners = {"subject": case.subject, **case.baselines}
    for func in runners.values():  # warm up: first-call setup is not what we measure
        for _ in range(min(case.calls, 50)):
            func()
    times: dict[str, list[float]] = {name: [] for name in runners}
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(case.samples):
            order = list(runners.items())
            if i % 2:
                order.reverse()
            for name, func in order:
                times[name].append(_sample(func, case.calls))
    finally:
        if gc_was_enabled:
            gc.enable()
    medians = {name: statistics.median(values) for name, values in times.items()}
    subject = medians.pop("subject")
    return Result(case=case, subject=subject, baselines=medians)


def _fmt(seconds: float, unit: str) -> str:
    scale = {"us": 1e6, "ms": 1e3, "s": 1.0}[unit]
    return f"{seconds * scale:10.2f} {unit}"


def report(result: Result) -> list[str]:
    """Return the printed lines for one result, with OK/MISS next to each target."""
    case = result.case
    lines = [f"{case.name}", f"  {'fcsdk':<28}{_fmt(result.subject, case.unit)}"]
    for name, seconds in result.baselines.items():
        ratio = result.ratio(name)
        target = case.targets.get(name)
        verdict = ""
        if target is not None:
            verdict = f"  target <= {target:.2f}x  {'OK' if ratio <= target else 'MISS'}"
        lines.append(f"  {name:<28}{_fmt(seconds, case.unit)}   ratio {ratio:5.2f}x{verdict}")
    return lines
