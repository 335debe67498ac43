"""``fcsdk invoke``: load a handler as the runtime does, call it, print what it sends back.

The event comes from ``--event``, ``--event-file`` or stdin, as bytes,
unchanged. The result goes to stdout exactly as the runtime would send it,
then a newline (not with ``--raw``);
the runtime's log lines (``FC Invoke Start RequestId: ...``, the handler's
own logging in the runtime's format, ``FC Invoke End ...``) go to stderr. On
error stdout gets the runtime's error JSON and the exit code is 1; bad
options exit with 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from fcsdk._cli._arguments import positive_int, positive_number
from fcsdk._cli._webfunction import (
    add_web_options,
    choose_handler,
    invoke_web,
    local_runtime,
)
from fcsdk._runtime import call_event_handler
from fcsdk._ship.target import RUNTIME_NAMES
from fcsdk.exceptions import ConfigurationError

__all__ = ["add_function_options", "configure", "function_config", "run"]

RUNTIMES = RUNTIME_NAMES


def add_function_options(parser: argparse.ArgumentParser) -> None:
    """Add the options shared by ``invoke`` and ``serve``: what the function config says."""
    parser.add_argument("--code-dir", default=".", help="the function's code folder (default .)")
    parser.add_argument(
        "--runtime",
        choices=RUNTIMES,
        help="which runtime generation's context and variables to give (default: the "
        "runtime of the project's s.yaml, else python3.12; a custom runtime in s.yaml runs "
        "its web function)",
    )
    parser.add_argument(
        "--initializer", metavar="HANDLER", help="initializer hook, e.g. index.init"
    )
    parser.add_argument("--pre-stop", metavar="HANDLER", help="PreStop hook, e.g. index.pre_stop")
    parser.add_argument(
        "--timeout",
        type=positive_number("seconds"),
        metavar="S",
        help="the function's timeout in seconds (default 60; a web function: s.yaml's)",
    )
    parser.add_argument(
        "--memory",
        type=positive_int,
        metavar="MB",
        help="memory size (default 512; a web function: s.yaml's)",
    )
    parser.add_argument(
        "--function-name",
        metavar="NAME",
        help="default my-function; chooses among the functions of s.yaml",
    )
    parser.add_argument(
        "--service-name", default="my-service", metavar="NAME", help="default my-service"
    )
    parser.add_argument("--region", default="cn-hangzhou", help="default cn-hangzhou")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an environment variable for the function (repeatable)",
    )
    parser.add_argument(
        "--env-file", action="append", default=[], metavar="PATH", help="a .env file (repeatable)"
    )
    add_web_options(parser)


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``fcsdk invoke``'s options to ``parser``."""
    parser.add_argument(
        "handler",
        nargs="?",
        help="handler string: index.main, src/app.handler or path/to/file.py:func "
        "(default: the handler of the project's s.yaml)",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--event", help="the event payload, as text")
    source.add_argument("--event-file", help="a file holding the event payload (bytes)")
    add_function_options(parser)
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=1,
        metavar="N",
        help="invoke N times on the same warm instance (one result per line)",
    )
    parser.add_argument(
        "--raw",
        action="store_true",
        help="print the result's bytes exactly, without the newline after it",
    )
    parser.add_argument(
        "--local-oss",
        action="store_true",
        help="run a loopback OSS server and point the function at it (FCSDK_OSS_ENDPOINT); "
        "an OSS trigger event's objects are created in it",
    )
    parser.add_argument(
        "--bucket",
        action="append",
        default=[],
        metavar="NAME",
        help="with --local-oss: a bucket to create (repeatable)",
    )


