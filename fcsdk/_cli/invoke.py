"""``fcsdk invoke``: load a handler as the runtime does, call it once, print the result."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from fcsdk._runtime import error_payload, load_handler, runtime_result
from fcsdk.exceptions import HandlerLoadError

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``fcsdk invoke``'s options to ``parser``."""
    parser.add_argument("handler", help="handler string, e.g. index.main or src/app.handler")
    parser.add_argument("--code-dir", default=".", help="the function's code folder (default .)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--event", help="the event payload, as text")
    source.add_argument("--event-file", help="a file holding the event payload (bytes)")
    parser.add_argument(
        "--runtime",
        choices=["python3.9", "python3.10", "python3.12"],
        default="python3.10",
        help="which runtime generation's context to pass (default python3.10)",
    )


def _read_event(args: argparse.Namespace) -> bytes:
    if args.event is not None:
        return str(args.event).encode("utf-8")
    if args.event_file is not None:
        return Path(args.event_file).read_bytes()
    if sys.stdin is None or sys.stdin.isatty():
        return b""
    return sys.stdin.buffer.read()


def _fail(payload: dict[str, Any]) -> int:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 1


def run(args: argparse.Namespace) -> int:
    """Run ``fcsdk invoke`` and return the exit code (0 ok, 1 handler error, 2 usage)."""
    from fcsdk.testing import fake_context

    try:
        event = _read_event(args)
    except OSError as exc:
        sys.stderr.write(f"fcsdk invoke: cannot read the event: {exc}\n")
        return 2
    try:
        func = load_handler(args.handler, args.code_dir)
    except HandlerLoadError as exc:
        return _fail({"errorMessage": str(exc), "errorType": type(exc).__name__})
    context = fake_context(runtime=args.runtime, handler=args.handler)
    try:
        result = runtime_result(func(event, context))
    except Exception as exc:
        return _fail(error_payload(exc))
    out = sys.stdout.buffer
    out.write(result)
    if sys.stdout.isatty():
        out.write(b"\n")
    out.flush()
    return 0
