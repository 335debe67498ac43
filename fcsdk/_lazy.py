"""Lazy re-exports: a package names what it offers, and imports each on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str,
    namespace: dict[str, Any],
    exports: Mapping[str, str],
    public: Iterable[str],
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the module ``__getattr__`` and ``__dir__`` for ``package``.

    ``exports`` maps a name to the module that defines it; a name that is the
    module itself (``"events": "fcsdk.events"``) gives the module. The value is
    cached in ``namespace`` (the package's globals) after the first access.
    ``dir()`` of the package lists ``public`` and the dunders only.
    """
    names = frozenset(public)

    def __getattr__(name: str) -> Any:
        module_name = exports.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(module_name)
        value = module if module_name == f"{package}.{name}" else getattr(module, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        # The public names and the module's dunders: no imports or helpers.
        return sorted(names | {key for key in namespace if key.startswith("__")})

    return __getattr__, __dir__
