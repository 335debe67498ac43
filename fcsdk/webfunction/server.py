"""``serve()``: a web function on uvicorn, bound where FC's custom runtime looks for it.

FC starts the function's startup command and waits (up to 120 s) for a
server on ``0.0.0.0`` at the function's port: ``customRuntimeConfig.port``,
9000 by default, which the process finds in ``FC_CUSTOM_LISTEN_PORT``
(Serverless Devs' local mode sets ``FC_SERVER_PORT``). :func:`serve` runs a
:class:`~fcsdk.webfunction.WebFunction` there through uvicorn's own
``Config`` and ``Server``: no access log (FC logs each request), no
``Server``/``Date`` headers, uvicorn's loggers going through the root logger
fcsdk formats with the request id and masks.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
from typing import Literal

from fcsdk.exceptions import ConfigurationError
from fcsdk.webfunction.app import DEFAULT_THREADS, WebFunction

__all__ = ["DEFAULT_PORT", "listen_port", "serve", "setup_logging"]

DEFAULT_PORT = 9000


def listen_port(environ: dict[str, str] | None = None) -> int:
    """The function's port: ``FC_CUSTOM_LISTEN_PORT``, else ``FC_SERVER_PORT``, else 9000.

    Raises:
        ConfigurationError: the variable is set but is not a port number.
    """
    env = os.environ if environ is None else environ
    for name in ("FC_CUSTOM_LISTEN_PORT", "FC_SERVER_PORT"):
        value = env.get(name, "").strip()
        if value:
            if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 65536:
                raise ConfigurationError(f"{name}={value!r} is not a port number (1-65535)")
            return int(value)
    return DEFAULT_PORT


def setup_logging(fmt: Literal["text", "json"] = "text") -> None:
    """Format and mask log records with the request id, unless the module set up logging itself."""
    from fcsdk.logging import RequestContextFilter, configure

    root = logging.getLogger()
    if root.handlers:
        for handler in root.handlers:
            if not any(isinstance(f, RequestContextFilter) for f in handler.filters):
                handler.addFilter(RequestContextFilter())
    else:
        configure(fmt, stream=sys.stderr, level=logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        # What uvicorn's own logging set-up does: a level of their own spares each
        # connection uvicorn's TRACE-level formatting (it checks the logger's own level).
        uvicorn_logger = logging.getLogger(name)
        if uvicorn_logger.level == logging.NOTSET:
            uvicorn_logger.setLevel(logging.INFO)
    own = logging.getLogger("fcsdk.webfunction")
    if not any(isinstance(f, RequestContextFilter) for f in own.filters):
        own.addFilter(RequestContextFilter())


def serve(
    app: object = None,
    *,
    handler: object = None,
    host: str = "0.0.0.0",
    port: int | None = None,
    threads: int = DEFAULT_THREADS,
    access_log: bool = False,
    log_format: Literal["text", "json"] = "text",
) -> None:
    """Serve ``app`` (and ``handler`` on ``POST /invoke``) as FC's custom runtime expects.

    ``app`` may be a ready :class:`WebFunction`. Returns when the server
    stops, after the instance's PreStop hooks and the app's shutdown ran;
    stopped by SIGTERM or SIGINT (with their default handlers in place) it
    then raises ``SystemExit(0)``.

    Raises:
        ConfigurationError: uvicorn is not installed (``pip install 'fcsdk[web]'``),
            the port variable is not a port, or the app cannot be served.
    """
    web = (
        app if isinstance(app, WebFunction) else WebFunction(app, handler=handler, threads=threads)
    )
    try:
        import uvicorn
    except ImportError as exc:
        raise ConfigurationError(
            "the web function server needs uvicorn: pip install 'fcsdk[web]'"
        ) from exc
    setup_logging(log_format)
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(line_buffering=True)  # FC's frame lines reach the log as they are written
    config = uvicorn.Config(
        # as a factory: uvicorn otherwise calls the app with no arguments to find out whether
        # it is one, which an app whose __call__ takes *args (a wrapped one) cannot survive
        lambda: web,
        factory=True,
        host=host,
        port=listen_port() if port is None else port,
        lifespan="on",
        log_config=None,
        access_log=access_log,
        server_header=False,
        date_header=False,
    )
    _exit_cleanly_on_stop()
    # Everything imported so far lives as long as the process: out of the collector's
    # sight, the collections that requests' garbage triggers do not walk the modules
    # and the app (no collection first: it would cost the start what it saves later).
    gc.freeze()
    uvicorn.Server(config).run()


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _exit_cleanly_on_stop() -> None:
    """After its graceful shutdown uvicorn raises the signal that stopped it again: exit 0 then.

    Without a handler of ours that second SIGTERM would kill the process
    (exit status -15, and no ``atexit`` hooks, no flushed buffers).
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGINT):
        if signal.getsignal(signum) in (signal.SIG_DFL, signal.default_int_handler):
            signal.signal(signum, _stopped)
