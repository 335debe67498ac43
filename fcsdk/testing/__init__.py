"""Test helpers: runtime-shaped fake contexts, ``invoke``, and (on first use) more.

Everything here runs without Docker or a cloud account::

    from fcsdk.testing import fake_context, invoke

    def test_main() -> None:
        assert invoke(main, {"order_id": "A1", "amount": 3}) == b'{"order_id":"A1","accepted":true}'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fcsdk.testing._context import RuntimeShape, fake_context
from fcsdk.testing._invoke import invoke

if TYPE_CHECKING:
    pass

# name -> module that defines it; imported on first attribute access.
_LAZY: dict[str, str] = {}

__all__ = [
    "RuntimeShape",
    "fake_context",
    "invoke",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'fcsdk.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
