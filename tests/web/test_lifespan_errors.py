"""A failed ASGI lifespan startup: each request fails with a new error, of constant size."""

from __future__ import annotations

import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

import fcsdk as fc
from fcsdk.testing import HTTPClient
from fcsdk.web.asgi import LifespanError

APP = """
from contextlib import asynccontextmanager

import fcsdk as fc
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def home(request):
    return PlainTextResponse("hi")


@asynccontextmanager
async def broken(app):
    raise ConnectionError("no database at db:5432")
    yield


handler = fc.from_asgi(Starlette(routes=[Route("/", home)], lifespan=broken))
"""


async def home(request: object) -> PlainTextResponse:
    return PlainTextResponse("hi")


def connect_database() -> None:
    raise ConnectionError("no database at db:5432")


@asynccontextmanager
async def broken(app: Starlette) -> AsyncIterator[None]:
    connect_database()
    yield


class TestFailedStartup:
    def test_every_request_raises_a_new_error_of_constant_depth(self) -> None:
        """Each request gets a new LifespanError chained to the app's; its traceback never grows."""
        wrapped = fc.from_asgi(Starlette(routes=[Route("/", home)], lifespan=broken))
        client = HTTPClient(wrapped, via="fc3")
        errors: list[LifespanError] = []
        for _ in range(6):
            with pytest.raises(LifespanError) as caught:
                client.get("/", body=b"x" * 200_000)
            errors.append(caught.value)
        assert len({id(error) for error in errors}) == len(errors)
        # The first request ran the startup (a deeper stack); every later one is alike.
        depths = {len(traceback.extract_tb(error.__traceback__)) for error in errors[1:]}
        assert len(depths) == 1, depths
        assert wrapped.lifespan.error is not None
        assert wrapped.lifespan.error.__traceback__ is None  # the stored one is never raised
        assert all(isinstance(error.__cause__, ConnectionError) for error in errors)

    def test_the_message_starts_with_the_apps_own_error(self) -> None:
        """The message names the app's exception first; Starlette's traceback follows it."""
        wrapped = fc.from_asgi(Starlette(routes=[Route("/", home)], lifespan=broken))
        with pytest.raises(LifespanError) as caught:
            wrapped.startup()
        message = str(caught.value)
        assert message.startswith(
            "lifespan startup failed: ConnectionError: no database at db:5432\n"
        ), message
        assert "Traceback (most recent call last):" in message

    def test_a_plain_failure_message_is_kept_as_is(self) -> None:
        """An app that fails startup with its own short message keeps that message."""

        async def app(scope: Any, receive: Any, send: Any) -> None:
            assert scope["type"] == "lifespan"
            await receive()
            await send({"type": "lifespan.startup.failed", "message": "no key"})

        with pytest.raises(LifespanError) as caught:
            fc.from_asgi(app).startup()
        assert str(caught.value) == "lifespan startup failed: no key"


@pytest.mark.slow
def test_serve_answers_a_failed_startup_with_a_body_that_does_not_grow(tmp_path: Path) -> None:
    """Under fcsdk serve, the error body of a failed startup has the same size every request."""
    import httpx

    from tests.local.serving import served

    (tmp_path / "index.py").write_text(APP)
    with served(
        "index.handler", "--code-dir", str(tmp_path), "--no-oss", "--runtime", "python3.12"
    ) as srv:
        sizes = set()
        for _ in range(30):
            answer = httpx.get(f"{srv.url}/", timeout=30)
            assert answer.status_code >= 500
            assert "no database at db:5432" in answer.text
            sizes.add(len(answer.content))
        log = srv.log()
    assert len(sizes) == 1, sizes
    assert "lifespan startup failed: ConnectionError: no database at db:5432" in log
