"""The suite's warning filters: oss2 compiled from source, with no bytecode yet, still imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.parametrize("config", ["pyproject.toml", "none"])
def test_oss2_imports_from_source_under_warnings_as_errors(tmp_path: Path, config: str) -> None:
    """With a fresh bytecode cache oss2 compiles and imports under the suite's filters only."""
    (tmp_path / "test_imports.py").write_text(
        '"""Import oss2 for the first time."""\n\n\n'
        "def test_import() -> None:\n"
        '    """oss2 imports."""\n'
        "    import oss2\n\n"
        "    assert oss2.Bucket\n"
    )
    # pycache_prefix points Python at an empty cache: every module is compiled from source.
    options = ["-c", str(ROOT / "pyproject.toml")] if config != "none" else ["-W", "error"]
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            f"pycache_prefix={tmp_path / 'pycache'}",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            *options,
            str(tmp_path / "test_imports.py"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if config == "none":  # the check itself: without the filters the import really fails
        assert result.returncode != 0
        assert "invalid escape sequence" in result.stdout + result.stderr
    else:
        assert result.returncode == 0, result.stdout + result.stderr
