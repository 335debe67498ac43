"""The quickstart's Deploy section, followed as files: index.py, requirements.txt, the commands.

The page says what to put in which file and what to type; this test does
exactly that in an empty folder (resolving pydantic from the package index,
and fcsdk from this checkout as `fcsdk package` does when no index serves
it) and checks that the zip it ends with runs the handler.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

import fcsdk
from fcsdk.cli import main
from tests._ship.helpers import ROOT, names, runtime_python

QUICKSTART = ROOT / "docs" / "quickstart.md"
FENCE = re.compile(r"^```[a-z]*[^\n]*\n(.*?)^```", re.DOTALL | re.MULTILINE)  # a title may follow


def file_block(text: str, name: str) -> str:
    """The fenced block right after the line ```name`:``, which says what goes in that file."""
    start = text.index(f"`{name}`:\n")
    found = FENCE.search(text, start)
    assert found is not None, name
    return found.group(1)


def deploy_commands(text: str) -> list[list[str]]:
    """The ``$ fcsdk ...`` lines of the Deploy section's console blocks."""
    start = text.index("## Deploy\n")
    section = text[start : text.index("\n## ", start + 1)]
    blocks = re.findall(r"^```console\n(.*?)^```", section, re.DOTALL | re.MULTILINE)
    return [shlex.split(line[2:]) for b in blocks for line in b.splitlines() if line[:2] == "$ "]


@pytest.mark.slow
class TestQuickstartDeploy:
    def test_the_pages_files_and_commands_end_in_a_zip_that_runs(
        self,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """index.py and requirements.txt as the page gives them; package, then coldstart: exit 0."""
        runtime_python("3.12")  # coldstart runs the zip with the runtime's Python
        text = QUICKSTART.read_text(encoding="utf-8")
        project = tmp_path / "orders"
        project.mkdir()
        (project / "index.py").write_text(file_block(text, "index.py"))
        requirements = file_block(text, "requirements.txt")
        assert requirements == f"fcsdk=={fcsdk.__version__}\n"
        (project / "requirements.txt").write_text(requirements)
        monkeypatch.chdir(project)
        commands = deploy_commands(text)
        assert [c[:2] for c in commands] == [["fcsdk", "package"], ["fcsdk", "coldstart"]]
        for command in commands:
            assert main(command[1:]) == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        zip_path = project / "dist" / "orders-python3.12.zip"
        assert out.startswith("dist/orders-python3.12.zip: ")
        listed = names(zip_path)
        assert {"index.py", "fcsdk/__init__.py", "pydantic/__init__.py"} <= set(listed)
        assert "index.main on Python 3.12" in out
