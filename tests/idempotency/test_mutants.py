"""The stores and batches to the letter: times left, fencing answers, what goes on the wire,
what a batch reports for each record, and the words of the errors and logs users read."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import oss2
import pytest

from fcsdk import _aio, _invocation
from fcsdk.exceptions import (
    ConfigurationError,
    IdempotencyBatchError,
    IdempotencyError,
    IdempotencyInProgressError,
    IdempotencyPayloadMismatchError,
    IdempotencyResultTooLargeError,
    IdempotencyStoreError,
    ResultEncodeError,
)
from fcsdk.idempotency import MemoryStore, OSSStore, RedisStore, aprocess_batch, process_batch
from fcsdk.idempotency._store import Claim, Record, decode_record, encode_record
from fcsdk.testing.oss import LocalOSSServer
from tests.idempotency.conftest import BUCKET, RedisServer, free_port
from tests.idempotency.test_batch import _in_invocation, _key_of
from tests.idempotency.test_oss_store import _Invocation, names, raw_bucket


def claim(fence: str) -> Record:
    return Record("in_progress", fence=fence)


def done(fence: str, result: bytes = b"1") -> Record:
    return Record("completed", fence=fence, result=result)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- MemoryStore ----------------------------------------------------------------------------


class TestMemoryStoreTimes:
    def test_times_left_are_counted_on_the_stores_clock(self) -> None:
        """A claim and its completion live exactly their ttl_ms; get() says what is left."""
        clock = Clock()
        store = MemoryStore(clock=clock)
        mine = store.claim("k", claim("a"), 10_000)
        assert store.get("k") == claim("a").with_ttl(10_000)
        clock.now += 2.5
        assert store.get("k") == claim("a").with_ttl(7_500)
        assert store.complete("k", mine, done("a"), 30_000) is True
        assert store.get("k") == done("a").with_ttl(30_000)
        clock.now += 29.5
        assert store.get("k") == done("a").with_ttl(500)
        clock.now += 0.5
        assert store.get("k") is None

    def test_releasing_ones_own_claim_says_so(self) -> None:
        """release() of the caller's live claim answers True and frees the key."""
        store = MemoryStore(clock=Clock())
        mine = store.claim("k", claim("a"), 10_000)
        assert store.release("k", mine) is True
        assert store.get("k") is None
        assert store.claim("k", claim("b"), 10_000).won


# -- RedisStore -----------------------------------------------------------------------------


def wire(server: RedisServer, action: Callable[[], object]) -> list[str]:
    """The commands clients sent the redis-server while ``action`` ran (MONITOR), scripts' own
    commands left out."""
    import redis

    marker = f"end-of-action-{uuid.uuid4().hex}"
    watcher = redis.Redis.from_url(server.url, socket_timeout=10)
    other = server.client()
    other.ping()  # its connection made before watching
    try:
        with watcher.monitor() as monitor:
            action()
            other.echo(marker)
            seen: list[str] = []
            for _ in range(1000):  # bounded: the marker comes after the action's commands
                found = monitor.next_command()
                if marker in found["command"]:
                    return seen
                if found["client_type"] != "lua":
                    seen.append(found["command"])
            raise AssertionError(f"the marker never came: {seen[:5]}")
    finally:
        other.close()
        watcher.close()


def named_connections(server: RedisServer, name: str) -> int:
    """How many connections the redis-server has under the client name ``name``."""
    client = server.client()
    try:
        return sum(1 for c in client.client_list() if c.get("name") == name)
    finally:
        client.close()


def closed_connections(server: RedisServer, name: str) -> bool:
    """Whether the server has let go of every connection named ``name``: a socket closed by
    a client goes from its list within a few of its own round trips (bounded, no sleeping)."""
    return any(named_connections(server, name) == 0 for _ in range(200))


class TestRedisWire:
    def test_each_operation_is_one_evalsha_and_a_past_deadline_is_px_1(
        self, store: RedisStore, redis_server: RedisServer
    ) -> None:
        """One EVALSHA per operation (no SCRIPT LOAD, no MULTI); a deadline already passed
        (0 or fewer ms) goes to Redis as PX 1, the shortest expiry it accepts."""
        mine = Claim(True, claim("a"))

        def sync_calls() -> None:
            store.claim("k", claim("a"), 0)
            store.claim_many([("m", claim("b"), -5), ("n", claim("c"), 0)])
            store.complete("k", mine, done("a"), 0)

        sync_calls()  # the connection made and the scripts loaded before watching

        commands = wire(redis_server, sync_calls)
        assert [c.split(" ")[0] for c in commands] == ["EVALSHA"] * 4
        assert [c.split(" ")[-1] for c in commands] == ["1"] * 4

        async def async_calls() -> None:
            await store.aclaim("k", claim("a"), 0)  # makes the async client first
            await store.aclaim_many([("m", claim("b"), -5), ("n", claim("c"), 0)])
            await store.acomplete("k", mine, done("a"), 0)

        async def scenario() -> list[str]:
            await async_calls()  # the async client and its connection
            try:
                loop = asyncio.get_running_loop()
                return await loop.run_in_executor(
                    None,
                    wire,
                    redis_server,
                    lambda: asyncio.run_coroutine_threadsafe(async_calls(), loop).result(10),
                )
            finally:
                await store.aclose()

        commands = asyncio.run(scenario())
        assert [c.split(" ")[0] for c in commands] == ["EVALSHA"] * 4
        assert [c.split(" ")[-1] for c in commands] == ["1"] * 4

    def test_every_operation_after_a_script_flush(
        self, store: RedisStore, redis_client: Any
    ) -> None:
        """A server that lost its scripts answers each sync operation right after it."""
        redis_client.script_flush()
        mine = store.claim("k", claim("a"), 60_000)
        assert mine.won
        redis_client.script_flush()
        found = store.get("k")
        assert found is not None
        assert (found.status, found.fence) == ("in_progress", "a")
        redis_client.script_flush()
        assert store.complete("k", mine, done("a", b"7"), 60_000) is True
        other = store.claim("j", claim("b"), 60_000)
        redis_client.script_flush()
        assert store.release("j", other) is True
        assert store.get("j") is None
        assert store.get("k").result == b"7"  # type: ignore[union-attr]


