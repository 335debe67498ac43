"""A pure-Python stand-in for the FC Python runtime's calling conventions.

Used by ``fcsdk.testing.invoke`` and the ``fcsdk invoke`` command: loading a
handler from its handler string, turning a handler's return value into what
the runtime sends, and turning an exception into the runtime's error JSON.
"""

from __future__ import annotations

import datetime
import decimal
import importlib
import json
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fcsdk.exceptions import (
    HandlerNotFound,
    ImportModuleError,
    InvalidHandleName,
    UserCodeError,
    UserCodeSyntaxError,
)

__all__ = ["error_payload", "load_error_frames", "load_handler", "runtime_result"]

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
        raise HandlerNotFound(f"Handler '{function_name}' {what} in module '{module_name}'")
    return func  # type: ignore[no-any-return]


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
