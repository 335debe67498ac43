"""RedisStore against a real redis-server: atomic claims, fenced completion and release."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from fcsdk.exceptions import ConfigurationError, IdempotencyStoreError
from fcsdk.idempotency import RedisStore
from fcsdk.idempotency._store import Claim, Record, decode_record, encode_record


def claim(fence: str) -> Record:
    return Record("in_progress", fence=fence)


def done(fence: str, result: bytes = b"1") -> Record:
    return Record("completed", fence=fence, result=result)


class TestClaims:
    def test_one_winner_among_racing_threads(self, store: RedisStore) -> None:
        """Of 32 threads claiming one key at once, exactly one wins; the others see its record."""
        barrier = threading.Barrier(32)
        outcomes: list[Any] = []

        def race(n: int) -> None:
            barrier.wait(10)
            outcomes.append(store.claim("k", claim(f"f{n}"), 60_000))

        threads = [threading.Thread(target=race, args=(n,)) for n in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        winners = [o for o in outcomes if o.won]
        assert len(outcomes) == 32
        assert len(winners) == 1
        assert {o.record.fence for o in outcomes} == {winners[0].record.fence}

    def test_the_live_record_comes_back_with_its_time_left(self, store: RedisStore) -> None:
        """A lost claim returns the live record and its remaining time in the same round trip."""
        store.claim("k", claim("a"), 5_000)
        lost = store.claim("k", claim("b"), 5_000)
        assert not lost.won
        assert lost.record.fence == "a"
        assert 4_000 < (lost.record.ttl_ms or 0) <= 5_000

    def test_an_expired_claim_is_taken_over(self, store: RedisStore, redis_client: Any) -> None:
        """When the in-progress key expires (its deadline), the next claim wins."""
        first = store.claim("k", claim("a"), 60_000)
        redis_client.delete(store.prefix + "k")  # what its expiry at the deadline does
        second = store.claim("k", claim("b"), 60_000)
        assert first.won
        assert second.won

    def test_claim_many_is_one_pipeline(self, store: RedisStore) -> None:
        """claim_many answers each key as claim would."""
        store.claim("b", claim("old"), 60_000)
        outcomes = store.claim_many([("a", claim("1"), 60_000), ("b", claim("2"), 60_000)])
        assert [o.won for o in outcomes] == [True, False]
        assert outcomes[1].record.fence == "old"
        assert store.claim_many([]) == []

    def test_claim_many_after_a_script_flush(self, store: RedisStore, redis_client: Any) -> None:
        """A server that lost its scripts (a restart, SCRIPT FLUSH) gets them loaded again."""
        redis_client.script_flush()
        outcomes = store.claim_many([("x", claim("1"), 60_000), ("y", claim("2"), 60_000)])
        assert [o.won for o in outcomes] == [True, True]

        async def again() -> list[bool]:
            redis_client.script_flush()
            found = await store.aclaim_many([("z", claim("3"), 60_000)])
            await store.aclose()
            return [o.won for o in found]

        assert asyncio.run(again()) == [True]


class TestFencing:
    def test_completion_needs_the_callers_own_claim(
        self, store: RedisStore, redis_client: Any
    ) -> None:
        """A call that overran its deadline cannot overwrite its successor's claim."""
        late = store.claim("k", claim("late"), 60_000)
        redis_client.delete(store.prefix + "k")  # its deadline passed
        successor = store.claim("k", claim("next"), 60_000)
        assert store.complete("k", late, done("late"), 60_000) is False
        current = store.get("k")
        assert current is not None
        assert (current.status, current.fence) == ("in_progress", successor.record.fence)
        assert store.complete("k", successor, done("next", b"42"), 60_000) is True
        assert store.get("k").result == b"42"  # type: ignore[union-attr]

    def test_a_late_completion_of_an_empty_key_is_kept(
        self, store: RedisStore, redis_client: Any
    ) -> None:
        """Past its deadline with nobody taking the key, a call's result is still stored."""
        late = store.claim("k", claim("late"), 60_000)
        redis_client.delete(store.prefix + "k")  # its deadline passed; nobody came
        assert store.complete("k", late, done("late", b"9"), 60_000) is True
        assert not store.claim("k", claim("next"), 60_000).won
        assert store.get("k").result == b"9"  # type: ignore[union-attr]

    def test_release_needs_the_callers_own_claim(
        self, store: RedisStore, redis_client: Any
    ) -> None:
        """A late failing call cannot delete its successor's claim."""
        late = store.claim("k", claim("late"), 60_000)
        redis_client.delete(store.prefix + "k")
        store.claim("k", claim("next"), 60_000)
        assert store.release("k", late) is False
        assert store.get("k").fence == "next"  # type: ignore[union-attr]

    def test_get_of_nothing(self, store: RedisStore) -> None:
        """get() of an absent key is None."""
        assert store.get("absent") is None


