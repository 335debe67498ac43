"""Run every benchmark module's cases: ``python -m benchmarks [NAME ...]``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from benchmarks._runner import measure, report


def main(argv: list[str]) -> int:
    """Run the benchmark modules named in ``argv`` (all ``bench_*`` modules by default)."""
    here = Path(__file__).parent
    names = argv or sorted(
        m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_")
    )
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name}", flush=True)
        for case in module.cases():
            for line in report(measure(case)):
                print(line, flush=True)
        extra = getattr(module, "extra_report", None)
        if extra is not None:
            for line in extra():
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
