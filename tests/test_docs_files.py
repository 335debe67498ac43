"""Every snippet a page says to put in a file runs as that file.

A block opened as ```python title="tests/test_index.py"``` (mkdocs-material
shows the title above it) is written to that path of a fresh project folder,
with the page's other titled blocks. Then, from that folder, as the page's
reader would: each test file (``test_*.py``) runs under ``python -m pytest``,
and every other Python file under ``python FILE``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
FILE_BLOCK = re.compile(r'^```(\w+) title="([^"]+)"\n(.*?)^```', re.DOTALL | re.MULTILINE)


def file_blocks(text: str) -> dict[str, str]:
    """Return ``{path: content}`` for the titled blocks of a page (a later block wins)."""
    return {title: body for _, title, body in FILE_BLOCK.findall(text)}


PAGES_WITH_FILES = [page for page in PAGES if file_blocks(page.read_text(encoding="utf-8"))]


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a command in the project folder, fcsdk importable from this checkout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("FCSDK_OSS_ENDPOINT", None)
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False, env=env
    )


class TestFileSnippets:
    @pytest.mark.parametrize("page", PAGES_WITH_FILES, ids=lambda p: p.name)
    def test_page_files_run_as_files(self, page: Path, tmp_path: Path) -> None:
        """The page's files, written out, run: pytest on its tests, python on the rest."""
        blocks = file_blocks(page.read_text(encoding="utf-8"))
        for title, body in blocks.items():
            path = tmp_path / PurePosixPath(title)
            assert tmp_path in path.resolve().parents, f"{title} leaves the project"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
        python = [PurePosixPath(t) for t in blocks if t.endswith(".py")]
        tests = [t for t in python if t.name.startswith("test_")]
        for script in [t for t in python if t not in tests]:
            result = run([sys.executable, str(script)], tmp_path)
            assert result.returncode == 0, f"python {script}:\n{result.stdout}{result.stderr}"
        for test in tests:
            result = run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)],
                tmp_path,
            )
            assert result.returncode == 0, f"pytest {test}:\n{result.stdout}{result.stderr}"
            assert " passed" in result.stdout
            assert "skipped" not in result.stdout

    def test_the_guides_mark_their_files(self) -> None:
        """The quickstart's handler and test, and the testing guide's test file, are marked."""
        quickstart = file_blocks((ROOT / "docs" / "quickstart.md").read_text(encoding="utf-8"))
        assert {"index.py", "tests/test_index.py"} <= quickstart.keys()
        testing = file_blocks((ROOT / "docs" / "testing.md").read_text(encoding="utf-8"))
        assert any(PurePosixPath(t).name.startswith("test_") for t in testing)

    def test_a_failing_file_fails(self, tmp_path: Path) -> None:
        """The old quickstart test (no import of main) fails the way the harness runs it."""
        (tmp_path / "tests").mkdir()
        (tmp_path / "tests" / "test_index.py").write_text(
            "from fcsdk.testing import invoke\n\n\ndef test_main() -> None:\n"
            "    assert invoke(main, {}) == b''\n\n\ntest_main()\n"
        )
        result = run([sys.executable, "-m", "pytest", "-q", "tests/test_index.py"], tmp_path)
        assert result.returncode != 0
        assert "NameError" in result.stdout
