"""scripts/find-python.sh and scripts/test-on-python.sh: how make test finds FC's Pythons."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
THIS = f"{sys.version_info.major}.{sys.version_info.minor}"


def script(name: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``sh scripts/NAME ARGS`` from the project root with exactly ``env`` (plus PATH)."""
    return subprocess.run(
        ["sh", f"scripts/{name}", *args],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def link(folder: Path, name: str, target: str) -> Path:
    """``folder/name`` pointing at ``target``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).symlink_to(target)
    return folder / name


@pytest.mark.slow
class TestFindPython:
    def test_on_path_first(self, tmp_path: Path) -> None:
        """A working pythonX.Y on PATH is chosen."""
        found = link(tmp_path / "bin", f"python{THIS}", sys.executable)
        env = {"PATH": f"{found.parent}:/usr/bin:/bin", "PYENV_ROOT": str(tmp_path / "none")}
        result = script("find-python.sh", THIS, env=env)
        assert (result.returncode, result.stdout.strip()) == (0, str(found))

    def test_pyenv_versions_newest_patch(self, tmp_path: Path) -> None:
        """Else the newest in pyenv's versions folder; a broken shim on PATH is passed over."""
        shim = tmp_path / "shims" / f"python{THIS}"
        shim.parent.mkdir()
        shim.write_text("#!/bin/sh\nexec /bin/false\n")  # pyenv's shim for a version not selected
        shim.chmod(0o755)
        versions = tmp_path / "pyenv" / "versions"
        link(versions / f"{THIS}.1" / "bin", "python", sys.executable)
        newest = link(versions / f"{THIS}.10" / "bin", "python", sys.executable)
        env = {"PATH": f"{shim.parent}:/usr/bin:/bin", "PYENV_ROOT": str(tmp_path / "pyenv")}
        result = script("find-python.sh", THIS, env=env)
        assert (result.returncode, result.stdout.strip()) == (0, str(newest))

    def test_wrong_version_is_not_taken(self, tmp_path: Path) -> None:
        """An interpreter named pythonX.Y that is another version is not taken; none is exit 1."""
        link(tmp_path / "bin", "python3.99", sys.executable)
        env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "PYENV_ROOT": str(tmp_path / "none")}
        result = script("find-python.sh", "3.99", env=env)
        assert result.returncode == 1
        assert "no Python 3.99" in result.stderr


@pytest.mark.slow
class TestTestOnPython:
    def test_missing_fails_in_ci(self, tmp_path: Path) -> None:
        """Under CI=true a missing runtime Python fails the run, naming it."""
        result = script(
            "test-on-python.sh", "3.99", env={"CI": "true", "PYENV_ROOT": str(tmp_path)}
        )
        assert result.returncode == 1
        assert "Python 3.99 is required in CI" in result.stderr

    def test_missing_is_a_loud_skip_elsewhere(self, tmp_path: Path) -> None:
        """Outside CI a missing runtime Python is skipped, saying so."""
        env = {"PYENV_ROOT": str(tmp_path), "HOME": os.environ.get("HOME", "/")}
        result = script("test-on-python.sh", "3.99", env=env)
        assert result.returncode == 0
        assert "SKIPPED Python 3.99" in result.stderr
