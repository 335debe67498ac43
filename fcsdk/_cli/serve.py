"""``fcsdk serve``: put a handler behind a local HTTP trigger, as FC would run it.

A threaded server on 127.0.0.1 answers the HTTP trigger (FC 2.0 WSGI or FC
3.0 event, on plain paths and under FC 2.0's proxy prefix) and event
invocations (``POST /invoke``), with the function's initializer, pre-stop
hook, instance concurrency, timeout, environment and a local OSS server with
injected credentials. ``--reload`` restarts the instance when the code
changes; ``--config`` serves several functions, each in its own process.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from fcsdk._cli._arguments import positive_int
from fcsdk._cli._webfunction import choose_handler, serve_web
from fcsdk._cli.invoke import add_function_options, function_config
from fcsdk._local.embedded_oss import OSS_HANDOFF_ENV, local_oss, oss_banner, oss_port_for
from fcsdk.exceptions import ConfigurationError

__all__ = ["configure", "run"]

_MODE_NAMES = {"wsgi": "FC 2.0 WSGI", "event": "FC 3.0 event"}


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {value}")
    return value


class _Given(argparse.Action):
    """Store the value and remember that it was given (a default is not overridden by it)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        setattr(namespace, self.dest, values)
        given: set[str] = set(getattr(namespace, "_given", ()))
        namespace._given = given | {self.dest}


def _given(args: argparse.Namespace, name: str) -> Any:
    """Return option ``name`` when the command line gave it, else None."""
    return getattr(args, name) if name in getattr(args, "_given", ()) else None


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``fcsdk serve``'s options to ``parser``."""
    parser.add_argument(
        "handler",
        nargs="?",
        help="handler string: index.handler, src/app.handler or path/to/file.py:func "
        "(default: the handler of the project's s.yaml)",
    )
    add_function_options(parser)
    parser.add_argument(
        "--mode",
        choices=["wsgi", "event"],
        help="how HTTP reaches the handler: wsgi (FC 2.0) or event (FC 3.0); "
        "default event for python3.12 (the default runtime), wsgi for python3.10",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", action=_Given, help="address to listen on (127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=9000,
        action=_Given,
        help="port to listen on (9000; 0: any free port); with --config, the first "
        "function's port, the others shifted alike",
    )
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=1,
        metavar="N",
        help="requests run at once, each in a thread, as FC 2.0's instance concurrency "
        "(default 1; FC 3.0's built-in runtimes serve one at a time)",
    )
    parser.add_argument("--no-oss", action="store_true", help="do not start the local OSS server")
    parser.add_argument(
        "--oss-dir", default=".fcsdk/oss", help="folder of the local OSS server (.fcsdk/oss)"
    )
    parser.add_argument(
        "--bucket",
        action="append",
        default=[],
        metavar="NAME",
        help="a bucket to create in the local OSS server (repeatable)",
    )
    parser.add_argument(
        "--reload", action="store_true", help="restart the instance when a .py file changes"
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="a JSON file describing several functions to serve (see the local guide)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="log the full traceback of an event that does not decode (one line otherwise)",
    )
    parser.add_argument(
        "--single-process",
        action="store_true",
        help="run the handler in the serving process itself (no restart when it calls "
        "os._exit(); not with --reload or --config)",
    )
    parser.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--banner-fd", type=int, help=argparse.SUPPRESS)
    parser.set_defaults(_serve_actions=list(parser._actions))


# The options --config applies to every function; the others describe one function.
_CONFIG_OPTIONS = frozenset(
    {"config", "reload", "host", "port", "no_oss", "oss_dir", "bucket", "verbose", "handler"}
)


def run(args: argparse.Namespace) -> int:
    """Run ``fcsdk serve``; return 0 after a clean stop, 2 for bad options or a busy port."""
    from fcsdk._local import supervisor

    try:
        if args.config is not None:
            if args.handler is not None:
                raise ConfigurationError(
                    "--config serves the functions its file names: give no handler with it"
                )
            _refuse_with_config(args)
            return supervisor.serve_config(
                Path(args.config),
                reload=args.reload,
                host=_given(args, "host"),
                port=_given(args, "port"),
                no_oss=args.no_oss,
                oss_dir=None if args.oss_dir == ".fcsdk/oss" else args.oss_dir,
                buckets=list(args.bucket),
            )
        if args.listen_fd is None and choose_handler(args):
            return serve_web(args)
        if args.handler is None:
            raise ConfigurationError("give a handler string (e.g. index.handler) or --config FILE")
        if args.listen_fd is None and not args.single_process:
            function_config(args)  # a bad option is reported once, here
            return supervisor.serve_supervised(args, child_argv(args), reload=args.reload)
        if args.single_process and args.reload:
            raise ConfigurationError("--reload restarts a child process: not with --single-process")
        return serve(args)
    except ConfigurationError as exc:
        sys.stderr.write(f"fcsdk serve: {exc}\n")
        return 2


def _refuse_with_config(args: argparse.Namespace) -> None:
    """Refuse the options that describe one function when --config describes them all."""
    given = [
        action.option_strings[0]
        for action in args._serve_actions
        if action.option_strings
        and action.dest not in _CONFIG_OPTIONS
        and action.dest not in ("help", "listen_fd", "ready_fd", "banner_fd")
        and getattr(args, action.dest, None) != action.default
    ]
    if given:
        raise ConfigurationError(
            f"{', '.join(given)} describe one function: with --config, set them per "
            f"function in {args.config} (only --host, --port, --no-oss, --oss-dir, --bucket, "
            "--reload and --verbose apply to all)"
        )


