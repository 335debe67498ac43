"""fcsdk: a typed SDK for Alibaba Cloud Function Compute Python handlers.

``import fcsdk as fc`` gives the typed context, ``@fc.handler``, the
lifecycle hooks and the error tree. The HTTP layer, the trigger event models
and logging load on first use, so a handler pays only for what it touches.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fcsdk.context import Credentials, FCContext, FunctionMeta, ServiceMeta, Tracing
from fcsdk.exceptions import (
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
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RequestValidationError,
    ResultEncodeError,
    Unauthorized,
    UnsupportedMediaType,
)
from fcsdk.handler import EventHandler, LifecycleHook, handler, initializer, pre_freeze, pre_stop

if TYPE_CHECKING:
    from fcsdk import events, oss, testing
    from fcsdk.exceptions import InvalidBucketNameError

__version__ = "0.1.0"

# name -> module that defines it; imported on first attribute access.
_LAZY: dict[str, str] = {
    "events": "fcsdk.events",
    "testing": "fcsdk.testing",
    "oss": "fcsdk.oss",
    "InvalidBucketNameError": "fcsdk.exceptions",
}

__all__ = [
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
    "FunctionMeta",
    "HTTPError",
    "HandlerLoadError",
    "InternalServerError",
    "InvalidBucketNameError",
    "LifecycleHook",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "RequestValidationError",
    "ResultEncodeError",
    "ServiceMeta",
    "Tracing",
    "Unauthorized",
    "UnsupportedMediaType",
    "__version__",
    "events",
    "handler",
    "initializer",
    "oss",
    "pre_freeze",
    "pre_stop",
    "testing",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'fcsdk' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if module_name.endswith("." + name) else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
