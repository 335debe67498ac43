"""Run one fuzz target under atheris: ``python -m fuzz.run TARGET [libFuzzer options] [CORPUS]``.

Started by :mod:`fuzz.__main__`, one process per target. An input that makes
the target raise is recorded, not fatal: its failure signature (exception
type and the innermost fcsdk frame) is counted once, the input and the
traceback are saved, and fuzzing goes on. The counts are written as JSON to
``$FCSDK_FUZZ_STATS`` as they change (libFuzzer ends the process without
running Python's exit handlers).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

__all__ = ["Recorder", "main", "signature"]


def signature(exc: BaseException) -> str:
    """What makes two failures the same: the exception type and where in fcsdk it was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    inside = [f for f in frames if "/fcsdk/" in f.filename.replace("\\", "/")]
    chosen = inside or frames
    where = f"{chosen[-1].filename.split('/fcsdk/')[-1]}:{chosen[-1].lineno}" if chosen else "?"
    cause = exc.__cause__ or exc.__context__
    suffix = (
        f" <- {type(cause).__name__}"
        if cause is not None and type(exc).__name__ == "Failure"
        else ""
    )
    return (
        f"{type(exc).__name__}{suffix} at fcsdk/{where}"
        if inside
        else f"{type(exc).__name__} at {where}"
    )


class Recorder:
    """Counts inputs and distinct failures; saves one reproducer per failure."""

    def __init__(self, stats: Path | None, failures: Path | None) -> None:
        self.stats = stats
        self.failures = failures
        self.runs = 0
        self.found: dict[str, dict[str, Any]] = {}
        self._flushed = 0.0

    def record(self, exc: BaseException, data: bytes) -> None:
        key = signature(exc)
        entry = self.found.get(key)
        if entry is not None:
            entry["count"] += 1
            return
        digest = hashlib.sha1(data).hexdigest()[:12]
        entry = {"count": 1, "input": None, "message": str(exc)[:300]}
        if self.failures is not None:
            self.failures.mkdir(parents=True, exist_ok=True)
            path = self.failures / f"failure-{digest}"
            path.write_bytes(data)
            path.with_suffix(".txt").write_text(
                f"{key}\ninput: {data[:2000]!r}\n\n" + "".join(traceback.format_exception(exc)),
                encoding="utf-8",
            )
            entry["input"] = str(path)
        self.found[key] = entry
        print(f"\n[fcsdk fuzz] new failure: {key}: {str(exc)[:200]}", file=sys.stderr, flush=True)
        self.flush(force=True)

    def flush(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if self.stats is None or (not force and now - self._flushed < 1.0):
            return
        self._flushed = now
        temporary = self.stats.with_suffix(".tmp")
        temporary.write_text(json.dumps({"runs": self.runs, "failures": self.found}, indent=1))
        temporary.replace(self.stats)


def main(argv: list[str]) -> None:
    """Fuzz the target named in ``argv[1]``; the other arguments go to libFuzzer."""
    atheris: Any = importlib.import_module("atheris")
    name = argv[1]
    with atheris.instrument_imports(include=["fcsdk"]):
        from fuzz import targets
    target, seeds = targets.TARGETS[name]
    corpus = os.environ.get("FCSDK_FUZZ_CORPUS")
    if corpus:
        folder = Path(corpus)
        folder.mkdir(parents=True, exist_ok=True)
        for seed in seeds():
            (folder / f"seed-{hashlib.sha1(seed).hexdigest()[:12]}").write_bytes(seed)
    stats = os.environ.get("FCSDK_FUZZ_STATS")
    failures = os.environ.get("FCSDK_FUZZ_FAILURES")
    recorder = Recorder(Path(stats) if stats else None, Path(failures) if failures else None)

    def test_one_input(data: bytes) -> None:
        recorder.runs += 1
        try:
            target(data)
        except Exception as exc:
            recorder.record(exc, data)
        recorder.flush()

    atheris.Setup([argv[0], *argv[2:]], test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
