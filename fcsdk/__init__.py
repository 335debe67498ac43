"""fcsdk: a typed SDK for Alibaba Cloud Function Compute Python handlers.

``import fcsdk as fc`` gives the typed context, ``@fc.handler``, the
lifecycle hooks and the error tree. The HTTP layer, the trigger event models
and logging load on first use, so a handler pays only for what it touches.
"""

from typing import TYPE_CHECKING

from fcsdk._lazy import lazy_exports as _lazy_exports
from fcsdk.context import Credentials, FCContext, FunctionMeta, ServiceMeta, Tracing
from fcsdk.exceptions import (
    ASGIProtocolError,
    BadRequest,
    ConfigurationError,
    ContextError,
    CredentialsError,
    EventDecodeError,
    FCSDKError,
    Forbidden,
    HandlerLoadError,
    HTTPError,
    InternalServerError,
    InvalidBucketNameError,
    LengthRequired,
    LifespanError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RequestHeaderFieldsTooLarge,
    RequestValidationError,
    ResultEncodeError,
    Unauthorized,
    UnsupportedMediaType,
)
from fcsdk.handler import EventHandler, LifecycleHook, handler, initializer, pre_freeze, pre_stop

if TYPE_CHECKING:
    from fcsdk import events, logging, oss, testing
    from fcsdk.idempotency import idempotent
    from fcsdk.logging import log_event, logger
    from fcsdk.web import (
        FormData,
        Headers,
        HTTPApp,
        JSONResponse,
        Limits,
        MutableHeaders,
        QueryParams,
        RedirectResponse,
        Request,
        Response,
        StreamingResponse,
        UploadFile,
        from_asgi,
        from_wsgi,
        http,
    )

    HttpApp = HTTPApp  # deprecated: warns at run time

__version__ = "0.1.0"

# name -> module that defines it; imported on first attribute access.
_LAZY: dict[str, str] = {
    "events": "fcsdk.events",
    "testing": "fcsdk.testing",
    "logging": "fcsdk.logging",
    "logger": "fcsdk.logging",
    "log_event": "fcsdk.logging",
    "oss": "fcsdk.oss",
    "idempotent": "fcsdk.idempotency",
    "http": "fcsdk.web",
    "FormData": "fcsdk.web",
    "Headers": "fcsdk.web",
    "HTTPApp": "fcsdk.web",
    "JSONResponse": "fcsdk.web",
    "Limits": "fcsdk.web",
    "MutableHeaders": "fcsdk.web",
    "QueryParams": "fcsdk.web",
    "RedirectResponse": "fcsdk.web",
    "Request": "fcsdk.web",
    "Response": "fcsdk.web",
    "StreamingResponse": "fcsdk.web",
    "UploadFile": "fcsdk.web",
    "from_asgi": "fcsdk.web",
    "from_wsgi": "fcsdk.web",
}

__all__ = [
    "ASGIProtocolError",
    "BadRequest",
    "ConfigurationError",
    "ContextError",
    "Credentials",
    "CredentialsError",
    "EventDecodeError",
    "EventHandler",
    "FCContext",
    "FCSDKError",
    "Forbidden",
    "FormData",
    "FunctionMeta",
    "HTTPApp",
    "HTTPError",
    "HandlerLoadError",
    "Headers",
    "InternalServerError",
    "InvalidBucketNameError",
    "JSONResponse",
    "LengthRequired",
    "LifecycleHook",
    "LifespanError",
    "Limits",
    "MethodNotAllowed",
    "MutableHeaders",
    "NotFound",
    "PayloadTooLarge",
    "QueryParams",
    "RedirectResponse",
    "Request",
    "RequestHeaderFieldsTooLarge",
    "RequestValidationError",
    "Response",
    "ResultEncodeError",
    "ServiceMeta",
    "StreamingResponse",
    "Tracing",
    "Unauthorized",
    "UnsupportedMediaType",
    "UploadFile",
    "__version__",
    "events",
    "from_asgi",
    "from_wsgi",
    "handler",
    "http",
    "idempotent",
    "initializer",
    "log_event",
    "logger",
    "logging",
    "oss",
    "pre_freeze",
    "pre_stop",
    "testing",
]


__getattr__, __dir__ = _lazy_exports(
    __name__, globals(), _LAZY, __all__, deprecated={"HttpApp": "HTTPApp"}
)
del TYPE_CHECKING  # vars() shows the public names only
