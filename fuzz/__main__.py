"""``python -m fuzz``: run every fuzz target for a bounded time and report what each found.

Each target runs in its own process under atheris (``python -m fuzz.run``)
with libFuzzer's ``-max_total_time``, a per-input ``-timeout`` (a hang is a
failure) and an ``-rss_limit_mb`` (unbounded memory is a failure). The
corpus, the logs and one reproducer per distinct failure are kept under
``--out`` (``build/fuzz`` by default). The exit status is 1 when any target
found a failure.

Example:
    python -m fuzz --seconds 60 decode forms
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TARGET_NAMES = [
    "decode",
    "wsgi",
    "event_request",
    "forms",
    "headers",
    "oss_server",
    "serve_framing",
    "secrets",
]
_DONE = re.compile(rb"Done (\d+) runs in")
_EXECUTED = re.compile(rb"stat::number_of_executed_units:\s*(\d+)")
_FATAL = {
    b"ERROR: libFuzzer: timeout": "hang (per-input timeout)",
    b"ERROR: libFuzzer: out-of-memory": "memory (RSS limit)",
    b"ERROR: libFuzzer: deadly signal": "crash (signal)",
    b"ERROR: libFuzzer: fuzz target exited": "the target exited",
}


def _parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", choices=[*TARGET_NAMES, []], default=[])
    parser.add_argument(
        "--seconds",
        type=int,
        default=int(os.environ.get("FCSDK_FUZZ_SECONDS", "30")),
        help="fuzzing time per target (default 30, or $FCSDK_FUZZ_SECONDS)",
    )
    parser.add_argument("--timeout", type=int, default=10, help="seconds per input (default 10)")
    parser.add_argument("--rss-limit-mb", type=int, default=2048, help="memory limit (2048)")
    parser.add_argument("--out", type=Path, default=Path("build/fuzz"), help="work folder")
    return parser.parse_args(argv)


def run_target(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Fuzz one target in a child process; return its runs, failures and how it ended."""
    out: Path = args.out
    corpus = out / "corpus" / name
    failures = out / "failures" / name
    stats = out / f"{name}.json"
    log = out / f"{name}.log"
    for folder in (corpus, failures):
        folder.mkdir(parents=True, exist_ok=True)
    stats.unlink(missing_ok=True)
    env = {
        **os.environ,
        "FCSDK_FUZZ_CORPUS": str(corpus),
        "FCSDK_FUZZ_STATS": str(stats),
        "FCSDK_FUZZ_FAILURES": str(failures),
    }
    command = [
        sys.executable,
        "-m",
        "fuzz.run",
        name,
        f"-max_total_time={args.seconds}",
        f"-timeout={args.timeout}",
        f"-rss_limit_mb={args.rss_limit_mb}",
        f"-artifact_prefix={failures}/",
        "-print_final_stats=1",
        str(corpus),
    ]
    started = time.monotonic()
    try:
        completed = subprocess.run(
            command,
            env=env,
            capture_output=True,
            timeout=args.seconds + 300,
            check=False,
        )
        output, code = completed.stdout + completed.stderr, completed.returncode
    except subprocess.TimeoutExpired as expired:
        output = (expired.stdout or b"") + (expired.stderr or b"")
        code = -1
    log.write_bytes(output)
    found: dict[str, Any] = {}
    runs = 0
    if stats.exists():
        recorded = json.loads(stats.read_text())
        found, runs = recorded["failures"], recorded["runs"]
    for pattern in (_EXECUTED, _DONE):
        match = pattern.search(output)
        if match:
            runs = max(runs, int(match.group(1)))
            break
    for marker, kind in _FATAL.items():
        if marker in output:
            found[kind] = {"count": 1, "input": str(failures), "message": kind}
    if code == -1:
        found["the run did not end in time"] = {"count": 1, "input": None, "message": ""}
    elif not found and code != 0:
        found[f"exit status {code}"] = {
            "count": 1,
            "input": None,
            "message": output[-500:].decode(errors="replace"),
        }
    return {
        "target": name,
        "runs": runs,
        "failures": found,
        "seconds": round(time.monotonic() - started),
        "log": str(log),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the targets one after another; print one line per target and each failure."""
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    if importlib.util.find_spec("atheris") is None:
        print("atheris is not installed: pip install atheris (make fuzz does)", file=sys.stderr)
        return 2
    names = args.targets or TARGET_NAMES
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"fuzzing {len(names)} target(s), {args.seconds} s each; work folder {args.out}")
    print(f"{'target':<15} {'inputs':>10} {'failures':>9} {'time':>6}")
    results = []
    for name in names:
        result = run_target(name, args)
        results.append(result)
        print(
            f"{name:<15} {result['runs']:>10} {len(result['failures']):>9} {result['seconds']:>5}s",
            flush=True,
        )
        for key, entry in result["failures"].items():
            print(f"    {key} (x{entry['count']}): {entry['message'][:160]}")
            if entry.get("input"):
                print(f"      reproducer: {entry['input']}")
    total_runs = sum(r["runs"] for r in results)
    total_failures = sum(len(r["failures"]) for r in results)
    print(f"{'total':<15} {total_runs:>10} {total_failures:>9}")
    (args.out / "summary.json").write_text(json.dumps(results, indent=1))
    return 1 if total_failures else 0


if __name__ == "__main__":
    sys.exit(main())
