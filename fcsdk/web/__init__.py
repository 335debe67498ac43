"""HTTP for Function Compute: ``@fc.http``, ``fc.HTTPApp``, ``fc.from_wsgi`` and their parts.

The package is named ``web`` (not ``http``) because ``fc.http`` is the
decorator. Everything here is re-exported from ``fcsdk`` and loaded on first
use, so an event-only function never imports it.

* :mod:`fcsdk.web.datastructures`: Headers, QueryParams, FormData, UploadFile
* :mod:`fcsdk.web.request` / :mod:`fcsdk.web.response`: the sans-IO objects
* :mod:`fcsdk.web.places`: one class per HTTP place (FC 2.0 WSGI, FC 3.0
  HTTP trigger, API Gateway): each recognises its input, builds the request
  and encodes the answer
* :mod:`fcsdk.web.options`: the options every app takes, once
* :mod:`fcsdk.web.adapter`: ``@fc.http``; :mod:`fcsdk.web.routing`: ``HTTPApp``;
  :mod:`fcsdk.web.wsgi_app`: ``from_wsgi``; :mod:`fcsdk.web.asgi_app`: ``from_asgi``
  (over :mod:`fcsdk.web.asgi`, the ASGI protocol): the apps over the places
"""

# No `from __future__ import annotations`: it would leave `annotations` in vars().
from typing import TYPE_CHECKING

from fcsdk._lazy import deprecated_aliases as _deprecated_aliases
from fcsdk.web.adapter import HTTPHandler, http
from fcsdk.web.asgi_app import ASGIHandler, from_asgi
from fcsdk.web.datastructures import FormData, Headers, MutableHeaders, QueryParams, UploadFile
from fcsdk.web.limits import Limits
from fcsdk.web.request import Request
from fcsdk.web.response import JSONResponse, RedirectResponse, Response, StreamingResponse
from fcsdk.web.routing import HTTPApp
from fcsdk.web.wsgi_app import WSGIHandler, from_wsgi

__all__ = [
    "ASGIHandler",
    "FormData",
    "HTTPApp",
    "HTTPHandler",
    "Headers",
    "JSONResponse",
    "Limits",
    "MutableHeaders",
    "QueryParams",
    "RedirectResponse",
    "Request",
    "Response",
    "StreamingResponse",
    "UploadFile",
    "WSGIHandler",
    "from_asgi",
    "from_wsgi",
    "http",
]

if TYPE_CHECKING:
    HttpApp = HTTPApp  # deprecated: warns at run time
    HttpHandler = HTTPHandler  # deprecated: warns at run time
else:
    __getattr__ = _deprecated_aliases(
        __name__, globals(), {"HttpApp": "HTTPApp", "HttpHandler": "HTTPHandler"}
    )
del TYPE_CHECKING, _deprecated_aliases  # vars() shows the public names only
