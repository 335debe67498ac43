"""Lazy re-exports: a package names what it offers, and imports each on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["deprecated_aliases", "lazy_exports"]


def lazy_exports(
    package: str,
    namespace: dict[str, Any],
    exports: Mapping[str, str],
    public: Iterable[str],
    deprecated: Mapping[str, str] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return the module ``__getattr__`` and ``__dir__`` for ``package``.

    ``exports`` maps a name to the module that defines it; a name that is the
    module itself (``"events": "fcsdk.events"``) gives the module. The value is
    cached in ``namespace`` (the package's globals) after the first access.
    ``deprecated`` maps an old name to its new one (see :func:`deprecated_aliases`).
    ``dir()`` of the package lists ``public`` and the dunders only.
    """
    names = frozenset(public)
    old_names = deprecated_aliases(package, namespace, deprecated or {})

    def __getattr__(name: str) -> Any:
        module_name = exports.get(name)
        if module_name is None:
            return old_names(name)
        module = importlib.import_module(module_name)
        value = module if module_name == f"{package}.{name}" else getattr(module, name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        # The public names and the module's dunders: no imports or helpers.
        return sorted(names | {key for key in namespace if key.startswith("__")})

    return __getattr__, __dir__


def deprecated_aliases(
    module: str, namespace: Mapping[str, Any], renamed: Mapping[str, str]
) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` that serves old names with a :class:`DeprecationWarning`.

    ``renamed`` maps an old name to the new one; the value is looked up in
    ``namespace`` (the module's globals) or, for a lazy export, on the module,
    on every access, so that every use of an old name warns.
    """

    def __getattr__(name: str) -> Any:
        new = renamed.get(name)
        if new is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        import warnings

        warnings.warn(
            f"{module}.{name} is deprecated, use {module}.{new}; "
            "the old name goes in the next minor version",
            DeprecationWarning,
            stacklevel=2,
        )
        if new in namespace:
            return namespace[new]
        return getattr(importlib.import_module(module), new)

    return __getattr__
