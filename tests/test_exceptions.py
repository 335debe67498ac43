"""Tests for fcsdk/exceptions.py: the drawn tree is the real one, and fcsdk raises only from it."""

from __future__ import annotations

import ast
import builtins
import io
import json
import re
from pathlib import Path

import pytest

import fcsdk.exceptions as errors
from fcsdk._local.logs import RuntimeLogs
from fcsdk._local.server import LocalServer
from fcsdk._local.trigger import read_http_response
from fcsdk.events.http import APIGatewayEvent, HTTPTriggerEvent, HTTPTriggerResponse
from fcsdk.testing import apigw_event, fc3_http_event
from fcsdk.testing.oss import LocalOSSServer
from tests.astparse import parse

PACKAGE = Path(__file__).resolve().parents[1] / "fcsdk"
LINE = re.compile(r"^(?P<indent>[\s│]*)(?:├── |└── )?(?P<name>[A-Za-z]+)(?:\((?P<bases>[^)]*)\))?")


def drawn_tree() -> dict[str, tuple[str | None, list[str]]]:
    """Return, for each class the docstring draws, its drawn parent and builtin mixins."""
    doc = errors.__doc__ or ""
    lines = doc.split("::\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    found: dict[str, tuple[str | None, list[str]]] = {}
    stack: list[tuple[int, str]] = []  # (depth, name)
    for line in lines:
        match = LINE.match(line)
        if not match or not line.strip().lstrip("│").strip():
            continue
        if not line.lstrip(" │").startswith(("├", "└")) and stack:
            continue  # a wrapped comment line
        depth = match.start("name")
        while stack and stack[-1][0] >= depth:
            stack.pop()
        bases = [b.strip() for b in (match["bases"] or "").split(",") if b.strip()]
        parent = stack[-1][1] if stack else None
        found[match["name"]] = (parent, [b for b in bases if b != parent])
        stack.append((depth, match["name"]))
    return found


class TestTheDrawnTree:
    def test_every_error_is_drawn_once(self) -> None:
        """Each error of __all__ appears in the docstring's tree, and nothing else does."""
        assert set(drawn_tree()) == set(errors.__all__)

    @pytest.mark.parametrize("name", sorted(errors.__all__))
    def test_drawn_parent_and_mixins_are_real(self, name: str) -> None:
        """Each drawn class derives from its drawn parent and from the builtins beside it."""
        parent, mixins = drawn_tree()[name]
        cls = getattr(errors, name)
        if parent is None:
            assert cls.__bases__ == (Exception,)
        else:
            assert cls.__bases__[0] is getattr(errors, parent)
        for mixin in mixins:
            assert issubclass(cls, getattr(builtins, mixin, None) or getattr(errors, mixin))

    def test_the_local_runtime_errors_live_in_the_tree(self) -> None:
        """FunctionTimeout, FunctionExited and InstanceBusy are LocalRuntimeErrors."""
        from fcsdk._local import instance

        for name in ("FunctionTimeout", "FunctionExited", "InstanceBusy"):
            assert getattr(instance, name) is getattr(errors, name)
            assert issubclass(getattr(errors, name), errors.LocalRuntimeError)
        assert str(errors.FunctionTimeout(0.5)) == "Function timed out after 0.5 seconds"
        exited = errors.FunctionExited(SystemExit(3))
        assert "SystemExit: 3" in str(exited)
        assert isinstance(exited.cause, SystemExit)


class TestValueErrorsAreTyped:
    """What fcsdk once raised as a plain ValueError is typed now, and still a ValueError."""

    def test_local_oss_server_arguments(self) -> None:
        """LocalOSSServer's bad arguments are InvalidArgumentErrors."""
        with pytest.raises(errors.InvalidArgumentError, match="non-empty access_key_id"):
            LocalOSSServer(access_key_id="", access_key_secret="s3cr+t/=")
        with pytest.raises(ValueError, match="port must be 0 to 65535"):
            LocalOSSServer(access_key_id="LTAI5t+k/Ey=", access_key_secret="s3cr+t/=", port=70000)
        server = LocalOSSServer(access_key_id="LTAI5t+k/Ey=", access_key_secret="s3cr+t/=")
        with pytest.raises(errors.InvalidArgumentError, match="rotate_credentials"):
            server.rotate_credentials(access_key_id="", access_key_secret="")
        with pytest.raises(errors.ConfigurationError, match="add_credentials"):
            server.add_credentials(access_key_id="", access_key_secret="x")

    def test_local_server_needs_a_function(self) -> None:
        """A LocalServer with no function is an InvalidArgumentError."""
        with pytest.raises(errors.InvalidArgumentError, match="at least one function"):
            LocalServer(("127.0.0.1", 0), {}, RuntimeLogs(io.StringIO()))

    def test_an_fc3_answer_out_of_range(self) -> None:
        """An FC 3.0 answer with statusCode 600 is an InvalidResponseError."""
        with pytest.raises(errors.InvalidResponseError, match="must be 100-599, got 600"):
            read_http_response(json.dumps({"statusCode": 600, "body": ""}).encode())

    def test_bodies_marked_base64_that_are_not(self) -> None:
        """A base64 body that is not base64 is an EventDecodeError or InvalidResponseError."""
        fc3 = HTTPTriggerEvent.model_validate(fc3_http_event(body=b"-"))
        apigw = APIGatewayEvent.model_validate(apigw_event(body=b"-"))
        for event in (fc3, apigw):
            broken = event.model_copy(update={"body": "not base64!", "is_base64_encoded": True})
            with pytest.raises(errors.EventDecodeError, match="not valid base64"):
                _ = broken.body_bytes
        answer = HTTPTriggerResponse.model_validate(
            {"statusCode": 200, "body": "not base64!", "isBase64Encoded": True}
        )
        with pytest.raises(errors.InvalidResponseError, match="not valid base64"):
            _ = answer.body_bytes

    def test_no_plain_value_error_left(self) -> None:
        """fcsdk raises no bare ValueError but inside a try that catches it right there."""
        offenders = []
        for path in sorted(PACKAGE.rglob("*.py")):
            tree = parse(path.read_text(encoding="utf-8"))
            caught: set[int] = set()
            for node in ast.walk(tree):
                if isinstance(node, ast.Try) and any(
                    "ValueError" in ast.unparse(h.type) for h in node.handlers if h.type
                ):
                    caught |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Raise)
                    and isinstance(node.exc, ast.Call)
                    and ast.unparse(node.exc.func) == "ValueError"
                    and id(node) not in caught
                ):
                    offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
        assert not offenders, f"plain ValueErrors (use a typed error): {offenders}"
