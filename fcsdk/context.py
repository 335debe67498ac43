"""Typed models of the Function Compute invocation context.

The runtime hands every handler a plain ``context`` object whose shape
depends on the runtime generation (see ``docs/context.md``). :class:`FCContext`
is one frozen pydantic model for all of them, built by
:meth:`FCContext.from_runtime`.

Building it sits on every invocation's hot path, so ``from_runtime`` does not
run pydantic validation, and for the runtime's own object it does not even
read it until the handler uses the context: the first field read (or dump,
repr, copy...) fills the model from the runtime's attributes, read by
:mod:`fcsdk._context_reader`.
"""

# No `from __future__ import annotations` here: pydantic would compile every
# string annotation when the classes are created, which is most of the cost
# of importing this module.

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field, PrivateAttr

from fcsdk import _context_reader as _reader
from fcsdk._context_parts import (
    _MODEL_CONFIG,
    Credentials,
    FunctionMeta,
    ServiceMeta,
    Tracing,
    _NoInputsInErrors,
)
from fcsdk.exceptions import ContextError

if TYPE_CHECKING:
    import logging

    import oss2
    from typing_extensions import Self

    from fcsdk.oss import AuthVersion

__all__ = [
    "Credentials",
    "FCContext",
    "FunctionMeta",
    "RuntimeContext",
    "ServiceMeta",
    "Tracing",
]


class RuntimeContext(Protocol):
    """What fcsdk reads from the runtime's own context object: only ``request_id``.

    Every other attribute FC's Python handler page lists is optional.
    """

    @property
    def request_id(self) -> str: ...


