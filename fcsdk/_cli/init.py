"""``fcsdk init``: a new function project from a template, ready for ``make test``."""

from __future__ import annotations

import argparse
import sys

from fcsdk._ship.target import RUNTIME_NAMES

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``fcsdk init``'s options to ``parser``."""
    from fcsdk._scaffold import TEMPLATES

    described = "; ".join(
        f"{t.name}: {t.summary[0].lower()}{t.summary[1:].rstrip('.')}" for t in TEMPLATES.values()
    )
    parser.add_argument("name", help="the project folder to create; its name names the function")
    parser.add_argument(
        "-t",
        "--template",
        choices=list(TEMPLATES),
        default="event",
        help=f"{described} (default event)",
    )
    parser.add_argument(
        "--runtime",
        choices=RUNTIME_NAMES,
        default="python3.12",
        help="the FC runtime for s.yaml and the Makefile (default python3.12)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``fcsdk init``: 0 created, 2 refused (bad name, folder not empty)."""
    from pathlib import Path

    from fcsdk._scaffold import create_project
    from fcsdk.exceptions import ConfigurationError

    try:
        created = create_project(args.name, template=args.template, runtime=args.runtime)
    except ConfigurationError as exc:
        sys.stderr.write(f"fcsdk init: {exc}\n")
        return 2
    root = Path(args.name).absolute()
    out = sys.stdout
    out.write(f"Created {args.name} from the {args.template} template:\n")
    for path in sorted(created):
        out.write(f"  {path.relative_to(root).as_posix()}\n")
    steps = [
        (f"cd {args.name}", ""),
        ("make test", "the project's own tests"),
        (
            "make package" if args.template == "web" else f"fcsdk package --runtime {args.runtime}",
            "the deployable zip, in dist/",
        ),
        ("s deploy", "Serverless Devs deploys s.yaml"),
    ]
    width = max(len(command) for command, _ in steps)
    out.write("\nNext:\n")
    for command, why in steps:
        out.write(f"  {command.ljust(width)}  # {why}\n" if why else f"  {command}\n")
    return 0
