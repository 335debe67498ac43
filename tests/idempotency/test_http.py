"""fc.idempotent on HTTP handlers: the key from the Idempotency-Key header, in every place."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.idempotency import RedisStore
from fcsdk.testing import HTTPClient, fake_context


class NewOrder(BaseModel):
    item: str
    qty: int


def idempotency_key(request: fc.Request) -> str | None:
    return request.headers.get("Idempotency-Key")


class TestHTTP:
    @pytest.mark.parametrize("via", ["wsgi", "fc3", "apigw"])
    def test_a_repeated_post_answers_the_first_response(self, store: RedisStore, via: Any) -> None:
        """A POST repeated with one Idempotency-Key gets the first answer, status and headers."""
        created: list[str] = []

        @fc.http
        @fc.idempotent(store, key=idempotency_key, validate_payload=lambda r: r.body)
        def create(request: fc.Request) -> fc.Response:
            created.append(request.headers["Idempotency-Key"])
            return fc.JSONResponse(
                {"order": len(created)}, status=201, headers={"Location": f"/o/{len(created)}"}
            )

        client = HTTPClient(create, via=via, context=fake_context(timeout=30))
        headers = {"Idempotency-Key": "k-1"}
        first = client.post("/orders", json={"item": "tea"}, headers=headers)
        second = client.post("/orders", json={"item": "tea"}, headers=headers)
        assert (first.status_code, second.status_code) == (201, 201)
        assert first.json() == second.json() == {"order": 1}
        assert second.headers["Location"] == "/o/1"
        assert created == ["k-1"]
        other = client.post("/orders", json={"item": "cake"}, headers=headers)
        assert other.status_code == 422
        assert client.post("/orders", json={"item": "tea"}).status_code == 400

    def test_an_http_app_route(self, store: RedisStore) -> None:
        """On an HTTPApp route the request comes first; the body and context still bind."""
        app = fc.HTTPApp()
        runs: list[int] = []

        @app.post("/orders")
        @fc.idempotent(store, key=idempotency_key)
        def create(request: fc.Request, body: NewOrder, context: fc.FCContext) -> dict[str, Any]:
            runs.append(body.qty)
            return {"item": body.item, "n": len(runs), "fn": context.function.name}

        client = HTTPClient(app, via="fc3", context=fake_context(timeout=30))
        for _ in range(2):
            answer = client.post(
                "/orders", json={"item": "tea", "qty": 2}, headers={"Idempotency-Key": "a"}
            )
            assert answer.json() == {"item": "tea", "n": 1, "fn": "my-function"}
        assert runs == [2]

    def test_a_twin_in_progress_answers_409(self, store: RedisStore) -> None:
        """A request while its twin runs gets 409 with Retry-After."""
        started, release = threading.Event(), threading.Event()

        @fc.http
        @fc.idempotent(store, key=idempotency_key)
        def slow(request: fc.Request) -> str:
            started.set()
            assert release.wait(10)
            return "done"

        client = HTTPClient(slow, via="fc3", context=fake_context(timeout=30))
        answers: list[Any] = []
        first = threading.Thread(
            target=lambda: answers.append(client.post("/", headers={"Idempotency-Key": "t"}))
        )
        first.start()
        try:
            assert started.wait(10)
            twin = client.post("/", headers={"Idempotency-Key": "t"})
            assert twin.status_code == 409
            assert 1 <= int(twin.headers["Retry-After"]) <= 30
        finally:
            release.set()
            first.join(10)
        assert answers[0].text == "done"
