"""fcsdk's layers point down: each part of the package imports only the layers beneath it.

The table below is the drawing of docs/architecture.md. Every module of
``fcsdk/`` belongs to one unit (a module or a package, with everything under
it); a module may import its own unit and any unit of a lower layer, never a
unit of its own layer (sideways) or of a layer above. Every kind of import
counts: at module level, inside a function (deferred), under
``if TYPE_CHECKING:`` (type-only), and modules named in a lazy-export or
command table (by name). Doctests are strings and do not count.

To place a new module, add it (or its package) to the row it belongs to;
to let one part use another, move a row, never add an exception.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.astparse import parse

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fcsdk"

# Lowest layer first. "fcsdk" alone is the top-level package's __init__.py.
LAYERS: list[tuple[str, ...]] = [
    # the error tree
    ("fcsdk.exceptions",),
    # small private helpers with no fcsdk dependency but the errors
    (
        "fcsdk._types",
        "fcsdk._lazy",
        "fcsdk._secrets",
        "fcsdk._invocation",
        "fcsdk._aio",
        "fcsdk._context_parts",
        "fcsdk._decode",
        "fcsdk._runtime",
        "fcsdk._project",
    ),
    # the models and services a handler uses
    ("fcsdk._context_reader", "fcsdk.events", "fcsdk.logging", "fcsdk.oss", "fcsdk.tracing"),
    ("fcsdk.context", "fcsdk._platform"),
    ("fcsdk.handler",),
    # HTTP: the places, Request/Response, the apps
    ("fcsdk.web",),
    # idempotency: over handlers and HTTP answers, stores on Redis and OSS
    ("fcsdk.idempotency",),
    # the local tools: the runtime stand-in, serve's server, the local OSS server; and the
    # web function's server (custom runtime), on uvicorn
    ("fcsdk._local", "fcsdk._ship", "fcsdk.webfunction"),
    # the public test kit, a thin face over the layers below
    ("fcsdk.testing",),
    # `import fcsdk`: the curated re-exports (lazily up to fcsdk.testing)
    ("fcsdk",),
    ("fcsdk._scaffold",),
    # the command line, on top
    ("fcsdk._cli",),
    ("fcsdk.cli",),
    ("fcsdk.__main__",),
]

LAYER_OF: dict[str, int] = {unit: index for index, row in enumerate(LAYERS) for unit in row}


def module_name(path: Path) -> str:
    """Return the dotted name of the module at ``path`` under the repository root."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def unit_of(module: str) -> str | None:
    """Return the unit of ``LAYERS`` that ``module`` belongs to (the longest match), if any."""
    best: str | None = None
    for unit in LAYER_OF:
        inside = module == unit or (unit != "fcsdk" and module.startswith(unit + "."))
        if inside and (best is None or len(unit) > len(best)):
            best = unit
    return best


@dataclass(frozen=True)
class Import:
    """One import of an fcsdk module by another."""

    source: str
    target: str
    line: int
    kind: str  # "import", "deferred", "type-only" or "by name"

    def where(self) -> str:
        """Return ``path:line`` of the import."""
        path = MODULES.get(self.source)
        shown = path.relative_to(ROOT) if path else self.source
        return f"{shown}:{self.line}"


