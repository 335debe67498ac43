"""``fcsdk init``'s templates: a small function project a user can grow.

The templates are package data under ``templates/``: ``common/`` holds the
files every project gets (Makefile, README, tool settings, ignore files),
``<template>/`` the handler, its tests, ``requirements.txt`` and ``s.yaml``.
A file ``name.tmpl`` becomes ``name``, ``dot-name.tmpl`` becomes ``.name``,
and ``{{key}}`` placeholders are filled in; nothing else is interpreted, so
``$(VENV)`` in a Makefile and ``${vars.region}`` in ``s.yaml`` stay as written.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from fcsdk.exceptions import ConfigurationError

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # Python 3.10 has it only here (deprecated from 3.12, removed in 3.14)
    from importlib.abc import Traversable

__all__ = ["TEMPLATES", "Template", "create_project", "render"]

# FC function names: letters, digits, "_" and "-", not starting with a digit or "-".
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")
_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")


@dataclass(frozen=True)
class Template:
    """One kind of project ``fcsdk init`` makes.

    Attributes:
        name: the ``--template`` value.
        summary: one sentence for the README and ``s.yaml``'s description.
        invoke_args: the event options of ``make invoke`` and ``make coldstart``.
        local: a README paragraph on running it locally.
        trigger: the trigger ``s.yaml`` declares, for the README (empty for none).
        web: a web function (custom runtime): its ``s.yaml`` names its own runtime,
            ``bootstrap`` starts fcsdk's server, the tools read the rest from ``s.yaml``.
    """

    name: str
    summary: str
    invoke_args: str
    local: str
    trigger: str = ""
    web: bool = False


def _source_builds(chosen: Template) -> str:
    """The opt-in of the templates using OSS: oss2 and crcmod publish source distributions only."""
    return " --build-sdists" if chosen.name in ("oss", "web") else ""


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            name="http",
            summary="An HTTP function: a small JSON API behind an FC HTTP trigger.",
            invoke_args="--event-file event.json",
            local="`event.json` is an FC 3.0 HTTP trigger event for `GET /hello/world`; "
            "the tests call the routes through `fcsdk.testing.HTTPClient`.",
            trigger="an HTTP trigger",
        ),
        Template(
            name="event",
            summary="An event function: a typed JSON payload in, a typed answer out.",
            invoke_args="--event-file event.json",
            local="`event.json` is the payload; `fcsdk invoke index.handler --event "
            "'{...}'` takes one inline.",
        ),
        Template(
            name="oss",
            summary="An OSS function: it summarises each object uploaded under incoming/.",
            invoke_args="--event-file event.json --local-oss",
            local="`event.json` is an OSS trigger event. The function reads and writes the "
            "bucket, so a local run needs an OSS endpoint: `make invoke` passes `--local-oss`, "
            "which serves the object the event names on a loopback OSS server and points "
            "`FCSDK_OSS_ENDPOINT` there (the tests start `fcsdk.testing.oss.LocalOSSServer` "
            "themselves).",
            trigger="an OSS trigger",
        ),
        Template(
            name="timer",
            summary="A scheduled function: a timer trigger runs a configured job.",
            invoke_args="--event-file event.json",
            local="`event.json` is a timer trigger event whose payload is the job's settings.",
            trigger="a timer trigger",
        ),
        Template(
            name="fastapi",
            summary="A FastAPI app behind an FC HTTP trigger, through fc.from_asgi.",
            invoke_args="--event-file event.json",
            local="`event.json` is an FC 3.0 HTTP trigger event for `GET /hello/world`; "
            "the tests call the app through `fcsdk.testing.HTTPClient`, and "
            "`fcsdk serve index.handler` serves it on localhost.",
            trigger="an HTTP trigger",
        ),
        Template(
            name="web",
            summary="A web function: a FastAPI service and a timer job on a custom runtime, "
            "many requests per instance.",
            invoke_args="--event-file event.json",
            local="`make run` (`fcsdk serve`) starts `bootstrap` as FC does, with a local OSS "
            "server, on http://127.0.0.1:9000: `curl -X PUT localhost:9000/files/a.txt -d hi`; "
            "`make invoke` sends `event.json`, a timer event, to `POST /invoke`.",
            trigger="an HTTP trigger and a timer trigger",
            web=True,
        ),
    )
}


def render(text: str, values: dict[str, str]) -> str:
    """Fill the ``{{key}}`` placeholders of ``text``.

    Raises:
        ConfigurationError: a placeholder has no value (a broken template).

    Example:
        >>> render("name: {{name}}, shell: $(VENV)", {"name": "orders"})
        'name: orders, shell: $(VENV)'
    """

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise ConfigurationError(f"template placeholder {{{{{key}}}}} has no value")
        return values[key]

    return _PLACEHOLDER.sub(fill, text)


def _target_name(relative: str) -> str:
    parts = relative.split("/")
    leaf = parts[-1].removesuffix(".tmpl")
    if leaf.startswith("dot-"):
        leaf = "." + leaf[len("dot-") :]
    return "/".join([*parts[:-1], leaf])


def _walk(folder: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found: list[tuple[str, Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            found += _walk(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".tmpl"):
            found.append((prefix + entry.name, entry))
    return found


def _made_by() -> str:
    """The Python running fcsdk now, for the Makefile to find fcsdk without a venv."""
    import sys

    python = sys.executable
    # make cannot quote a path: a space or a make-special character leaves it to PATH.
    if not python or any(c in python for c in " \t#$%:;\\'\"()"):
        return ""
    return python


def create_project(
    path: str | Path,
    *,
    template: str = "event",
    runtime: str = "python3.12",
    fcsdk_version: str | None = None,
) -> list[Path]:
    """Create a new function project in ``path`` from ``template``.

    The project's name is the folder's name. An existing folder is used only
    when it is empty: nothing is ever overwritten.

    Args:
        path: the folder to create (or an empty one to fill).
        template: ``http``, ``event``, ``oss``, ``timer``, ``fastapi`` or ``web``.
        runtime: the FC runtime for ``s.yaml`` and the Makefile (``web`` runs on
            ``custom.debian12`` whatever it says).
        fcsdk_version: the fcsdk version ``requirements.txt`` pins (default:
            the running one).

    Returns:
        The files created, in order.

    Raises:
        ConfigurationError: an unknown template or runtime, a name FC does not
            accept for a function, or a folder that exists and is not empty.

    Example:
        >>> import tempfile, pathlib
        >>> where = pathlib.Path(tempfile.mkdtemp()) / "orders"
        >>> sorted(p.name for p in create_project(where, template="event"))[:3]
        ['.fcignore', '.gitignore', 'Makefile']
    """
    from fcsdk._ship.target import RUNTIMES

    chosen = TEMPLATES.get(template)
    if chosen is None:
        raise ConfigurationError(
            f"unknown template {template!r}: expected one of {', '.join(TEMPLATES)}"
        )
    if runtime not in RUNTIMES:
        raise ConfigurationError(
            f"unknown runtime {runtime!r}: expected one of {', '.join(RUNTIMES)}"
        )
    root = Path(path).absolute()
    name = root.name
    if not _NAME.match(name):
        raise ConfigurationError(
            f"{name!r} cannot name an FC function: use 1 to 64 letters, digits, '_' or '-', "
            "starting with a letter or '_'"
        )
    if root.exists():
        if not root.is_dir():
            raise ConfigurationError(f"{root} exists and is not a folder")
        if any(root.iterdir()):
            raise ConfigurationError(f"{root} is not empty: fcsdk init never overwrites files")
    if fcsdk_version is None:
        import fcsdk

        fcsdk_version = fcsdk.__version__
    if chosen.web:
        runtime = "custom.debian12"
    values = {
        "name": name,
        "template": chosen.name,
        "runtime": runtime,
        "fcsdk_version": fcsdk_version,
        "summary": chosen.summary,
        "invoke_args": chosen.invoke_args,
        "coldstart": ("coldstart" if chosen.web else "coldstart --runtime $(RUNTIME)")
        + (" --local-oss" if "--local-oss" in chosen.invoke_args else "")
        + _source_builds(chosen),
        # A web function's runtime and handler come from its s.yaml (see fcsdk/_project.py).
        "package_args": ("" if chosen.web else " --runtime $(RUNTIME)") + _source_builds(chosen),
        "local": chosen.local,
        "trigger_row": f", {chosen.trigger}" if chosen.trigger else "",
        "made_by": _made_by(),
        "invoke_target": "" if chosen.web else "index.handler --runtime $(RUNTIME) ",
        # the local OSS server makes the bucket the web function's uploads go to
        "serve_args": f" --bucket {name}-uploads" if chosen.web else "",
    }
    base = resources.files(__name__).joinpath("templates")
    # A template's own file (a web function's README) replaces the common one of that name.
    sources = dict(_walk(base.joinpath("common")) + _walk(base.joinpath(chosen.name))).items()
    root.mkdir(parents=True, exist_ok=True)
    created: list[Path] = []
    for relative, source in sources:
        dest = root / _target_name(relative)
        dest.parent.mkdir(parents=True, exist_ok=True)
        text = render(source.read_text(encoding="utf-8"), values)
        dest.write_text(text, encoding="utf-8")
        if text.startswith("#!"):  # a script (a web function's bootstrap) stays executable
            dest.chmod(0o755)
        created.append(dest)
    return created
