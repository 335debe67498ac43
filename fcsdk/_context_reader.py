"""Reading the runtime's own context object into the values of :class:`~fcsdk.FCContext`.

The runtime's context is a plain object (or a dict) whose shape depends on
the runtime generation. This module reads it without pydantic validation:
attributes with their camelCase fallbacks, ``''`` to ``None``, numbers to
``int``, credentials from the object or, on 3.12, the environment. The
sub-models that rarely change between invocations (function, service,
credentials) are reused from a small cache keyed by their values; they are
frozen, so sharing them is safe.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, SecretStr

import fcsdk._context_parts as models
from fcsdk import _secrets
from fcsdk.exceptions import ContextError

__all__ = ["assemble", "environment_credentials", "values_from_runtime"]

_M = TypeVar("_M", bound=BaseModel)


def values_from_runtime(
    obj: object, env: tuple[str | None, str | None, str | None] | None = None
) -> dict[str, Any]:
    """Read and normalise every field of ``FCContext`` from the runtime's object or a dict.

    ``env`` is the ``ALIBABA_CLOUD_*`` credentials captured when the context was
    created; without it they are read now.
    """
    get = _getter(obj)
    request_id = get("request_id", "requestId")
    if not request_id:
        no_request_id(obj)
    service = get("service")
    service_meta = _service_meta(service) if service is not None else None
    log_project = _str(get("log_project", "logProject"))
    log_store = _str(get("log_store", "logStore"))
    if service_meta is not None:
        log_project = log_project or service_meta.log_project
        log_store = log_store or service_meta.log_store
    tracing = get("tracing")
    return {
        "request_id": str(request_id),
        "region": _str(get("region")),
        "account_id": _str(get("account_id", "accountId")),
        "retry_count": _int(get("retry_count", "retryCount")) or 0,
        "credentials": _credentials(get("credentials"), env),
        "function": _function_meta(get("function")),
        "service": service_meta,
        "tracing": _tracing(tracing) if tracing is not None else None,
        "log_project": log_project,
        "log_store": log_store,
    }


_CACHE_LIMIT = 64
_cache: dict[tuple[Any, ...], BaseModel] = {}


def assemble(cls: type[_M], values: dict[str, Any]) -> _M:
    """Create a model instance from already-normalised values, without validation.

    This is what ``model_construct`` does, minus the per-field default
    handling, which the callers have already done.
    """
    obj = cls.__new__(cls)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


def _cached(cls: type[_M], key: tuple[Any, ...], names: tuple[str, ...]) -> _M:
    """Return the (frozen, shareable) model for these values, building it once."""
    full_key = (cls, *key)
    hit = _cache.get(full_key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    model = assemble(cls, dict(zip(names, key, strict=True)))
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[full_key] = model
    return model


_Getter = Any  # Callable[..., Any]; kept loose so that the hot path avoids Protocol checks


def _getter(obj: object) -> _Getter:
    """Return ``get(*names)``: the first non-missing attribute or key of ``obj``."""
    if isinstance(obj, Mapping):
        mapping = obj

        def get_key(*names: str) -> Any:
            for name in names:
                value = mapping.get(name)
                if value is not None:
                    return value
            return None

        return get_key

    def get_attr(*names: str) -> Any:
        for name in names:
            value = getattr(obj, name, None)
            if value is not None:
                return value
        return None

    return get_attr


def _str(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if type(value) is str else str(value)


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if type(value) is int:
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_FUNCTION_FIELDS = ("name", "handler", "memory", "timeout", "version_id", "qualifier")


def _function_meta(function: object) -> models.FunctionMeta:
    if function is None:
        return _cached(models.FunctionMeta, (None,) * 6, _FUNCTION_FIELDS)
    get = _getter(function)
    key = (
        _str(get("name")),
        _str(get("handler")),
        _int(get("memory")),
        _int(get("timeout")),
        _str(get("version_id", "versionId")),
        _str(get("qualifier")),
    )
    return _cached(models.FunctionMeta, key, _FUNCTION_FIELDS)


_SERVICE_FIELDS = ("name", "log_project", "log_store", "qualifier", "version_id")


def _service_meta(service: object) -> models.ServiceMeta:
    get = _getter(service)
    key = (
        _str(get("name")),
        _str(get("log_project", "logProject")),
        _str(get("log_store", "logStore")),
        _str(get("qualifier")),
        _str(get("version_id", "versionId")),
    )
    return _cached(models.ServiceMeta, key, _SERVICE_FIELDS)


_CREDENTIAL_FIELDS = ("access_key_id", "access_key_secret", "security_token")


def environment_credentials() -> tuple[str | None, str | None, str | None]:
    """The 3.12 runtime's credentials: the ``ALIBABA_CLOUD_*`` environment variables."""
    environ = os.environ
    return (
        environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        environ.get("ALIBABA_CLOUD_SECURITY_TOKEN"),
    )


def _credentials(
    credentials: object, env: tuple[str | None, str | None, str | None] | None = None
) -> models.Credentials | None:
    """Credentials from the context object, else from the 3.12 runtime's environment."""
    if credentials is not None:
        get = _getter(credentials)
        key_id = _str(get("access_key_id", "accessKeyId"))
        if key_id:
            return _make_credentials(
                key_id,
                _str(get("access_key_secret", "accessKeySecret")),
                _str(get("security_token", "securityToken")),
            )
    env_key_id, env_secret, env_token = env if env is not None else environment_credentials()
    if not env_key_id:
        return None
    return _make_credentials(env_key_id, env_secret or None, env_token or None)


def _make_credentials(key_id: str, secret: str | None, token: str | None) -> models.Credentials:
    full_key = (models.Credentials, key_id, secret, token)
    hit = _cache.get(full_key)
    if hit is not None:
        return hit  # type: ignore[return-value]
    _secrets.remember(secret, token)
    model = assemble(
        models.Credentials,
        {
            "access_key_id": key_id,
            "access_key_secret": SecretStr(secret or ""),
            "security_token": SecretStr(token) if token else None,
        },
    )
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[full_key] = model
    return model


def _tracing(tracing: object) -> models.Tracing:
    get = _getter(tracing)
    baggages = get("span_baggages", "spanBaggages")
    return assemble(
        models.Tracing,
        {
            "span_context": _str(get("span_context", "spanContext")),
            "jaeger_endpoint": _str(get("jaeger_endpoint", "jaegerEndpoint")),
            "span_baggages": (
                {str(k): str(v) for k, v in baggages.items()}
                if isinstance(baggages, Mapping)
                else {}
            ),
        },
    )


def no_request_id(obj: object) -> NoReturn:
    """Raise the ContextError for an object that has no request id."""
    raise ContextError(
        f"the context object ({type(obj).__name__}) has no request_id: "
        "it is not a Function Compute context"
    )