def _is_type_checking(test: ast.expr) -> bool:
    """Tell whether an ``if`` test is ``TYPE_CHECKING`` (or ``typing.TYPE_CHECKING``)."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def imports_of(
    source: str, name: str, *, is_package: bool, known: Iterable[str] = ()
) -> list[Import]:
    """Return every import of an ``fcsdk`` module in ``source``, the code of module ``name``.

    ``from fcsdk.x import y`` counts as importing ``fcsdk.x.y`` when that is a
    module in ``known``, else ``fcsdk.x``. Strings count when they name a known
    module as a dict value (``_LAZY = {"Request": "fcsdk.web"}``), as the first
    item of a tuple in one (the CLI's command table), or as the argument of
    ``import_module``.
    """
    modules = set(known)
    package = name if is_package else name.rpartition(".")[0]
    found: list[Import] = []

    def add(target: str, node: ast.AST, kind: str) -> None:
        if target == "fcsdk" or target.startswith("fcsdk."):
            found.append(Import(name, target, getattr(node, "lineno", 0), kind))

    def named(node: ast.expr | None, kind: str) -> None:
        if isinstance(node, ast.Tuple) and node.elts:
            node = node.elts[0]
        if isinstance(node, ast.Constant) and node.value in modules:
            add(str(node.value), node, "by name")

    def look(node: ast.AST, kind: str) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node, kind)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            for alias in node.names:
                sub = f"{origin}.{alias.name}"
                add(sub if sub in modules else origin, node, kind)
        elif isinstance(node, ast.Dict):
            for value in node.values:
                named(value, kind)
        elif isinstance(node, ast.Call):
            func = node.func
            callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if callee == "import_module" and node.args:
                named(node.args[0], kind)

    def walk(node: ast.AST, kind: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for sub in child.body:
                    look(sub, "type-only")
                    walk(sub, "type-only")
                for sub in child.orelse:
                    look(sub, kind)
                    walk(sub, kind)
                continue
            inner = kind
            if kind == "import" and isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            ):
                inner = "deferred"
            look(child, inner)
            walk(child, inner)

    walk(parse(source), "import")
    return found


def all_imports() -> Iterator[Import]:
    """Yield every import of an fcsdk module by a module of ``fcsdk/``."""
    for name, path in MODULES.items():
        yield from imports_of(
            path.read_text(encoding="utf-8"),
            name,
            is_package=path.name == "__init__.py",
            known=MODULES,
        )


def violations(imports: Iterable[Import]) -> list[str]:
    """Return a readable line for each import that does not point down."""
    problems = []
    for imp in imports:
        source_unit, target_unit = unit_of(imp.source), unit_of(imp.target)
        if source_unit is None or target_unit is None or source_unit == target_unit:
            continue  # unplaced modules are reported by their own test
        above, below = LAYER_OF[source_unit], LAYER_OF[target_unit]
        if below < above:
            continue
        how = "sideways, in its own layer" if below == above else "upwards"
        problems.append(
            f"{imp.where()} imports {imp.target} ({imp.kind}): {source_unit} "
            f"(layer {above}) may not import {target_unit} (layer {below}), {how}"
        )
    return list(dict.fromkeys(problems))  # one line per import statement


def cycles(imports: Iterable[Import]) -> list[list[str]]:
    """Return the import cycles between modules (strongly connected components), sorted."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.source != imp.target:
            graph.setdefault(imp.source, set()).add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


class TestTheTable:
    def test_every_module_has_a_layer(self) -> None:
        """Every module of fcsdk/ belongs to a unit of LAYERS."""
        unplaced = [
            f"{path.relative_to(ROOT)} ({name}) is in no layer: add it to LAYERS in {__file__}"
            for name, path in MODULES.items()
            if unit_of(name) is None
        ]
        assert not unplaced, "\n".join(unplaced)

    def test_each_unit_is_listed_once(self) -> None:
        """No unit appears in two rows (the drawing would be ambiguous)."""
        units = [unit for row in LAYERS for unit in row]
        assert len(units) == len(set(units))


class TestImportsPointDown:
    def test_no_import_points_up_or_sideways(self) -> None:
        """No module of fcsdk/ imports a unit of its own layer or of a layer above."""
        problems = violations(all_imports())
        assert not problems, "imports against the layering:\n" + "\n".join(problems)

    def test_no_import_cycles_between_modules(self) -> None:
        """No two modules import each other, even through deferred or type-only imports."""
        found = cycles(all_imports())
        assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)

    def test_product_never_imports_testing_or_the_cli(self) -> None:
        """Whatever the table says: only the re-exports and the CLI reach testing and the CLI."""
        cli = {"fcsdk._cli", "fcsdk.cli", "fcsdk.__main__"}
        may = {"fcsdk.testing": {"fcsdk.testing", "fcsdk", *cli}, **dict.fromkeys(cli, cli)}
        offenders = [
            f"{imp.where()} imports {imp.target} ({imp.kind})"
            for imp in all_imports()
            if unit_of(imp.target) in may
            and unit_of(imp.source) not in may[str(unit_of(imp.target))]
        ]
        assert not offenders, "\n".join(offenders)