class TestRedisAnswers:
    def test_get_says_the_time_left(self, store: RedisStore) -> None:
        """get() and aget() give the record's remaining PTTL; aget of nothing is None."""
        store.claim("k", claim("a"), 5_000)
        record = store.get("k")
        assert record is not None
        assert 4_000 < (record.ttl_ms or 0) <= 5_000

        async def scenario() -> tuple[Record | None, Record | None]:
            try:
                return await store.aget("k"), await store.aget("absent")
            finally:
                await store.aclose()

        found, absent = asyncio.run(scenario())
        assert found is not None
        assert 4_000 < (found.ttl_ms or 0) <= 5_000
        assert absent is None

    def test_releasing_ones_own_claim_says_so(self, store: RedisStore) -> None:
        """release() / arelease() of the caller's own claim answer True and free the key."""
        mine = store.claim("k", claim("a"), 60_000)
        assert store.release("k", mine) is True
        assert store.get("k") is None

        async def scenario() -> bool:
            try:
                theirs = await store.aclaim("k", claim("b"), 60_000)
                return await store.arelease("k", theirs)
            finally:
                await store.aclose()

        assert asyncio.run(scenario()) is True
        assert store.get("k") is None

    def test_the_default_prefix(self, redis_server: RedisServer, redis_client: Any) -> None:
        """Without a prefix, records go under "idempotency:" (from a URL or from a client)."""
        key = f"default-{uuid.uuid4().hex}"
        made = RedisStore.from_url(redis_server.url)
        given = RedisStore(redis_server.client())
        try:
            assert made.claim(key, claim("a"), 60_000).won
            assert redis_client.exists(f"idempotency:{key}") == 1
            assert not given.claim(key, claim("b"), 60_000).won
        finally:
            redis_client.delete(f"idempotency:{key}")
            made.close()
            given.close()

    def test_the_smallest_record_limit(self, redis_server: RedisServer) -> None:
        """max_record_bytes=1 is positive, so accepted; 0 is refused in so many words."""
        store = RedisStore.from_url(redis_server.url, max_record_bytes=1)
        assert store.max_record_bytes == 1
        store.close()
        with pytest.raises(ConfigurationError) as info:
            RedisStore.from_url(redis_server.url, max_record_bytes=0)
        assert str(info.value) == "max_record_bytes must be positive"

    def test_set_up_errors_in_so_many_words(self, redis_server: RedisServer) -> None:
        """The set-up errors say exactly what is missing."""
        import redis

        with pytest.raises(ConfigurationError) as info:
            RedisStore()
        assert str(info.value) == "RedisStore needs a client or a URL (RedisStore.from_url)"
        decoding = redis.Redis.from_url(redis_server.url, decode_responses=True)
        with pytest.raises(ConfigurationError) as info:
            RedisStore(decoding)
        assert str(info.value) == "RedisStore needs a client with decode_responses=False"
        decoding.close()

    def test_repr_of_a_unix_socket(self) -> None:
        """A unix-socket store's repr names the socket's path."""
        store = RedisStore.from_url("unix:///run/redis/redis.sock", prefix="p:")
        assert repr(store) == "RedisStore(/run/redis/redis.sock, prefix='p:')"

    def test_errors_name_the_servers_answer(self) -> None:
        """Each failed operation, sync and async, says what Redis (or the socket) answered."""
        import redis

        port = free_port()
        store = RedisStore.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=1)
        mine = Claim(True, claim("a"))
        calls: list[Callable[[], object]] = [
            lambda: store.claim("k", claim("a"), 1000),
            lambda: store.claim_many([("k", claim("a"), 1000)]),
            lambda: store.complete("k", mine, done("a"), 1000),
            lambda: store.release("k", mine),
            lambda: store.get("k"),
        ]
        errors: list[BaseException] = []
        for call in calls:
            with pytest.raises(IdempotencyStoreError) as info:
                call()
            errors.append(info.value)

        async def each() -> list[BaseException]:
            found: list[BaseException] = []
            for make in (
                lambda: store.aclaim("k", claim("a"), 1000),
                lambda: store.aclaim_many([("k", claim("a"), 1000)]),
                lambda: store.acomplete("k", mine, done("a"), 1000),
                lambda: store.arelease("k", mine),
                lambda: store.aget("k"),
            ):
                try:
                    await make()
                except IdempotencyStoreError as exc:
                    found.append(exc)
            await store.aclose()
            return found

        errors += asyncio.run(each())
        store.close()
        assert len(errors) == 10
        for error in errors:
            assert isinstance(error.__cause__, redis.ConnectionError)
            assert str(error) == f"the Redis idempotency store failed: {error.__cause__}"
            assert f"127.0.0.1:{port}" in str(error)


