"""Every docstring example in every fcsdk module runs as written.

The modules are found by walking the package, so a new module's examples run
without being listed anywhere.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import fcsdk

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(fcsdk.__path__, "fcsdk.")
    if not info.name.endswith("__main__")
)


def test_the_walk_finds_the_package() -> None:
    """The walk reaches the deep modules too (a broken walk would pass every example)."""
    assert {"fcsdk.web.places.wsgi", "fcsdk._local.oss.server", "fcsdk._cli._arguments"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The module's examples all pass (a module without examples passes trivially)."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_examples_are_many() -> None:
    """Most of the package carries examples: fewer than 250 means the runner lost them."""
    finder = doctest.DocTestFinder()
    count = sum(
        len(test.examples)
        for name in MODULES
        for test in finder.find(importlib.import_module(name))
    )
    assert count >= 250
