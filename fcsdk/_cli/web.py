"""``fcsdk web MODULE``: the production HTTP server of a web function (FC 3.0 custom runtime).

The startup command of the function (``python3 -m fcsdk web index`` in its
``bootstrap``): serves ``index.app`` for HTTP requests and ``index.handler``
for ``POST /invoke`` on ``0.0.0.0`` at ``FC_CUSTOM_LISTEN_PORT`` (else
``FC_SERVER_PORT``, else 9000), until SIGTERM. A module that cannot be
loaded exits with 1 and says why on stderr; bad options exit with 2.
"""

from __future__ import annotations

import argparse
import sys

from fcsdk._cli._arguments import positive_int

__all__ = ["configure", "run"]

HELP = "run a web function's HTTP server (FC custom runtime), on uvicorn"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``fcsdk web``'s arguments."""
    parser.add_argument(
        "target",
        metavar="MODULE",
        help="the module to serve (index; index:api for an app named api)",
    )
    parser.add_argument("--app-name", default="app", help="the HTTP app's name in it (default app)")
    parser.add_argument(
        "--handler-name", default="handler", help="the event handler's name (default handler)"
    )
    parser.add_argument("--app-dir", default=".", help="the folder MODULE is in (default .)")
    parser.add_argument(
        "--host", default="0.0.0.0", help="the address to bind (default 0.0.0.0, as FC requires)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help="the port (default FC_CUSTOM_LISTEN_PORT, else FC_SERVER_PORT, else 9000)",
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        metavar="N",
        help="threads for sync routes, WSGI apps and sync handlers (default 40)",
    )
    parser.add_argument(
        "--log-format", choices=("text", "json"), default="text", help="log records' format"
    )
    parser.add_argument("--access-log", action="store_true", help="log every request (uvicorn's)")


def run(args: argparse.Namespace) -> int:
    """Load the module and serve it until the server stops; the exit code."""
    from fcsdk.exceptions import FCSDKError
    from fcsdk.webfunction import DEFAULT_THREADS, load, serve

    try:
        web = load(
            args.target,
            app_name=args.app_name,
            handler_name=args.handler_name,
            app_dir=args.app_dir,
            threads=args.threads or DEFAULT_THREADS,
        )
        serve(
            web,
            host=args.host,
            port=args.port,
            access_log=args.access_log,
            log_format=args.log_format,
        )
    except FCSDKError as exc:
        print(f"fcsdk web: {exc}", file=sys.stderr)
        return 1
    return 0
