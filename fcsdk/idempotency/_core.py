"""``fc.idempotent``: run a function once per key, answer repeats from the store.

A call hashes its key, claims the key in the store (one round trip), runs the
function, and stores the result (one more). A repeat finds the completed
record and answers its result, decoded into the function's return type,
without running the function. An exception releases the claim, so the retry
runs. An in-progress record lives until the invocation's deadline, so a call
that died never blocks its retries past it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import inspect
import json
import logging
import secrets
import sys
import time
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any, ParamSpec, TypeVar

from fcsdk import _invocation
from fcsdk.context import FCContext
from fcsdk.exceptions import (
    ConfigurationError,
    IdempotencyError,
    IdempotencyInProgressError,
    IdempotencyKeyError,
    IdempotencyPayloadMismatchError,
    IdempotencyResultTooLargeError,
    IdempotencyStoreError,
    ResultEncodeError,
)
from fcsdk.idempotency._store import Claim, IdempotencyStore, Record, ResultKind

__all__ = ["Guard", "KeySource", "idempotent"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

KeySource = Callable[[Any], object] | str
"""A key: a function of the first argument, or a dotted field path (``"data.key"``)."""

log = logging.getLogger("fcsdk.idempotency")

_HEADER_ROOM = 256  # the record's header line, at most
_MISSING: Any = object()


def _seconds(
    value: timedelta | float | None, name: str, *, allow_none: bool = True
) -> float | None:
    if value is None:
        if allow_none:
            return None
        raise ConfigurationError(f"{name} is required")
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if not seconds > 0:
        raise ConfigurationError(f"{name} must be positive, got {value!r}")
    return seconds


def _path_getter(path: str) -> Callable[[Any], object]:
    parts = path.split(".")
    if not path or not all(parts):
        raise ConfigurationError(f"key path {path!r} is not a dotted field path such as 'data.key'")

    def get(value: Any) -> object:
        for part in parts:
            if value is None:
                return None
            value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
        return value

    return get


def canonical(value: object) -> bytes:
    """Bytes that stand for ``value`` in a hash: equal values, equal bytes (dict order aside)."""
    if isinstance(value, str):
        return b"s" + value.encode("utf-8", "surrogatepass")
    if isinstance(value, bytes | bytearray | memoryview):
        return b"b" + bytes(value)
    from pydantic_core import to_jsonable_python

    try:
        plain = to_jsonable_python(value)
    except Exception as exc:  # pydantic's error types vary by version
        raise ConfigurationError(f"cannot hash a {type(value).__qualname__}: {exc}") from exc
    return b"j" + json.dumps(plain, sort_keys=True, separators=(",", ":")).encode()


def _response_type() -> type | None:
    module = sys.modules.get("fcsdk.web.response")
    return None if module is None else module.Response


def encode_result(value: object) -> tuple[ResultKind, bytes]:
    """The result as a store keeps it: its kind and its bytes, encoded as the handler would.

    Raises:
        ResultEncodeError: the value cannot be kept (a streamed response, an object
            pydantic cannot serialise).
    """
    kind = type(value)
    if kind is bytes:
        return "bytes", value  # type: ignore[return-value]
    if kind is str:
        return "str", value.encode("utf-8", "surrogatepass")  # type: ignore[attr-defined]
    response = _response_type()
    if response is not None and isinstance(value, response):
        if type(value).__name__ == "StreamingResponse":
            raise ResultEncodeError("a StreamingResponse cannot be kept as an idempotent answer")
        return "response", json.dumps(
            {
                "status": value.status,  # type: ignore[attr-defined]
                "headers": list(value.headers.items()),  # type: ignore[attr-defined]
                "body": base64.b64encode(value.body).decode(),  # type: ignore[attr-defined]
            }
        ).encode()
    from fcsdk._decode import encode_result as encode

    encoded = encode(value)
    return "json", encoded if isinstance(encoded, bytes) else encoded.encode()


class Guard:
    """One idempotent function's settings and its run loop (sync and async)."""

    def __init__(
        self,
        store: IdempotencyStore,
        *,
        key: KeySource,
        expires_after: timedelta | float,
        in_progress_expires_after: timedelta | float | None,
        validate_payload: bool | KeySource,
        wait: timedelta | float | None,
        namespace: str,
        returns: Callable[[], Any],
    ) -> None:
        if not isinstance(store, IdempotencyStore):
            raise ConfigurationError(
                f"store must be an IdempotencyStore (RedisStore, OSSStore...), got {store!r}"
            )
        self.store = store
        if isinstance(key, str):
            self.key: Callable[[Any], object] = _path_getter(key)
        elif callable(key):
            self.key = key
        else:
            raise ConfigurationError("key must be a function of the event or a field path")
        self.expires_ms = int(_seconds(expires_after, "expires_after", allow_none=False) * 1000)  # type: ignore[operator]
        fixed = _seconds(in_progress_expires_after, "in_progress_expires_after")
        self.in_progress_ms = None if fixed is None else max(1, int(fixed * 1000))
        if validate_payload is True:
            self.payload: Callable[[Any], object] | None = lambda value: value
        elif validate_payload is False or validate_payload is None:
            self.payload = None
        elif isinstance(validate_payload, str):
            self.payload = _path_getter(validate_payload)
        else:
            self.payload = validate_payload
        self.wait = _seconds(wait, "wait")
        self.namespace = namespace.encode()
        self._returns = returns
        self._decoder: Callable[[bytes], Any] | None = None

    # -- keys -------------------------------------------------------------------------------

    def key_hash(self, first: object) -> str:
        """The hash the store keeps the record under; raises IdempotencyKeyError without a key."""
        try:
            value = self.key(first)
        except (KeyError, AttributeError, IndexError, TypeError) as exc:
            raise IdempotencyKeyError(f"no idempotency key in the event: {exc!r}") from exc
        if value is None or (isinstance(value, str | bytes) and not value):
            raise IdempotencyKeyError(
                "no idempotency key in the event (the key function gave none)"
            )
        return hashlib.sha256(self.namespace + b"\0" + canonical(value)).hexdigest()

    def payload_hash(self, first: object) -> str | None:
        """The payload's hash, with ``validate_payload``."""
        if self.payload is None:
            return None
        return hashlib.sha256(canonical(self.payload(first))).hexdigest()

    def deadline_ms(self, args: tuple[Any, ...]) -> int:
        """How long an in-progress record lives: the invocation's deadline, never "forever".

        ``in_progress_expires_after`` when given; else the function's timeout,
        from the context among the arguments or the current invocation's. The
        timeout counts from the claim, so the record may outlive the real
        deadline a little, never expire before it.
        """
        if self.in_progress_ms is not None:
            return self.in_progress_ms
        context = next((a for a in args if _is_context(a)), None)
        if context is None:
            current = _invocation.current()
            context = None if current is None else current[0]
        if isinstance(context, FCContext):
            # The runtime's own object when there is one: reading an FCContext's field fills
            # all of them from it, a cost no other part of this call needs.
            function = getattr(context.raw, "function", None)
            if function is None:  # built by hand, or from a dict: the field is always there
                function = context.function
        else:
            function = getattr(context, "function", None)
        timeout = getattr(function, "timeout", None)
        if isinstance(timeout, str) and timeout.isdigit():
            timeout = int(timeout)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise ConfigurationError(
                "no invocation deadline for the in-progress record: call the function inside "
                "an FC invocation (@fc.handler, an HTTP handler) whose context has the "
                "function's timeout, or pass in_progress_expires_after="
            )
        return int(timeout * 1000)

    # -- answers ----------------------------------------------------------------------------

    def decode(self, record: Record, key: str) -> Any:
        """The completed record's result, typed as the function returns it."""
        kind = record.kind
        if kind == "bytes":
            return record.result
        if kind == "str":
            return record.result.decode("utf-8", "surrogatepass")
        if kind == "dropped":
            info = json.loads(record.result or b"{}")
            if info.get("reason"):
                raise IdempotencyError(
                    f"idempotency key {key}: the function ran, but its result could not be "
                    f"kept ({info['reason']}); it does not run again for this key",
                    key_hash=key,
                )
            raise IdempotencyResultTooLargeError(
                f"idempotency key {key}: the function ran, but its result "
                f"({info.get('size')} bytes) passed the store's limit ({info.get('limit')} bytes) "
                "and was not kept; it does not run again for this key",
                key_hash=key,
                size=int(info.get("size", 0)),
                limit=int(info.get("limit", 0)),
            )
        if kind == "response":
            from fcsdk.web.response import Response

            data = json.loads(record.result)
            return Response(
                base64.b64decode(data["body"]), status=data["status"], headers=data["headers"]
            )
        decoder = self._decoder or self._build_decoder()
        return decoder(record.result)

    def _build_decoder(self) -> Callable[[bytes], Any]:
        try:
            returns = self._returns()
        except Exception as exc:  # an annotation that does not resolve: plain JSON then
            log.warning(
                "idempotency: the return annotation does not resolve (%s); stored results "
                "come back as plain JSON values",
                exc,
            )
            returns = _MISSING
        if returns is _MISSING or returns is Any:
            decoder: Callable[[bytes], Any] = json.loads
        else:
            from pydantic import TypeAdapter

            decoder = TypeAdapter(returns).validate_json
        self._decoder = decoder
        return decoder

    def found(self, key: str, payload: str | None, record: Record) -> tuple[bool, Any]:
        """Judge a live record another call wrote: ``(True, answer)`` or ``(False, None)``."""
        if (
            payload is not None
            and record.payload_hash is not None
            and record.payload_hash != payload
        ):
            log.warning("idempotency key %s: payload differs from the first call's; refused", key)
            raise IdempotencyPayloadMismatchError(
                f"idempotency key {key} was used before with another payload",
                key_hash=key,
            )
        if record.status == "completed":
            log.info("idempotency key %s: completed before; answered from the store", key)
            return True, self.decode(record, key)
        return False, None

    def in_progress(self, key: str, record: Record) -> IdempotencyInProgressError:
        """The error for a twin that still runs."""
        left = (record.ttl_ms or 0) / 1000
        log.info("idempotency key %s: a twin is in progress; refused", key)
        return IdempotencyInProgressError(
            f"idempotency key {key}: another call with this key is in progress "
            f"(its record expires in at most {left:.1f} s)",
            key_hash=key,
            retry_after=left,
        )

    def completed(
        self, key: str, claim: Claim, result: object
    ) -> tuple[Record, BaseException | None]:
        """The completed record for ``result``, or a "dropped" one and the error to raise."""
        try:
            kind, data = encode_result(result)
        except ResultEncodeError as exc:
            return self._dropped(claim, 0, reason=str(exc)), exc
        limit = self.store.max_record_bytes
        if len(data) + _HEADER_ROOM > limit:
            error = IdempotencyResultTooLargeError(
                f"idempotency key {key}: the result ({len(data)} bytes) passes the store's "
                f"limit ({limit} bytes, header included); it was not kept, and the function "
                "does not run again for this key",
                key_hash=key,
                size=len(data),
                limit=limit,
            )
            return self._dropped(claim, len(data)), error
        mine = claim.record
        done = Record("completed", fence=mine.fence, payload_hash=mine.payload_hash)
        return replace(done, result=data, kind=kind), None

    def _dropped(self, claim: Claim, size: int, reason: str = "") -> Record:
        info = json.dumps(
            {"size": size, "limit": self.store.max_record_bytes, "reason": reason[:500]}
        ).encode()
        return Record(
            "completed",
            fence=claim.record.fence,
            payload_hash=claim.record.payload_hash,
            result=info,
            kind="dropped",
        )

    def new_claim(self, payload: str | None) -> Record:
        """This call's in-progress record, with a fresh fence."""
        return Record("in_progress", fence=secrets.token_hex(16), payload_hash=payload)

    # -- the sync run -----------------------------------------------------------------------

    def run(self, func: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        """Run ``func`` once for its key; answer repeats from the store."""
        first = args[0]
        key = self.key_hash(first)
        payload = self.payload_hash(first)
        ttl = self.deadline_ms(args)
        mine = self.new_claim(payload)
        give_up = None if self.wait is None else time.monotonic() + self.wait
        pause = 0.05
        while True:
            claim = _guarded(self.store.claim, key, mine, ttl)
            if claim.won:
                break
            done, answer = self.found(key, payload, claim.record)
            if done:
                return answer  # type: ignore[no-any-return]
            record: Record | None = claim.record
            while record is not None and record.status == "in_progress":
                left = None if give_up is None else give_up - time.monotonic()
                if left is None or left <= 0:
                    raise self.in_progress(key, record)
                time.sleep(min(pause, left))
                pause = min(pause * 2, 0.5)
                record = _guarded(self.store.get, key)
            if record is not None:
                done, answer = self.found(key, payload, record)
                return answer  # type: ignore[no-any-return]
        log.info("idempotency key %s: claimed; running", key)
        try:
            result = func(*args, **kwargs)
        except BaseException:
            self.release_claim(key, claim)
            raise
        completed, error = self.completed(key, claim, result)
        try:
            kept = self.store.complete(key, claim, completed, self.expires_ms)
        except Exception as exc:
            log.error("idempotency key %s: the result could not be stored: %s", key, exc)
        else:
            self.log_completion(key, kept, completed)
        if error is not None:
            raise error
        return result

    def release_claim(self, key: str, claim: Claim) -> None:
        try:
            self.store.release(key, claim)
        except Exception as exc:
            log.error("idempotency key %s: the claim could not be released: %s", key, exc)
        else:
            log.info("idempotency key %s: the function raised; claim released for a retry", key)

    @staticmethod
    def log_completion(key: str, kept: bool, record: Record) -> None:
        if not kept:
            log.warning(
                "idempotency key %s: ran past its deadline and another call took the key; "
                "this result was not stored",
                key,
            )
        elif record.kind == "dropped":
            log.error("idempotency key %s: completed; the result was too large to keep", key)
        else:
            log.info("idempotency key %s: completed; result stored", key)

    # -- the async run ----------------------------------------------------------------------

    async def arun(
        self, func: Callable[..., Awaitable[T]], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> T:
        """:meth:`run` for an ``async def`` function, on the store's async methods."""
        first = args[0]
        key = self.key_hash(first)
        payload = self.payload_hash(first)
        ttl = self.deadline_ms(args)
        mine = self.new_claim(payload)
        import asyncio  # an async def function's event loop has loaded it already

        give_up = None if self.wait is None else time.monotonic() + self.wait
        pause = 0.05
        while True:
            claim = await _aguarded(self.store.aclaim(key, mine, ttl))
            if claim.won:
                break
            done, answer = self.found(key, payload, claim.record)
            if done:
                return answer  # type: ignore[no-any-return]
            record: Record | None = claim.record
            while record is not None and record.status == "in_progress":
                left = None if give_up is None else give_up - time.monotonic()
                if left is None or left <= 0:
                    raise self.in_progress(key, record)
                await asyncio.sleep(min(pause, left))
                pause = min(pause * 2, 0.5)
                record = await _aguarded(self.store.aget(key))
            if record is not None:
                done, answer = self.found(key, payload, record)
                return answer  # type: ignore[no-any-return]
        log.info("idempotency key %s: claimed; running", key)
        try:
            result = await func(*args, **kwargs)
        except BaseException:
            try:
                await self.store.arelease(key, claim)
            except Exception as exc:
                log.error("idempotency key %s: the claim could not be released: %s", key, exc)
            else:
                log.info("idempotency key %s: the function raised; claim released for a retry", key)
            raise
        completed, error = self.completed(key, claim, result)
        try:
            kept = await self.store.acomplete(key, claim, completed, self.expires_ms)
        except Exception as exc:
            log.error("idempotency key %s: the result could not be stored: %s", key, exc)
        else:
            self.log_completion(key, kept, completed)
        if error is not None:
            raise error
        return result


def _is_context(value: object) -> bool:
    """An FCContext, or the runtime's own context object (it has a request id and a function)."""
    if isinstance(value, FCContext):
        return True
    return hasattr(value, "function") and (
        hasattr(value, "request_id") or hasattr(value, "requestId")
    )


def _guarded(call: Callable[..., T], *args: Any) -> T:
    """Call a store method; any failure that is not ours becomes an IdempotencyStoreError."""
    try:
        return call(*args)
    except IdempotencyError:
        raise
    except Exception as exc:
        raise IdempotencyStoreError(f"the idempotency store failed: {exc!r}") from exc


async def _aguarded(call: Awaitable[T]) -> T:
    try:
        return await call
    except IdempotencyError:
        raise
    except Exception as exc:
        raise IdempotencyStoreError(f"the idempotency store failed: {exc!r}") from exc


def _first_parameter(func: Callable[..., Any]) -> tuple[str, bool]:
    """The first positional parameter's name, and whether it is the only positional one."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the parameters of {func!r}: {exc}") from exc
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not positional:
        raise ConfigurationError(
            f"{getattr(func, '__qualname__', func)!r} takes no positional parameter: an "
            "idempotent function's first argument is what its key comes from"
        )
    variadic = any(p.kind is p.VAR_POSITIONAL for p in params)
    return positional[0].name, len(positional) == 1 and not variadic


def _returns(func: Callable[..., Any]) -> Callable[[], Any]:
    def resolve() -> Any:
        return typing.get_type_hints(func).get("return", _MISSING)

    return resolve


def idempotent(
    store: IdempotencyStore,
    *,
    key: KeySource,
    expires_after: timedelta | float = timedelta(hours=1),
    in_progress_expires_after: timedelta | float | None = None,
    validate_payload: bool | KeySource = False,
    wait: timedelta | float | None = None,
    namespace: str | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Make a function run once per key; repeats get the first call's result from ``store``.

    Decorate an event handler under ``@fc.handler``, an HTTP handler, or any
    inner function, sync or ``async def``. The key comes from the function's
    first argument (the event, the request, the record).

    Args:
        store: where records live (:class:`~fcsdk.idempotency.RedisStore`,
            :class:`~fcsdk.idempotency.OSSStore`, or your own
            :class:`~fcsdk.idempotency.IdempotencyStore`).
        key: a function of the first argument (``lambda e: e.order_id``) or a
            dotted field path (``"data.key"``); the value is hashed with
            ``namespace``. No key (``None``, ``""``) raises
            :class:`~fcsdk.exceptions.IdempotencyKeyError` (400 over HTTP).
        expires_after: how long a completed result answers repeats (1 hour).
        in_progress_expires_after: how long an in-progress record blocks twins;
            by default the invocation's deadline (the function's timeout).
        validate_payload: ``True`` to refuse a repeat whose first argument
            differs from the first call's, or a function / path picking the
            part that must match; a mismatch raises
            :class:`~fcsdk.exceptions.IdempotencyPayloadMismatchError` (422).
        wait: how long to wait for a twin in progress before raising
            :class:`~fcsdk.exceptions.IdempotencyInProgressError` (409);
            by default it is raised at once.
        namespace: hashed with each key; by default the function's module and
            name, after the FC function's name (``FC_FUNCTION_NAME``) on FC, so
            two functions never share records.

    Raises:
        ConfigurationError: an option is wrong (when decorating), or no deadline
            is known for a call outside an invocation.
        IdempotencyStoreError: the store failed; the function did not run.
    """
    expires = _seconds(expires_after, "expires_after", allow_none=False)
    del expires

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        first, only = _first_parameter(func)
        name = namespace or default_namespace(func)
        guard = Guard(
            store,
            key=key,
            expires_after=expires_after,
            in_progress_expires_after=in_progress_expires_after,
            validate_payload=validate_payload,
            wait=wait,
            namespace=name,
            returns=_returns(func),
        )
        wrapper = _wrapper(guard, func, async_=_is_async(func), only=only)
        # The wrapper's first parameter carries the user's name, so that @fc.handler
        # (which reads the code object) and HTTP routes (keywords) see the real one.
        code = wrapper.__code__
        wrapper.__code__ = code.replace(co_varnames=(first, *code.co_varnames[1:]))
        functools.update_wrapper(wrapper, func)
        wrapper.idempotency = guard
        return typing.cast("Callable[P, R]", wrapper)

    return decorate


def default_namespace(func: Callable[..., Any]) -> str:
    """The function's module and name, after the FC function's name when it runs on FC.

    Two FC functions deployed from the same code (staging and production, say)
    then keep apart in a shared store; locally there is no function name.
    """
    import os

    where = f"{func.__module__}.{getattr(func, '__qualname__', func)}"
    function = os.environ.get("FC_FUNCTION_NAME")
    return f"{function}:{where}" if function else where


def _is_async(func: Callable[..., Any]) -> bool:
    from fcsdk.handler import is_async_callable

    return is_async_callable(func)


def _wrapper(guard: Guard, func: Any, *, async_: bool, only: bool) -> Any:
    run, arun = guard.run, guard.arun
    if async_:
        if only:

            async def acall_one(first, **kwargs):  # type: ignore[no-untyped-def]
                return await arun(func, (first,), kwargs)

            return acall_one

        async def acall(first, *args, **kwargs):  # type: ignore[no-untyped-def]
            return await arun(func, (first, *args), kwargs)

        return acall
    if only:

        def call_one(first, **kwargs):  # type: ignore[no-untyped-def]
            return run(func, (first,), kwargs)

        return call_one

    def call(first, *args, **kwargs):  # type: ignore[no-untyped-def]
        return run(func, (first, *args), kwargs)

    return call
