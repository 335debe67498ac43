"""The Redis store (Alibaba Tair is Redis-compatible): sync ``redis`` and ``redis.asyncio``.

Why it is safe, in three scripts (each runs atomically on the server, so no
client ever reads and then writes):

- **claim**: ``SET key record NX PX deadline``; when a record is there, the same
  script returns it and its ``PTTL`` in the same round trip. An in-progress
  record lives exactly until the invocation's deadline (``PX``): Redis's own
  expiry is the reclaim, so no client judges "expired" with its own clock, and
  a killed execution blocks retries only until its deadline.
- **complete** / **release**: replace (``SET ... PX expires_after``) or delete the
  key only if it still holds the caller's own in-progress record, byte for byte:
  the record carries a random fence, so a call that overran its deadline
  cannot overwrite or delete the claim of the call that took the key after it.
  A completion also stores its result when the key is empty (the claim expired
  and nobody took the key since): the work is done, and a later claim finds it.

``redis`` is imported when a store is made, not when this module is.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

from fcsdk.exceptions import ConfigurationError, IdempotencyStoreError
from fcsdk.idempotency._store import Claim, IdempotencyStore, Record, decode_record, encode_record

__all__ = ["RedisStore"]

_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
"""
_COMPLETE = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] or not current then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_GET = """
local v = redis.call('GET', KEYS[1])
if not v then return false end
return {v, redis.call('PTTL', KEYS[1])}
"""

_INSTALL_HINT = "pip install 'fcsdk[redis]'"
_DEFAULT_TIMEOUTS = {"socket_connect_timeout": 2.0, "socket_timeout": 5.0}


def _import_redis() -> Any:
    try:
        import redis
    except ImportError as exc:
        raise ConfigurationError(
            f"RedisStore needs the redis package, which is not installed: {_INSTALL_HINT}"
        ) from exc
    return redis


def _no_script() -> type[Exception]:
    import redis.exceptions

    return redis.exceptions.NoScriptError


def _store_error(exc: Exception) -> IdempotencyStoreError:
    """The error to raise ``from exc`` (which sets its cause)."""
    return IdempotencyStoreError(f"the Redis idempotency store failed: {exc}")


