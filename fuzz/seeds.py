"""Run fuzz targets over their seed inputs, without atheris: ``python -m fuzz.seeds [TARGET ...]``.

Each seed, and each seed cut in half, goes through its target once, as the
fuzzer would send it. A seed the target fails on is printed with its
traceback; the exit status is 1 then. ``make test`` runs this for every
target (``tests/test_fuzz_seeds.py``), so the seeds and the targets cannot
rot between fuzzing sessions.
"""

from __future__ import annotations

import json
import sys
import traceback

from fuzz.targets import TARGETS


def run(names: list[str]) -> dict[str, dict[str, int]]:
    """Return, per target, how many inputs ran and how many failed (failures are printed)."""
    counts: dict[str, dict[str, int]] = {}
    for name in names:
        target, seeds = TARGETS[name]
        inputs = [piece for seed in seeds() for piece in (seed, seed[: len(seed) // 2])]
        failed = 0
        for data in inputs:
            try:
                target(data)
            except Exception:
                failed += 1
                print(f"{name}: failed on {data[:120]!r}", file=sys.stderr)
                traceback.print_exc()
        counts[name] = {"inputs": len(inputs), "failed": failed}
    return counts


def main(argv: list[str]) -> int:
    """Run the named targets (all by default) and print the counts as JSON."""
    unknown = sorted(set(argv) - set(TARGETS))
    if unknown:
        print(f"unknown target(s): {', '.join(unknown)}; known: {', '.join(TARGETS)}")
        return 2
    counts = run(argv or list(TARGETS))
    print(json.dumps(counts))
    return 1 if any(c["failed"] for c in counts.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