def child_argv(args: argparse.Namespace) -> list[str]:
    """Return the command-line arguments that reproduce ``args`` (without ``--reload``)."""
    argv: list[str] = []
    for action in args._serve_actions:
        value = getattr(args, action.dest, None)
        if action.dest in ("help", "reload", "listen_fd", "ready_fd", "banner_fd") or (
            value == action.default
        ):
            continue
        if not action.option_strings:
            argv.append(str(value))
        elif action.nargs == 0:
            argv.append(action.option_strings[0])
        elif isinstance(value, list):
            for item in value:
                argv += [action.option_strings[0], str(item)]
        else:
            argv += [action.option_strings[0], str(value)]
    return argv


def _bind(args: argparse.Namespace) -> socket.socket | None:
    """Return the inherited listening socket, if a supervisor passed one."""
    if args.listen_fd is None:
        return None
    return socket.socket(fileno=args.listen_fd)


def serve(args: argparse.Namespace) -> int:
    """Serve one function in this process until Ctrl-C or SIGTERM."""
    oss_handoff = os.environ.pop(OSS_HANDOFF_ENV, None)
    if args.no_oss:
        return _serve(args, None)
    if oss_handoff is not None:
        return _serve(args, json.loads(oss_handoff))
    port = oss_port_for(args.port)
    with local_oss(root=Path(args.oss_dir), buckets=list(args.bucket), port=port) as oss:
        return _serve(args, oss)


def _serve(args: argparse.Namespace, oss: dict[str, Any] | None) -> int:
    from fcsdk._local.instance import Instance
    from fcsdk._local.logs import RuntimeLogs
    from fcsdk._local.server import HostedFunction, LocalServer, Mode, is_loopback
    from fcsdk._local.supervisor import busy_port_message, watch_parent
    from fcsdk.exceptions import HandlerLoadError

    extra: dict[str, Any] = {"concurrency": args.concurrency}
    if oss is not None:
        extra.update(oss["credentials"])
    config = function_config(args, **extra)
    if oss is not None:
        env = {"FCSDK_OSS_ENDPOINT": oss["endpoint"], **config.env}
        config = dataclasses.replace(config, env=env)
    chosen = args.mode or ("event" if config.runtime == "python3.12" else "wsgi")
    mode: Mode = "event" if chosen == "event" else "wsgi"
    logs = RuntimeLogs(sys.stderr)
    instance = Instance(config, logs, verbose=args.verbose)
    hosted = {config.name: HostedFunction(instance, mode)}
    inherited = _bind(args)
    if inherited is not None:  # a supervisor's child: it must not outlive it
        watch_parent()
    try:
        server = LocalServer(
            (args.host, args.port), hosted, logs, bind_and_activate=inherited is None
        )
    except OSError as exc:
        sys.stderr.write(busy_port_message(args.host, args.port, exc))
        return 2
    if inherited is not None:
        server.socket.close()
        server.socket = inherited
        server.server_address = inherited.getsockname()
    os.environ.update(instance.environment())
    logs.install()
    url = f"http://{args.host}:{server.server_address[1]}"
    if not is_loopback(args.host):
        logs.message(
            f"warning: listening on {args.host}, reachable from other machines; "
            "fcsdk serve is for local development only"
        )
    try:
        instance.load()
    except HandlerLoadError as exc:
        logs.message(f"warning: {type(exc).__name__}: {exc} (every request answers this error)")
    failed = instance.start_app()  # an ASGI app's lifespan startup, at instance start
    if failed is not None:
        logs.message(f"warning: {failed} (every request fails with this error)")
    serving = f"serving {config.handler} (HTTP trigger, {_MODE_NAMES[mode]}) on {url}"
    hints = _hints(instance, mode, url, config)
    if args.banner_fd is not None:  # fcsdk serve --config prints every function's, in order
        with os.fdopen(args.banner_fd, "w", encoding="utf-8") as banner:
            json.dump({"serving": serving, "hints": hints}, banner)
    else:
        for line in [serving, *hints]:
            logs.message(line)
    if oss is not None and not oss.get("announced"):
        logs.message(oss_banner(oss))
    if args.ready_fd is not None:
        with os.fdopen(args.ready_fd, "wb") as ready:
            ready.write(b"1")
    return _run_until_stopped(server, instance, logs, announce=args.listen_fd is None)


def _hints(instance: Any, mode: str, url: str, config: Any) -> list[str]:
    """Return the banner's hints: only those that work for this handler in this mode."""
    kind, model = instance.kind
    lines: list[str] = []
    if mode == "wsgi" and kind == "event":
        lines.append(
            f"warning: {config.handler} is an event handler, but HTTP reaches it as a WSGI "
            "app (FC 2.0): this is an event handler: use --mode event"
        )
    if mode == "wsgi":
        lines.append(f"FC 2.0 path: {url}/2016-08-15/proxy/{config.service_name}/{config.name}/")
    if kind == "http":
        return lines
    example = instance.code_dir / "event.json"
    if example.is_file():
        shown = (
            os.path.relpath(example) if not os.path.relpath(example).startswith("..") else example
        )
        lines.append(f"event invocation: curl -X POST {url}/invoke --data-binary @{shown}")
    elif model is not None:
        lines.append(f"event invocation: POST a JSON {model} to {url}/invoke")
    else:
        lines.append(f"event invocation: curl -X POST {url}/invoke -d '{{}}'")
    return lines


def _run_until_stopped(server: Any, instance: Any, logs: Any, *, announce: bool) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    loop = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    loop.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        if announce:  # a supervisor says it once for all its children
            logs.message("stopping")
        server.shutdown()
        loop.join()
        left = server.wait_async(10.0)
        if left:
            logs.message(f"{left} async invocation(s) still running; not waiting longer")
        instance.stop()
        server.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        logs.uninstall()
    return 0
