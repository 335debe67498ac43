"""A pure-Python stand-in for the FC Python runtime's calling conventions.

Used by ``fcsdk.testing.invoke`` and the ``fcsdk invoke`` command: loading a
handler from its handler string, turning a handler's return value into what
the runtime sends, and turning an exception into the runtime's error JSON.
"""

from __future__ import annotations

import datetime
import decimal
import importlib
import inspect
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import CoroutineType
from typing import Any

from fcsdk.exceptions import (
    ConfigurationError,
    HandlerNotFound,
    ImportModuleError,
    InvalidHandleName,
    UserCodeError,
    UserCodeSyntaxError,
)

__all__ = [
    "call_event_handler",
    "error_payload",
    "is_asgi_app",
    "is_wsgi_app",
    "load_error_frames",
    "load_handler",
    "not_awaited_by_runtime",
    "runtime_result",
]

# Frames that are not the user's: fcsdk itself and the import machinery.
_FCSDK_DIR = str(Path(__file__).resolve().parent) + os.sep
_IMPORTLIB_DIR = str(Path(importlib.__file__).resolve().parent) + os.sep


def _split_handler(handler: str) -> tuple[str, str, Path | None]:
    """Return ``(module_name, function_name, file_path_or_None)`` for a handler string."""
    if ":" in handler and handler.split(":", 1)[0].endswith(".py"):
        file_part, _, function_name = handler.rpartition(":")
        if not function_name:
            raise InvalidHandleName(f"Invalid handler '{handler}': nothing after ':'")
        path = Path(file_part)
        return path.stem, function_name, path
    if handler.count(":") == 1 and all(handler.split(":")):
        module_part, _, function_name = handler.partition(":")
        raise InvalidHandleName(
            f"Invalid handler '{handler}': FC's handler string is module.function, "
            f"with a dot: write {module_part}.{function_name}"
        )
    module_part, dot, function_name = handler.rpartition(".")
    if not dot or not module_part or not function_name:
        raise InvalidHandleName(
            f"Invalid handler '{handler}': expected 'module.function' "
            "(for example index.handler, or src/index.handler for a sub-folder)"
        )
    return module_part.replace("/", "."), function_name, None


def load_handler(handler: str, code_dir: str | os.PathLike[str] = ".") -> Callable[..., Any]:
    """Load the callable named by ``handler`` the way the FC runtime does.

    The handler string is split on its last dot; a ``/`` in the module part
    names a sub-folder of ``code_dir``, which goes first on ``sys.path``.
    ``path/to/file.py:function`` is accepted too.

    Raises:
        InvalidHandleName: the string has no dot.
        ImportModuleError: the module cannot be found, or an import inside it failed.
        UserCodeSyntaxError: the module has a syntax error.
        UserCodeError: the module raised while being imported.
        HandlerNotFound: the module has no such callable.
    """
    module_name, function_name, file_path = _split_handler(handler)
    base = Path(code_dir).resolve()
    if file_path is not None:
        full = file_path if file_path.is_absolute() else base / file_path
        search_dir = full.parent
        module_name = full.stem
    else:
        search_dir = base
    search = str(search_dir)
    if sys.path[:1] != [search]:
        if search in sys.path:
            sys.path.remove(search)
        sys.path.insert(0, search)
    _forget_foreign_module(module_name, search_dir)
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        raise UserCodeSyntaxError(
            f"Syntax error in module '{module_name}': {exc.msg} "
            f"({Path(exc.filename or '?').name}, line {exc.lineno})"
        ) from exc
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.split(".")[0] == exc.name.split(".")[0]:
            raise ImportModuleError(
                f"Unable to import module '{module_name}': no module named '{exc.name}' in {search}"
            ) from exc
        raise ImportModuleError(
            f"Unable to import module '{module_name}': {type(exc).__name__}: {exc}"
        ) from exc
    except ImportError as exc:
        raise ImportModuleError(
            f"Unable to import module '{module_name}': {type(exc).__name__}: {exc}"
        ) from exc
    except Exception as exc:
        raise UserCodeError(
            f"Module '{module_name}' raised while being imported: {type(exc).__name__}: {exc}"
        ) from exc
    func = getattr(module, function_name, None)
    if func is None or not callable(func):
        what = "is not callable" if func is not None else "not found"
        raise HandlerNotFound(
            f"Handler '{function_name}' {what} in module '{module_name}'"
            + _did_you_mean(module, function_name)
        )
    if is_asgi_app(func):
        raise HandlerNotFound(
            f"'{function_name}' in module '{module_name}' is an ASGI app (FastAPI, Starlette), "
            f"which FC cannot call: add `handler = fc.from_asgi({function_name})` to the "
            "module and name that handler"
        )
    return func  # type: ignore[no-any-return]


def _did_you_mean(module: object, name: str) -> str:
    """``": did you mean 'main'?"`` for a near miss among the module's callables, else ``""``."""
    import difflib

    names = [n for n, v in vars(module).items() if callable(v) and not n.startswith("__")]
    close = difflib.get_close_matches(name, names, n=1)
    return f": did you mean '{close[0]}'?" if close else ""


def _positional_names(func: object) -> list[str] | None:
    """The names of ``func``'s positional parameters, or None when they cannot be read."""
    try:
        signature = inspect.signature(func)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [p.name for p in signature.parameters.values() if p.kind in kinds]


