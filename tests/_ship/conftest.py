"""Fixtures of the _ship tests: a local wheelhouse, and fcsdk's own wheel."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fcsdk._ship.requirements import PipOptions
from tests._ship.helpers import ROOT, make_wheelhouse


@pytest.fixture
def wheelhouse(tmp_path: Path) -> Path:
    """A local index: a pure wheel, one that needs another, and one built for Windows only."""
    return make_wheelhouse(tmp_path / "wheelhouse")


@pytest.fixture
def local(wheelhouse: Path) -> PipOptions:
    """pip options that resolve only from the local wheelhouse."""
    return PipOptions(find_links=(str(wheelhouse),), no_index=True)


@pytest.fixture(scope="module", autouse=True)
def _pip_runs_unmeasured() -> Iterator[None]:
    """pip's subprocesses run no fcsdk code: keep coverage's start-up hook out of them.

    Under ``coverage run`` (``patch = subprocess``) every child Python starts
    a tracer, which makes pip several times slower for nothing to measure.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("COVERAGE_PROCESS_CONFIG", raising=False)
        patch.delenv("COVERAGE_PROCESS_START", raising=False)
        yield


@pytest.fixture(scope="module")
def fcsdk_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a wheel of fcsdk built from this checkout (fcsdk is not on PyPI)."""
    out = tmp_path_factory.mktemp("fcsdk-wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out)]
    try:
        import hatchling  # noqa: F401

        cmd.append("--no-build-isolation")
    except ModuleNotFoundError:  # pragma: no cover - the dev venv usually has hatchling
        pass
    subprocess.run([*cmd, str(ROOT)], check=True, timeout=300, capture_output=True)
    return out
