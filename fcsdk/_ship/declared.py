"""What a project's ``s.yaml`` declares about its function: handler, runtime, startup command.

Only the handler, the runtime and a custom runtime's startup command are
read, from the first function ``s.yaml`` declares: by fcsdk's reader of
``s.yaml`` (:mod:`fcsdk._project`) when PyYAML is installed, else by a few line
patterns that read the files ``fcsdk init`` writes the same way (fcsdk does
not depend on PyYAML: it would be shipped in every code package).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from fcsdk.exceptions import ConfigurationError

__all__ = ["Declared", "declared_function"]

_KEY = re.compile(r"^(\s*)(handler|runtime|command)\s*:\s*(.*?)\s*(?:#.*)?$")
_ITEM = re.compile(r"^\s*-\s*(.+?)\s*(?:#.*)?$")


@dataclass(frozen=True)
class Declared:
    """The function ``s.yaml`` declares.

    Attributes:
        source: the file read (``s.yaml`` or ``s.yml``).
        handler: ``index.main``, or ``None`` when not declared.
        runtime: ``python3.12``, ``custom.debian12``..., or ``None``.
        command: a custom runtime's startup command (``customRuntimeConfig.command``
            plus ``args``), or ``()``.
    """

    source: Path
    handler: str | None = None
    runtime: str | None = None
    command: tuple[str, ...] = ()


def _scalar(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _flow_list(text: str) -> list[str]:
    inner = text.strip()[1:-1]
    return [_scalar(item) for item in inner.split(",") if item.strip()]


def declared_function(project: Path) -> Declared | None:
    """Read the first function of ``project``'s ``s.yaml`` (or ``s.yml``); ``None`` without one.

    Never raises for the file's content: what cannot be read is ``None`` in the result.
    """
    for name in ("s.yaml", "s.yml"):
        path = project / name
        if path.is_file():
            break
    else:
        return None
    from fcsdk._project import read_project

    try:
        function = read_project(path).function()
    except ConfigurationError:
        # no PyYAML, or not one fc3 function (a Serverless Devs 2.x file, several
        # functions): what the lines say, as before there was a reader
        return _by_lines(path)
    custom = function.custom_runtime
    return Declared(
        source=path,
        handler=function.handler,
        runtime=function.runtime,
        command=custom.argv if custom is not None else (),
    )


def _by_lines(path: Path) -> Declared | None:
    """:func:`declared_function` without a YAML parser: the shallowest keys, line by line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    # The function's own keys sit at the shallowest indent: a lifecycle hook's
    # `handler:` (instanceLifecycleConfig) is nested deeper.
    found: dict[str, tuple[int, str]] = {}
    command: list[str] = []
    args: list[str] = []
    for index, line in enumerate(lines):
        match = _KEY.match(line)
        if match is None:
            continue
        indent, key, value = match.groups()
        if key != "command":
            if value and (key not in found or len(indent) < found[key][0]):
                found[key] = (len(indent), _scalar(value))
            continue
        if command:
            continue
        if value.startswith("["):
            command = _flow_list(value)
        else:  # a block list on the following lines
            for following in lines[index + 1 :]:
                item = _ITEM.match(following)
                if item is None or len(following) - len(following.lstrip()) < len(indent):
                    break
                command.append(_scalar(item.group(1)))
    for line in lines:
        match = re.match(r"^\s*args\s*:\s*(\[.*\])\s*$", line)
        if match is not None:
            args = _flow_list(match.group(1))
            break
    return Declared(
        source=path,
        handler=found["handler"][1] if "handler" in found else None,
        runtime=found["runtime"][1] if "runtime" in found else None,
        command=tuple(command + args),
    )
