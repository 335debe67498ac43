"""Tests for fcsdk/__init__.py: the curated public API and what importing it costs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import fcsdk as fc

ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str) -> str:
    """Run code in a fresh interpreter and return its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
    )
    return result.stdout


class TestAll:
    def test_all_is_sorted_and_resolves(self) -> None:
        """__all__ is sorted and every name in it resolves."""
        assert fc.__all__ == sorted(fc.__all__)
        for name in fc.__all__:
            assert getattr(fc, name) is not None

    def test_core_names(self) -> None:
        """The core names a handler author needs are at the top level."""
        for name in [
            "FCContext",
            "Credentials",
            "FunctionMeta",
            "ServiceMeta",
            "Tracing",
            "handler",
            "initializer",
            "pre_stop",
            "pre_freeze",
            "FCSDKError",
            "EventDecodeError",
            "ResultEncodeError",
            "ConfigurationError",
            "CredentialsError",
            "HTTPError",
        ]:
            assert name in fc.__all__

    def test_unknown_attribute(self) -> None:
        """An unknown attribute raises AttributeError naming it."""
        with pytest.raises(AttributeError, match="no_such_thing"):
            _ = fc.no_such_thing

    def test_dir_lists_public_names(self) -> None:
        """dir(fcsdk) includes the lazily loaded names."""
        assert set(fc.__all__) <= set(dir(fc))

    def test_decorator_names_survive_submodule_imports(self) -> None:
        """fc.handler stays the decorator even after `import fcsdk.handler`."""
        import fcsdk.handler  # noqa: F401

        assert callable(fc.handler)
        assert fc.handler.__module__ == "fcsdk.handler"


class TestImportCost:
    def test_import_is_light(self) -> None:
        """import fcsdk loads no oss2, no HTTP layer, no event models, no testing kit."""
        out = run_python(
            "import sys, json, fcsdk;"
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('oss2', 'fcsdk', 'cbor2', 'requests', 'flask', 'werkzeug'))))"
        )
        loaded = set(json.loads(out))
        assert not {m for m in loaded if m.startswith(("oss2", "cbor2", "requests", "flask"))}
        assert "fcsdk.web" not in loaded
        assert "fcsdk.events" not in loaded
        assert "fcsdk.testing" not in loaded

    def test_handler_call_stays_light(self) -> None:
        """Handling an event through @fc.handler does not import oss2 either."""
        out = run_python(
            "import sys, fcsdk as fc\n"
            "from types import SimpleNamespace\n"
            "h = fc.handler(event_model=dict)(lambda e, c: e)\n"
            "h(b'{}', SimpleNamespace(request_id='r'))\n"
            "print('oss2' in sys.modules, 'fcsdk.web' in sys.modules)\n"
        )
        assert out.split() == ["False", "False"]

    def test_asyncio_loads_with_the_first_async_handler_only(self) -> None:
        """import fcsdk and a sync handler's call load no asyncio; decorating an async def does."""
        out = run_python(
            "import sys, fcsdk as fc\n"
            "from types import SimpleNamespace\n"
            "h = fc.handler(event_model=dict)(lambda e, c: e)\n"
            "h(b'{}', SimpleNamespace(request_id='r'))\n"
            "before = 'asyncio' in sys.modules\n"
            "async def main(event: bytes) -> bytes:\n"
            "    return event\n"
            "a = fc.handler(main)\n"
            "print(before, 'asyncio' in sys.modules, a(b'x', None))\n"
        )
        assert out.split() == ["False", "True", "b'x'"]

    def test_no_schema_built_for_context_at_import(self) -> None:
        """The context models defer their schema: nothing is built at import."""
        out = run_python(
            "import fcsdk\n"
            "from pydantic._internal._mock_val_ser import MockValSer\n"
            "print(isinstance(fcsdk.FCContext.__pydantic_validator__, MockValSer))\n"
        )
        assert out.strip() == "True"

    def test_nothing_logged_or_printed_at_import(self) -> None:
        """Importing fcsdk prints nothing and configures no logging."""
        out = run_python("import logging, fcsdk\nprint(len(logging.getLogger().handlers))\n")
        assert out == "0\n"


class TestDeprecatedNames:
    @pytest.mark.parametrize(
        ("module", "old", "new"),
        [
            ("fcsdk", "HttpApp", "HTTPApp"),
            ("fcsdk.web", "HttpApp", "HTTPApp"),
            ("fcsdk.web", "HttpHandler", "HTTPHandler"),
            ("fcsdk.web.adapter", "HttpHandler", "HTTPHandler"),
            ("fcsdk.web.routing", "HttpApp", "HTTPApp"),
            ("fcsdk.testing", "HttpClient", "HTTPClient"),
            ("fcsdk.testing", "HttpResponse", "HTTPResponse"),
            ("fcsdk.testing.http", "HttpClient", "HTTPClient"),
            ("fcsdk.testing.http", "HttpResponse", "HTTPResponse"),
        ],
    )
    def test_old_spelling_warns_and_is_the_new_class(self, module: str, old: str, new: str) -> None:
        """The Http* spellings still work for one minor version, with a DeprecationWarning."""
        import importlib

        namespace = importlib.import_module(module)
        with pytest.warns(DeprecationWarning, match=f"use {module}.{new}"):
            value = getattr(namespace, old)
        assert value is getattr(namespace, new)
        assert old not in namespace.__all__

    def test_unknown_name_is_still_an_attribute_error(self) -> None:
        """A name that was never there is an AttributeError, not a warning."""
        import fcsdk.web.routing

        with pytest.raises(AttributeError, match="Nope"):
            _ = fcsdk.web.routing.Nope  # type: ignore[attr-defined]
