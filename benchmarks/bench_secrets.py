"""The secret registry: the cost of a new credential set and of a log line, as sets pile up.

A warm instance registers a new STS set (an access key secret and a security
token, as FC's look: 30 letters and digits, and ``CAIS`` + ~600 base64
characters) at every credential rotation; ``fcsdk serve`` one per run. The
registry never forgets a value, so what it costs must not grow with how
many it holds.

Measured in one process, on registries holding 1, 10, 100 and 1,000 sets:

* a new set: the time to register one more set;
* a log line: masking a 160-character access-log-like line that holds no
  secret (what almost every line is);
* a line with a token: masking a line carrying the last set's token in a
  presigned URL (percent-encoded).

Medians of 15 rounds, the four sizes measured in turn in each round.

Figures (no baseline but the registry itself): ``secrets.<what> at 1000
sets / at 1 set``, for each of the three; flat is 1.0. Run:
``python -m benchmarks bench_secrets``.
"""

from __future__ import annotations

import base64
import functools
import gc
import random
import statistics
import time
from collections.abc import Callable
from urllib.parse import quote

from benchmarks._runner import Case, Extra
from fcsdk._secrets import Registry

SIZES = (1, 10, 100, 1000)
LINE = (
    '2026-12-07T03:00:00.123Z 1-6789abcd-0123456789ab [INFO] 127.0.0.1 "GET /orders?id=42'
    '&page=3 HTTP/1.1" 200 3.2 ms user=alice region=cn-hangzhou trace=5f2c9a1b7e'
)


_SHARED = base64.b64encode(random.Random(0).randbytes(33)).decode("ascii")
"""STS tokens of one role share their first characters: the planted ones do too."""


def credentials(rng: random.Random) -> tuple[str, str]:
    """An access key secret and a security token shaped as FC's."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    secret = "".join(rng.choice(letters) for _ in range(30))
    token = "CAIS" + _SHARED + base64.b64encode(rng.randbytes(420)).decode("ascii")
    return secret, token


def _per_call(func: Callable[[], object], calls: int) -> float:
    gc.collect()  # each sample starts from the same state, as in benchmarks/_runner.py
    start = time.perf_counter()
    for _ in range(calls):
        func()
    return (time.perf_counter() - start) / calls


def measure(rng: random.Random, rounds: int = 15) -> dict[int, dict[str, float]]:
    """Seconds per new set, per plain line and per line with a token, at each size.

    The sizes are measured in turn, round after round (medians): the load of
    a shared machine falls on all of them alike.
    """
    registries = {}
    hits = {}
    for size in SIZES:
        registry = Registry()
        for _ in range(size):
            last = credentials(rng)
            registry.add(*last)
        hit = "presigned http://b.oss-cn-hangzhou.aliyuncs.com/k.txt?security-token="
        hits[size] = hit + quote(last[1], safe="") + "&Expires=1700000000"
        assert "***" in registry.mask(hits[size])
        assert registry.mask(LINE) == LINE
        registries[size] = registry
    samples: dict[int, dict[str, list[float]]] = {
        size: {"new set": [], "log line": [], "line with a token": []} for size in SIZES
    }
    for _ in range(rounds):
        for size, registry in registries.items():
            fresh = credentials(rng)
            gc.collect()
            start = time.perf_counter()
            registry.add(*fresh)
            samples[size]["new set"].append(time.perf_counter() - start)
            plain = functools.partial(registry.mask, LINE)
            samples[size]["log line"].append(_per_call(plain, 500))
            carrying = functools.partial(registry.mask, hits[size])
            samples[size]["line with a token"].append(_per_call(carrying, 200))
    return {
        size: {what: statistics.median(values) for what, values in row.items()}
        for size, row in samples.items()
    }


def cases() -> list[Case]:
    """No per-call case: the figures come from :func:`extra_report`."""
    return []


def extra_report(rounds: int = 15) -> Extra:
    """The three costs at 1, 10, 100 and 1,000 sets, and their ratios 1,000 / 1."""
    table = measure(random.Random(5), rounds)
    lines = [f"{'sets':>6}  {'new set':>10}  {'log line':>10}  {'line with a token':>18}"]
    for size, row in table.items():
        lines.append(
            f"{size:>6}  {row['new set'] * 1e6:>8.1f}us  {row['log line'] * 1e6:>8.2f}us"
            f"  {row['line with a token'] * 1e6:>16.1f}us"
        )
    figures = {
        f"secrets.{what} at 1000 sets / at 1 set": table[1000][what] / table[1][what]
        for what in ("new set", "log line", "line with a token")
    }
    lines += [f"{name}: {value:.2f}x" for name, value in figures.items()]
    return Extra(lines=lines, figures=figures)
