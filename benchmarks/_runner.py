"""The benchmark runner: interleaved timing of a case against its baselines.

A module under ``benchmarks/`` contributes cases by defining
``cases() -> list[Case]``, and may define ``extra_report() -> Extra`` for
figures that are not a per-call ratio (a whole cold start, say).
``python -m benchmarks`` (``make bench``) runs them all and prints, per case,
the median time per call of the subject and of each baseline and the ratio
subject/baseline. Every ratio is a *figure*, named ``"<case key> / <baseline
name>"``; ``benchmarks/targets.py`` holds the limits, each stated once, and
the run ends with that table and exits 1 on a miss.

Timing runs with the garbage collector on, as in production: fcsdk's extra
allocations cost collections, and switching the collector off would hide
them. A full collection before every sample starts each one from the same
state, so one runner's garbage is not collected on another's clock.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "Case",
    "Extra",
    "Result",
    "Verdict",
    "check",
    "figures_of",
    "measure",
    "report",
    "verdict_lines",
]


@dataclass
class Case:
    """One benchmark: ``subject`` against named ``baselines``.

    ``key`` names the case in figure names (``"core.decode"``): the figure
    for a baseline is ``f"{key} / {baseline name}"``. ``calls`` is how many
    calls one timed sample makes.
    """

    key: str
    name: str
    subject: Callable[[], object]
    baselines: dict[str, Callable[[], object]]
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


@dataclass
class Extra:
    """What a module's ``extra_report()`` returns: printed lines and named figures."""

    lines: list[str]
    figures: dict[str, float] = field(default_factory=dict)


def _sample(func: Callable[[], object], calls: int) -> float:
    gc.collect()
    start = time.perf_counter()
    for _ in range(calls):
        func()
    return (time.perf_counter() - start) / calls


def measure(case: Case) -> Result:
    """Time ``case``: samples of subject and baselines interleaved, medians per call, GC on."""
    runners = {"subject": case.subject, **case.baselines}
    for func in runners.values():  # warm up: first-call setup is not what we measure
        for _ in range(min(case.calls, 50)):
            func()
    times: dict[str, list[float]] = {name: [] for name in runners}
    for i in range(case.samples):
        order = list(runners.items())
        if i % 2:
            order.reverse()
        for name, func in order:
            times[name].append(_sample(func, case.calls))
    medians = {name: statistics.median(values) for name, values in times.items()}
    subject = medians.pop("subject")
    return Result(case=case, subject=subject, baselines=medians)


def figures_of(result: Result) -> dict[str, float]:
    """The figures one result gives: ``"<case key> / <baseline>"`` -> ratio."""
    return {f"{result.case.key} / {name}": result.ratio(name) for name in result.baselines}


def _fmt(seconds: float, unit: str) -> str:
    scale = {"us": 1e6, "ms": 1e3, "s": 1.0}[unit]
    return f"{seconds * scale:10.2f} {unit}"


def report(result: Result) -> list[str]:
    """Return the printed lines for one result: times, and each ratio with its figure name."""
    case = result.case
    lines = [f"{case.name}  [{case.key}]", f"  {'fcsdk':<34}{_fmt(result.subject, case.unit)}"]
    for name, seconds in result.baselines.items():
        lines.append(f"  {name:<34}{_fmt(seconds, case.unit)}   ratio {result.ratio(name):5.2f}x")
    return lines


@dataclass(frozen=True)
class Verdict:
    """One target's outcome: PASS, MISS, NO FIGURE (its module ran but did not report it)
    or NOT RUN (its module was not asked for)."""

    figure: str
    limit: float
    issue: str
    value: float | None
    outcome: str

    @property
    def failed(self) -> bool:
        """A miss, or a target whose figure no module reported."""
        return self.outcome in ("MISS", "NO FIGURE")


class _TargetLike(Protocol):  # what check() reads; benchmarks/targets.py's Target has it
    @property
    def figure(self) -> str: ...
    @property
    def limit(self) -> float: ...
    @property
    def issue(self) -> str: ...


def check(
    targets: Iterable[_TargetLike], figures: dict[str, float], *, complete: bool
) -> list[Verdict]:
    """Judge every target against the measured ``figures``.

    ``complete`` says every module ran, so a missing figure is a failure (a
    renamed case or a typo in the table), not merely a module left out.
    """
    verdicts = []
    for target in targets:
        value = figures.get(target.figure)
        if value is None:
            outcome = "NO FIGURE" if complete else "NOT RUN"
        else:
            outcome = "PASS" if value <= target.limit else "MISS"
        verdicts.append(Verdict(target.figure, target.limit, target.issue, value, outcome))
    return verdicts


def verdict_lines(verdicts: list[Verdict]) -> list[str]:
    """The targets table as printed: issue, figure, value, limit, outcome."""
    width = max((len(v.figure) for v in verdicts), default=6)
    lines = [f"  {'issue':<7}{'figure':<{width}}  {'value':>7}  {'limit':>8}  outcome"]
    for v in verdicts:
        unit = "s" if v.figure.endswith("(s)") else "x"  # a wall time, not a ratio
        value = f"{v.value:6.2f}{unit}" if v.value is not None else "      -"
        limit = f"{v.limit:4.2f}{unit}"
        lines.append(f"  {v.issue:<7}{v.figure:<{width}}  {value}  <= {limit}  {v.outcome}")
    return lines
