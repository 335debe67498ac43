"""Tests for fcsdk/_runtime.py: the runtime-style loader, result conversion and error JSON."""

from __future__ import annotations

import datetime
import decimal
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import fcsdk as fc
from fcsdk._runtime import (
    call_event_handler,
    error_payload,
    load_error_frames,
    load_handler,
    runtime_result,
)
from fcsdk.exceptions import (
    HandlerNotFound,
    ImportModuleError,
    InvalidHandleName,
    UserCodeError,
    UserCodeSyntaxError,
)


@pytest.fixture
def code_dir(tmp_path: Path) -> Iterator[Path]:
    """A function code folder with a few modules, removed from sys.modules afterwards."""
    (tmp_path / "index.py").write_text("def handler(event, context):\n    return event\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "__init__.py").write_text("")
    (tmp_path / "src" / "app.py").write_text("def main(event, context):\n    return b'sub'\n")
    (tmp_path / "broken.py").write_text("def handler(:\n")
    (tmp_path / "raises.py").write_text("raise RuntimeError('boom at import')\n")
    (tmp_path / "needs.py").write_text("import no_such_dependency_xyz\n")
    (tmp_path / "notcallable.py").write_text("handler = 3\n")
    yield tmp_path
    for name in ["index", "src", "src.app", "broken", "raises", "needs", "notcallable"]:
        sys.modules.pop(name, None)
    while str(tmp_path) in sys.path:
        sys.path.remove(str(tmp_path))


class TestLoadHandler:
    def test_module_dot_function(self, code_dir: Path) -> None:
        """index.handler loads handler from index.py in the code folder."""
        assert load_handler("index.handler", code_dir)(b"x", None) == b"x"
        assert sys.path[0] == str(code_dir.resolve())

    def test_sub_folder(self, code_dir: Path) -> None:
        """src/app.main loads main from src/app.py (a / in the module part is a folder)."""
        assert load_handler("src/app.main", code_dir)(b"", None) == b"sub"

    def test_file_colon_function(self, code_dir: Path) -> None:
        """path/to/file.py:function is accepted for convenience."""
        assert load_handler("src/app.py:main", code_dir)(b"", None) == b"sub"
        assert load_handler(str(code_dir / "index.py") + ":handler")(b"y", None) == b"y"

    def test_no_dot(self, code_dir: Path) -> None:
        """A handler string without a dot is InvalidHandleName."""
        with pytest.raises(InvalidHandleName, match=r"module\.function"):
            load_handler("index", code_dir)
        with pytest.raises(InvalidHandleName):
            load_handler("index.", code_dir)
        with pytest.raises(InvalidHandleName, match="nothing after"):
            load_handler("index.py:", code_dir)

    def test_missing_module(self, code_dir: Path) -> None:
        """A module that does not exist is ImportModuleError."""
        with pytest.raises(ImportModuleError, match="Unable to import module 'nope'"):
            load_handler("nope.handler", code_dir)

    def test_missing_dependency(self, code_dir: Path) -> None:
        """A module whose own import fails is ImportModuleError naming the dependency."""
        with pytest.raises(ImportModuleError, match="no_such_dependency_xyz"):
            load_handler("needs.handler", code_dir)

    def test_syntax_error(self, code_dir: Path) -> None:
        """A syntax error is UserCodeSyntaxError with file and line."""
        with pytest.raises(UserCodeSyntaxError, match=r"broken\.py, line 1"):
            load_handler("broken.handler", code_dir)

    def test_raises_at_import(self, code_dir: Path) -> None:
        """A module raising at import is UserCodeError with the exception."""
        with pytest.raises(UserCodeError, match="RuntimeError: boom at import"):
            load_handler("raises.handler", code_dir)

    def test_handler_not_found(self, code_dir: Path) -> None:
        """A missing or non-callable attribute is HandlerNotFound."""
        with pytest.raises(HandlerNotFound, match="'nothere' not found"):
            load_handler("index.nothere", code_dir)
        with pytest.raises(HandlerNotFound, match="not callable"):
            load_handler("notcallable.handler", code_dir)

    def test_same_module_name_from_two_folders(
        self, code_dir: Path, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        """Loading index.handler from another folder does not reuse the first index module."""
        other = tmp_path_factory.mktemp("other")
        (other / "index.py").write_text("def handler(event, context):\n    return b'other'\n")
        assert load_handler("index.handler", code_dir)(b"first", None) == b"first"
        try:
            assert load_handler("index.handler", other)(b"", None) == b"other"
        finally:
            sys.path.remove(str(other.resolve()))

    def test_import_error_inside_module(self, code_dir: Path) -> None:
        """An ImportError that is not a missing module is ImportModuleError too."""
        (code_dir / "badname.py").write_text("from json import no_such_name\n")
        try:
            with pytest.raises(ImportModuleError, match="no_such_name"):
                load_handler("badname.handler", code_dir)
        finally:
            sys.modules.pop("badname", None)

    def test_load_errors_are_fcsdk_errors(self) -> None:
        """All load errors share HandlerLoadError and FCSDKError."""
        assert issubclass(UserCodeError, fc.HandlerLoadError)
        assert issubclass(fc.HandlerLoadError, fc.FCSDKError)


class TestRuntimeResult:
    def test_conversions(self) -> None:
        """str is UTF-8, bytes unchanged, others json.dumps(indent=4, sort_keys=True)."""
        assert runtime_result("é") == "é".encode()
        assert runtime_result(b"\x00") == b"\x00"
        assert runtime_result(bytearray(b"a")) == b"a"
        assert runtime_result(None) == b"null"
        assert (
            runtime_result({"b": 1, "a": [1]}) == b'{\n    "a": [\n        1\n    ],\n    "b": 1\n}'
        )

    def test_runtime_defaults(self) -> None:
        """Decimal becomes float, dates isoformat, to_json() objects their result."""

        class Legacy:
            def to_json(self) -> str:
                return "legacy"

        value = {
            "d": decimal.Decimal("2.5"),
            "t": datetime.date(2026, 1, 2),
            "l": Legacy(),
        }
        assert json.loads(runtime_result(value)) == {"d": 2.5, "t": "2026-01-02", "l": "legacy"}

    def test_unserialisable(self) -> None:
        """A set fails as on the runtime, with TypeError."""
        with pytest.raises(TypeError, match="set"):
            runtime_result({1, 2})


class TestErrorPayload:
    def test_shape(self) -> None:
        """errorMessage, errorType and stackTrace entries [file, 'line N', 'in func', code]."""

        def fail() -> None:
            raise ValueError("bad value")

        try:
            fail()
        except ValueError as exc:
            payload = error_payload(exc)
        assert payload["errorMessage"] == "bad value"
        assert payload["errorType"] == "ValueError"
        last = payload["stackTrace"][-1]
        assert last[0].endswith("test_runtime.py")
        assert last[1].startswith("line ")
        assert last[2] == "in fail"
        assert last[3] == 'raise ValueError("bad value")'


class TestLoadErrorFrames:
    def test_syntax_error_without_a_file(self) -> None:
        """A syntax error that names no file gives no frame."""
        error = UserCodeSyntaxError("Syntax error")
        error.__cause__ = SyntaxError("invalid syntax")
        assert load_error_frames(error) == []

    def test_frames_of_code_without_a_file_are_kept(self) -> None:
        """Frames of the user's exec'd code (``<string>``) are theirs, not import machinery."""
        try:
            exec(compile("raise ValueError('from a string')", "<string>", "exec"))
        except ValueError as exc:
            cause = exc
        error = UserCodeError("raised while being imported")
        error.__cause__ = cause
        frames = load_error_frames(error)
        assert [frame[0] for frame in frames] == [__file__, "<string>"]
        assert frames[1][1:3] == ["line 1", "in <module>"]

    def test_module_not_found_has_no_user_frames(self, code_dir: Path) -> None:
        """A module that does not exist leaves only the loader's frames: none are shown."""
        with pytest.raises(ImportModuleError) as info:
            load_handler("nope.handler", code_dir)
        assert load_error_frames(info.value) == []


class TestErrorsThatSayTheFix:
    """A handler string or handler of the wrong kind gets a message that names the fix."""

    def test_misspelt_handler_suggests_the_close_name(self, code_dir: Path) -> None:
        """index.hanlder says: did you mean 'handler'?"""
        with pytest.raises(HandlerNotFound, match="did you mean 'handler'\\?"):
            load_handler("index.hanlder", code_dir)

    def test_far_miss_suggests_nothing(self, code_dir: Path) -> None:
        """A name like none of the module's callables gets no suggestion."""
        with pytest.raises(HandlerNotFound) as caught:
            load_handler("index.zzzzzz", code_dir)
        assert "did you mean" not in str(caught.value)

    def test_uvicorn_style_colon_says_to_write_a_dot(self, code_dir: Path) -> None:
        """index:handler (uvicorn's form) says to write index.handler."""
        with pytest.raises(InvalidHandleName, match="write index\\.handler"):
            load_handler("index:handler", code_dir)

    def test_bare_asgi_app_names_from_asgi(self, code_dir: Path) -> None:
        """A FastAPI app named as the handler says to wrap it with fc.from_asgi."""
        (code_dir / "api.py").write_text("from fastapi import FastAPI\napp = FastAPI()\n")
        try:
            with pytest.raises(HandlerNotFound, match=r"fc\.from_asgi\(app\)"):
                load_handler("api.app", code_dir)
        finally:
            sys.modules.pop("api", None)

    def test_bare_async_function_is_not_json_noise(self) -> None:
        """A bare async def says what fcsdk.testing.invoke says, not 'coroutine is not JSON'."""

        async def handler(event: bytes, context: object) -> int:
            return 1

        with pytest.raises(fc.ConfigurationError, match="bare `async def`") as caught:
            call_event_handler(handler, b"{}", None)
        assert "JSON" not in str(caught.value)

    def test_one_parameter_handler_says_to_add_context(self) -> None:
        """A plain handler(event) says FC passes (event, context), not a bare TypeError."""

        def main(event: bytes) -> bytes:
            return event

        with pytest.raises(fc.ConfigurationError, match=r"def main\(event, context\)"):
            call_event_handler(main, b"{}", None)

    def test_flask_app_called_as_event_handler_names_from_wsgi(self) -> None:
        """A Flask app reached with an event says to wrap it with fc.from_wsgi."""
        from flask import Flask

        with pytest.raises(fc.ConfigurationError, match=r"fc\.from_wsgi\(app\)"):
            call_event_handler(Flask("shop"), b"{}", None)

    def test_a_handlers_own_type_error_is_kept(self) -> None:
        """A TypeError raised inside a well-formed handler passes through unchanged."""

        def main(event: bytes, context: object) -> bytes:
            raise TypeError("my own bug")

        with pytest.raises(TypeError, match="my own bug"):
            call_event_handler(main, b"{}", None)

    def test_good_handler_result_is_the_runtimes_bytes(self) -> None:
        """A well-formed handler's result is what runtime_result makes of it."""
        assert call_event_handler(lambda event, context: {"a": 1}, b"", None) == runtime_result(
            {"a": 1}
        )


class TestWrappedAppsPassThrough:
    def test_from_wsgi_handler_errors_are_its_own(self) -> None:
        """An fc.from_wsgi handler (WSGI-shaped, but it takes events) keeps its own errors."""
        from flask import Flask

        handler = fc.from_wsgi(Flask("shop"))
        with pytest.raises(fc.EventDecodeError):
            call_event_handler(handler, b"not an event", None)

    def test_testing_invoke_says_the_same(self) -> None:
        """fcsdk.testing.invoke explains a one-parameter handler as fcsdk invoke does."""
        from fcsdk.testing import invoke

        def main(event: bytes) -> bytes:
            return event

        with pytest.raises(fc.ConfigurationError, match=r"def main\(event, context\)"):
            invoke(main, {})
