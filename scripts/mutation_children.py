"""A pytest plugin for ``make mutation`` (scripts/mutation.py loads it into mutmut's pytest).

Tests that start the real server (``fcsdk serve``, ``fcsdk web``) run the mutated copy in a
child process: the child inherits ``MUTANT_UNDER_TEST`` and so runs the mutant under test,
which is what makes those tests count. While mutmut collects its stats, though, the value is
``stats``, and a child would try to record its calls: mutmut's configuration is then looked
for in the child's working directory, is not found, and the child dies at import. During
stats collection the child must run the original code, so the variable is taken out of the
environment; mutmut itself keeps the value in the process (its trampolines fall back to it).
"""

from __future__ import annotations

import os

import pytest

_NOT_A_MUTANT = ("stats", "list_all_tests")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before each test: no child started during stats collection sees mutmut's mode."""
    if os.environ.get("MUTANT_UNDER_TEST") in _NOT_A_MUTANT:
        del os.environ["MUTANT_UNDER_TEST"]
