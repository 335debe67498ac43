"""OSSStore on the local OSS server over HTTP, with the real oss2 client."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import oss2
import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk import _invocation
from fcsdk.exceptions import (
    IdempotencyInProgressError,
    IdempotencyStoreError,
    InvalidBucketNameError,
)
from fcsdk.idempotency import OSSStore, process_batch
from fcsdk.idempotency._store import Record, encode_record
from fcsdk.testing import fake_context
from fcsdk.testing.oss import LocalOSSServer
from tests.idempotency.conftest import AK, BUCKET, SECRET, TOKEN


class Order(BaseModel):
    order_id: str
    amount: int


def raw_bucket(server: LocalOSSServer) -> Any:
    """A plain oss2 bucket on the local server, to look at what the store wrote."""
    return oss2.Bucket(oss2.StsAuth(AK, SECRET, TOKEN), server.endpoint, BUCKET)


def names(server: LocalOSSServer, prefix: str) -> list[str]:
    return sorted(o.key for o in oss2.ObjectIteratorV2(raw_bucket(server), prefix=prefix))


class _Invocation:
    """Make ``context`` the current invocation, as @fc.handler does."""

    def __init__(self, context: Any) -> None:
        self.context = fc.FCContext.from_runtime(context)

    def __enter__(self) -> None:
        self.token = _invocation.enter(self.context)

    def __exit__(self, *exc: object) -> None:
        _invocation.leave(self.token)


@pytest.fixture
def oss_store(oss_env: LocalOSSServer, request: pytest.FixtureRequest) -> OSSStore:
    return OSSStore(BUCKET, prefix=f"idem/{request.node.name}/")


class TestOSSStore:
    def test_runs_once_and_answers_typed(
        self, oss_store: OSSStore, oss_env: LocalOSSServer, oss_context: Any
    ) -> None:
        """A handler on OSSStore runs once; the repeat is answered from the object, typed."""
        runs: list[int] = []

        @fc.handler
        @fc.idempotent(oss_store, key="order_id")
        def main(event: Order, context: fc.FCContext) -> Order:
            runs.append(1)
            return Order(order_id=event.order_id, amount=event.amount * 10)

        body = b'{"order_id": "A", "amount": 2}'
        assert main(body, oss_context) == main(body, oss_context) == b'{"order_id":"A","amount":20}'
        assert runs == [1]
        (name,) = names(oss_env, oss_store.prefix)
        assert name.endswith("/0000000000")

    def test_signed_with_each_invocations_own_credentials(
        self, oss_env: LocalOSSServer, oss_context: Any
    ) -> None:
        """Rotated credentials: the next invocation signs with its own, the old ones are refused."""
        store = OSSStore(BUCKET, prefix="idem/rotate/")

        @fc.handler
        @fc.idempotent(store, key="order_id")
        def main(event: Order, context: fc.FCContext) -> int:
            return event.amount

        assert main(b'{"order_id": "r1", "amount": 1}', oss_context) == b"1"
        new: Any = {
            "access_key_id": "STS.NewKey7Xq2",
            "access_key_secret": "n+w/S=",
            "security_token": "T+k/n=",
        }
        oss_env.rotate_credentials(**new)
        try:
            with pytest.raises(IdempotencyStoreError, match="status 403"):
                main(b'{"order_id": "r2", "amount": 2}', oss_context)
            assert main(b'{"order_id": "r2", "amount": 2}', fake_context(timeout=60, **new)) == b"2"
        finally:
            oss_env.rotate_credentials(
                access_key_id=AK, access_key_secret=SECRET, security_token=TOKEN
            )

    def test_an_exception_releases(self, oss_store: OSSStore, oss_context: Any) -> None:
        """A raising call deletes its generation; the retry runs."""
        attempts: list[int] = []

        @fc.handler
        @fc.idempotent(oss_store, key="order_id")
        def main(event: Order, context: fc.FCContext) -> int:
            attempts.append(1)
            if len(attempts) == 1:
                raise RuntimeError("first fails")
            return len(attempts)

        with pytest.raises(RuntimeError):
            main(b'{"order_id": "E", "amount": 1}', oss_context)
        assert main(b'{"order_id": "E", "amount": 1}', oss_context) == b"2"
        assert main(b'{"order_id": "E", "amount": 1}', oss_context) == b"2"

    def test_a_twin_in_progress(self, oss_store: OSSStore, oss_context: Any) -> None:
        """While a call runs, its twin is refused with IdempotencyInProgressError."""
        started, release = threading.Event(), threading.Event()

        @fc.handler
        @fc.idempotent(oss_store, key="order_id")
        def main(event: Order, context: fc.FCContext) -> int:
            started.set()
            assert release.wait(10)
            return 1

        body = b'{"order_id": "T", "amount": 1}'
        first = threading.Thread(target=main, args=(body, oss_context))
        first.start()
        try:
            assert started.wait(10)
            with pytest.raises(IdempotencyInProgressError) as info:
                main(body, oss_context)
            assert 50 <= info.value.retry_after <= 61
        finally:
            release.set()
            first.join(10)

    def test_an_expired_claim_is_reclaimed_in_the_next_generation(
        self, oss_store: OSSStore, oss_env: LocalOSSServer, oss_context: Any
    ) -> None:
        """An in-progress record past its lifetime (a killed call) is taken in generation 1."""
        runs: list[int] = []

        @fc.idempotent(oss_store, key=lambda e: e, in_progress_expires_after=60)
        def work(event: str) -> str:
            runs.append(1)
            return event.upper()

        key = work.idempotency.key_hash("dead")  # type: ignore[attr-defined]
        dead = encode_record(Record("in_progress", fence="dead"), lifetime_ms=-5_000)
        raw_bucket(oss_env).put_object(f"{oss_store.prefix}{key}/0000000000", dead)
        with _Invocation(oss_context):
            assert work("dead") == "DEAD"
            assert work("dead") == "DEAD"
        assert runs == [1]
        # the expired generation is cleaned up once the new one completes
        assert names(oss_env, oss_store.prefix) == [f"{oss_store.prefix}{key}/0000000001"]

    def test_a_live_in_progress_record_is_not_reclaimed(
        self, oss_store: OSSStore, oss_env: LocalOSSServer, oss_context: Any
    ) -> None:
        """A record written now with a 60 s lifetime is live, judged on OSS's clock."""
        key = "k" * 64
        live = encode_record(Record("in_progress", fence="live"), lifetime_ms=60_000)
        raw_bucket(oss_env).put_object(f"{oss_store.prefix}{key}/0000000003", live)
        with _Invocation(oss_context):
            outcome = oss_store.claim(key, Record("in_progress", fence="me"), 60_000)
            again = oss_store.get(key)
        assert not outcome.won
        assert outcome.record.fence == "live"
        assert 58_000 <= (outcome.record.ttl_ms or 0) <= 61_000
        assert again is not None
        assert again.fence == "live"

    def test_racing_claims_have_one_winner(self, oss_store: OSSStore, oss_context: Any) -> None:
        """16 threads claiming one key through OSS: exactly one wins."""
        barrier = threading.Barrier(16)
        outcomes: list[Any] = []
        context = fc.FCContext.from_runtime(oss_context)

        def race(n: int) -> None:
            with _Invocation(context):
                barrier.wait(10)
                outcomes.append(
                    oss_store.claim("r" * 64, Record("in_progress", fence=f"{n}"), 60_000)
                )

        threads = [threading.Thread(target=race, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(outcomes) == 16
        assert sum(o.won for o in outcomes) == 1

    def test_batches_on_oss(self, oss_store: OSSStore, oss_context: Any) -> None:
        """process_batch on OSSStore: each record once across pushes."""
        runs: list[int] = []

        def work(n: int) -> int:
            runs.append(n)
            return n * n

        with _Invocation(oss_context):
            assert process_batch(oss_store, [1, 2, 3], work, key=lambda n: n) == [1, 4, 9]
            assert process_batch(oss_store, [1, 2, 3, 4], work, key=lambda n: n) == [1, 4, 9, 16]
        assert runs == [1, 2, 3, 4]


class TestRefusals:
    def test_a_versioned_bucket_is_refused(
        self, oss_store: OSSStore, oss_context: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An answer with x-oss-version-id (versioning on) is refused: OSS ignores the header."""
        put = oss2.Bucket.put_object

        def versioned(self: Any, *args: Any, **kwargs: Any) -> Any:
            # The local server has no versioning: add the header a versioned bucket sends.
            answer = put(self, *args, **kwargs)
            answer.versionid = "CAEQNhiBgMDJgZCA0BYiIDc4MGZjZGI2OTBjOTRmNTE5NmU5NmFhZjhjYmY0****"
            return answer

        monkeypatch.setattr(oss2.Bucket, "put_object", versioned)
        with _Invocation(oss_context), pytest.raises(IdempotencyStoreError, match="versioning"):
            oss_store.claim("v" * 64, Record("in_progress", fence="a"), 60_000)

    def test_outside_an_invocation(self, oss_store: OSSStore) -> None:
        """Without an invocation there are no credentials to sign with: a clear error."""
        with pytest.raises(IdempotencyStoreError, match="inside an FC invocation"):
            oss_store.get("x")

    def test_a_function_without_a_role(self, oss_store: OSSStore) -> None:
        """A context without credentials is an IdempotencyStoreError naming the cause."""
        with (
            _Invocation(fake_context(credentials=False)),
            pytest.raises(IdempotencyStoreError, match="cannot sign"),
        ):
            oss_store.get("x")

    def test_bad_bucket_name(self) -> None:
        """A bucket name OSS forbids fails when the store is made."""
        with pytest.raises(InvalidBucketNameError):
            OSSStore("Bad_Bucket")

    def test_repr(self) -> None:
        """repr names the bucket and prefix."""
        assert repr(OSSStore("b-1", prefix="p/")) == "OSSStore('b-1', prefix='p/')"


class TestOSSEdges:
    def test_a_generation_that_vanishes_between_list_and_read(
        self, oss_store: OSSStore, oss_context: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A listed generation deleted before it is read (a release): the claim looks again."""
        real = oss2.ObjectIteratorV2
        calls: list[int] = []

        def listing(bucket: Any, prefix: str = "", **kwargs: Any) -> Any:
            calls.append(1)
            if len(calls) == 1:  # the first listing still shows a generation since deleted
                return [SimpleNamespace(key=f"{prefix}0000000007")]
            return real(bucket, prefix=prefix, **kwargs)

        monkeypatch.setattr(oss2, "ObjectIteratorV2", listing)
        with _Invocation(oss_context):
            outcome = oss_store.claim("g" * 64, Record("in_progress", fence="a"), 60_000)
            assert outcome.won
            assert outcome.handle[1] == 0
        assert len(calls) == 2

    def test_endless_contention_gives_up(
        self, oss_store: OSSStore, oss_context: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A claim that loses every create-only race 16 times gives up with a clear error."""
        monkeypatch.setattr(oss_store, "_create", lambda *args: False)
        with _Invocation(oss_context), pytest.raises(IdempotencyStoreError, match="16 attempts"):
            oss_store.claim("c" * 64, Record("in_progress", fence="a"), 60_000)

    def test_get_of_an_expired_record(
        self, oss_store: OSSStore, oss_env: LocalOSSServer, oss_context: Any
    ) -> None:
        """get() of a key whose newest generation expired is None."""
        key = "e" * 64
        dead = encode_record(Record("completed", fence="d"), lifetime_ms=-5_000)
        raw_bucket(oss_env).put_object(f"{oss_store.prefix}{key}/0000000000", dead)
        with _Invocation(oss_context):
            assert oss_store.get(key) is None
            assert oss_store.get("n" * 64) is None

    def test_a_missing_bucket(self, oss_env: LocalOSSServer, oss_context: Any) -> None:
        """A bucket that does not exist: IdempotencyStoreError with OSS's status."""
        store = OSSStore("no-such-bucket-here")
        with _Invocation(oss_context), pytest.raises(IdempotencyStoreError, match="status 404"):
            store.claim("m" * 64, Record("in_progress", fence="a"), 60_000)

    def test_an_answer_without_dates(self) -> None:
        """An OSS answer without Date or Last-Modified cannot be judged: a clear error."""
        from fcsdk.idempotency._oss import _http_time

        with pytest.raises(IdempotencyStoreError, match="without a Date"):
            _http_time(None)
