"""The parts of the invocation context: credentials, function, service, tracing.

Defined apart from :class:`fcsdk.context.FCContext` so that the reader of the
runtime's object (:mod:`fcsdk._context_reader`) can build them without
importing the model that uses it. Import them from :mod:`fcsdk.context`.
"""

# No `from __future__ import annotations` here: pydantic would compile every
# string annotation when the classes are created.

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = ["Credentials", "FunctionMeta", "ServiceMeta", "Tracing", "without_inputs"]

_HIDDEN = "**********"


def without_inputs(exc: ValidationError) -> ValidationError:
    """The same errors with every input (and the context values that echo it) hidden.

    ``hide_input_in_errors`` hides inputs in ``str(e)`` only; ``e.errors()``
    and ``e.json()`` would still carry a secret that was given the wrong type.
    """
    details: list[InitErrorDetails] = []
    for error in exc.errors(include_url=False):
        details.append(
            {
                "type": PydanticCustomError(error["type"], error["msg"].replace("{", "{{")),
                "loc": tuple(error["loc"]),
                "input": _HIDDEN,
            }
        )
    return ValidationError.from_exception_data(exc.title, details, hide_input=True)


class _NoInputsInErrors(BaseModel):
    @model_validator(mode="wrap")
    @classmethod
    def _hide_inputs(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            raise without_inputs(exc) from None


def _to_camel(name: str) -> str:
    """``access_key_id`` -> ``accessKeyId`` (the runtime's ``to_json()`` names)."""
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


_MODEL_CONFIG = ConfigDict(
    frozen=True,
    populate_by_name=True,
    alias_generator=_to_camel,
    extra="ignore",
    # Validation errors must never echo a secret back.
    hide_input_in_errors=True,
    # Built on first use: most invocations never validate or dump a context.
    defer_build=True,
)


class Credentials(_NoInputsInErrors):
    """Temporary STS credentials of the function's role.

    ``access_key_secret`` and ``security_token`` are :class:`~pydantic.SecretStr`:
    they print as ``'**********'`` and are dumped masked unless asked for with
    ``.get_secret_value()``.

    Example:
        >>> c = Credentials(access_key_id="STS.k", access_key_secret="s3cr3t", security_token="t0k")
        >>> c
        Credentials(access_key_id='STS.k', access_key_secret=SecretStr('**********'), security_token=SecretStr('**********'))
        >>> c.access_key_secret.get_secret_value()
        's3cr3t'
    """  # noqa: E501

    model_config = _MODEL_CONFIG

    access_key_id: str
    access_key_secret: SecretStr
    security_token: SecretStr | None = None


class FunctionMeta(BaseModel):
    """The function's own metadata; ``version_id``/``qualifier`` come from the 3.12 runtime."""

    model_config = _MODEL_CONFIG

    name: str | None = None
    handler: str | None = None
    memory: int | None = Field(default=None, description="Memory size in MB.")
    timeout: int | None = Field(default=None, description="Timeout in seconds.")
    version_id: str | None = None
    qualifier: str | None = None


class ServiceMeta(BaseModel):
    """The FC 2.0 service the function belongs to (absent on the 3.12 runtime)."""

    model_config = _MODEL_CONFIG

    name: str | None = None
    log_project: str | None = None
    log_store: str | None = None
    qualifier: str | None = None
    version_id: str | None = None


class Tracing(BaseModel):
    """Tracing Analysis data the runtime passes along, when tracing is on."""

    model_config = _MODEL_CONFIG

    span_context: str | None = None
    jaeger_endpoint: str | None = None
    span_baggages: dict[str, str] = Field(default_factory=dict)