class FCContext(_NoInputsInErrors):  # noqa: PLW1641 - pydantic adds __hash__ to frozen models
    """The typed invocation context, the same for every runtime generation.

    Build it with :meth:`from_runtime` from whatever the runtime passed.
    ``raw`` keeps that original object.

    Example:
        >>> from fcsdk.testing import fake_context
        >>> ctx = FCContext.from_runtime(fake_context(request_id="r-1", region="cn-hangzhou"))
        >>> ctx.request_id, ctx.region
        ('r-1', 'cn-hangzhou')
    """

    model_config = _MODEL_CONFIG

    request_id: str
    region: str | None = None
    account_id: str | None = None
    retry_count: int = 0
    credentials: Credentials | None = None
    function: FunctionMeta = Field(default_factory=FunctionMeta)
    service: ServiceMeta | None = None
    tracing: Tracing | None = None
    log_project: str | None = None
    log_store: str | None = None

    _raw: Any = PrivateAttr(default=None)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_runtime(cls, obj: object) -> "FCContext":
        """Build an ``FCContext`` from the runtime's context, of any generation.

        Accepts the runtime's plain object (3.6/3.9/3.10 shape or 3.12 shape),
        a dict such as the runtime's ``to_json()`` gives (snake_case or
        camelCase keys), or an ``FCContext`` (returned as is). Empty strings
        become ``None``; credentials missing from the object are read from
        the ``ALIBABA_CLOUD_*`` environment variables (the 3.12 runtime's
        way); an empty access key means no credentials.

        Raises:
            ContextError: ``obj`` is ``None`` or has no request id.
        """
        if FCContext in type(obj).__mro__:  # cheaper than isinstance on a model class
            return obj  # type: ignore[return-value]
        if obj is None:
            raise ContextError(
                "context is None: the FC runtime always passes its context object; "
                "in tests use fcsdk.testing.fake_context() or fcsdk.testing.invoke()"
            )
        if not (getattr(obj, "request_id", None) or getattr(obj, "requestId", None)):
            if isinstance(obj, Mapping):
                # A dict is read at once: there is no runtime object to keep reading from.
                ctx = _reader.assemble(cls, _reader.values_from_runtime(obj))
                object.__setattr__(ctx, "__pydantic_private__", {"_raw": obj})
                return ctx
            _reader.no_request_id(obj)
        # The runtime's object: its fields are read on first use (see _lazy_dict).
        private: dict[str, Any] = {"_raw": obj}
        if getattr(obj, "credentials", None) is None:
            # 3.12: the credentials live in the environment, which the runtime
            # rewrites when they rotate: take this invocation's now.
            private["_env"] = _reader.environment_credentials()
        ctx = object.__new__(cls)
        # Shared, never mutated: pydantic copies it before any update (model_copy).
        _FIELDS_SET_SLOT.__set__(ctx, _ALL_FIELDS_SET)
        _EXTRA_SLOT.__set__(ctx, None)
        _PRIVATE_SLOT.__set__(ctx, private)
        return ctx

    if not TYPE_CHECKING:
        # Contexts built by from_runtime() from the runtime's object start with an
        # empty instance dict and fill it from the runtime's object the first time
        # a field is read (__getattr__) or the model is used as a whole (dump,
        # repr, copy, pickle, equality, nested serialisation: all of these go
        # through the ``__dict__`` attribute). A handler that never reads its
        # context pays only for creating the object.
        __dict__ = property(
            lambda self: _lazy_dict(self),  # noqa: PLW0108 - _lazy_dict is defined below
            lambda self, value: _INSTANCE_DICT.__set__(self, value),  # noqa: PLW0108
        )

        def __getattr__(self, name: str) -> Any:
            if name in _FIELD_NAMES:
                values = _lazy_dict(self)
                if name in values:
                    return values[name]
            return super().__getattr__(name)

    # -- convenience ----------------------------------------------------------------------

    @property
    def raw(self) -> Any:
        """The runtime's own context object this was built from (``None`` if built by hand)."""
        private = self.__pydantic_private__
        return private.get("_raw") if private else None

    @property
    def function_name(self) -> str | None:
        """The function's name."""
        return self.function.name

    @property
    def qualifier(self) -> str | None:
        """The alias or version invoked, from ``function`` (3.12) or ``service`` (older)."""
        if self.function.qualifier:
            return self.function.qualifier
        return self.service.qualifier if self.service is not None else None

    @property
    def version_id(self) -> str | None:
        """The published version invoked, from ``function`` (3.12) or ``service`` (older)."""
        if self.function.version_id:
            return self.function.version_id
        return self.service.version_id if self.service is not None else None

    @property
    def logger(self) -> "logging.Logger | logging.LoggerAdapter[logging.Logger]":
        """The runtime's logger when it gave one, else a logger that carries the request id.

        On the 3.6-3.10 runtimes ``context.logger`` is ``None`` unless instance
        concurrency is above one; then the runtime's ``getLogger()`` (the root
        logger, formatted with the request id) is used.
        """
        import logging

        raw = self.raw
        runtime_logger = getattr(raw, "logger", None)
        if isinstance(runtime_logger, logging.Logger | logging.LoggerAdapter):
            return runtime_logger
        get_logger = getattr(raw, "getLogger", None)
        if callable(get_logger):
            candidate = get_logger()
            if isinstance(candidate, logging.Logger | logging.LoggerAdapter):
                return candidate
        return logging.LoggerAdapter(
            logging.getLogger("fcsdk.handler"), {"fc_request_id": self.request_id}
        )

    def __eq__(self, other: object) -> bool:
        """Contexts are equal when their fields are; the runtime object behind them is ignored."""
        if not isinstance(other, FCContext):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def with_raw(self, raw: object) -> "Self":
        """Return a copy of this context whose :attr:`raw` is ``raw``."""
        copy = self.model_copy()
        object.__setattr__(copy, "__pydantic_private__", {"_raw": raw})
        return copy

    def oss_bucket(
        self,
        bucket_name: str,
        *,
        endpoint: str | None = None,
        internal: bool | None = None,
        region: str | None = None,
        auth_version: "AuthVersion" = "v4",
        **bucket_options: Any,
    ) -> "oss2.Bucket":
        """Return an ``oss2.Bucket`` signed (``oss2.StsAuth``) with this invocation's credentials.

        The endpoint is ``endpoint``, else ``FCSDK_OSS_ENDPOINT``, else the
        region's internal endpoint (the public one with ``internal=False``, or
        for a bucket of another ``region``). Signature v4 by default,
        ``auth_version="v1"`` on request. Buckets are cached per credentials,
        endpoint, bucket and options; ``oss2`` is imported on the first call
        only. See :mod:`fcsdk.oss`.

        Raises:
            InvalidBucketNameError: OSS forbids the bucket name.
            CredentialsError: the invocation has no usable credentials (no role).
            ConfigurationError: ``oss2`` is not installed (``pip install 'fcsdk[oss]'``),
                the endpoint is not a URL, or an option is unknown.

        Example:
            >>> from fcsdk.testing import fake_context
            >>> ctx = FCContext.from_runtime(fake_context())
            >>> ctx.oss_bucket("my-bucket", endpoint="http://127.0.0.1:9000").bucket_name
            'my-bucket'
        """
        from fcsdk.oss import oss_bucket

        return oss_bucket(
            self,
            bucket_name,
            endpoint=endpoint,
            internal=internal,
            region=region,
            auth_version=auth_version,
            **bucket_options,
        )


# -- helpers: kept out of the class so that the hot path is plain function calls -------

_INSTANCE_DICT: Any = BaseModel.__dict__["__dict__"]  # the real per-instance dict slot
_FIELDS_SET_SLOT: Any = BaseModel.__dict__["__pydantic_fields_set__"]
_EXTRA_SLOT: Any = BaseModel.__dict__["__pydantic_extra__"]
_PRIVATE_SLOT: Any = BaseModel.__dict__["__pydantic_private__"]
_FIELD_NAMES = frozenset(FCContext.model_fields)
_ALL_FIELDS_SET = set(_FIELD_NAMES)


def _lazy_dict(ctx: FCContext) -> dict[str, Any]:
    """Return ``ctx``'s instance dict, first filling it from the runtime object if pending."""
    values: dict[str, Any] = _INSTANCE_DICT.__get__(ctx)
    if not values:
        private = object.__getattribute__(ctx, "__pydantic_private__")
        if private and private.get("_raw") is not None:
            values.update(_reader.values_from_runtime(private["_raw"], private.get("_env")))
    return values
