"""Fixtures: one real web function server per app module, shared by a test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.webfunction.server import WebServer


@pytest.fixture(scope="module")
def fastapi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    with WebServer("fastapi_app", tmp_path_factory.mktemp("fastapi")) as server:
        yield server


@pytest.fixture(scope="module")
def flask_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    with WebServer("flask_app", tmp_path_factory.mktemp("flask")) as server:
        yield server
