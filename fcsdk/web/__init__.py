"""HTTP for Function Compute: ``@fc.http``, ``fc.HttpApp``, ``fc.from_wsgi`` and their parts.

The package is named ``web`` (not ``http``) because ``fc.http`` is the
decorator. Everything here is re-exported from ``fcsdk`` and loaded on first
use, so an event-only function never imports it.

* :mod:`fcsdk.web.datastructures`: Headers, QueryParams, FormData, UploadFile
* :mod:`fcsdk.web.request` / :mod:`fcsdk.web.response`: the sans-IO objects
* :mod:`fcsdk.web.places`: one class per HTTP place (FC 2.0 WSGI, FC 3.0
  HTTP trigger, API Gateway): each recognises its input, builds the request
  and encodes the answer
* :mod:`fcsdk.web.options`: the options every app takes, once
* :mod:`fcsdk.web.adapter`: ``@fc.http``; :mod:`fcsdk.web.routing`: ``HttpApp``;
  :mod:`fcsdk.web.wsgi_app`: ``from_wsgi``; :mod:`fcsdk.web.asgi_app`: ``from_asgi``
  (over :mod:`fcsdk.web.asgi`, the ASGI protocol): the apps over the places
"""

from __future__ import annotations

from fcsdk.web.adapter import HttpHandler, http
from fcsdk.web.asgi_app import ASGIHandler, from_asgi
from fcsdk.web.datastructures import FormData, Headers, QueryParams, UploadFile
from fcsdk.web.limits import Limits
from fcsdk.web.request import Request
from fcsdk.web.response import JSONResponse, RedirectResponse, Response, StreamingResponse
from fcsdk.web.routing import HttpApp
from fcsdk.web.wsgi_app import WSGIHandler, from_wsgi

__all__ = [
    "ASGIHandler",
    "FormData",
    "Headers",
    "HttpApp",
    "HttpHandler",
    "JSONResponse",
    "Limits",
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
