"""Secrets never leak: plant marker secrets, run a whole scenario, scan everything produced.

The scenario goes through every place fcsdk turns secrets into text: context
models, decode errors, logging (text and JSON, with log_event), HTTP error
bodies in the three places, OSS errors, and the CLI's output.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk.logging import RequestContextFilter, configure
from fcsdk.testing import HTTPClient, fake_context, invoke

SECRET = "PLANTED-secret-3c9e71"
TOKEN = "PLANTED-token-b04d22"
ROOT = Path(__file__).resolve().parents[1]


class Order(BaseModel):
    order_id: str
    amount: int


def planted(**overrides: Any) -> Any:
    """A 3.10-shaped context carrying the marker secrets."""
    return fake_context(access_key_secret=SECRET, security_token=TOKEN, **overrides)


@pytest.fixture
def produced(caplog: pytest.LogCaptureFixture) -> Any:
    """Everything the scenario produced, scanned for the markers at the end."""
    outputs: list[str] = []
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    json_stream, text_stream = io.StringIO(), io.StringIO()
    configure(fmt="json", stream=json_stream, level=logging.DEBUG)
    text_handler = logging.StreamHandler(text_stream)
    text_handler.addFilter(RequestContextFilter())
    text_handler.setFormatter(fc.logging.TextFormatter())
    root.addHandler(text_handler)
    caplog.set_level(logging.DEBUG)
    yield outputs
    outputs += [json_stream.getvalue(), text_stream.getvalue(), caplog.text]
    outputs += [r.getMessage() for r in caplog.records]
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        for f in list(handler.filters):
            if isinstance(f, RequestContextFilter):
                handler.removeFilter(f)
    root.setLevel(level)
    assert outputs, "the scenario produced nothing to scan"
    leaks = [text for text in outputs if SECRET in text or TOKEN in text]
    assert not leaks, f"a planted secret leaked into: {leaks[0][:500]!r}"


def test_event_handler_scenario(produced: list[str]) -> None:
    """Context dumps, decode errors, handler logs and redacted events carry no secret."""

    @fc.handler(event_model=Order, log_event=True)
    def main(event: Order, context: fc.FCContext) -> dict[str, Any]:
        fc.logger.info("context %r", context)
        fc.logger.debug("credentials %s", context.credentials)
        context.logger.info("dump %s", context.model_dump())
        return {"ctx": context.model_dump(mode="json"), "str": str(context)}

    ctx = planted()
    produced.append(str(main(b'{"order_id": "A1", "amount": 3}', ctx)))
    produced.append(invoke(main, {"order_id": "A2", "amount": 1}, planted()).decode())
    for bad in (b"", b"{", f'{{"order_id": "{SECRET}"}}'.encode()):
        with pytest.raises(fc.EventDecodeError) as info:
            main(bad, ctx)
        # The payload prefix is the caller's own event; the planted credentials
        # must not be there, nor in the field messages.
        produced.append("\n".join(str(info.value).splitlines()[1:]))
        produced.append(repr(info.value.errors))
    typed = fc.FCContext.from_runtime(ctx)
    produced += [repr(typed), str(typed), typed.model_dump_json(), repr(typed.credentials)]
    produced.append(repr(ctx))
    fc.log_event({"note": f"credentials {SECRET} and {TOKEN}", "password": "x"})
    produced.append(json.dumps(typed.model_dump(mode="json", by_alias=True)))


def test_context_in_312_shape(produced: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Environment credentials of the 3.12 runtime print masked too."""
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.env")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
    ctx = fc.FCContext.from_runtime(fake_context(runtime="python3.12"))
    produced += [repr(ctx), ctx.model_dump_json(), str(ctx.model_dump())]