class TestAsync:
    def test_the_async_client_does_the_same(self, store: RedisStore) -> None:
        """aclaim / acomplete / aget / arelease on redis.asyncio."""

        async def scenario() -> list[Any]:
            won = await store.aclaim("k", claim("a"), 60_000)
            lost = await store.aclaim("k", claim("b"), 60_000)
            many = await store.aclaim_many([("k", claim("c"), 1000), ("j", claim("d"), 1000)])
            kept = await store.acomplete("k", won, done("a", b"7"), 60_000)
            record = await store.aget("k")
            released = await store.arelease("j", many[1])
            await store.aclose()
            return [won.won, lost.won, [m.won for m in many], kept, record, released]

        won, lost, many, kept, record, released = asyncio.run(scenario())
        assert (won, lost, many, kept, released) == (True, False, [False, True], True, True)
        assert record.result == b"7"
        store.close()

    def test_a_given_async_client(self, redis_server: Any) -> None:
        """An async_client given to the store is the one async calls use."""
        import redis
        import redis.asyncio

        sync = redis.Redis.from_url(redis_server.url)
        given = redis.asyncio.Redis.from_url(redis_server.url)
        store = RedisStore(sync, async_client=given, prefix="given:")

        async def scenario() -> bool:
            outcome = await store.aclaim("k", claim("a"), 1000)
            await store.aclose()
            return outcome.won

        assert asyncio.run(scenario()) is True
        sync.close()

    def test_close_reaches_a_loop_of_ones_own(self, redis_server: Any) -> None:
        """close() closes the async client made on a loop that is not running now."""
        store = RedisStore.from_url(redis_server.url, prefix="own-loop:")
        loop = asyncio.new_event_loop()
        try:
            assert loop.run_until_complete(store.aclaim("k", claim("a"), 1000)).won
            store.close()
            assert loop.run_until_complete(store.aget("k")) is not None  # a new client
            store.close()
        finally:
            loop.close()
        store.close()  # a closed loop's client is left alone

    def test_without_an_async_client_a_thread_serves(self, redis_server: Any) -> None:
        """A store made from a sync client alone runs async calls in a worker thread."""
        import redis

        sync = redis.Redis.from_url(redis_server.url)
        store = RedisStore(sync, prefix="thread:")

        async def scenario() -> list[Any]:
            won = await store.aclaim("k", claim("a"), 1000)
            return [
                won.won,
                (await store.aclaim_many([("k", claim("b"), 1000)]))[0].won,
                await store.acomplete("k", won, done("a"), 1000),
                (await store.aget("k")).status,  # type: ignore[union-attr]
                await store.arelease("k", won),
            ]

        assert asyncio.run(scenario()) == [True, False, True, "completed", False]
        store.close()


class TestDown:
    def test_every_operation_of_a_store_that_is_down(self) -> None:
        """Each operation, sync and async, of a store nobody answers: IdempotencyStoreError."""
        from tests.idempotency.conftest import free_port

        store = RedisStore.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
        mine = Claim(True, claim("a"))
        calls: list[Any] = [
            lambda: store.claim("k", claim("a"), 1000),
            lambda: store.claim_many([("k", claim("a"), 1000)]),
            lambda: store.complete("k", mine, done("a"), 1000),
            lambda: store.release("k", mine),
            lambda: store.get("k"),
        ]
        for call in calls:
            with pytest.raises(IdempotencyStoreError, match="Redis idempotency store failed"):
                call()

        async def each() -> int:
            failed = 0
            for make in (
                lambda: store.aclaim_many([("k", claim("a"), 1000)]),
                lambda: store.acomplete("k", mine, done("a"), 1000),
                lambda: store.arelease("k", mine),
                lambda: store.aget("k"),
            ):
                try:
                    await make()
                except IdempotencyStoreError:
                    failed += 1
            await store.aclose()
            return failed

        assert asyncio.run(each()) == 4
        store.close()


class TestSetUp:
    def test_decode_responses_is_refused(self, redis_server: Any) -> None:
        """A client that decodes responses to str cannot hold records: refused at once."""
        import redis

        with pytest.raises(ConfigurationError, match="decode_responses"):
            RedisStore(redis.Redis.from_url(redis_server.url, decode_responses=True))

    def test_needs_a_client_or_a_url(self) -> None:
        """RedisStore() without a client or URL is a ConfigurationError."""
        with pytest.raises(ConfigurationError, match="client or a URL"):
            RedisStore()
        with pytest.raises(ConfigurationError, match="max_record_bytes"):
            RedisStore.from_url("redis://127.0.0.1:1/0", max_record_bytes=0)

    def test_repr_names_the_server_not_the_password(self) -> None:
        """repr shows host and port, never the URL's password."""
        store = RedisStore.from_url("redis://user:pa+ss%2Fw%3Drd@127.0.0.1:6390/0", prefix="p:")
        assert repr(store) == "RedisStore(127.0.0.1:6390, prefix='p:')"

    def test_foreign_data_under_the_prefix(self, store: RedisStore, redis_client: Any) -> None:
        """A value that is not a record is a clear IdempotencyStoreError."""
        redis_client.set(store.prefix + "k", b"hello")
        with pytest.raises(IdempotencyStoreError, match="not an idempotency record"):
            store.get("k")
        redis_client.set(store.prefix + "k", b"fcsdk-idem1 {broken\n")
        with pytest.raises(IdempotencyStoreError, match="damaged"):
            store.get("k")

    def test_records_round_trip(self) -> None:
        """encode_record / decode_record keep every field, the result bytes raw."""
        record = Record("completed", fence="f", payload_hash="h", result=b"\n\x00x", kind="bytes")
        assert decode_record(encode_record(record)) == record
        odd = Record("in_progress", fence='a"b\\c', payload_hash="h\u00e9")
        assert decode_record(encode_record(odd)) == odd
        timed = decode_record(encode_record(claim("a"), lifetime_ms=5), ttl_ms=3)
        assert (timed.lifetime_ms, timed.ttl_ms) == (5, 3)