def function_config(args: argparse.Namespace, **overrides: Any) -> Any:
    """Build the :class:`FunctionConfig` the parsed options describe.

    Raises:
        ConfigurationError: the ``--code-dir`` folder does not exist, or an
            ``--env`` item or ``--env-file`` is malformed.
    """
    from fcsdk._local.env import parse_env_assignments, parse_env_file
    from fcsdk._local.instance import FunctionConfig

    code_dir = Path(args.code_dir)
    if not code_dir.is_dir():
        what = " (it is a file)" if code_dir.exists() else ""
        raise ConfigurationError(f"--code-dir: the folder {args.code_dir} does not exist{what}")
    env: dict[str, str] = {}
    for path in args.env_file:
        env.update(parse_env_file(path))
    env.update(parse_env_assignments(args.env))
    values: dict[str, Any] = {
        "handler": args.handler,
        "code_dir": code_dir,
        "name": args.function_name or "my-function",
        "runtime": local_runtime(args),
        "initializer": args.initializer,
        "pre_stop": args.pre_stop,
        "memory": args.memory or 512,
        "timeout": args.timeout or 60.0,
        "service_name": args.service_name,
        "region": args.region,
        "env": env,
    }
    values.update(overrides)
    return FunctionConfig(**values)


def _read_event(args: argparse.Namespace) -> bytes:
    if args.event is not None:
        return str(args.event).encode("utf-8")
    if args.event_file is not None:
        return Path(args.event_file).read_bytes()
    if sys.stdin is None or sys.stdin.isatty():
        return b""
    return sys.stdin.buffer.read()


def run(args: argparse.Namespace) -> int:
    """Run ``fcsdk invoke`` and return the exit code (0 ok, 1 handler error, 2 usage)."""
    try:
        event = _read_event(args)
    except OSError as exc:
        sys.stderr.write(f"fcsdk invoke: cannot read the event: {exc}\n")
        return 2
    try:
        web = choose_handler(args)
    except ConfigurationError as exc:
        sys.stderr.write(f"fcsdk invoke: {exc}\n")
        return 2
    if web:
        return invoke_web(args, event)
    if args.handler is None:
        sys.stderr.write(
            "fcsdk invoke: give a handler string (e.g. index.main): no s.yaml here declares one\n"
        )
        return 2
    with contextlib.ExitStack() as stack:
        if args.local_oss:
            from fcsdk._cli.local_oss import serving_event_objects

            try:
                oss_env = stack.enter_context(serving_event_objects(event, buckets=args.bucket))
            except ConfigurationError as exc:
                sys.stderr.write(f"fcsdk invoke: {exc}\n")
                return 2
            args.env = [*args.env, *(f"{k}={v}" for k, v in oss_env.items())]
        elif args.bucket:
            sys.stderr.write("fcsdk invoke: --bucket goes with --local-oss\n")
            return 2
        else:  # the in-region OSS endpoint is out of reach: oss_bucket() says what to do
            args.env = ["FCSDK_LOCAL_RUN=1", *args.env]
        return _invoke(args, event)


def _invoke(args: argparse.Namespace, event: bytes) -> int:
    from fcsdk._local.env import applied_environment
    from fcsdk._local.instance import Instance, invocation_error
    from fcsdk._local.logs import RuntimeLogs

    try:
        config = function_config(args)
    except ConfigurationError as exc:
        sys.stderr.write(f"fcsdk invoke: {exc}\n")
        return 2
    logs = RuntimeLogs(sys.stderr)
    instance = Instance(config, logs)
    out = sys.stdout.buffer
    failed = False
    with applied_environment(instance.environment()):
        logs.install()
        try:
            for _ in range(args.repeat):
                try:
                    body = instance.call(lambda func, ctx: call_event_handler(func, event, ctx))
                except Exception as exc:
                    failed = True
                    body = json.dumps(invocation_error(exc), ensure_ascii=False).encode()
                    body += b"\n"
                else:
                    if args.repeat > 1 or (not args.raw and body[-1:] not in (b"", b"\n")):
                        body += b"\n"
                out.write(body)
                out.flush()
            instance.stop()
        finally:
            logs.uninstall()
    return 1 if failed else 0