@pytest.mark.parametrize("via", ["wsgi", "fc3", "apigw"])
def test_http_error_bodies(produced: list[str], via: str) -> None:
    """500s, 422s and 404s in every HTTP place show no secret."""
    app = fc.HTTPApp()

    @app.post("/orders")
    def create(request: fc.Request, body: Order) -> dict[str, str]:
        return {"ok": body.order_id}

    @app.get("/boom")
    def boom(request: fc.Request) -> dict[str, str]:
        credentials = request.context.credentials
        assert credentials is not None
        raise RuntimeError(f"failed with {credentials.access_key_secret}")

    @app.get("/raw")
    def raw(request: fc.Request) -> dict[str, str]:
        credentials = request.context.credentials
        assert credentials is not None
        fc.logger.error("about to fail with %s", credentials.access_key_secret.get_secret_value())
        raise RuntimeError(f"failed with {credentials.access_key_secret.get_secret_value()}")

    @app.get("/leaky")
    def leaky(request: fc.Request) -> dict[str, str]:
        raise fc.BadRequest(f"context was {request.context!r}")

    client = HTTPClient(app, via=via, context=planted())  # type: ignore[arg-type]
    for response in (
        client.post("/orders", json={"order_id": 5}),
        client.post("/orders", body=b"{not json", headers={"Content-Type": "application/json"}),
        client.get("/boom"),
        client.get("/raw"),
        client.get("/leaky"),
        client.get("/nowhere"),
    ):
        assert response.status_code >= 400
        produced += [response.text, repr(dict(response.headers.items()))]


def test_oss_errors(produced: list[str]) -> None:
    """Credential and configuration errors of oss_bucket name no secret."""
    ctx = fc.FCContext.from_runtime(planted())
    for call in (
        lambda: ctx.oss_bucket("Bad_Bucket"),
        lambda: ctx.oss_bucket("good-bucket", endpoint="not a url"),
        lambda: ctx.oss_bucket("good-bucket", no_such_option=1),
    ):
        with pytest.raises(fc.FCSDKError) as info:
            call()
        produced.append(str(info.value))
    no_role = fc.FCContext.from_runtime(fake_context(credentials=False))
    with pytest.raises(fc.CredentialsError) as info:
        no_role.oss_bucket("good-bucket")
    produced.append(str(info.value))
    bucket = ctx.oss_bucket("good-bucket", endpoint="http://127.0.0.1:9")
    produced.append(repr(bucket.__dict__.get("auth")))


def test_cli_output(produced: list[str], tmp_path: Path) -> None:
    """fcsdk invoke's output (result, logs, error JSON) carries no secret from the env."""
    (tmp_path / "index.py").write_text(
        "import fcsdk as fc\n"
        "@fc.handler\n"
        "def main(event: dict, context: fc.FCContext) -> dict:\n"
        "    fc.logger.warning('ctx %r', context)\n"
        "    raise ValueError(repr(context.credentials))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.cli",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
        "ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN,
    }
    result = subprocess.run(
        [
            *(sys.executable, "-m", "fcsdk", "invoke", "index.main"),
            *("--code-dir", str(tmp_path), "--runtime", "python3.12", "--event", "{}"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert "ValueError" in result.stdout
    produced += [result.stdout, result.stderr]


class TestRegistry:
    def test_bounded_and_ignores_short_values(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The registry keeps the newest values only, and never masks empty or tiny strings."""
        from fcsdk import _secrets

        monkeypatch.setattr(_secrets, "_values", {})
        monkeypatch.setattr(_secrets, "_state", {"snapshot": ()})
        _secrets.remember(None, "", "abc")
        assert _secrets.known() == ()
        for i in range(_secrets._LIMIT + 5):
            _secrets.remember(f"secret-{i:03d}")
        known = _secrets.known()
        assert len(known) == _secrets._LIMIT
        assert "secret-000" not in known
        assert _secrets.mask(f"x secret-{_secrets._LIMIT + 4:03d} y") == "x *** y"
        _secrets.remember(known[-1])  # already known: nothing changes
        assert _secrets.known() == known
