"""Fake runtime contexts shaped exactly like the FC Python runtime's own objects."""

from __future__ import annotations

import logging
import uuid
from typing import Any, Literal

__all__ = ["RuntimeShape", "fake_context"]

RuntimeShape = Literal["python3.9", "python3.10", "python3.12"]

_UNSET: Any = object()

# The fake credentials every local tool agrees on: fake_context(), the oss_server
# fixture, LocalOSSServer, `fcsdk serve` and `fcsdk oss-server`.
FAKE_ACCESS_KEY_ID = "STS.fake-access-key-id"
FAKE_ACCESS_KEY_SECRET = "Fake+AccessKey/Secret0w8Zq="  # +, / and =, as real ones have
FAKE_SECURITY_TOKEN = "CAIS+fake/SecurityTokenR9xY2Q=="


class _Plain:
    """A plain attribute bag, like the runtime's own classes (no pydantic, no magic)."""

    def __init__(self, **attrs: Any) -> None:
        self.__dict__.update(attrs)

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{k}={'***' if 'secret' in k or 'token' in k else repr(v)}"
            for k, v in self.__dict__.items()
        )
        return f"{type(self).__name__}({shown})"


class Credentials(_Plain):
    """The runtime's ``context.credentials``."""


class FunctionMeta(_Plain):
    """The runtime's ``context.function``."""


class ServiceMeta(_Plain):
    """The runtime's ``context.service``."""


class Tracing(_Plain):
    """The runtime's ``context.tracing``."""


class FCContext(_Plain):
    """The runtime's ``context``."""

    def getLogger(self) -> logging.Logger:
        """Return the root logger, as the runtime does."""
        return logging.getLogger()


def new_request_id() -> str:
    """Return a request id shaped like FC's (``1-6560a1b2-0123456789abcdef01234567``)."""
    raw = uuid.uuid4().hex
    return f"1-{raw[:8]}-{raw[8:32]}"


def fake_context(
    *,
    runtime: RuntimeShape = "python3.10",
    request_id: str | None = None,
    region: str = "cn-hangzhou",
    account_id: str = "1234567890123456",
    retry_count: int = 0,
    function_name: str = "my-function",
    handler: str = "index.handler",
    memory: int = 512,
    timeout: int = 60,
    service_name: str = "my-service",
    qualifier: str = "LATEST",
    version_id: str = "",
    log_project: str = "",
    log_store: str = "",
    access_key_id: str = FAKE_ACCESS_KEY_ID,
    access_key_secret: str = FAKE_ACCESS_KEY_SECRET,
    security_token: str = FAKE_SECURITY_TOKEN,
    credentials: bool = True,
    tracing: dict[str, Any] | None = None,
    logger: logging.Logger | None = _UNSET,
) -> FCContext:
    """Return an object shaped exactly like the runtime's ``context`` of one generation.

    The result has plain attributes, like the runtime's own object (not a
    pydantic model), believable defaults, and a fresh request id on each call.
    ``runtime="python3.12"`` gives the 3.12 shape: no ``credentials`` and no
    ``service`` (credentials come from the ``ALIBABA_CLOUD_*`` environment
    variables there), ``version_id``/``qualifier`` on ``function``,
    ``log_project``/``log_store`` on the context, and a logger always set.
    ``credentials=False`` gives a function without a role (empty credentials
    on the older runtimes).

    Example:
        >>> ctx = fake_context(request_id="r-1")
        >>> ctx.request_id, ctx.credentials.access_key_id
        ('r-1', 'STS.fake-access-key-id')
    """
    rid = request_id if request_id is not None else new_request_id()
    span = tracing or {}
    trace = Tracing(
        span_context=span.get("span_context", ""),
        jaeger_endpoint=span.get("jaeger_endpoint", ""),
        span_baggages=dict(span.get("span_baggages", {})),
    )
    if runtime == "python3.12":
        return FCContext(
            request_id=rid,
            region=region,
            account_id=account_id,
            retry_count=retry_count,
            function=FunctionMeta(
                name=function_name,
                handler=handler,
                memory=memory,
                timeout=timeout,
                version_id=version_id,
                qualifier=qualifier,
            ),
            log_project=log_project,
            log_store=log_store,
            tracing=trace,
            logger=logging.getLogger() if logger is _UNSET else logger,
        )
    creds = (
        Credentials(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            security_token=security_token,
        )
        if credentials
        else Credentials(access_key_id="", access_key_secret="", security_token="")
    )
    return FCContext(
        request_id=rid,
        credentials=creds,
        function=FunctionMeta(name=function_name, handler=handler, memory=memory, timeout=timeout),
        service=ServiceMeta(
            name=service_name,
            log_project=log_project,
            log_store=log_store,
            qualifier=qualifier,
            version_id=version_id,
        ),
        region=region,
        account_id=account_id,
        retry_count=retry_count,
        tracing=trace,
        logger=None if logger is _UNSET else logger,
    )
