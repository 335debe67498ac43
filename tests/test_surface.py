"""Every public module's surface is its ``__all__``: nothing else shows, nothing is missing.

A public module is one whose dotted path has no part starting with ``_``.
The namespaces users browse (``fcsdk``, ``fcsdk.events``, ``fcsdk.testing``,
``fcsdk.web``) show nothing but ``__all__`` (and their submodules) in
``vars()`` and ``dir()``, as httpx pins its own; every public module lists,
in a sorted ``__all__``, each public class and function it defines.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from types import ModuleType

import pytest

import fcsdk
from tests.astparse import parse

PUBLIC_MODULES = sorted(
    {"fcsdk"}
    | {
        info.name
        for info in pkgutil.walk_packages(fcsdk.__path__, "fcsdk.")
        if not any(part.startswith("_") for part in info.name.split(".")[1:])
    }
)
NAMESPACES = ["fcsdk", "fcsdk.events", "fcsdk.testing", "fcsdk.web"]
# Modules whose public classes and functions are not all in their __all__ yet (none now:
# the web refactor of issue 11 settled the last ones). Remove an entry once it passes.
PENDING: dict[str, str] = {}


def public_all(module: ModuleType) -> list[str]:
    """Return the module's ``__all__``, failing if it has none."""
    names = getattr(module, "__all__", None)
    assert names is not None, f"{module.__name__} has no __all__"
    return list(names)


def defined_names(module: ModuleType) -> set[str]:
    """Return the public classes and functions defined at the top level of ``module``'s source."""
    tree = parse(inspect.getsource(module))
    kinds = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    return {
        node.name for node in tree.body if isinstance(node, kinds) and not node.name.startswith("_")
    }


def submodules(module: ModuleType) -> set[str]:
    """Return the names of ``module``'s direct submodules (imported or not)."""
    path = getattr(module, "__path__", None)
    return {info.name for info in pkgutil.iter_modules(path)} if path else set()


def test_the_list_of_public_modules_is_complete() -> None:
    """The walk finds the modules a user imports (a guard against an empty parametrize)."""
    assert {"fcsdk", "fcsdk.context", "fcsdk.events.oss", "fcsdk.testing.http"} <= set(
        PUBLIC_MODULES
    )
    assert set(NAMESPACES) <= set(PUBLIC_MODULES)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
class TestAll:
    def test_all_is_unique_and_resolves(self, name: str) -> None:
        """``__all__`` has no duplicate, and each name in it exists."""
        module = importlib.import_module(name)
        names = public_all(module)
        assert len(names) == len(set(names))
        missing = [n for n in names if not hasattr(module, n)]
        assert not missing, f"{name}.__all__ names what it does not have: {missing}"

    def test_every_public_definition_is_in_all(self, name: str) -> None:
        """Each public class and function a module defines is in its ``__all__`` (or private)."""
        if name in PENDING:
            pytest.xfail(f"{name}: {PENDING[name]} (the web refactor settles them)")
        module = importlib.import_module(name)
        left_out = sorted(defined_names(module) - set(public_all(module)))
        assert not left_out, (
            f"{name} defines {left_out} without exporting them: add them to __all__ "
            "or give them a leading underscore"
        )


@pytest.mark.parametrize("name", NAMESPACES)
class TestNamespaces:
    def test_all_is_sorted(self, name: str) -> None:
        """A namespace's ``__all__`` is in plain sorted order, as ``dir()`` shows it."""
        names = public_all(importlib.import_module(name))
        assert names == sorted(names)

    def test_vars_hold_only_public_names(self, name: str) -> None:
        """``vars()`` holds no public name outside ``__all__`` but submodules (no TYPE_CHECKING)."""
        module = importlib.import_module(name)
        stray = sorted(
            key
            for key, value in vars(module).items()
            if not key.startswith("_")
            and key not in public_all(module)
            and not isinstance(value, ModuleType)
        )
        assert not stray, f"vars({name}) shows helpers: {stray}"

    def test_dir_shows_only_public_names(self, name: str) -> None:
        """``dir()`` lists all of ``__all__`` and, besides dunders and submodules, nothing else."""
        module = importlib.import_module(name)
        shown = set(dir(module))
        assert set(public_all(module)) <= shown
        stray = sorted(
            key
            for key in shown - set(public_all(module)) - submodules(module)
            # pytest's assertion rewriting adds "@py_builtins" to the modules it rewrites
            if not key.startswith("__") and key.isidentifier()
        )
        assert not stray, f"dir({name}) shows helpers: {stray}"

    def test_every_name_in_all_survives_a_fresh_import(self, name: str) -> None:
        """Each name of ``__all__`` resolves on the namespace (lazy ones load on access)."""
        module = importlib.import_module(name)
        for attribute in public_all(module):
            assert getattr(module, attribute) is not None