class TestRedisClients:
    def test_client_options_reach_both_clients(self, redis_server: RedisServer) -> None:
        """from_url's client options (a client name here) go to the sync and the async client;
        the socket timeouts default to 2 s and 5 s."""
        name = f"idem-{uuid.uuid4().hex[:12]}"
        store = RedisStore.from_url(redis_server.url, prefix=f"{name}:", client_name=name)
        assert store.client.get_connection_kwargs()["socket_timeout"] == 5.0
        assert store.client.get_connection_kwargs()["socket_connect_timeout"] == 2.0
        store.claim("k", claim("a"), 60_000)

        async def scenario() -> int:
            try:
                await store.aget("k")
                return named_connections(redis_server, name)
            finally:
                await store.aclose()

        assert asyncio.run(scenario()) == 2
        store.close()
        assert closed_connections(redis_server, name)

    def test_async_calls_never_touch_the_sync_client(
        self, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Async calls run on redis.asyncio (the one made from the URL, or the one given),
        every time, never on the sync client in a thread."""
        import redis
        import redis.asyncio

        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("the sync client was used by an async call")

        given = redis.asyncio.Redis.from_url(redis_server.url)
        stores = [
            RedisStore.from_url(redis_server.url, prefix=f"u-{uuid.uuid4().hex[:8]}:"),
            RedisStore(
                redis.Redis.from_url(redis_server.url),
                async_client=given,
                prefix=f"g-{uuid.uuid4().hex[:8]}:",
            ),
        ]
        for store in stores:
            monkeypatch.setattr(store.client, "evalsha", refuse)
            monkeypatch.setattr(store.client, "pipeline", refuse)

        async def scenario(store: RedisStore) -> list[Any]:
            try:
                won = await store.aclaim("k", claim("a"), 60_000)
                many = await store.aclaim_many([("k", claim("b"), 60_000)])
                kept = await store.acomplete("k", won, done("a"), 60_000)
                found = await store.aget("k")
                again = await store.aclaim("j", claim("c"), 60_000)
                released = await store.arelease("j", again)
                return [won.won, many[0].won, kept, found and found.status, released]
            finally:
                await store.aclose()

        for store in stores:
            assert asyncio.run(scenario(store)) == [True, False, True, "completed", True]
        for store in stores:
            monkeypatch.undo()
            store.close()

    def test_aclose_of_a_given_client_never_used(self, redis_server: RedisServer) -> None:
        """aclose() before any async call (or twice) has nothing to close and says nothing."""
        import redis
        import redis.asyncio

        sync = redis.Redis.from_url(redis_server.url)
        store = RedisStore(sync, async_client=redis.asyncio.Redis.from_url(redis_server.url))

        async def scenario() -> None:
            await store.aclose()
            await store.aclose()

        asyncio.run(scenario())
        sync.close()

    def test_close_closes_a_given_async_client_used_on_the_shared_loop(
        self, redis_server: RedisServer
    ) -> None:
        """close() closes the given async client the store used on the instance's loop."""
        import redis
        import redis.asyncio

        name = f"idem-{uuid.uuid4().hex[:12]}"
        store = RedisStore(
            redis.Redis.from_url(redis_server.url),
            async_client=redis.asyncio.Redis.from_url(redis_server.url, client_name=name),
            prefix=f"{name}:",
        )
        assert _aio.run(store.aclaim("k", claim("a"), 60_000)).won
        assert named_connections(redis_server, name) == 1
        store.close()
        assert closed_connections(redis_server, name)

    def test_close_reaches_a_loop_running_in_another_thread(
        self, redis_server: RedisServer
    ) -> None:
        """close() from another thread closes the async client of a loop that runs on."""
        name = f"idem-{uuid.uuid4().hex[:12]}"
        store = RedisStore.from_url(redis_server.url, prefix=f"{name}:", client_name=name)
        loop = asyncio.new_event_loop()
        runner = threading.Thread(target=loop.run_forever, daemon=True)
        runner.start()
        try:
            claimed = asyncio.run_coroutine_threadsafe(store.aclaim("k", claim("a"), 60_000), loop)
            assert claimed.result(10).won
            assert named_connections(redis_server, name) == 1
            store.close()
            assert closed_connections(redis_server, name)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            runner.join(10)
            loop.close()


# -- OSSStore -------------------------------------------------------------------------------

LAST_MODIFIED = "Mon, 07 Dec 2026 06:00:00 GMT"


@pytest.fixture
def oss_store(oss_env: LocalOSSServer, request: pytest.FixtureRequest) -> OSSStore:
    return OSSStore(BUCKET, prefix=f"idem-mut/{request.node.name}/{uuid.uuid4().hex[:6]}/")


@pytest.fixture
def oss_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Set how many seconds after the object's Last-Modified OSS's Date is, on every read
    (OSS's clock, as the store sees it; both dates whole seconds, as HTTP dates are)."""
    real = oss2.Bucket.get_object
    offset = [0.0]

    def get_object(self: Any, *args: Any, **kwargs: Any) -> Any:
        answer = real(self, *args, **kwargs)
        written = email.utils.parsedate_to_datetime(LAST_MODIFIED).timestamp()
        answer.headers["Last-Modified"] = LAST_MODIFIED
        answer.headers["Date"] = email.utils.formatdate(written + offset[0], usegmt=True)
        return answer

    monkeypatch.setattr(oss2.Bucket, "get_object", get_object)

    def set_offset(seconds: float) -> None:
        offset[0] = seconds

    return set_offset


def kept(record: Record, lifetime_ms: int | None, ttl_ms: int) -> Record:
    """``record`` as the OSS store reads it back: with its lifetime and its time left."""
    return replace(record, lifetime_ms=lifetime_ms, ttl_ms=ttl_ms)


def put_generation(
    server: LocalOSSServer, store: OSSStore, key: str, generation: int, data: bytes
) -> None:
    raw_bucket(server).put_object(f"{store.prefix}{key}/{generation:010d}", data)


class TestOSSExpiry:
    def test_time_left_on_osss_clock(
        self,
        oss_store: OSSStore,
        oss_env: LocalOSSServer,
        oss_context: Any,
        oss_clock: Callable[[float], None],
    ) -> None:
        """A record's time left is Last-Modified + 1 s + its lifetime - Date, to the ms."""
        key = "a" * 64
        put_generation(oss_env, oss_store, key, 0, encode_record(claim("x"), lifetime_ms=60_000))
        with _Invocation(oss_context):
            oss_clock(0)
            assert oss_store.get(key) == kept(claim("x"), 60_000, 61_000)
            oss_clock(20)
            lost = oss_store.claim(key, claim("me"), 60_000)
        assert not lost.won
        assert lost.record.ttl_ms == 41_000

    def test_a_record_without_a_lifetime_lives_one_second(
        self,
        oss_store: OSSStore,
        oss_env: LocalOSSServer,
        oss_context: Any,
        oss_clock: Callable[[float], None],
    ) -> None:
        """No lifetime: live for the second of Last-Modified's rounding, expired at its end."""
        key = "b" * 64
        put_generation(oss_env, oss_store, key, 0, encode_record(done("x")))
        with _Invocation(oss_context):
            oss_clock(0)
            assert oss_store.get(key) == done("x").with_ttl(1000)
            oss_clock(1)
            assert oss_store.get(key) is None
            outcome = oss_store.claim(key, claim("me"), 60_000)
        assert outcome.won
        assert outcome.handle[1] == 1

    def test_a_record_expires_at_its_last_millisecond(
        self,
        oss_store: OSSStore,
        oss_env: LocalOSSServer,
        oss_context: Any,
        oss_clock: Callable[[float], None],
    ) -> None:
        """Time left exactly 0 is expired; 1 s left is live."""
        key = "c" * 64
        put_generation(oss_env, oss_store, key, 4, encode_record(claim("x"), lifetime_ms=4_000))
        with _Invocation(oss_context):
            oss_clock(4)
            assert oss_store.get(key) == kept(claim("x"), 4_000, 1_000)
            oss_clock(5)
            assert oss_store.get(key) is None
        # Under a millisecond left (1 ms of lifetime, judged 1 s after Last-Modified): still
        # live, its time left rounded down to 0 ms.
        put_generation(oss_env, oss_store, key, 5, encode_record(claim("y"), lifetime_ms=1))
        with _Invocation(oss_context):
            oss_clock(1)
            assert oss_store.get(key) == kept(claim("y"), 1, 0)

    def test_a_completion_lives_its_expiry(
        self,
        oss_store: OSSStore,
        oss_env: LocalOSSServer,
        oss_context: Any,
        oss_clock: Callable[[float], None],
    ) -> None:
        """complete() writes the result with its lifetime; complete and release answer True."""
        key = "d" * 64
        with _Invocation(oss_context):
            mine = oss_store.claim(key, claim("a"), 60_000)
            assert oss_store.complete(key, mine, done("a", b"5"), 3_600_000) is True
            oss_clock(3_600)
            assert oss_store.get(key) == kept(done("a", b"5"), 3_600_000, 1_000)
            other = oss_store.claim("e" * 64, claim("b"), 60_000)
            assert oss_store.release("e" * 64, other) is True
            assert oss_store.get("e" * 64) is None


class TestOSSGenerations:
    def test_a_completion_cleans_up_the_hundred_generations_below_it(
        self, oss_store: OSSStore, oss_env: LocalOSSServer, oss_context: Any
    ) -> None:
        """Generations 21 to 120 go when 121 completes; 20 is older than that (a lifecycle
        rule's work), and a failing clean-up never fails the completion."""
        key = "f" * 64
        dead = encode_record(claim("old"), lifetime_ms=-5_000)
        for generation in (20, 21, 120):
            put_generation(oss_env, oss_store, key, generation, dead)
        with _Invocation(oss_context):
            mine = oss_store.claim(key, claim("a"), 60_000)
            assert mine.handle[1] == 121
            assert oss_store.complete(key, mine, done("a"), 60_000) is True
        assert names(oss_env, f"{oss_store.prefix}{key}/") == [
            f"{oss_store.prefix}{key}/0000000020",
            f"{oss_store.prefix}{key}/0000000121",
        ]

    def test_a_failing_clean_up_never_fails_the_completion(
        self,
        oss_store: OSSStore,
        oss_env: LocalOSSServer,
        oss_context: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """batch_delete_objects raising: the completion is stored and answers True."""
        key = "g" * 64
        put_generation(oss_env, oss_store, key, 0, encode_record(claim("old"), lifetime_ms=-5_000))

        def broken(self: Any, names: Sequence[str]) -> Any:
            raise oss2.exceptions.RequestError(OSError("connection reset"))

        monkeypatch.setattr(oss2.Bucket, "batch_delete_objects", broken)
        with _Invocation(oss_context):
            mine = oss_store.claim(key, claim("a"), 60_000)
            assert oss_store.complete(key, mine, done("a", b"3"), 60_000) is True
            assert oss_store.get(key).result == b"3"  # type: ignore[union-attr]

    def test_a_lost_create_race_looks_again(
        self,
        oss_store: OSSStore,
        oss_env: LocalOSSServer,
        oss_context: Any,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """A create-only PUT answered 409 FileAlreadyExists (another caller created it since
        the listing): the claim looks again and answers the winner's record."""
        key = "h" * 64
        put_generation(oss_env, oss_store, key, 0, encode_record(claim("w"), lifetime_ms=60_000))
        real = oss2.ObjectIteratorV2
        calls: list[int] = []

        def listing(bucket: Any, prefix: str = "", **kwargs: Any) -> Any:
            calls.append(1)
            return [] if len(calls) == 1 else real(bucket, prefix=prefix, **kwargs)

        monkeypatch.setattr(oss2, "ObjectIteratorV2", listing)
        with _Invocation(oss_context):
            outcome = oss_store.claim(key, claim("me"), 60_000)
        assert not outcome.won
        assert outcome.record.fence == "w"
        assert len(calls) == 2

    def test_another_409_is_an_error(
        self, oss_store: OSSStore, oss_context: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A 409 that is not FileAlreadyExists is OSS's error, said with its status and
        details, not a lost race."""
        details = {"Code": "PositionNotEqualToLength", "Message": "not appendable"}

        def conflict(self: Any, *args: Any, **kwargs: Any) -> Any:
            raise oss2.exceptions.ServerError(409, {}, b"", details)

        monkeypatch.setattr(oss2.Bucket, "put_object", conflict)
        with _Invocation(oss_context), pytest.raises(IdempotencyStoreError) as info:
            oss_store.claim("i" * 64, claim("a"), 60_000)
        assert str(info.value) == f"the OSS idempotency store failed (status 409): {details}"

    def test_an_error_that_is_not_osss(
        self, oss_store: OSSStore, oss_context: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An error without an OSS status (a broken listing): status None and the error."""

        def listing(bucket: Any, prefix: str = "", **kwargs: Any) -> Any:
            raise OSError("listing broke")

        monkeypatch.setattr(oss2, "ObjectIteratorV2", listing)
        with _Invocation(oss_context), pytest.raises(IdempotencyStoreError) as info:
            oss_store.get("j" * 64)
        assert str(info.value) == "the OSS idempotency store failed (status None): listing broke"
        assert isinstance(info.value.__cause__, OSError)

    def test_endless_contention_names_the_key(
        self, oss_store: OSSStore, oss_context: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The give-up error carries the key hash."""
        monkeypatch.setattr(oss_store, "_create", lambda *args: False)
        with _Invocation(oss_context), pytest.raises(IdempotencyStoreError) as info:
            oss_store.claim("k" * 64, claim("a"), 60_000)
        assert info.value.key_hash == "k" * 64
        assert str(info.value) == (
            f"could not claim idempotency key {'k' * 64} in 16 attempts (heavy contention)"
        )


class TestOSSSetUp:
    def test_the_default_prefix(self, oss_env: LocalOSSServer, oss_context: Any) -> None:
        """Without a prefix, records go under "idempotency/"."""
        key = uuid.uuid4().hex * 2
        with _Invocation(oss_context):
            assert OSSStore(BUCKET).claim(key, claim("a"), 60_000).won
        assert names(oss_env, f"idempotency/{key}/") == [f"idempotency/{key}/0000000000"]

    def test_the_endpoint_given(self, oss_server: LocalOSSServer, oss_context: Any) -> None:
        """endpoint= reaches the bucket (no FCSDK_OSS_ENDPOINT set)."""
        store = OSSStore(BUCKET, prefix="idem-endpoint/", endpoint=oss_server.endpoint)
        with _Invocation(oss_context):
            assert store.get(uuid.uuid4().hex) is None

    def test_errors_in_so_many_words(
        self, oss_store: OSSStore, oss_context: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Outside an invocation, and a versioned bucket: the exact messages."""
        with pytest.raises(IdempotencyStoreError) as info:
            oss_store.get("x")
        assert str(info.value) == (
            "OSSStore signs with the invocation's credentials: use it inside an FC "
            "invocation (@fc.handler, an HTTP handler)"
        )
        put = oss2.Bucket.put_object

        def versioned(self: Any, *args: Any, **kwargs: Any) -> Any:
            answer = put(self, *args, **kwargs)
            answer.versionid = "CAEQNhiBgMDJgZCA0BYiIDc4MGZjZGI2OTBjOTRmNTE5NmU5NmFhZjhjYmY0****"
            return answer

        monkeypatch.setattr(oss2.Bucket, "put_object", versioned)
        with _Invocation(oss_context), pytest.raises(IdempotencyStoreError) as info:
            oss_store.claim("v" * 64, claim("a"), 60_000)
        assert str(info.value) == (
            f"bucket {BUCKET!r} has versioning enabled, where OSS ignores "
            "x-oss-forbid-overwrite: OSSStore cannot guarantee one run per key there; "
            "use a bucket without versioning"
        )

    def test_an_answer_without_dates(self) -> None:
        """The exact words for an answer without Date or Last-Modified."""
        from fcsdk.idempotency._oss import _http_time

        with pytest.raises(IdempotencyStoreError) as info:
            _http_time("")
        assert str(info.value) == "OSS answered without a Date or Last-Modified header"


class TestOSSInitializer:
    def test_an_invocation_without_a_context(self, oss_store: OSSStore) -> None:
        """An initializer called without a context (a local run) is no invocation to sign for."""
        token = _invocation.enter_hook(None)
        try:
            with pytest.raises(IdempotencyStoreError) as info:
                oss_store.get("x")
        finally:
            _invocation.leave(token)
        assert "use it inside an FC invocation" in str(info.value)


# -- process_batch / aprocess_batch ---------------------------------------------------------


class Abort(BaseException):
    """What a timeout or a kill raises through a handler: not an Exception."""


def arun(coro: Any, store: RedisStore | None) -> Any:
    """Run an aprocess_batch coroutine, closing the Redis store's async client after it."""

    async def scenario() -> Any:
        try:
            return await coro
        finally:
            if store is not None:
                await store.aclose()

    return asyncio.run(scenario())


class Failing(MemoryStore):
    """A MemoryStore whose named operations fail with a plain error."""

    def __init__(self, *failing: str, max_record_bytes: int = 1024 * 1024) -> None:
        super().__init__()
        self.failing = set(failing)
        self.max_record_bytes = max_record_bytes

    def claim_many(self, items: Sequence[tuple[str, Record, int]]) -> list[Claim]:
        if "claim_many" in self.failing:
            raise OSError("disk gone")
        return super().claim_many(items)

    def complete(self, key: str, claim: Claim, record: Record, ttl_ms: int) -> bool:
        if "complete" in self.failing:
            raise OSError("complete broke")
        return super().complete(key, claim, record, ttl_ms)

    def release(self, key: str, claim: Claim) -> bool:
        if "release" in self.failing:
            raise OSError("release broke")
        return super().release(key, claim)


def key_of(store: Any, namespace: str, value: Any) -> str:
    return _key_of(store, namespace, lambda n: n, value)


def n_key(n: int) -> int:
    return n


def logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What fcsdk.idempotency logged, message by message."""
    return [r.getMessage() for r in caplog.records if r.name == "fcsdk.idempotency"]


@pytest.fixture(autouse=True)
def _log_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="fcsdk.idempotency")


class TestBatchOptions:
    def test_in_progress_expires_after_is_the_claims_lifetime(self, store: RedisStore) -> None:
        """in_progress_expires_after sets each claim's lifetime (no invocation needed)."""
        seen: list[int] = []

        def work(n: int) -> int:
            record = store.get(key_of(store, "life", n))
            assert record is not None
            seen.append(record.ttl_ms or 0)
            return n

        assert process_batch(
            store, [1], work, key=n_key, in_progress_expires_after=5, namespace="life"
        ) == [1]
        assert arun(
            aprocess_batch(
                store, [2], work, key=n_key, in_progress_expires_after=5, namespace="life"
            ),
            store,
        ) == [2]
        assert len(seen) == 2
        assert all(4_000 < ttl <= 5_000 for ttl in seen)

    def test_payloads_are_not_compared_by_default(self, store: RedisStore) -> None:
        """Without validate_payload, a re-push with another payload answers the first result."""

        def work(order: dict[str, Any]) -> int:
            return int(order["n"])

        with _in_invocation():
            assert process_batch(store, [{"id": "a", "n": 1}], work, key="id") == [1]
            assert process_batch(store, [{"id": "a", "n": 2}], work, key="id") == [1]
            for n in (1, 2):
                again = aprocess_batch(store, [{"id": "b", "n": n}], work, key="id")
                assert arun(again, store) == [1]

    def test_aprocess_batch_keeps_namespace_and_payload_check(self, store: RedisStore) -> None:
        """aprocess_batch hashes keys with the namespace given and compares payloads; the
        mismatch names the key."""

        def work(order: dict[str, Any]) -> int:
            return int(order["n"])

        with _in_invocation():
            first = process_batch(
                store, [{"id": "a", "n": 1}], work, key="id", namespace="ns", validate_payload=True
            )
            assert first == [1]
            with pytest.raises(IdempotencyBatchError) as info:
                arun(
                    aprocess_batch(
                        store,
                        [{"id": "a", "n": 2}],
                        work,
                        key="id",
                        namespace="ns",
                        validate_payload=True,
                    ),
                    store,
                )
        ((_, key, error),) = info.value.failures
        assert key == _key_of(store, "ns", "id", {"id": "a"})
        assert isinstance(error, IdempotencyPayloadMismatchError)
        assert str(error) == f"idempotency key {key} was used before with another payload"


class TestBatchReports:
    def test_records_without_a_key_are_reported_with_no_key_hash(self) -> None:
        """A keyless record fails with key hash ""; the records after it still run."""
        with _in_invocation(), pytest.raises(IdempotencyBatchError) as info:
            process_batch(MemoryStore(), [{}, {"id": "a"}, {}], lambda r: 1, key="id")
        assert [(i, k) for i, k, _ in info.value.failures] == [(0, ""), (2, "")]
        assert info.value.results == {1: 1}

    def test_five_failures_are_all_named(self, caplog: pytest.LogCaptureFixture) -> None:
        """Up to five failures: each named, the message and the log say nothing more."""

        def work(n: int) -> int:
            raise RuntimeError(f"no {n}")

        with _in_invocation(), pytest.raises(IdempotencyBatchError) as info:
            process_batch(MemoryStore(), [0, 1, 2, 3, 4], work, key=n_key)
        shown = ", ".join(f"#{i} (RuntimeError: no {i})" for i in range(5))
        assert str(info.value) == f"5 of 5 records failed: {shown}"
        assert f"idempotency batch: 5 of 5 records failed: {shown}" in logged(caplog)

    def test_past_five_failures_the_rest_are_counted(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Six failures of seven: five named, "and 1 more"."""

        def work(n: int) -> int:
            if n == 6:
                return n
            raise RuntimeError(f"no {n}")

        with _in_invocation(), pytest.raises(IdempotencyBatchError) as info:
            process_batch(MemoryStore(), list(range(7)), work, key=n_key)
        shown = ", ".join(f"#{i} (RuntimeError: no {i})" for i in range(5))
        assert str(info.value) == f"6 of 7 records failed: {shown} and 1 more"
        assert f"idempotency batch: 6 of 7 records failed: {shown} and 1 more" in logged(caplog)

    def test_a_record_in_progress_elsewhere_names_its_key_and_time(self, store: RedisStore) -> None:
        """The in-progress failure carries the key hash and the other claim's time left."""
        key = key_of(store, "busy", 5)
        store.claim(key, claim("other"), 60_000)
        with _in_invocation(), pytest.raises(IdempotencyBatchError) as info:
            process_batch(store, [5], lambda n: n, key=n_key, namespace="busy")
        ((_, found, error),) = info.value.failures
        assert isinstance(error, IdempotencyInProgressError)
        assert (found, error.key_hash) == (key, key)
        assert 59 < error.retry_after <= 60
        assert str(error).startswith(f"idempotency key {key}: another call")

    def test_a_result_too_large_names_its_key(self) -> None:
        """A result past the store's limit fails its record, naming the key hash."""
        store = Failing(max_record_bytes=300)
        with _in_invocation(), pytest.raises(IdempotencyBatchError) as info:
            process_batch(store, [1], lambda n: "x" * 1000, key=n_key, namespace="big")
        with _in_invocation(), pytest.raises(IdempotencyBatchError) as again:
            arun(aprocess_batch(store, [2], lambda n: "x" * 1000, key=n_key, namespace="big"), None)
        for outcome, n in ((info, 1), (again, 2)):
            ((_, key, error),) = outcome.value.failures
            assert key == key_of(store, "big", n)
            assert isinstance(error, IdempotencyResultTooLargeError)
            assert error.key_hash == key
            assert str(error).startswith(f"idempotency key {key}: the result (1000 bytes)")

    def test_a_store_that_answers_the_wrong_number_of_claims(self) -> None:
        """A store answering more or fewer claims than keys: IdempotencyStoreError, nothing ran."""

        class Wrong(MemoryStore):
            def __init__(self, extra: int) -> None:
                super().__init__()
                self.extra = extra

            def claim_many(self, items: Sequence[tuple[str, Record, int]]) -> list[Claim]:
                claims = super().claim_many(items)
                return claims + claims[: self.extra] if self.extra > 0 else claims[:-1]

        runs: list[int] = []
        for extra, answered in ((1, 3), (-1, 1)):
            with _in_invocation(), pytest.raises(IdempotencyStoreError) as info:
                process_batch(Wrong(extra), [1, 2], runs.append, key=n_key)
            assert str(info.value) == (
                f"the idempotency store answered {answered} claims for 2 keys; no record ran"
            )
        assert runs == []


class TestBatchStoreFailures:
    def test_claims_failing_say_why(self) -> None:
        """claim_many failing with a plain error: IdempotencyStoreError with the error's repr."""
        for call in (
            lambda: process_batch(Failing("claim_many"), [1], n_key, key=n_key),
            lambda: arun(aprocess_batch(Failing("claim_many"), [1], n_key, key=n_key), None),
        ):
            with _in_invocation(), pytest.raises(IdempotencyStoreError) as info:
                call()
            assert str(info.value) == "the idempotency store failed: OSError('disk gone')"
            assert isinstance(info.value.__cause__, OSError)

    def test_completions_are_logged_with_their_key(
        self, store: RedisStore, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Each stored result logs its key hash; a store that cannot keep it logs why."""
        with _in_invocation():
            process_batch(store, [1], n_key, key=n_key, namespace="log")
            arun(aprocess_batch(store, [2], n_key, key=n_key, namespace="log"), store)
            process_batch(Failing("complete"), [3], n_key, key=n_key, namespace="log")
            arun(aprocess_batch(Failing("complete"), [4], n_key, key=n_key, namespace="log"), None)
        found = logged(caplog)
        for n in (1, 2):
            assert f"idempotency key {key_of(store, 'log', n)}: completed; result stored" in found
        for n in (3, 4):
            assert (
                f"idempotency key {key_of(store, 'log', n)}: the result could not be stored: "
                "complete broke"
            ) in found
        assert not any("past its deadline" in m for m in found)

    def test_a_release_that_fails_is_logged(self, caplog: pytest.LogCaptureFixture) -> None:
        """aprocess_batch: a claim that cannot be released is logged with its key and why."""

        def work(n: int) -> int:
            raise RuntimeError("no")

        with _in_invocation(), pytest.raises(IdempotencyBatchError):
            arun(aprocess_batch(Failing("release"), [1], work, key=n_key, namespace="rel"), None)
        key = key_of(MemoryStore(), "rel", 1)
        assert f"idempotency key {key}: the claim could not be released: release broke" in (
            logged(caplog)
        )


class TestBatchStops:
    @pytest.mark.parametrize("asynchronous", [False, True])
    def test_stop_at_first_failure_reports_every_record(
        self, store: RedisStore, asynchronous: bool
    ) -> None:
        """After the stop: won claims are released and reported not run (with their key);
        records that need no run are settled as usual: each record has a result or a failure."""
        runs: list[int] = []

        def work(n: int) -> int:
            runs.append(n)
            if n == 0:
                raise RuntimeError("first")
            return n * 10

        def push(records: list[int], stop: bool) -> Any:
            if asynchronous:
                coro = aprocess_batch(
                    store, records, work, key=n_key, namespace="stop", stop_at_first_failure=stop
                )
                return arun(coro, store)
            return process_batch(
                store, records, work, key=n_key, namespace="stop", stop_at_first_failure=stop
            )

        with _in_invocation():
            assert push([5], False) == [50]
            with pytest.raises(IdempotencyBatchError) as info:
                push([0, 1, 1, 5], True)
            assert runs == [5, 0]
            failures = info.value.failures
            assert [(i, type(e).__name__) for i, _, e in failures] == [
                (0, "RuntimeError"),
                (1, "_NotRun"),
                (2, "_NotRun"),
            ]
            assert info.value.results == {3: 50}
            not_run = failures[1][2]
            assert isinstance(not_run, IdempotencyError)
            assert (failures[1][1], not_run.key_hash) == (key_of(store, "stop", 1),) * 2
            assert str(not_run) == "not run: an earlier record failed"
            runs.clear()
            with pytest.raises(IdempotencyBatchError):
                push([0, 1, 1, 5], False)  # every claim was released: 0 and 1 run again
            assert runs == [0, 1]

    @pytest.mark.parametrize("asynchronous", [False, True])
    def test_a_base_exception_releases_every_claim(
        self, store: RedisStore, asynchronous: bool
    ) -> None:
        """A BaseException through a record releases its claim and the later ones, and escapes."""
        runs: list[int] = []
        abort = [True]

        def work(n: int) -> int:
            runs.append(n)
            if abort[0]:
                raise Abort()
            return n

        def push() -> Any:
            if asynchronous:
                return arun(
                    aprocess_batch(store, [0, 1], work, key=n_key, namespace="abort"), store
                )
            return process_batch(store, [0, 1], work, key=n_key, namespace="abort")

        with _in_invocation():
            with pytest.raises(Abort):
                push()
            abort[0] = False
            assert push() == [0, 1]
        assert runs == [0, 0, 1]


# -- fc.idempotent: the run loop, its logs and errors ---------------------------------------


class Twin(MemoryStore):
    """A MemoryStore on a clock of its own where a twin holds every key, and whose
    operations can be made to fail; it counts reads."""

    def __init__(self, *failing: str, twin: Record | None = None, max_record_bytes: int = 1 << 20):
        self.clock = Clock()
        super().__init__(clock=self.clock)
        self.failing = set(failing)
        self.twin = twin
        self.reads = 0
        self.max_record_bytes = max_record_bytes

    def claim(self, key: str, record: Record, ttl_ms: int) -> Claim:
        if self.twin is not None:
            return Claim(False, self.twin)
        return super().claim(key, record, ttl_ms)

    def get(self, key: str) -> Record | None:
        self.reads += 1
        if self.reads > 100:
            raise AssertionError("read 100 times: the wait never ends")
        return self.twin if self.twin is not None else super().get(key)

    def complete(self, key: str, claim: Claim, record: Record, ttl_ms: int) -> bool:
        if "complete" in self.failing:
            raise OSError("complete broke")
        if "late" in self.failing:
            return False
        return super().complete(key, claim, record, ttl_ms)

    def release(self, key: str, claim: Claim) -> bool:
        if "release" in self.failing:
            raise OSError("release broke")
        return super().release(key, claim)


class FakeTime:
    """time for the run loop: sleeping moves the monotonic clock, at once."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    """The run loop's clock and sleeps (sync and async), moved by hand."""
    from fcsdk.idempotency import _core

    fake = FakeTime()
    monkeypatch.setattr(_core, "time", fake)
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        fake.sleep(seconds)
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", sleep)
    return fake


def call(function: Callable[..., Any], asynchronous: bool, *args: Any, **kwargs: Any) -> Any:
    """Call a decorated function, sync or async, inside an invocation."""
    with _in_invocation():
        if asynchronous:
            return asyncio.run(function(*args, **kwargs))
        return function(*args, **kwargs)


def make(store: Any, asynchronous: bool, body: Callable[..., Any], **options: Any) -> Any:
    """An idempotent function (sync or async) keyed by its first argument, running ``body``."""
    from fcsdk.idempotency import idempotent

    options.setdefault("key", n_key)
    if asynchronous:

        @idempotent(store, **options)
        async def work_async(n: Any, **kwargs: Any) -> Any:
            return body(n, **kwargs)

        return work_async

    @idempotent(store, **options)
    def work(n: Any, **kwargs: Any) -> Any:
        return body(n, **kwargs)

    return work


def key_hash(function: Any, value: Any) -> str:
    return function.idempotency.key_hash(value)  # type: ignore[no-any-return]


sync_and_async = pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])


class TestRunLogs:
    @sync_and_async
    def test_a_run_and_its_repeat_say_the_key(
        self, asynchronous: bool, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Claimed, completed, answered from the store: each line names the key hash;
        keyword arguments reach the function."""
        work = make(Twin(), asynchronous, lambda n, **kw: n + kw.get("extra", 0))
        key = key_hash(work, 1)
        assert call(work, asynchronous, 1, extra=10) == 11
        assert call(work, asynchronous, 1, extra=99) == 11
        assert logged(caplog) == [
            f"idempotency key {key}: claimed; running",
            f"idempotency key {key}: completed; result stored",
            f"idempotency key {key}: completed before; answered from the store",
        ]

    @sync_and_async
    def test_a_raising_function_releases_and_says_so(
        self, asynchronous: bool, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The claim released after an exception is logged; a release that fails, too."""

        def fail(n: int) -> int:
            raise RuntimeError("no")

        for store, last in (
            (Twin(), "the function raised; claim released for a retry"),
            (Twin("release"), "the claim could not be released: release broke"),
        ):
            caplog.clear()
            work = make(store, asynchronous, fail)
            with pytest.raises(RuntimeError):
                call(work, asynchronous, 1)
            key = key_hash(work, 1)
            assert logged(caplog) == [
                f"idempotency key {key}: claimed; running",
                f"idempotency key {key}: {last}",
            ]
        work = make(Twin(), asynchronous, fail)
        for _ in range(2):  # released each time: the retry runs, no twin in progress
            with pytest.raises(RuntimeError):
                call(work, asynchronous, 1)

    @sync_and_async
    def test_completions_that_go_wrong_are_logged(
        self, asynchronous: bool, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A store that cannot keep the result, and a call whose key another took since."""
        for failing, line in (
            ("complete", "the result could not be stored: complete broke"),
            (
                "late",
                "ran past its deadline and another call took the key; this result was not stored",
            ),
        ):
            caplog.clear()
            work = make(Twin(failing), asynchronous, lambda n: n)
            assert call(work, asynchronous, 1) == 1
            assert logged(caplog)[-1] == f"idempotency key {key_hash(work, 1)}: {line}"

    @sync_and_async
    def test_a_result_too_large(self, asynchronous: bool, caplog: pytest.LogCaptureFixture) -> None:
        """The run raises naming the key; the repeat says the sizes, in so many words."""
        store = Twin(max_record_bytes=300)
        work = make(store, asynchronous, lambda n: "x" * 1000)
        key = key_hash(work, 1)
        with pytest.raises(IdempotencyResultTooLargeError) as info:
            call(work, asynchronous, 1)
        assert info.value.key_hash == key
        assert str(info.value).startswith(f"idempotency key {key}: the result (1000 bytes)")
        assert logged(caplog)[-1] == (
            f"idempotency key {key}: completed; the result was too large to keep"
        )
        with pytest.raises(IdempotencyResultTooLargeError) as again:
            call(work, asynchronous, 1)
        assert (again.value.key_hash, again.value.size, again.value.limit) == (key, 1000, 300)
        assert str(again.value) == (
            f"idempotency key {key}: the function ran, but its result (1000 bytes) passed "
            "the store's limit (300 bytes) and was not kept; it does not run again for this key"
        )

    def test_a_dropped_record_without_its_sizes(self) -> None:
        """A dropped record whose sizes are lost (a store of one's own) still says what it is."""
        store = Twin()
        work = make(store, False, lambda n: n)
        key = key_hash(work, 1)
        store.twin = Record("completed", kind="dropped")
        with pytest.raises(IdempotencyResultTooLargeError) as info:
            call(work, False, 1)
        assert (info.value.key_hash, info.value.size, info.value.limit) == (key, 0, 0)

    def test_a_result_that_cannot_be_kept_keeps_the_first_500_characters_of_why(self) -> None:
        """An unencodable result: the repeat's error names the key and the first 500
        characters of the reason."""
        store = Twin()
        unencodable = type("A" * 600, (), {})
        work = make(store, False, lambda n: unencodable())
        key = key_hash(work, 1)
        with pytest.raises(ResultEncodeError) as first:
            call(work, False, 1)
        with pytest.raises(IdempotencyError) as info:
            call(work, False, 1)
        reason = str(first.value)[:500]
        assert info.value.key_hash == key
        assert str(info.value) == (
            f"idempotency key {key}: the function ran, but its result could not be kept "
            f"({reason}); it does not run again for this key"
        )

    @sync_and_async
    def test_dropped_records_keep_the_claims_fence_and_payload(self, asynchronous: bool) -> None:
        """A result too large is kept with the claim's fence and payload hash: a repeat with
        another payload is a mismatch."""
        store = Twin(max_record_bytes=300)
        fences: list[str] = []

        def body(n: dict[str, Any]) -> str:
            record = store.get(key_hash(work, n))
            fences.append(record.fence if record else "")
            return "x" * 1000

        work = make(store, asynchronous, body, key="id", validate_payload=True)
        with pytest.raises(IdempotencyResultTooLargeError):
            call(work, asynchronous, {"id": "a", "v": 1})
        stored = store.get(key_hash(work, {"id": "a"}))
        assert stored is not None
        assert (stored.kind, stored.fence) == ("dropped", fences[0])
        with pytest.raises(IdempotencyPayloadMismatchError) as info:
            call(work, asynchronous, {"id": "a", "v": 2})
        key = key_hash(work, {"id": "a"})
        assert info.value.key_hash == key
        assert str(info.value) == f"idempotency key {key} was used before with another payload"


class TestTwinsInProgress:
    @sync_and_async
    def test_refused_at_once_with_the_time_left(
        self, asynchronous: bool, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Without wait, a twin in progress is refused at once: key, time left, the words."""
        store = Twin(twin=Record("in_progress", fence="t", ttl_ms=60_000))
        work = make(store, asynchronous, lambda n: n)
        key = key_hash(work, 1)
        with pytest.raises(IdempotencyInProgressError) as info:
            call(work, asynchronous, 1)
        assert (info.value.key_hash, info.value.retry_after) == (key, 60.0)
        assert str(info.value) == (
            f"idempotency key {key}: another call with this key is in progress "
            "(its record expires in at most 60.0 s)"
        )
        assert logged(caplog) == [f"idempotency key {key}: a twin is in progress; refused"]
        assert store.reads == 0

    def test_a_twin_of_unknown_time_left(self) -> None:
        """A store that does not say the time left: retry after 0 s."""
        work = make(Twin(twin=Record("in_progress", fence="t")), False, lambda n: n)
        with pytest.raises(IdempotencyInProgressError) as info:
            call(work, False, 1)
        assert info.value.retry_after == 0.0
        assert str(info.value).endswith("(its record expires in at most 0.0 s)")

    @sync_and_async
    def test_waiting_polls_at_50_ms_doubling_to_half_a_second(
        self, asynchronous: bool, fake_time: FakeTime
    ) -> None:
        """A waiter reads the store after 50, 100, 200, 400 ms, then every 500 ms, and its
        last pause ends exactly at the end of the wait, when it gives up."""
        store = Twin(twin=Record("in_progress", fence="t", ttl_ms=30_000))
        work = make(store, asynchronous, lambda n: n, wait=3)
        with pytest.raises(IdempotencyInProgressError) as info:
            call(work, asynchronous, 1)
        assert fake_time.sleeps == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.5, 0.5, 0.5, 0.5, 0.25])
        assert store.reads == 9
        assert info.value.key_hash == key_hash(work, 1)
        assert info.value.retry_after == 30.0

    @sync_and_async
    def test_a_twin_that_completes_with_another_payload(
        self,
        asynchronous: bool,
        fake_time: FakeTime,
        caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """Waiting, then the twin's completed record: its payload is checked, and the answer
        logged under the key."""
        store = Twin(twin=Record("in_progress", fence="t", ttl_ms=9_000))
        work = make(store, asynchronous, lambda n: n, wait=3, key="id", validate_payload=True)
        key = key_hash(work, {"id": "a"})
        payload: list[str | None] = ["other"]

        def complete_on_read(k: str) -> Record | None:
            store.reads += 1
            return Record("completed", fence="t", payload_hash=payload[0], result=b"7")

        monkeypatch.setattr(store, "get", complete_on_read)
        with pytest.raises(IdempotencyPayloadMismatchError) as info:
            call(work, asynchronous, {"id": "a"})
        assert info.value.key_hash == key
        payload[0] = None
        caplog.clear()
        assert call(work, asynchronous, {"id": "a"}) == 7
        assert logged(caplog) == [
            f"idempotency key {key}: completed before; answered from the store"
        ]
        assert store.reads == 2


class NoPositional:
    """A callable whose only parameter is keyword-only."""

    def __call__(self, *, event: int) -> int:
        return event


class Callable1:
    """A callable object (no __qualname__ of its own) taking the event."""

    def __call__(self, event: int) -> int:
        return event * 2


class TestDecoratedFunctions:
    def test_no_positional_parameter_in_so_many_words(self) -> None:
        """A function (or callable object) without a positional parameter: the error names it."""
        from fcsdk.idempotency import idempotent

        def keyword_only(*, event: int) -> int:
            return event

        instance = NoPositional()
        for function, name in (
            (keyword_only, repr(keyword_only.__qualname__)),
            (instance, repr(instance)),
        ):
            with pytest.raises(ConfigurationError) as info:
                idempotent(MemoryStore(), key=n_key)(function)
            assert str(info.value) == (
                f"{name} takes no positional parameter: an idempotent function's first "
                "argument is what its key comes from"
            )

    def test_extra_positional_arguments(self, caplog: pytest.LogCaptureFixture) -> None:
        """A one-parameter function given two arguments fails before touching the store;
        one with *args takes them."""
        from fcsdk.idempotency import idempotent

        store = MemoryStore()

        @idempotent(store, key=n_key, in_progress_expires_after=5)
        def one(n: int) -> int:
            return n

        @idempotent(store, key=n_key, in_progress_expires_after=5)
        def many(n: int, *rest: int) -> int:
            return n + sum(rest)

        with pytest.raises(TypeError):
            one(1, 2)  # type: ignore[call-arg]
        assert logged(caplog) == []
        assert many(1, 2, 3) == 6

    def test_the_default_namespace_is_module_and_name(self) -> None:
        """Without FC_FUNCTION_NAME the namespace is the function's module and qualified name
        (a callable object's: its module and str)."""
        from fcsdk.idempotency import idempotent

        def work(n: int) -> int:
            return n

        store = MemoryStore()
        named = idempotent(store, key=n_key, namespace=f"{__name__}.{work.__qualname__}")(work)
        plain = idempotent(store, key=n_key)(work)
        assert key_hash(plain, 1) == key_hash(named, 1)
        instance = Callable1()
        object_named = idempotent(store, key=n_key, namespace=f"{__name__}.{instance}")(instance)
        object_plain = idempotent(store, key=n_key)(instance)
        assert key_hash(object_plain, 1) == key_hash(object_named, 1)

    def test_a_runtime_context_with_request_id_in_camel_case(self) -> None:
        """A runtime context object with requestId (not request_id) and a function timeout
        gives the deadline, outside any invocation."""
        from types import SimpleNamespace

        from fcsdk.idempotency import idempotent

        store = Twin()
        lives: list[int | None] = []

        @idempotent(store, key=n_key)
        def work(n: int, context: Any) -> int:
            record = store.get(key_hash(work, n))
            lives.append(record.ttl_ms if record else None)
            return n

        context = SimpleNamespace(requestId="r-1", function=SimpleNamespace(timeout=7))
        assert work(1, context) == 1
        assert lives == [7_000]

    def test_a_path_through_a_missing_attribute(self) -> None:
        """A key path whose attribute is missing: no key, said as such."""
        from types import SimpleNamespace

        from fcsdk.exceptions import IdempotencyKeyError
        from fcsdk.idempotency import idempotent

        @idempotent(MemoryStore(), key="order.id", in_progress_expires_after=5)
        def work(event: Any) -> int:
            return 1

        with pytest.raises(IdempotencyKeyError) as info:
            work(SimpleNamespace(order=SimpleNamespace()))
        assert str(info.value) == "no idempotency key in the event (the key function gave none)"

    @sync_and_async
    def test_text_with_lone_surrogates_comes_back(self, asynchronous: bool) -> None:
        """A str result with a lone surrogate is kept and answered as it was."""
        work = make(Twin(), asynchronous, lambda n: "a\ud800b")
        assert call(work, asynchronous, 1) == "a\ud800b"
        assert call(work, asynchronous, 1) == "a\ud800b"

    def test_an_unresolvable_annotation_is_said_once(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The warning for a return annotation that does not resolve: its words, once."""
        from fcsdk.idempotency import idempotent

        @idempotent(MemoryStore(), key=lambda e: e, in_progress_expires_after=5)
        def work(event: str) -> NotDefinedAnywhere:  # type: ignore[name-defined]  # noqa: F821
            return {"a": 1}

        work("x")
        assert work("x") == work("x") == {"a": 1}
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warnings == [
            "idempotency: the return annotation does not resolve "
            "(name 'NotDefinedAnywhere' is not defined); stored results come "
            "back as plain JSON values"
        ]

    def test_results_kept_without_the_web_modules(self) -> None:
        """A JSON result is kept in a process that never imported fcsdk.web."""
        import subprocess
        import sys

        code = (
            "import sys\n"
            "from fcsdk.idempotency import MemoryStore, idempotent\n"
            "@idempotent(MemoryStore(), key=lambda e: e, in_progress_expires_after=5)\n"
            "def work(event: str) -> dict:\n"
            "    return {'a': 1}\n"
            "assert 'fcsdk.web.response' not in sys.modules\n"
            "assert work('x') == work('x') == {'a': 1}\n"
            "print('ok')\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60
        )
        assert done.stdout.strip() == "ok", done.stderr


# -- fc.idempotent: record keys, options, lifetimes, what is stored ----------------------------


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Lives(MemoryStore):
    """A MemoryStore that notes each claim's lifetime (ttl_ms) and each in-progress record's
    fence, as the function sees it in the store while it runs."""

    def __init__(self) -> None:
        super().__init__()
        self.lives: list[int] = []

    def claim(self, key: str, record: Record, ttl_ms: int) -> Claim:
        self.lives.append(ttl_ms)
        return super().claim(key, record, ttl_ms)


class TextSerialized:
    """A value with a serializer of its own that answers text, not bytes."""

    __pydantic_serializer__ = SimpleNamespace(to_json=lambda value: '{"kept":true}')


class TestRecordKeys:
    def test_key_and_payload_hashes_stay_what_earlier_versions_wrote(self) -> None:
        """Records are kept under sha256(namespace, NUL, the key's canonical bytes), the payload
        as sha256 of its canonical bytes: "s" + UTF-8 for text (lone surrogates kept), "b" +
        the bytes, "j" + compact JSON with sorted keys for anything else. Computed here from
        those rules, so a record written by an earlier fcsdk is found after an upgrade."""
        from fcsdk.idempotency import idempotent

        store = MemoryStore()

        @idempotent(
            store,
            key=lambda e: e["id"],
            validate_payload="body",
            namespace="orders",
            in_progress_expires_after=60,
        )
        def work(event: dict[str, Any]) -> int:
            return 1

        body = {"z": [1, 2], "a": {"y": 1, "x": "\u00e9"}}
        payload = sha(b'j{"a":{"x":"\\u00e9","y":1},"z":[1,2]}')
        for key, canonical in (
            ("order-1", b"sorder-1"),
            ("a\ud800b", b"sa\xed\xa0\x80b"),
            (b"order-1", b"border-1"),
            ({"n": 7, "k": ["a", "b"]}, b'j{"k":["a","b"],"n":7}'),
        ):
            assert work({"id": key, "body": body}) == 1
            record = store.get(sha(b"orders\0" + canonical))
            assert record is not None, key
            assert (record.status, record.payload_hash) == ("completed", payload)


class TestOptionErrors:
    def test_bad_options_are_refused_in_so_many_words(self) -> None:
        """Each wrong option of fc.idempotent and process_batch: a ConfigurationError that
        names it, when decorating (or calling process_batch), before any record is touched."""
        from fcsdk.idempotency import idempotent

        store = Lives()

        def work(n: int) -> int:
            return n

        cases: list[tuple[Callable[[], object], str]] = [
            (
                lambda: idempotent(store, key=3)(work),  # type: ignore[arg-type]
                "key must be a function of the event or a field path",
            ),
            (
                lambda: idempotent(store, key=n_key, in_progress_expires_after=0)(work),
                "in_progress_expires_after must be positive, got 0",
            ),
            (
                lambda: idempotent(store, key=n_key, in_progress_expires_after=timedelta(0))(work),
                "in_progress_expires_after must be positive, got datetime.timedelta(0)",
            ),
            (
                lambda: idempotent(store, key=n_key, wait=-1)(work),
                "wait must be positive, got -1",
            ),
            (
                lambda: process_batch(store, [1], work, key=n_key, expires_after=None),  # type: ignore[call-overload]
                "expires_after is required",
            ),
            (
                lambda: process_batch(store, [1], work, key=n_key, expires_after=-2.5),
                "expires_after must be positive, got -2.5",
            ),
        ]
        for make_it, message in cases:
            with pytest.raises(ConfigurationError) as info:
                make_it()
            assert str(info.value) == message
        assert store.lives == []


class TestInProgressLifetimes:
    def test_a_fixed_lifetime_is_at_least_a_millisecond(self) -> None:
        """in_progress_expires_after goes to the store in milliseconds; less than one is one."""
        from fcsdk.idempotency import idempotent

        store = Lives()
        for seconds, n in ((0.0004, 1), (timedelta(seconds=2.5), 2)):

            @idempotent(store, key=n_key, in_progress_expires_after=seconds)
            def work(n: int) -> int:
                return n

            assert work(n) == n
        assert store.lives == [1, 2_500]

    def test_the_functions_timeout_from_its_context(self) -> None:
        """Without in_progress_expires_after a claim lives the function's timeout, read from
        the runtime's own context inside an FCContext (a fractional timeout kept to the
        millisecond: the record never expires before the deadline; one second is a timeout
        like any other), or from an FCContext built by hand."""
        from types import SimpleNamespace

        from fcsdk._context_parts import FunctionMeta
        from fcsdk.context import FCContext
        from fcsdk.idempotency import idempotent

        store = Lives()

        @idempotent(store, key=n_key)
        def work(n: int, context: Any) -> int:
            return n

        for n, timeout in enumerate((1, 2.5, "30")):
            raw = SimpleNamespace(request_id=f"r-{n}", function=SimpleNamespace(timeout=timeout))
            assert work(n, FCContext.from_runtime(raw)) == n
        assert work(9, FCContext(request_id="r-9", function=FunctionMeta(timeout=7))) == 9
        assert store.lives == [1_000, 2_500, 30_000, 7_000]

    def test_no_deadline_outside_an_invocation(self) -> None:
        """Called outside an invocation, without in_progress_expires_after: the error says
        what to do, and the store is not touched."""
        from fcsdk.idempotency import idempotent

        store = Lives()

        @idempotent(store, key=n_key)
        def work(n: int) -> int:
            return n

        with pytest.raises(ConfigurationError) as info:
            work(1)
        assert str(info.value) == (
            "no invocation deadline for the in-progress record: call the function inside "
            "an FC invocation (@fc.handler, an HTTP handler) whose context has the "
            "function's timeout, or pass in_progress_expires_after="
        )
        assert store.lives == []


class TestWhatIsStored:
    def test_each_claim_has_a_fresh_fence_that_its_result_keeps(self) -> None:
        """An in-progress record carries a fresh 128-bit fence (32 hex digits); the completed
        record keeps it, with the result as compact JSON of kind "json"."""
        import re

        store = Lives()
        fences: list[str] = []

        def body(n: int) -> dict[str, int]:
            record = store.get(key_hash(work, n))
            assert record is not None
            assert record.status == "in_progress"
            fences.append(record.fence)
            return {"n": n}

        work = make(store, False, body)
        for n in (1, 2):
            assert call(work, False, n) == {"n": n}
            stored = store.get(key_hash(work, n))
            assert stored is not None
            assert replace(stored, ttl_ms=None) == Record(
                "completed", fence=fences[-1], result=b'{"n":%d}' % n, kind="json"
            )
        assert all(re.fullmatch("[0-9a-f]{32}", fence) for fence in fences), fences
        assert fences[0] != fences[1]

    def test_results_at_the_stores_limit(self) -> None:
        """A result whose size plus 256 bytes of header room is the store's limit is kept;
        one byte more is refused, in so many words."""
        store = Twin(max_record_bytes=300)
        work = make(store, False, lambda n: b"x" * n)
        assert call(work, False, 44) == b"x" * 44
        assert call(work, False, 44) == b"x" * 44
        key = key_hash(work, 45)
        with pytest.raises(IdempotencyResultTooLargeError) as info:
            call(work, False, 45)
        assert str(info.value) == (
            f"idempotency key {key}: the result (45 bytes) passes the store's limit (300 bytes, "
            "header included); it was not kept, and the function does not run again for this key"
        )

    def test_a_streaming_response_is_kept_as_why_it_was_not(self) -> None:
        """A StreamingResponse cannot be kept: the error says so, and the record kept instead
        says why, with size 0 and the store's limit."""
        import json

        from fcsdk.web import StreamingResponse

        store = Twin()
        work = make(store, False, lambda n: StreamingResponse(iter([b"a"])))
        with pytest.raises(ResultEncodeError) as info:
            call(work, False, 1)
        why = "a StreamingResponse cannot be kept as an idempotent answer"
        assert str(info.value) == why
        stored = store.get(key_hash(work, 1))
        assert stored is not None
        assert stored.kind == "dropped"
        assert json.loads(stored.result) == {"size": 0, "limit": 1 << 20, "reason": why}

    def test_a_result_its_serializer_encodes_as_text(self, store: RedisStore) -> None:
        """The result encoder may answer text (a serializer of one's own): it is kept as its
        UTF-8 bytes, and the repeat is answered from Redis without running."""
        runs: list[int] = []

        def body(n: int) -> TextSerialized:
            runs.append(n)
            return TextSerialized()

        work = make(store, False, body)
        assert isinstance(call(work, False, 1), TextSerialized)
        assert call(work, False, 1) == {"kept": True}
        assert runs == [1]

    def test_json_results_without_the_web_modules(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With fcsdk.web.response never imported, a JSON result is kept and answered."""
        import sys

        monkeypatch.delitem(sys.modules, "fcsdk.web.response", raising=False)
        work = make(Twin(), False, lambda n: {"n": n})
        assert call(work, False, 1) == call(work, False, 1) == {"n": 1}

    def test_a_payload_mismatch_is_logged_with_the_key(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """The warning for a repeat with another payload names the key hash."""
        work = make(Twin(), False, lambda n: 1, key="id", validate_payload=True)
        assert call(work, False, {"id": "a", "v": 1}) == 1
        caplog.clear()
        with pytest.raises(IdempotencyPayloadMismatchError):
            call(work, False, {"id": "a", "v": 2})
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warnings == [
            f"idempotency key {key_hash(work, {'id': 'a'})}: payload differs from the "
            "first call's; refused"
        ]


class TestStoredRecords:
    def test_a_record_without_a_fence_reads_back_without_one(self) -> None:
        """A record written without a fence (a store of one's own) reads back with fence ""."""
        for record in (
            Record("completed", result=b"1"),
            Record("in_progress", payload_hash="h"),
        ):
            assert decode_record(encode_record(record)) == record

    def test_foreign_data_in_so_many_words(self, store: RedisStore, redis_client: Any) -> None:
        """A value under the prefix that is not a record: the error says what and why."""
        redis_client.set(store.prefix + "k", b"hello")
        with pytest.raises(IdempotencyStoreError) as info:
            store.get("k")
        assert str(info.value) == (
            "the store holds something that is not an idempotency record under this key "
            "(another program writes under the same prefix?)"
        )
