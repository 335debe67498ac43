"""The ``fcsdk`` command line: ``fcsdk invoke`` and the other local-run tools.

Each sub-command lives in its own module under ``fcsdk/_cli/`` with two
functions, ``configure(parser)`` and ``run(args) -> int``; this module only
dispatches.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]

# sub-command -> (module, one-line help)
_COMMANDS: dict[str, tuple[str, str]] = {
    "invoke": ("fcsdk._cli.invoke", "invoke an event handler once, as the FC runtime does"),
    "serve": ("fcsdk._cli.serve", "serve a handler behind a local HTTP trigger, as FC would"),
    "init": ("fcsdk._cli.init", "create a new function project from a template"),
    "package": ("fcsdk._cli.package", "build a deployable zip (or layer) for an FC Python runtime"),
    "coldstart": (
        "fcsdk._cli.coldstart",
        "measure a packaged function's cold start in fresh interpreters",
    ),
    "oss-server": ("fcsdk._cli.oss_server", "run a local OSS server that checks signatures"),
    "web": ("fcsdk._cli.web", "run a web function's HTTP server (FC custom runtime), on uvicorn"),
}

# Commands started as a function's process, where start-up time counts: parsed without
# importing every other command's module.
_FAST = frozenset({"web"})


def build_parser() -> argparse.ArgumentParser:
    """Return the ``fcsdk`` argument parser with every sub-command."""
    from fcsdk import __version__

    parser = argparse.ArgumentParser(
        prog="fcsdk", description="Run Function Compute Python handlers locally."
    )
    parser.add_argument("--version", action="version", version=f"fcsdk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in _COMMANDS.items():
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=help_text, description=help_text)
        module.configure(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fcsdk`` command line and return its exit code.

    With no command it prints the help (and exits 0); ``--version`` prints
    ``fcsdk X.Y.Z``.
    """
    words = list(sys.argv[1:] if argv is None else argv)
    if words and words[0] in _FAST:
        return _run_alone(words[0], words[1:])
    parser = build_parser()
    args = parser.parse_args(words)
    if args.command is None:
        parser.print_help()
        return 0
    code: int = args._run(args)
    return code


def _run_alone(name: str, words: list[str]) -> int:
    """Parse and run one command with only its own module imported."""
    module_name, help_text = _COMMANDS[name]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"fcsdk {name}", description=help_text)
    module.configure(parser)
    code: int = module.run(parser.parse_args(words))
    return code