class RedisStore(IdempotencyStore):
    """Idempotency records in Redis or Tair: one key per record, ``prefix`` + key hash.

    Make it once per instance, at module level, from a client or a URL; calls
    from async functions use a ``redis.asyncio`` client (one per event loop,
    made from the URL, or the ``async_client`` given), sync ones the sync client.

    Args:
        client: a ``redis.Redis`` (``decode_responses`` must be off).
        async_client: a ``redis.asyncio.Redis`` for async calls; without it, and
            without a URL, async calls run the sync client in a worker thread.
        prefix: put before each key hash.
        max_record_bytes: the largest record written (1 MiB by default);
            larger results raise ``IdempotencyResultTooLargeError``.

    Example:
        >>> store = RedisStore.from_url("redis://127.0.0.1:6379/0", prefix="orders:")
        >>> store.prefix
        'orders:'
    """

    def __init__(
        self,
        client: Any = None,
        *,
        async_client: Any = None,
        prefix: str = "idempotency:",
        max_record_bytes: int = 1024 * 1024,
        url: str | None = None,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        if client is None and url is None:
            raise ConfigurationError("RedisStore needs a client or a URL (RedisStore.from_url)")
        if max_record_bytes <= 0:
            raise ConfigurationError("max_record_bytes must be positive")
        self._url = url
        self._options = {**_DEFAULT_TIMEOUTS, **(client_options or {})}
        if client is None:
            client = _import_redis().Redis.from_url(url, **self._options)
        if client.get_connection_kwargs().get("decode_responses"):
            raise ConfigurationError("RedisStore needs a client with decode_responses=False")
        self.client = client
        self.prefix = prefix
        self.max_record_bytes = max_record_bytes
        self._async_client = async_client
        self._async_clients: weakref.WeakKeyDictionary[Any, tuple[Any, dict[str, Any]]] = (
            weakref.WeakKeyDictionary()
        )
        self._claim = client.register_script(_CLAIM)
        self._complete = client.register_script(_COMPLETE)
        self._release = client.register_script(_RELEASE)
        self._get = client.register_script(_GET)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "idempotency:",
        max_record_bytes: int = 1024 * 1024,
        **client_options: Any,
    ) -> RedisStore:
        """A store for the Redis at ``url`` (``redis://``, ``rediss://``, ``unix://``).

        No connection is made until the first call. ``client_options`` go to
        ``redis.Redis.from_url`` (and the async client's); the socket timeouts
        default to 2 s to connect and 5 s per command, so a store that is down
        fails the call quickly instead of holding it until the function's timeout.
        """
        return cls(
            prefix=prefix, max_record_bytes=max_record_bytes, url=url, client_options=client_options
        )

    def __repr__(self) -> str:
        kwargs = self.client.get_connection_kwargs()
        where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}"
        return f"RedisStore({where}, prefix={self.prefix!r})"

    def close(self) -> None:
        """Close the clients the store made (the sync one, and the async one of each loop).

        A client given to the store is closed too. Call it at PreStop, or in tests.
        """
        self.client.close()
        clients, self._async_clients = (
            list(self._async_clients.items()),
            weakref.WeakKeyDictionary(),
        )
        for owner, (client, _) in clients:
            _close_async(owner, client)

    async def aclose(self) -> None:
        """Close the async client of the running loop (from inside that loop)."""
        import asyncio

        found = self._async_clients.pop(asyncio.get_running_loop(), None)
        if found is None and self._async_client is not None:
            found = self._async_clients.pop(self, None)
        if found is not None:
            await found[0].aclose()

    # -- sync ---------------------------------------------------------------------------

    def _eval(self, script: Any, key: str, *args: Any) -> Any:
        """EVALSHA with one key (the script object's own call costs a fifth of a round trip)."""
        try:
            return self.client.evalsha(script.sha, 1, key, *args)
        except _no_script():  # the server lost its scripts (a restart, SCRIPT FLUSH)
            self.client.script_load(script.script)
            return self.client.evalsha(script.sha, 1, key, *args)

    def claim(self, key: str, record: Record, ttl_ms: int) -> Claim:
        """``SET NX PX`` in a script that hands back the live record when there is one."""
        data = encode_record(record)
        try:
            found = self._eval(self._claim, self.prefix + key, data, max(1, ttl_ms))
        except Exception as exc:
            raise _store_error(exc) from exc
        return _claim_result(record, found)

    def claim_many(self, items: Sequence[tuple[str, Record, int]]) -> list[Claim]:
        """Every claim in one pipeline: one round trip for the whole batch."""
        if not items:
            return []
        sha = self._claim.sha

        def send() -> list[Any]:
            pipe = self.client.pipeline(transaction=False)
            for key, record, ttl_ms in items:
                # EVALSHA itself: the pipeline's script objects would add a
                # SCRIPT EXISTS round trip to every batch.
                pipe.evalsha(sha, 1, self.prefix + key, encode_record(record), max(1, ttl_ms))
            return pipe.execute()  # type: ignore[no-any-return]

        try:
            try:
                answers = send()
            except _no_script():  # the server lost its scripts (a restart, SCRIPT FLUSH)
                self.client.script_load(_CLAIM)
                answers = send()
        except Exception as exc:
            raise _store_error(exc) from exc
        return [
            _claim_result(record, found)
            for (_, record, _), found in zip(items, answers, strict=True)
        ]

    def complete(self, key: str, claim: Claim, record: Record, ttl_ms: int) -> bool:
        """Compare the fence and write the completed record in one script."""
        try:
            done = self._eval(
                self._complete,
                self.prefix + key,
                encode_record(claim.record),
                encode_record(record),
                max(1, ttl_ms),
            )
        except Exception as exc:
            raise _store_error(exc) from exc
        return bool(done)

    def release(self, key: str, claim: Claim) -> bool:
        """Compare the fence and delete in one script."""
        try:
            done = self._eval(self._release, self.prefix + key, encode_record(claim.record))
        except Exception as exc:
            raise _store_error(exc) from exc
        return bool(done)

    def get(self, key: str) -> Record | None:
        """The live record and its remaining time."""
        try:
            found = self._eval(self._get, self.prefix + key)
        except Exception as exc:
            raise _store_error(exc) from exc
        return None if found is None else decode_record(found[0], ttl_ms=int(found[1]))

    # -- async --------------------------------------------------------------------------

    def _aclient(self) -> tuple[Any, dict[str, Any]] | None:
        """The async client for the running loop and its scripts; ``None``: use a thread."""
        if self._async_client is not None:
            key: Any = self
            make: Callable[[], Any] = lambda: self._async_client  # noqa: E731
        elif self._url is not None:
            import asyncio

            url = self._url
            key = asyncio.get_running_loop()

            def make() -> Any:
                import redis.asyncio

                return redis.asyncio.Redis.from_url(url, **self._options)

        else:
            return None
        found = self._async_clients.get(key)
        if found is None:
            client = make()
            scripts = {
                src: client.register_script(src) for src in (_CLAIM, _COMPLETE, _RELEASE, _GET)
            }
            found = self._async_clients[key] = (client, scripts)
        return found

    async def _run(self, script: str, keys: list[str], args: list[Any]) -> Any:
        found = self._aclient()
        assert found is not None
        try:
            return await found[1][script](keys=keys, args=args)
        except Exception as exc:
            raise _store_error(exc) from exc

    async def aclaim(self, key: str, record: Record, ttl_ms: int) -> Claim:
        """Async :meth:`claim` on the ``redis.asyncio`` client."""
        if self._aclient() is None:
            return await super().aclaim(key, record, ttl_ms)
        found = await self._run(
            _CLAIM, [self.prefix + key], [encode_record(record), max(1, ttl_ms)]
        )
        return _claim_result(record, found)

    async def aclaim_many(self, items: Sequence[tuple[str, Record, int]]) -> list[Claim]:
        """Async :meth:`claim_many`: one pipeline."""
        found = self._aclient()
        if found is None:
            return await super().aclaim_many(items)
        if not items:
            return []
        client, scripts = found
        sha = scripts[_CLAIM].sha

        async def send() -> list[Any]:
            pipe = client.pipeline(transaction=False)
            for key, record, ttl_ms in items:
                pipe.evalsha(sha, 1, self.prefix + key, encode_record(record), max(1, ttl_ms))
            return await pipe.execute()  # type: ignore[no-any-return]

        try:
            try:
                answers = await send()
            except _no_script():
                await client.script_load(_CLAIM)
                answers = await send()
        except Exception as exc:
            raise _store_error(exc) from exc
        return [
            _claim_result(record, found)
            for (_, record, _), found in zip(items, answers, strict=True)
        ]

    async def acomplete(self, key: str, claim: Claim, record: Record, ttl_ms: int) -> bool:
        """Async :meth:`complete`."""
        if self._aclient() is None:
            return await super().acomplete(key, claim, record, ttl_ms)
        args = [encode_record(claim.record), encode_record(record), max(1, ttl_ms)]
        return bool(await self._run(_COMPLETE, [self.prefix + key], args))

    async def arelease(self, key: str, claim: Claim) -> bool:
        """Async :meth:`release`."""
        if self._aclient() is None:
            return await super().arelease(key, claim)
        return bool(await self._run(_RELEASE, [self.prefix + key], [encode_record(claim.record)]))

    async def aget(self, key: str) -> Record | None:
        """Async :meth:`get`."""
        if self._aclient() is None:
            return await super().aget(key)
        found = await self._run(_GET, [self.prefix + key], [])
        return None if found is None else decode_record(found[0], ttl_ms=int(found[1]))


def _close_async(owner: Any, client: Any) -> None:
    """Close an async client on the loop it was made on (``owner``), or the shared loop."""
    import asyncio

    from fcsdk import _aio

    loop = owner if isinstance(owner, asyncio.AbstractEventLoop) else _aio.get_loop()
    if loop.is_closed():
        return
    if loop is _aio.get_loop():
        _aio.run(client.aclose())
    elif loop.is_running():
        asyncio.run_coroutine_threadsafe(client.aclose(), loop).result(10)
    else:
        loop.run_until_complete(client.aclose())


def _claim_result(record: Record, found: Any) -> Claim:
    if found is None:
        return Claim(True, record)
    return Claim(False, decode_record(found[0], ttl_ms=int(found[1])))
