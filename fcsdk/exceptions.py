"""The one error tree of fcsdk.

Every error the library raises on purpose derives from :class:`FCSDKError`, so
``except fc.FCSDKError`` catches them all. Where an error is also a classic
Python error, it derives from that builtin too, so code written against the
builtin keeps working::

    FCSDKError
    ├── EventDecodeError(FCSDKError, ValueError)     raw input kept, pydantic error as __cause__
    ├── ResultEncodeError(FCSDKError, TypeError)     a handler returned what the runtime cannot send
    ├── ContextError(FCSDKError, TypeError)          the context object is not an FC context
    ├── ASGIProtocolError(FCSDKError, RuntimeError)  an ASGI app sent messages out of order
    ├── LifespanError(FCSDKError, RuntimeError)      an ASGI app's lifespan startup failed
    ├── InstanceStartError(FCSDKError, RuntimeError) a web function's startup (lifespan,
    │                                                initializers) failed: the instance is lost
    ├── HTTPError(FCSDKError)                        status, detail, headers
    │   ├── BadRequest                    400
    │   ├── Unauthorized                  401
    │   ├── Forbidden                     403
    │   ├── NotFound                      404
    │   ├── MethodNotAllowed              405  (allowed methods in ``Allow``)
    │   ├── LengthRequired                411  (a body without ``Content-Length``)
    │   ├── PayloadTooLarge               413
    │   ├── RequestHeaderFieldsTooLarge   431
    │   ├── UnsupportedMediaType          415
    │   ├── RequestValidationError        422  (field errors in ``errors``)
    │   └── InternalServerError           500
    ├── InvalidResponseError(FCSDKError, ValueError) an HTTP answer FC would refuse (bad status,
    │                                                header, base64 body; past 6 MB)
    ├── ConfigurationError(FCSDKError)               a missing extra, a bad option
    │   ├── InvalidBucketNameError(ConfigurationError, ValueError)  OSS forbids the bucket name
    │   └── InvalidArgumentError(ConfigurationError, ValueError)    an argument fcsdk cannot use
    ├── CredentialsError(FCSDKError)                 no usable credentials for a cloud call
    ├── IdempotencyError(FCSDKError)                 an idempotent call could not run or answer
    │   ├── IdempotencyKeyError(IdempotencyError, BadRequest)           400: no key in the event
    │   ├── IdempotencyPayloadMismatchError(IdempotencyError, HTTPError) 422: key reused
    │   ├── IdempotencyInProgressError(IdempotencyError, HTTPError)     409: a twin runs now
    │   ├── IdempotencyStoreError                    the store failed or refused; nothing ran
    │   │   └── IdempotencyResultTooLargeError       the result passes the store's record size
    │   └── IdempotencyBatchError                    records of a batch failed (``failures``)
    ├── LocalRuntimeError(FCSDKError)                the local runtime ended a call as FC would
    │   ├── FunctionTimeout                          the call ran past the function's timeout
    │   ├── FunctionExited                           the handler tried to end the process
    │   └── InstanceBusy                             every concurrency slot stayed taken too long
    ├── PackageError(FCSDKError)                     ``fcsdk package`` could not build the zip
    │   ├── NoMatchingWheelError                     a requirement has no wheel for the runtime
    │   └── PackageTooLargeError                     the zip passes FC's code package size limit
    └── HandlerLoadError(FCSDKError)                 the runtime's load failures, by their names:
        ├── InvalidHandleName                        handler string without a dot
        ├── ImportModuleError                        the module cannot be found or imported
        ├── UserCodeSyntaxError                      the module has a syntax error
        ├── UserCodeError                            the module raised while being imported
        └── HandlerNotFound                          the module has no such function

Messages say what was wrong and where (``event.events[0].oss.object.size:
Input should be a valid integer``) and never carry a secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

__all__ = [
    "ASGIProtocolError",
    "BadRequest",
    "ConfigurationError",
    "ContextError",
    "CredentialsError",
    "EventDecodeError",
    "FCSDKError",
    "Forbidden",
    "HTTPError",
    "HandlerLoadError",
    "HandlerNotFound",
    "IdempotencyBatchError",
    "IdempotencyError",
    "IdempotencyInProgressError",
    "IdempotencyKeyError",
    "IdempotencyPayloadMismatchError",
    "IdempotencyResultTooLargeError",
    "IdempotencyStoreError",
    "ImportModuleError",
    "InstanceStartError",
    "FunctionExited",
    "FunctionTimeout",
    "InstanceBusy",
    "InternalServerError",
    "InvalidArgumentError",
    "InvalidBucketNameError",
    "InvalidHandleName",
    "InvalidResponseError",
    "LengthRequired",
    "LifespanError",
    "LocalRuntimeError",
    "MethodNotAllowed",
    "NoMatchingWheelError",
    "NotFound",
    "PackageError",
    "PackageTooLargeError",
    "PayloadTooLarge",
    "RequestHeaderFieldsTooLarge",
    "RequestValidationError",
    "ResultEncodeError",
    "Unauthorized",
    "UnsupportedMediaType",
    "UserCodeError",
    "UserCodeSyntaxError",
]


class FCSDKError(Exception):
    """The root of every error fcsdk raises on purpose."""


class EventDecodeError(FCSDKError, ValueError):
    """The event could not be turned into the handler's event model.

    Attributes:
        raw: the event exactly as the runtime handed it over.
        errors: one ``(path, message)`` pair per failing field, ``path`` in
            the form ``event.events[0].oss.object.size``.
    """

    def __init__(
        self,
        message: str,
        *,
        raw: object = None,
        errors: Sequence[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.raw = raw
        self.errors: list[tuple[str, str]] = list(errors)


class ResultEncodeError(FCSDKError, TypeError):
    """A handler returned a value that cannot be sent back as the invocation result."""


class ContextError(FCSDKError, TypeError):
    """The object passed as ``context`` is not a Function Compute context."""


class ASGIProtocolError(FCSDKError, RuntimeError):
    """The ASGI app sent messages the protocol does not allow (out of order, wrong types)."""


class LifespanError(FCSDKError, RuntimeError):
    """An ASGI app's lifespan startup (or shutdown) failed; the message is the app's own."""


class InstanceStartError(FCSDKError, RuntimeError):
    """A web function's instance failed to start (its lifespan startup or an initializer).

    Raised afresh for every call the instance gets afterwards: FC discards
    such an instance.
    """


class HTTPError(FCSDKError):
    """An error that has an HTTP status; raised anywhere in a handler it becomes that response.

    Args:
        detail: a human-readable explanation, sent in the problem body.
        status: the HTTP status code; subclasses fix it.
        headers: extra response headers (``Allow`` for 405, say).

    Example:
        >>> raise NotFound("no order A1")  # doctest: +SKIP
    """

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.detail = detail if detail is not None else self.title
        if status is not None:
            self.status = status  # type: ignore[misc]
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(self.detail)

    def to_problem(self) -> dict[str, Any]:
        """Return the JSON problem body (RFC 9457 fields) for this error."""
        return {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }


class BadRequest(HTTPError):
    """400: the request is malformed."""

    status = 400
    title = "Bad Request"


class Unauthorized(HTTPError):
    """401: the request lacks valid authentication."""

    status = 401
    title = "Unauthorized"


class Forbidden(HTTPError):
    """403: the caller may not do this."""

    status = 403
    title = "Forbidden"


class NotFound(HTTPError):
    """404: nothing lives at this path."""

    status = 404
    title = "Not Found"


class MethodNotAllowed(HTTPError):
    """405: the path exists but not for this method; ``Allow`` lists the methods that work."""

    status = 405
    title = "Method Not Allowed"

    def __init__(
        self,
        allowed: Sequence[str],
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.allowed = sorted(set(allowed))
        merged = {"Allow": ", ".join(self.allowed), **(headers or {})}
        super().__init__(detail, headers=merged)


class PayloadTooLarge(HTTPError):
    """413: the request body is over the configured limit."""

    status = 413
    title = "Payload Too Large"


class RequestHeaderFieldsTooLarge(HTTPError):
    """431: the request carries more header fields than the configured limit."""

    status = 431
    title = "Request Header Fields Too Large"


class UnsupportedMediaType(HTTPError):
    """415: the request body's content type is not one this endpoint reads."""

    status = 415
    title = "Unsupported Media Type"


