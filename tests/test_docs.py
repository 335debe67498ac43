"""Every ```python block in docs/ and README.md runs, in order, page by page."""

from __future__ import annotations

import logging
import os
import re
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
# Untitled blocks, and blocks titled as a module the page's later blocks use
# (```python title="index.py"```); test files run under pytest in test_docs_files.py.
BLOCK = re.compile(
    r'^```python(?: title="(?![^"]*\btest_)[^"]*")?\n(.*?)^```', re.DOTALL | re.MULTILINE
)


def python_blocks(page: Path) -> list[str]:
    """Return the ```python blocks of a Markdown page."""
    return BLOCK.findall(page.read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_examples_run(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's Python examples run as written, sharing one namespace."""
    monkeypatch.chdir(ROOT)
    modules_before = set(sys.modules)
    environ_before = dict(os.environ)
    root = logging.getLogger()  # the logging page's examples set up the root logger
    root_before = (root.level, list(root.handlers))
    module = types.ModuleType(f"docs_{page.stem}")
    sys.modules[module.__name__] = module  # pydantic generics look up their caller's module
    namespace = module.__dict__
    try:
        for number, block in enumerate(python_blocks(page), start=1):
            code = compile(block, f"{page.name}[block {number}]", "exec")
            exec(code, namespace)
    finally:
        os.environ.clear()
        os.environ.update(environ_before)
        root.setLevel(root_before[0])
        root.handlers[:] = root_before[1]
        for name in set(sys.modules) - modules_before:
            if name.startswith("docs_"):
                del sys.modules[name]


def test_docs_have_examples() -> None:
    """The guides carry runnable examples (the test above is not vacuous)."""
    assert sum(len(python_blocks(page)) for page in PAGES) >= 10