def is_wsgi_app(func: object) -> bool:
    """Whether ``func`` is called as a WSGI app: ``(environ, start_response)``."""
    return (_positional_names(func) or [])[:2] == ["environ", "start_response"]


def is_asgi_app(func: object) -> bool:
    """Whether ``func`` is a bare ASGI app: ``async`` and called with ``(scope, receive, send)``."""
    call = func if inspect.isroutine(func) else type(func).__call__
    if not inspect.iscoroutinefunction(call):
        return False
    names = _positional_names(func)
    return names is not None and names[:1] == ["scope"]


def _wrong_kind(func: object, exc: BaseException) -> str | None:
    """Why ``func(event, context)`` failed, when ``func`` is not an event handler at all."""
    web = sys.modules.get("fcsdk.web.adapter")
    if web is not None and isinstance(func, web.PlaceApp):
        return None  # fcsdk's own HTTP handlers take events too
    names = _positional_names(func)
    if names is None:
        return None
    if is_wsgi_app(func):
        what = "function" if inspect.isroutine(func) else type(func).__name__
        return (
            f"the handler is a WSGI app (a {what}), but it was called as an event handler "
            "(event, context), as FC 3.0 calls an HTTP function: add "
            "`handler = fc.from_wsgi(app)` and name that handler (or serve it with --mode wsgi)"
        )
    if isinstance(exc, TypeError) and len(names) == 1 and inspect.isroutine(func):
        name = func.__name__
        return (
            f"{name}({names[0]}) takes one argument, but FC calls a handler with two, "
            f"(event, context): declare `def {name}({names[0]}, context)`, or decorate it "
            "with @fc.handler, which passes the context only to functions that take it"
        )
    return None


def call_event_handler(func: Callable[..., Any], event: object, context: object) -> bytes:
    """Call ``func(event, context)`` as the runtime does and return the bytes it sends.

    A bare ``async def`` function, a WSGI app or a one-argument function fail
    with a :class:`ConfigurationError` that says how to fix the handler.
    """
    try:
        value = func(event, context)
    except Exception as exc:
        hint = _wrong_kind(func, exc)
        if hint is None:
            raise
        raise ConfigurationError(hint) from None  # the fault is the handler's kind, not its code
    if isinstance(value, CoroutineType):
        value.close()
        raise not_awaited_by_runtime(func)
    return runtime_result(value)


def not_awaited_by_runtime(handler: object) -> ConfigurationError:
    """The error for a bare ``async def`` handler: FC's runtime would never await it."""
    name = getattr(handler, "__qualname__", repr(handler))
    return ConfigurationError(
        f"{name} is a bare `async def` function: FC's runtime calls handlers synchronously "
        "and would never await it. Decorate it with @fc.handler or @fc.http (they run it "
        "on fcsdk's event loop), or wrap an ASGI app with fc.from_asgi"
    )


def _forget_foreign_module(module_name: str, search_dir: Path) -> None:
    """Drop a cached module of the same name loaded from another folder (tests load many)."""
    loaded = sys.modules.get(module_name)
    if loaded is None:
        return
    origin = getattr(loaded, "__file__", None)
    if origin is None:
        return
    try:
        Path(origin).resolve().relative_to(search_dir)
    except ValueError:
        for name in [n for n in sys.modules if n == module_name or n.startswith(module_name + ".")]:
            del sys.modules[name]


def _runtime_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    to_json = getattr(value, "to_json", None)
    if callable(to_json):
        return to_json()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def runtime_result(value: object) -> bytes:
    """Return the bytes the FC runtime sends for a handler's return value.

    ``str`` is sent UTF-8 encoded and ``bytes`` unchanged; anything else goes
    through ``json.dumps(value, indent=4, sort_keys=True, default=...)`` as the
    runtime does, which fails with ``TypeError`` for a pydantic model, a
    dataclass or a set.
    """
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value, indent=4, sort_keys=True, default=_runtime_default).encode()


def error_payload(exc: BaseException) -> dict[str, Any]:
    """Return the runtime's error JSON for an exception escaping a handler."""
    frames = traceback.extract_tb(exc.__traceback__)
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": [
            [frame.filename, f"line {frame.lineno}", f"in {frame.name}", frame.line or ""]
            for frame in frames
        ],
    }


def load_error_frames(exc: BaseException) -> list[list[str]]:
    """Return the user's own frames behind a handler-load error, in the runtime's shape.

    For a module that raised (or failed an import of its own) while being
    imported, these are the frames of the user's files, innermost last,
    without fcsdk's loader or the import machinery; for a syntax error, the
    offending line; otherwise (no such module or function) none.

    Example:
        >>> load_error_frames(ValueError("not a load error"))
        []
    """
    cause = exc.__cause__
    if isinstance(cause, SyntaxError):
        if cause.filename is None:
            return []
        line = (cause.text or "").strip()
        return [[cause.filename, f"line {cause.lineno}", "in <module>", line]]
    if cause is None:
        return []
    return [
        [frame.filename, f"line {frame.lineno}", f"in {frame.name}", frame.line or ""]
        for frame in traceback.extract_tb(cause.__traceback__)
        if not _is_machinery(frame.filename)
    ]


def _is_machinery(filename: str) -> bool:
    """Whether a frame belongs to fcsdk or to Python's import system, not to the user."""
    if filename.startswith("<frozen "):
        return True
    resolved = str(Path(filename).resolve()) if not filename.startswith("<") else filename
    return resolved.startswith((_FCSDK_DIR, _IMPORTLIB_DIR))
