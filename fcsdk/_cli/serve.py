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

from fcsdk._cli.invoke import _positive_int, add_function_options, function_config
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


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``fcsdk serve``'s options to ``parser``."""
    parser.add_argument(
        "handler",
        nargs="?",
        help="handler string: index.handler, src/app.handler or path/to/file.py:func",
    )
    add_function_options(parser)
    parser.add_argument(
        "--mode",
        choices=["wsgi", "event"],
        help="how HTTP reaches the handler: wsgi (FC 2.0) or event (FC 3.0); "
        "default event for python3.12, wsgi otherwise",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=9000, help="port to listen on (9000; 0: any free port)"
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=1,
        metavar="N",
        help="instance concurrency: requests run at once, each in a thread (default 1)",
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
    parser.add_argument("--listen-fd", type=int, help=argparse.SUPPRESS)
    parser.set_defaults(_serve_actions=list(parser._actions))


def run(args: argparse.Namespace) -> int:
    """Run ``fcsdk serve``; return 0 after a clean stop, 2 for bad options or a busy port."""
    from fcsdk._local import supervisor

    try:
        if args.config is not None:
            if args.handler is not None:
                raise ConfigurationError(
                    "--config serves the functions its file names: give no handler with it"
                )
            return supervisor.serve_config(Path(args.config), reload=args.reload)
        if args.handler is None:
            raise ConfigurationError("give a handler string (e.g. index.handler) or --config FILE")
        if args.reload and args.listen_fd is None:
            return supervisor.serve_reloading(args, child_argv(args))
        return serve(args)
    except ConfigurationError as exc:
        sys.stderr.write(f"fcsdk serve: {exc}\n")
        return 2


def child_argv(args: argparse.Namespace) -> list[str]:
    """Return the command-line arguments that reproduce ``args`` (without ``--reload``)."""
    argv: list[str] = []
    for action in args._serve_actions:
        value = getattr(args, action.dest, None)
        if action.dest in ("help", "reload", "listen_fd") or value == action.default:
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
    from fcsdk.exceptions import HandlerLoadError

    extra: dict[str, Any] = {"concurrency": args.concurrency}
    if oss is not None:
        extra.update(oss["credentials"])
    config = function_config(args, **extra)
    if oss is not None:
        env = {"FCSDK_OSS_ENDPOINT": oss["endpoint"], **config.env}
        config = dataclasses.replace(config, env=env)
    chosen = args.mode or ("event" if args.runtime == "python3.12" else "wsgi")
    mode: Mode = "event" if chosen == "event" else "wsgi"
    logs = RuntimeLogs(sys.stderr)
    instance = Instance(config, logs)
    hosted = {config.name: HostedFunction(instance, mode)}
    inherited = _bind(args)
    try:
        server = LocalServer(
            (args.host, args.port), hosted, logs, bind_and_activate=inherited is None
        )
    except OSError as exc:
        sys.stderr.write(f"fcsdk serve: cannot listen on {args.host}:{args.port}: {exc.strerror}\n")
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
    logs.message(f"serving {config.handler} (HTTP trigger, {_MODE_NAMES[mode]}) on {url}")
    logs.message(f"FC 2.0 path: {url}/2016-08-15/proxy/{config.service_name}/{config.name}/")
    logs.message(f"event invocation: curl -X POST {url}/invoke -d '{{}}'")
    if oss is not None:
        logs.message(oss_banner(oss))
    return _run_until_stopped(server, instance, logs)


def _run_until_stopped(server: Any, instance: Any, logs: Any) -> int:
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
