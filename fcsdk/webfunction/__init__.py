"""Web functions: fcsdk as the HTTP server of an FC 3.0 custom runtime.

``python3 -m fcsdk web index`` (the startup command of the function) serves
``index.app`` (FastAPI, Starlette, Flask, Django, ``@fc.http``,
``fc.HTTPApp``) for HTTP requests and ``index.handler`` (an ``@fc.handler``)
for event invocations, on uvicorn, at the port FC gives; see
:mod:`fcsdk.webfunction.app` for what it answers and
:func:`fcsdk.webfunction.serve` to start it from Python.

Nothing here imports uvicorn until :func:`serve` runs.
"""

from fcsdk.exceptions import InstanceStartError
from fcsdk.webfunction.app import DEFAULT_THREADS, WebFunction
from fcsdk.webfunction.headers import HeaderContext
from fcsdk.webfunction.loader import load
from fcsdk.webfunction.server import DEFAULT_PORT, listen_port, serve

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_THREADS",
    "HeaderContext",
    "InstanceStartError",
    "WebFunction",
    "listen_port",
    "load",
    "serve",
]
