"""Run every benchmark module's cases: ``python -m benchmarks [NAME ...]``.

Prints each case, then every target of ``benchmarks/targets.py`` with its
figure and PASS/MISS; exits 1 when a target is missed (or, in a full run,
was not measured at all), 0 otherwise.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks._runner import Extra, check, figures_of, measure, report, verdict_lines
from benchmarks.targets import TARGETS, Target


def main(argv: list[str], targets: Sequence[Target] = TARGETS) -> int:
    """Run the benchmark modules named in ``argv`` (all ``bench_*`` modules by default)."""
    here = Path(__file__).parent
    every = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    names = argv or every
    figures: dict[str, float] = {}
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name}", flush=True)
        for case in module.cases():
            result = measure(case)
            figures.update(figures_of(result))
            for line in report(result):
                print(line, flush=True)
        extra_report = getattr(module, "extra_report", None)
        if extra_report is not None:
            extra: Extra = extra_report()
            figures.update(extra.figures)
            for line in extra.lines:
                print(line, flush=True)
    verdicts = check(targets, figures, complete=set(every) <= set(names))
    print("== targets (benchmarks/targets.py; figures measured on this machine, now)")
    for line in verdict_lines(verdicts):
        print(line, flush=True)
    failed = [v for v in verdicts if v.failed]
    if failed:
        print(f"{len(failed)} of {len(verdicts)} targets missed", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
