"""Every fuzz target (fuzz/targets.py) over its seed inputs, without atheris (fuzz/seeds.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz.__main__ import TARGET_NAMES

ROOT = Path(__file__).resolve().parents[1]


def seeds(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m fuzz.seeds`` (its own process: the targets set up logging and a server)."""
    return subprocess.run(
        [sys.executable, "-m", "fuzz.seeds", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.slow
def test_every_target_passes_its_seeds() -> None:
    """Each target answers every seed (and every seed cut in half) without a failure."""
    result = seeds()
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert sorted(counts) == sorted(TARGET_NAMES)  # python -m fuzz runs the same targets
    for name, count in counts.items():
        assert count["inputs"] >= 2, name
        assert count["failed"] == 0, name


@pytest.mark.slow
def test_unknown_target() -> None:
    """An unknown target name is refused with the known ones."""
    result = seeds("nope")
    assert result.returncode == 2
    assert "unknown target(s): nope" in result.stdout