class RequestValidationError(HTTPError):
    """422: the request parsed but did not validate; ``errors`` lists each field error.

    Each error is a dict with ``loc`` (a list of path parts), ``msg`` and
    ``type``, the same keys pydantic uses, without the offending input.
    """

    status = 422
    title = "Unprocessable Content"

    def __init__(
        self,
        errors: Sequence[Mapping[str, Any]],
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.errors = [dict(e) for e in errors]
        super().__init__(detail or "The request did not validate.", headers=headers)

    def to_problem(self) -> dict[str, Any]:
        """Return the problem body with the field errors under ``errors``."""
        body = super().to_problem()
        body["errors"] = self.errors
        return body


class InternalServerError(HTTPError):
    """500: the handler failed."""

    status = 500
    title = "Internal Server Error"


class ConfigurationError(FCSDKError):
    """fcsdk is set up wrongly: a missing optional dependency, a bad option, a bad endpoint."""


class InvalidBucketNameError(ConfigurationError, ValueError):
    """A bucket name that OSS forbids, caught before any request is sent."""


class InvalidArgumentError(ConfigurationError, ValueError):
    """An argument has a value fcsdk cannot use (an empty key, a port out of range).

    A ``ValueError`` too, so ``except ValueError`` keeps working.
    """


class CredentialsError(FCSDKError):
    """No usable credentials for a call that needs them (a function without a role, say)."""


class InvalidResponseError(FCSDKError, ValueError):
    """A handler's HTTP answer is one FC would refuse (and answer 502 for).

    A status out of range, a header name that is not a token or a value with
    a line break, a body marked base64 that is not, a response past FC's 6 MB.
    A ``ValueError`` too, so ``except ValueError`` keeps working.
    """


class LocalRuntimeError(FCSDKError):
    """The local runtime (``fcsdk invoke``, ``fcsdk serve``) ended an invocation, as FC would."""


class FunctionTimeout(LocalRuntimeError):
    """An invocation ran past the function's timeout (answered as FC answers it).

    Attributes:
        seconds: the function's timeout.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"Function timed out after {seconds:g} seconds")


class FunctionExited(LocalRuntimeError):
    """The handler tried to end the process (``sys.exit``, ``KeyboardInterrupt``).

    On FC the runtime process dies and the request fails; locally the server
    carries on and the request gets FC's answer.

    Attributes:
        cause: what the handler raised.
    """

    def __init__(self, cause: BaseException) -> None:
        self.cause = cause
        super().__init__(
            "Process exited unexpectedly before completing request "
            f"({type(cause).__name__}: {cause})"
        )


class InstanceBusy(LocalRuntimeError):
    """Every concurrency slot stayed taken for as long as a request may wait."""


class HandlerLoadError(FCSDKError):
    """The handler string could not be resolved to a callable, as the runtime reports it.

    The subclasses carry the runtime's own ``errorType`` names, so a local run
    reports the same type the platform would.
    """


class InvalidHandleName(HandlerLoadError):
    """The handler string has no dot: it must be ``module.function``."""


class ImportModuleError(HandlerLoadError):
    """The handler's module cannot be found, or one of its imports failed."""


class UserCodeSyntaxError(HandlerLoadError):
    """The handler's module has a syntax error."""


class UserCodeError(HandlerLoadError):
    """The handler's module raised an exception while being imported."""


class HandlerNotFound(HandlerLoadError):
    """The handler's module has no attribute of that name, or it is not callable."""


class PackageError(FCSDKError):
    """``fcsdk package`` could not build the code package (pip failed, say)."""


class NoMatchingWheelError(PackageError):
    """A requirement has no wheel built for the target runtime's Python and platform.

    Attributes:
        requirement: the name of the distribution pip could not find a wheel of.
        tags: the wheel tags that would have fitted, most specific first.
        pip_output: the last lines pip printed.
    """

    def __init__(
        self,
        message: str,
        *,
        requirement: str,
        tags: Sequence[str] = (),
        pip_output: str = "",
    ) -> None:
        super().__init__(message)
        self.requirement = requirement
        self.tags = list(tags)
        self.pip_output = pip_output


class PackageTooLargeError(PackageError):
    """The package passes a size limit of FC's code packages.

    Attributes:
        size: the size found, in bytes.
        limit: the limit it passes, in bytes.
    """

    def __init__(self, message: str, *, size: int, limit: int) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit


class LengthRequired(HTTPError):
    """411: a request body arrived without a ``Content-Length``."""

    status = 411
    title = "Length Required"


class IdempotencyError(FCSDKError):
    """An idempotent function could not run or answer (``fc.idempotent``, ``process_batch``).

    Attributes:
        key_hash: the hash of the idempotency key the error is about (``""`` when
            there is none); log lines and store records carry the same hash.
    """

    def __init__(self, message: str, *, key_hash: str = "") -> None:
        super().__init__(message)
        self.key_hash = key_hash


class IdempotencyKeyError(IdempotencyError, BadRequest):
    """The event (or request) gives no idempotency key: the key function found none.

    Over HTTP it answers 400, the answer a missing ``Idempotency-Key`` header gets.
    """

    def __init__(self, message: str, *, key_hash: str = "") -> None:
        BadRequest.__init__(self, message)
        self.key_hash = key_hash


class IdempotencyPayloadMismatchError(IdempotencyError, HTTPError):
    """The key was used before with another payload (with ``validate_payload``); 422 over HTTP."""

    status = 422
    title = "Unprocessable Content"

    def __init__(self, message: str, *, key_hash: str = "") -> None:
        HTTPError.__init__(self, message)
        self.key_hash = key_hash


class IdempotencyInProgressError(IdempotencyError, HTTPError):
    """A twin of this call (the same key) is running now; 409 over HTTP.

    Raised at once, or after ``wait=`` passed without the twin finishing. A
    retry after ``retry_after`` seconds (at most the twin's deadline) finds its
    answer, or runs the function if the twin failed or died.

    Attributes:
        retry_after: seconds until the twin's record expires at the latest.
    """

    status = 409
    title = "Conflict"

    def __init__(self, message: str, *, key_hash: str = "", retry_after: float = 0.0) -> None:
        self.retry_after = retry_after
        seconds = max(1, int(retry_after + 0.999))
        HTTPError.__init__(self, message, headers={"Retry-After": str(seconds)})
        self.key_hash = key_hash


class IdempotencyStoreError(IdempotencyError):
    """The idempotency store failed or refused (down, timed out, a versioned bucket).

    Raised before the function runs when the claim fails: the function never
    runs unprotected. The store's own error is the ``__cause__``.
    """


class IdempotencyResultTooLargeError(IdempotencyStoreError):
    """The function's result passes what the store keeps per record (``max_record_bytes``).

    The function ran once and is not run again for this key: its record is
    kept as completed without the result, and every repeat raises this error.

    Attributes:
        size: the encoded result's size, in bytes.
        limit: the store's limit, in bytes.
    """

    def __init__(self, message: str, *, key_hash: str = "", size: int = 0, limit: int = 0) -> None:
        super().__init__(message, key_hash=key_hash)
        self.size = size
        self.limit = limit


class IdempotencyBatchError(IdempotencyError):
    """Records of a batch failed; the others ran (or were answered) and are recorded.

    Re-raise it (let it escape the handler) so that FC pushes the batch again:
    the records recorded as done are skipped then, and only the failed ones run.

    Attributes:
        failures: one ``(index, key_hash, error)`` per failed record, in batch order.
        results: the results of the records that did not fail, by index.
    """

    def __init__(
        self,
        message: str,
        *,
        failures: Sequence[tuple[int, str, BaseException]],
        results: Mapping[int, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.failures = list(failures)
        self.results: dict[int, Any] = dict(results or {})

    @property
    def failed_indexes(self) -> list[int]:
        """The batch positions of the failed records."""
        return [index for index, _, _ in self.failures]
