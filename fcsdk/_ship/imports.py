"""What a project's code imports that nothing in its package provides.

A package built from code that imports ``fcsdk`` and ``pydantic`` but
declares no requirements is a zip that fails on its first cold start with
``No module named 'fcsdk'``. The project's modules are parsed (never run) for
their absolute imports; a name that is neither the standard library's, nor
one of the project's own modules, nor installed from the requirements is
missing. Imports inside a ``try`` are left alone: they are usually optional.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["missing_imports", "requirement_hint", "top_level_names"]

# What fcsdk brings with it: requiring fcsdk provides these too.
_WITH_FCSDK = {"pydantic", "pydantic_core", "typing_extensions", "annotated_types"}


def _imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Try):
            return  # `try: import x except ImportError:` is an optional import
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".", 1)[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".", 1)[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def top_level_names(paths: Iterable[str]) -> set[str]:
    """The importable top-level names of archive paths: ``pkg/x.py`` gives ``pkg``."""
    names: set[str] = set()
    for rel in paths:
        top = rel.split("/", 1)[0]
        if top.endswith((".dist-info", ".data")):
            continue
        names.add(top.split(".", 1)[0])
    return names


def missing_imports(code: dict[str, Path], provided: set[str]) -> dict[str, list[str]]:
    """Each imported top-level name no one provides, with the files (archive paths) importing it.

    Args:
        code: the project's own files, archive path -> file.
        provided: the names the dependencies install.
    """
    known = set(sys.stdlib_module_names) | {"__future__"} | provided
    # Every module and package of the project, at any depth: a handler in src/ imports
    # its neighbours by their own names (the handler's folder is on its import path).
    known |= {part.split(".", 1)[0] for rel in code for part in rel.split("/")}
    missing: dict[str, list[str]] = {}
    for rel, path in sorted(code.items()):
        if not rel.endswith(".py"):
            continue
        try:
            tree = ast.parse(path.read_bytes(), filename=rel)
        except (SyntaxError, ValueError, OSError):
            continue  # a module that does not parse is reported by the bytecode step
        for name in sorted(_imports(tree) - known):
            missing.setdefault(name, []).append(rel)
    if "fcsdk" in missing:
        for name in _WITH_FCSDK:
            missing.pop(name, None)
    return missing


def _fcsdk_pin() -> str:
    """``fcsdk==<the installed version>``, or ``fcsdk`` when its metadata is missing."""
    from importlib import metadata

    try:
        return f"fcsdk=={metadata.version('fcsdk')}"
    except metadata.PackageNotFoundError:  # a checkout never installed
        return "fcsdk"


def requirement_hint(missing: dict[str, list[str]]) -> tuple[str, str]:
    """``index.py imports fcsdk, pydantic``, and the ``requirements.txt`` lines to add."""
    files = sorted({f for users in missing.values() for f in users})
    shown = ", ".join(files[:3]) + (" …" if len(files) > 3 else "")
    lines = []
    for name in sorted(missing):
        lines.append(f"    {_fcsdk_pin()}" if name == "fcsdk" else f"    {name}")
    names = ", ".join(sorted(missing))
    return f"{shown} import{'s' if len(files) == 1 else ''} {names}", "\n".join(lines)
