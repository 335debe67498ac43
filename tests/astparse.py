"""``ast.parse`` that survives CPython 3.11's racy AST recursion check.

On 3.11, ``ast.parse`` can raise ``SystemError: AST constructor recursion
depth mismatch`` when another thread builds an AST at the same moment
(CPython gh-106905; 3.11's tracebacks build one to place their carets, so a
server thread of an earlier test logging an exception is enough). The error
says nothing about the source: parsing again gives the real tree.
"""

from __future__ import annotations

import ast


def parse(source: str) -> ast.Module:
    """Parse ``source``, trying again when CPython reports its spurious depth mismatch."""
    for _ in range(4):
        try:
            return ast.parse(source)
        except SystemError as exc:  # pragma: no cover - only when the race happens
            if "recursion depth mismatch" not in str(exc):
                raise
    return ast.parse(source)  # pragma: no cover - only when the race happens four times
