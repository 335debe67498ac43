"""Fixtures: one real web function server per app module, shared by a test module; and each
test starting with the in-process caches empty."""

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


@pytest.fixture(autouse=True)
def no_header_names_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test meets the WSGI environ's header-name cache empty, as a fresh instance does.

    (Otherwise an earlier test, or mutmut's warm process, would have filled it, and the
    code that fills it would never run here.)
    """
    from fcsdk.webfunction import wsgi

    monkeypatch.setattr(wsgi, "_HEADERS_ENVIRON", {})
