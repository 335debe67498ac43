"""Finding a web function in its module: ``app``, ``handler`` and the lifecycle hooks.

``python3 -m fcsdk web index`` imports ``index`` (from the current folder,
as FC's startup command runs in ``/code``) and serves its ``app`` for HTTP
requests and its ``handler`` for ``POST /invoke``; the ``@fc.initializer``,
``@fc.pre_stop`` and ``@fc.pre_freeze`` hooks defined in the module run at
the instance's start and stop, in the order the module defines them. A
``WebFunction`` the module builds itself (``app = WebFunction(...)``) is
served as it is.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from fcsdk.exceptions import ConfigurationError, ImportModuleError, UserCodeError
from fcsdk.handler import LifecycleHook
from fcsdk.webfunction.app import DEFAULT_THREADS, WebFunction

__all__ = ["load"]


def _import(module_name: str, app_dir: str) -> Any:
    folder = os.path.abspath(app_dir)
    if sys.path[:1] != [folder]:
        sys.path.insert(0, folder)
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.split(".", maxsplit=1)[0] == exc.name.split(".")[0]:
            raise ImportModuleError(
                f"cannot import the web function's module {module_name!r}: "
                f"no module named {exc.name!r} in {folder}"
            ) from exc
        raise ImportModuleError(
            f"cannot import the web function's module {module_name!r}: {exc}"
        ) from exc
    except ImportError as exc:
        raise ImportModuleError(
            f"cannot import the web function's module {module_name!r}: {exc}"
        ) from exc
    except Exception as exc:
        raise UserCodeError(
            f"the web function's module {module_name!r} raised while being imported: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def load(
    target: str,
    *,
    app_name: str = "app",
    handler_name: str = "handler",
    app_dir: str = ".",
    threads: int = DEFAULT_THREADS,
) -> WebFunction:
    """Import ``target`` (``module`` or ``module:app``) and build its :class:`WebFunction`.

    Raises:
        ImportModuleError: the module cannot be found or one of its imports failed.
        UserCodeError: the module raised while being imported.
        ConfigurationError: the module has neither the app nor the handler.
    """
    module_name, _, attribute = target.partition(":")
    if not module_name:
        raise ConfigurationError(f"no module named in {target!r}: expected MODULE or MODULE:APP")
    module = _import(module_name, app_dir)
    app = getattr(module, attribute or app_name, None)
    if isinstance(app, WebFunction):
        return app
    handler = getattr(module, handler_name, None)
    if app is None and handler is None:
        raise ConfigurationError(
            f"module {module_name!r} defines neither {attribute or app_name!r} (the HTTP app) "
            f"nor {handler_name!r} (the event handler)"
        )
    hooks: dict[str, list[LifecycleHook]] = {"initializer": [], "pre_stop": [], "pre_freeze": []}
    for value in vars(module).values():
        if isinstance(value, LifecycleHook) and value.kind in hooks:
            hooks[value.kind].append(value)
    return WebFunction(
        app,
        handler=handler,
        initializers=hooks["initializer"],
        pre_stops=hooks["pre_stop"],
        pre_freezes=hooks["pre_freeze"],
        threads=threads,
    )