class TestTheChecker:
    """The checker itself: it must see every kind of import, or the tests above prove nothing."""

    SOURCE = '''
"""A doctest mentions fcsdk.testing: >>> from fcsdk.testing import invoke"""
from typing import TYPE_CHECKING
import fcsdk.web
from fcsdk import _secrets, exceptions
from . import handler
from ..testing import http as _http

if TYPE_CHECKING:
    from fcsdk.context import FCContext
else:
    from fcsdk.logging import logger

_LAZY = {"x": "fcsdk.events", "name": "not a module"}
COMMANDS = {"serve": ("fcsdk._cli.serve", "help")}

def later():
    from fcsdk._cli.serve import run
    import importlib
    return importlib.import_module("fcsdk.oss")

logger_name = "fcsdk.web"
'''
    KNOWN = (
        "fcsdk",
        "fcsdk.web",
        "fcsdk._secrets",
        "fcsdk.exceptions",
        "fcsdk._local.handler",
        "fcsdk.testing.http",
        "fcsdk.context",
        "fcsdk.logging",
        "fcsdk.events",
        "fcsdk._cli.serve",
        "fcsdk.oss",
    )

    def found(self) -> set[tuple[str, int, str]]:
        """Return (target, line, kind) for each import the checker sees in SOURCE."""
        imports = imports_of(
            self.SOURCE, "fcsdk._local.instance", is_package=False, known=self.KNOWN
        )
        return {(imp.target, imp.line, imp.kind) for imp in imports}

    def test_sees_every_kind_of_import(self) -> None:
        """Module-level, relative, from-package, type-only, deferred and by-name imports count."""
        assert self.found() == {
            ("fcsdk.web", 4, "import"),
            ("fcsdk._secrets", 5, "import"),
            ("fcsdk.exceptions", 5, "import"),
            ("fcsdk._local.handler", 6, "import"),
            ("fcsdk.testing.http", 7, "import"),
            ("fcsdk.context", 10, "type-only"),
            ("fcsdk.logging", 12, "import"),
            ("fcsdk.events", 14, "by name"),
            ("fcsdk._cli.serve", 15, "by name"),
            ("fcsdk._cli.serve", 18, "deferred"),
            ("fcsdk.oss", 20, "by name"),
        }

    def test_reports_an_upward_import_by_file_line_and_layers(self) -> None:
        """An upward import is reported with where it is, what it imports and why it may not."""
        upward = Import("fcsdk._local.trigger", "fcsdk.testing", 12, "deferred")
        sideways = Import("fcsdk._local.trigger", "fcsdk._ship.build", 13, "import")
        down = Import("fcsdk._local.trigger", "fcsdk._platform.http", 14, "import")
        local, testing = LAYER_OF["fcsdk._local"], LAYER_OF["fcsdk.testing"]
        assert violations([upward, sideways, down]) == [
            f"fcsdk/_local/trigger.py:12 imports fcsdk.testing (deferred): fcsdk._local "
            f"(layer {local}) may not import fcsdk.testing (layer {testing}), upwards",
            f"fcsdk/_local/trigger.py:13 imports fcsdk._ship.build (import): fcsdk._local "
            f"(layer {local}) may not import fcsdk._ship (layer {local}), "
            "sideways, in its own layer",
        ]

    def test_finds_a_cycle_hidden_by_a_deferred_import(self) -> None:
        """Two modules importing each other are a cycle, whatever kind the imports are."""
        there = Import("fcsdk.context", "fcsdk.oss", 1, "deferred")
        back = Import("fcsdk.oss", "fcsdk.context", 2, "type-only")
        assert cycles([there, back, Import("fcsdk.oss", "fcsdk.exceptions", 3, "import")]) == [
            ["fcsdk.context", "fcsdk.oss"]
        ]

    @pytest.mark.parametrize(
        ("module", "unit"),
        [
            ("fcsdk", "fcsdk"),
            ("fcsdk.web.request", "fcsdk.web"),
            ("fcsdk._local.oss.server", "fcsdk._local"),
            ("fcsdk.webby", None),
            ("fcsdk.exceptions", "fcsdk.exceptions"),
        ],
    )
    def test_unit_of(self, module: str, unit: str | None) -> None:
        """A module belongs to the longest unit that contains it; the root holds only itself."""
        assert unit_of(module) == unit
