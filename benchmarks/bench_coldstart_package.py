"""Benchmark of a packaged function's cold start: the bytecode ``fcsdk package`` ships.

The event template (``fcsdk init --template event``) is packaged for this
Python with ``fcsdk package`` (bytecode compiled by this interpreter), then
three copies of the same files are timed in fresh ``python -I -B``
interpreters that import ``index`` and handle one event, interleaved runs,
medians:

- the package, unpacked read-only (FC's code folder is read-only);
- the same package without its ``.pyc`` files, read-only: every module is
  compiled at every cold start (what ``fcsdk package`` shipped before);
- the same sources in a writable folder whose ``__pycache__`` the
  interpreter has already written: a developer's warm venv, the best a cold
  start can get.

It also times ``fcsdk coldstart`` on the event template project with the
default number of runs (building the package included), and reports how much
the bytecode adds to the python3.12 zip.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from benchmarks._runner import Case, Extra
from benchmarks.targets import TARGETS as ALL_TARGETS

# The limits, read from the single targets table (benchmarks/targets.py).
TARGETS: dict[str, float] = {t.figure: t.limit for t in ALL_TARGETS}

HOST = f"{sys.version_info.major}.{sys.version_info.minor}"
ROUNDS = 15


def cases() -> list[Case]:
    """No in-process cases: everything here is whole interpreters (see extra_report)."""
    return []


def _project(where: Path) -> Path:
    from fcsdk._scaffold import create_project

    root = where / "orders"
    create_project(root, template="event")
    return root


def _copy_without_pycs(source: Path, dest: Path) -> Path:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if not info.filename.endswith(".pyc"):
                zout.writestr(info, zin.read(info.filename))
    return dest


def _unpack(zip_path: Path, dest: Path, *, read_only: bool) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    if read_only:
        for folder, dirs, files in os.walk(dest):
            for name in files:
                Path(folder, name).chmod(0o444)
            for name in dirs:
                Path(folder, name).chmod(0o555)
    return dest


def _writable(path: Path) -> None:
    for folder, dirs, files in os.walk(path):
        Path(folder).chmod(0o755)
        for name in dirs:
            Path(folder, name).chmod(0o755)
        for name in files:
            Path(folder, name).chmod(0o644)


def _runner(code: Path, event: Path, *, dont_write: bool = True) -> list[str]:
    from fcsdk._ship.coldstart import _MARK, _RUNNER

    flags = ["-I", "-B"] if dont_write else ["-I"]
    return [sys.executable, *flags, "-c", _RUNNER, str(code), "index.handler", str(event), _MARK]


def _time(cmd: list[str]) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "COVERAGE"))}
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, timeout=120, check=False, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode(errors="replace")[-2000:])
    return elapsed


def _verdict(ratio: float, name: str) -> str:
    target = TARGETS[name]
    return f"target <= {target:.2f}x  {'OK' if ratio <= target else 'MISS'}"


def extra_report(rounds: int = ROUNDS) -> Extra:
    """The three cold starts, `fcsdk coldstart`'s wall time and the zip growth."""
    from fcsdk._ship.build import build_package, format_size
    from fcsdk._ship.requirements import PipOptions

    lines: list[str] = []
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="fcsdk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        project = _project(tmp)
        (tmp / "event.json").write_bytes((project / "event.json").read_bytes())
        event = tmp / "event.json"
        packaged = build_package(
            project,
            python_version=HOST,
            python=sys.executable,
            output=tmp / "with.zip",
            pip=PipOptions(),
        ).path
        bare = _copy_without_pycs(packaged, tmp / "without.zip")
        ro_with = _unpack(packaged, tmp / "ro-with", read_only=True)
        ro_without = _unpack(bare, tmp / "ro-without", read_only=True)
        venv = _unpack(bare, tmp / "venv", read_only=False)
        commands = {
            "packaged (read-only, bytecode)": _runner(ro_with, event),
            "same package without bytecode": _runner(ro_without, event),
            "writable venv, bytecode cached": _runner(venv, event, dont_write=False),
        }
        try:
            for cmd in commands.values():  # warm the page cache; the venv writes __pycache__
                _time(cmd)
            times: dict[str, list[float]] = {name: [] for name in commands}
            for i in range(rounds):
                order = list(commands.items())
                if i % 2:
                    order.reverse()
                for name, cmd in order:
                    times[name].append(_time(cmd))
        finally:
            _writable(ro_with)
            _writable(ro_without)
        med = {name: statistics.median(values) for name, values in times.items()}
        subject = med["packaged (read-only, bytecode)"]
        lines.append(
            f"packaged event template: one event in a fresh python -I -B, Python {HOST}, "
            f"medians of {rounds} interleaved runs"
        )
        for name, value in med.items():
            lines.append(f"  {name:<34}{value * 1e3:8.1f} ms")
        for name, key in (
            ("same package without bytecode", "packaged / same package without bytecode"),
            ("writable venv, bytecode cached", "packaged / writable venv, bytecode cached"),
        ):
            ratio = subject / med[name]
            figures[key] = ratio
            lines.append(f"  packaged / {name:<28}{ratio:5.2f}x  {_verdict(ratio, key)}")

        # `fcsdk coldstart` on the project, default N, the package built inside.
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "fcsdk", "coldstart", str(project)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        wall = time.perf_counter() - start
        figures["fcsdk coldstart on the event template (s)"] = wall
        target = TARGETS["fcsdk coldstart on the event template (s)"]
        status = "OK" if done.returncode == 0 and wall <= target else "MISS"
        if done.returncode != 0:
            lines.append(f"  fcsdk coldstart failed: {done.stderr.strip()[-300:]}")
        lines.append(
            f"fcsdk coldstart on the event template (default N): {wall:5.1f} s  "
            f"target <= {target:.0f} s  {status}"
        )

        # What the bytecode adds to the python3.12 zip.
        sizes = {}
        for compiled in (True, False):
            report = build_package(
                project,
                runtime="python3.12",
                output=tmp / f"size-{compiled}.zip",
                compile_bytecode=compiled,
                pip=PipOptions(),
            )
            sizes[compiled] = (report.zipped_size, report.unzipped_size, report.bytecode)
        (zw, uw, tag), (zo, uo, _) = sizes[True], sizes[False]
        lines.append(
            f"python3.12 zip: {format_size(zo)} without bytecode, {format_size(zw)} with "
            f"({tag or 'no Python 3.12 found'}): +{(zw - zo) / zo:.0%} zipped, "
            f"+{(uw - uo) / uo:.0%} unzipped"
        )
    return Extra(lines, figures)
