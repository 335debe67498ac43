"""Tests for fcsdk/logging.py and fcsdk/_invocation.py: request-aware logging."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk import _invocation, _secrets
from fcsdk.logging import RequestContextFilter, configure, current_context, log_event, redact
from fcsdk.testing import fake_context

SECRET = "marker-secret-logging-5d1e"
TOKEN = "marker-token-logging-8a2f"


class ListHandler(logging.Handler):
    """Collects records, as a test would from a log sink."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.lock_ = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self.lock_:
            self.records.append(record)


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    """Records logged through fc.logger during the test, at INFO and above."""
    handler = ListHandler()
    fc.logger.addHandler(handler)
    old_level = fc.logger.level
    fc.logger.setLevel(logging.INFO)
    yield handler.records
    fc.logger.removeHandler(handler)
    fc.logger.setLevel(old_level)


@pytest.fixture
def root_clean() -> Iterator[None]:
    """Restore the root logger's handlers and level after configure() tests."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        for f in list(handler.filters):
            if isinstance(f, RequestContextFilter):
                handler.removeFilter(f)
    root.setLevel(level)


class TestLoggerInsideInvocations:
    def test_records_carry_the_request(self, records: list[logging.LogRecord]) -> None:
        """A record logged inside a handler carries its request id and function name."""

        @fc.handler
        def main(event: bytes, context: fc.FCContext) -> str:
            fc.logger.info("working")
            return "ok"

        main(b"", fake_context(request_id="req-1", function_name="orders"))
        record = records[-1]
        assert record.__dict__["request_id"] == "req-1"
        assert record.__dict__["function_name"] == "orders"
        assert record.__dict__["fc_request_id"] == "req-1"
        assert record.__dict__["cold_start"] in (True, False)

    def test_no_context_handler_still_tagged(self, records: list[logging.LogRecord]) -> None:
        """A handler without a context parameter still logs with the runtime's request id."""

        @fc.handler(event_model=bytes)
        def main(event: bytes) -> str:
            fc.logger.info("x")
            return "ok"

        main(b"", fake_context(request_id="req-2"))
        assert records[-1].__dict__["request_id"] == "req-2"

    def test_outside_an_invocation(self, records: list[logging.LogRecord]) -> None:
        """Outside any invocation the attributes are None and nothing breaks."""
        fc.logger.info("idle")
        assert records[-1].__dict__["request_id"] is None
        assert current_context() is None

    def test_context_reset_after_call_and_error(self) -> None:
        """The current invocation is reset after the call, also when the handler raises."""

        @fc.handler(event_model=bytes)
        def boom(event: bytes, context: fc.FCContext) -> None:
            assert current_context().request_id == "req-3"
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            boom(b"", fake_context(request_id="req-3"))
        assert current_context() is None

    def test_cold_start_only_first(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The first invocation of the instance is the cold start; hooks do not use it up."""
        monkeypatch.setattr(_invocation, "COLD", [True])
        seen: list[bool] = []

        @fc.initializer
        def init(context: fc.FCContext) -> None:
            invocation = _invocation.current()
            assert invocation is not None
            seen.append(invocation[1])

        @fc.handler(event_model=bytes)
        def main(event: bytes, context: fc.FCContext) -> str:
            invocation = _invocation.current()
            assert invocation is not None
            seen.append(invocation[1])
            return "ok"

        init(fake_context())
        main(b"", fake_context())
        main(b"", fake_context())
        assert seen == [True, True, False]

    def test_concurrent_invocations_keep_their_own_request(
        self, records: list[logging.LogRecord]
    ) -> None:
        """200 calls in 16 threads: every record carries its own call's request id."""

        @fc.handler
        def main(event: dict[str, str], context: fc.FCContext) -> str:
            for step in range(3):
                fc.logger.info("step %d of %s", step, event["id"])
            assert context.credentials is not None
            return context.credentials.access_key_id

        def call(i: int) -> bytes | str:
            ctx = fake_context(request_id=f"req-{i}", access_key_id=f"AK-{i}")
            return main(json.dumps({"id": f"req-{i}"}).encode(), ctx)

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(call, range(200)))
        assert results == [f"AK-{i}" for i in range(200)]
        assert len(records) == 600
        for record in records:
            assert record.getMessage().endswith(record.__dict__["request_id"])


class TestConfigure:
    def test_json_lines(self, root_clean: None) -> None:
        """fmt='json' writes one JSON object per line with the request and extra fields."""
        stream = io.StringIO()
        configure(fmt="json", stream=stream, level=logging.INFO)

        @fc.handler(event_model=bytes)
        def main(event: bytes, context: fc.FCContext) -> str:
            logging.getLogger("app.module").info("hello %s", "json", extra={"order": "A1"})
            try:
                raise ValueError("bad")
            except ValueError:
                fc.logger.exception("failed")
            return "ok"

        main(b"", fake_context(request_id="req-json", function_name="fn"))
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        assert lines[0]["message"] == "hello json"
        assert lines[0]["request_id"] == "req-json"
        assert lines[0]["function"] == "fn"
        assert lines[0]["logger"] == "app.module"
        assert lines[0]["order"] == "A1"
        assert lines[0]["level"] == "INFO"
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", lines[0]["time"])
        assert "ValueError: bad" in lines[1]["exception"]
        assert lines[1]["level"] == "ERROR"

    def test_text_format_is_the_runtimes(self, root_clean: None) -> None:
        """fmt='text' gives the runtime's line format, in UTC with a Z."""
        stream = io.StringIO()
        configure(fmt="text", stream=stream, level="INFO")

        @fc.handler(event_model=bytes)
        def main(event: bytes, context: fc.FCContext) -> str:
            logging.getLogger("other").warning("careful")
            return "ok"

        main(b"", fake_context(request_id="req-text"))
        line = stream.getvalue().strip()
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z req-text \[WARNING\] careful", line
        )

    def test_idempotent(self, root_clean: None) -> None:
        """Configuring twice leaves one fcsdk handler on the root logger."""
        before = len(logging.getLogger().handlers)
        configure(stream=io.StringIO())
        configure(fmt="text", stream=io.StringIO())
        assert len(logging.getLogger().handlers) == before + 1

    def test_existing_handlers_get_request_ids(self, root_clean: None) -> None:
        """The runtime's own handler (format with fc_request_id) gets the id filled in."""
        stream = io.StringIO()
        runtime_handler = logging.StreamHandler(stream)
        runtime_handler.setFormatter(logging.Formatter("%(fc_request_id)s %(message)s"))
        logging.getLogger().addHandler(runtime_handler)
        configure(stream=io.StringIO(), level=logging.INFO)

        @fc.handler(event_model=bytes)
        def main(event: bytes, context: fc.FCContext) -> str:
            logging.getLogger("lib").info("from a library")
            return "ok"

        main(b"", fake_context(request_id="req-rt"))
        assert stream.getvalue() == "req-rt from a library\n"

    def test_bad_format(self) -> None:
        """An unknown format is a ConfigurationError."""
        with pytest.raises(fc.ConfigurationError, match="json"):
            configure(fmt="xml")  # type: ignore[arg-type]


class TestLogEvent:
    def test_handler_option_logs_redacted_event(self, records: list[logging.LogRecord]) -> None:
        """@fc.handler(log_event=True) logs the event with secret keys and values masked."""

        @fc.handler(event_model=dict[str, Any], log_event=True)
        def main(event: dict[str, Any], context: fc.FCContext) -> str:
            return "ok"

        event = {
            "user": "ada",
            "password": "hunter2",
            "nested": {"Authorization": "Bearer x", "list": [{"api_key": "k"}]},
            "note": f"the secret is {SECRET}",
        }
        main(json.dumps(event).encode(), fake_context(access_key_secret=SECRET))
        message = records[-1].getMessage()
        assert message.startswith("event: ")
        logged = json.loads(message.removeprefix("event: "))
        assert logged["user"] == "ada"
        assert logged["password"] == "***"
        assert logged["nested"]["Authorization"] == "***"
        assert logged["nested"]["list"][0]["api_key"] == "***"
        assert SECRET not in message
        assert "hunter2" not in message

    def test_configured_keys_and_non_json(self, records: list[logging.LogRecord]) -> None:
        """Configured keys are masked; a non-JSON payload is logged as a short prefix."""
        log_event(b'{"card": "4111", "ok": 1}', keys=["card"])
        assert json.loads(records[-1].getMessage()[7:]) == {"card": "***", "ok": 1}
        log_event(b"\xff" * 100)
        assert "(100 bytes)" in records[-1].getMessage()

    def test_model_event_and_level(self, records: list[logging.LogRecord]) -> None:
        """A model is logged as its JSON dump; nothing is logged below the level."""

        class Login(BaseModel):
            user: str
            token: str

        log_event(Login(user="u", token="t"))
        assert json.loads(records[-1].getMessage()[7:]) == {"user": "u", "token": "***"}
        count = len(records)
        log_event(b"{}", level=logging.DEBUG)
        assert len(records) == count

    def test_no_context_handler_option(self, records: list[logging.LogRecord]) -> None:
        """log_event=True works for one-parameter handlers too."""

        @fc.handler(event_model=bytes, log_event=True)
        def main(event: bytes) -> str:
            return "ok"

        main(b'{"a": 1}', fake_context())
        assert records[-1].getMessage() == 'event: {"a": 1}'

    def test_redact_depth_and_tuples(self) -> None:
        """Redaction walks tuples and stops at absurd depth."""
        assert redact(("a", {"secretKey": 1})) == ["a", {"secretKey": "***"}]
        deep: Any = "x"
        for _ in range(100):
            deep = [deep]
        assert "***" in json.dumps(redact(deep))


class TestHttpInvocations:
    """The HTTP places mark each request as the current invocation, under concurrency."""

    @pytest.mark.parametrize("via", ["wsgi", "fc3", "apigw"])
    @pytest.mark.parametrize("kind", ["http", "app", "wsgi_app"])
    def test_concurrent_requests_log_their_own_ids(
        self, via: str, kind: str, records: list[logging.LogRecord]
    ) -> None:
        """200 requests in 16 threads: every record and answer carries its own request id."""
        from fcsdk.testing import HTTPClient

        def work(who: str) -> dict[str, str]:
            ctx = current_context()
            fc.logger.info("serving %s", who)
            return {"who": who, "seen": str(getattr(ctx, "request_id", ""))}

        handler: Any
        if kind == "http":

            @fc.http
            def handler(request: fc.Request) -> dict[str, str]:
                return work(request.query.get("who") or "")

        elif kind == "app":
            app = fc.HTTPApp()
            handler = app

            @app.get("/")
            def index(request: fc.Request) -> dict[str, str]:
                return work(request.query.get("who") or "")

        else:

            def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
                who = environ["QUERY_STRING"].removeprefix("who=")
                start_response("200 OK", [("Content-Type", "application/json")])
                return [json.dumps(work(who)).encode()]

            handler = fc.from_wsgi(wsgi_app)

        def call(i: int) -> dict[str, str]:
            ctx = fake_context(request_id=f"req-{i}", access_key_id=f"AK-{i}")
            client = HTTPClient(handler, via=via, context=ctx)  # type: ignore[arg-type]
            response = client.get("/", params={"who": f"req-{i}"})
            assert response.status_code == 200, response.text
            return dict(response.json())

        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(call, range(200)))
        assert all(a["who"] == a["seen"] for a in answers)
        served = [r for r in records if r.getMessage().startswith("serving")]
        assert len(served) == 200
        for record in served:
            assert record.getMessage() == f"serving {record.__dict__['request_id']}"


class TestOSSUnderConcurrency:
    def test_each_call_signs_with_its_own_keys(self, records: list[logging.LogRecord]) -> None:
        """200 calls in 16 threads, each with its own credentials: every OSS request is
        signed with its own call's keys (the server checks each signature and token),
        and every log record carries its own call's request id."""
        from fcsdk.testing.oss import LocalOSSServer

        with LocalOSSServer() as server:
            server.create_bucket("shared")
            for i in range(200):
                server.add_credentials(
                    access_key_id=f"STS.key-{i}",
                    access_key_secret=f"secret-{i}",
                    security_token=f"token-{i}",
                )

            @fc.handler
            def upload(event: dict[str, int], context: fc.FCContext) -> str:
                i = event["i"]
                bucket = context.oss_bucket("shared", endpoint=server.endpoint)
                bucket.put_object(f"obj-{i}", f"from {context.request_id}".encode())
                fc.logger.info("uploaded obj-%d", i)
                return context.request_id

            def call(i: int) -> bytes | str:
                ctx = fake_context(
                    request_id=f"req-{i}",
                    access_key_id=f"STS.key-{i}",
                    access_key_secret=f"secret-{i}",
                    security_token=f"token-{i}",
                )
                return upload(json.dumps({"i": i}).encode(), ctx)

            with ThreadPoolExecutor(max_workers=16) as pool:
                assert list(pool.map(call, range(200))) == [f"req-{i}" for i in range(200)]
            puts = [r for r in server.requests if r.operation == "PutObject"]
            assert len(puts) == 200
            for put in puts:
                assert put.status == 200, put
                assert put.token_present
                assert put.access_key_id == f"STS.key-{put.key.removeprefix('obj-')}"
            logged = [r for r in records if r.getMessage().startswith("uploaded")]
            assert len(logged) == 200
            for record in logged:
                number = record.getMessage().removeprefix("uploaded obj-")
                assert record.__dict__["request_id"] == f"req-{number}"


@pytest.fixture
def runtime_root() -> Iterator[io.StringIO]:
    """The root logger as FC's runtime leaves it: one plain handler in its format, no filter."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    plain = logging.StreamHandler(stream)
    plain.setFormatter(logging.Formatter("%(asctime)s [%(levelname)s] %(message)s"))
    root.handlers = [plain]
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.handlers = handlers
        root.setLevel(level)


WEB_TOKEN = "CAIS+web/Token+7c1d0e=="


class TestFcsdkLoggersMasked:
    def test_every_fcsdk_logger_is_masked_before_the_runtimes_handler(
        self, runtime_root: io.StringIO
    ) -> None:
        """Records of fcsdk.web, fcsdk.local and any fcsdk.* logger reach the root masked."""
        _secrets.remember(WEB_TOKEN)
        for name in ("fcsdk.web", "fcsdk.local", "fcsdk.web.asgi", "fcsdk.anything.new"):
            logging.getLogger(name).error("failed with %s", WEB_TOKEN)
            try:
                raise RuntimeError("token " + WEB_TOKEN)
            except RuntimeError:
                logging.getLogger(name).exception("crash")
        out = runtime_root.getvalue()
        assert out.count("failed with ***") == 4
        assert out.count("RuntimeError: token ***") == 4
        assert "web/Token" not in out
        assert "web%2FToken" not in out

    def test_a_web_handlers_crash_is_masked(self, runtime_root: io.StringIO) -> None:
        """@fc.http's logged traceback of an error quoting the token is masked on the runtime."""
        _secrets.remember(WEB_TOKEN)

        @fc.http
        def app(request: fc.Request) -> fc.Response:
            raise RuntimeError("cannot sign with " + WEB_TOKEN)

        from fcsdk.testing import HTTPClient

        answer = HTTPClient(app, via="fc3").get("/")
        assert answer.status_code == 500
        out = runtime_root.getvalue()
        assert "cannot sign with ***" in out
        assert "web/Token" not in out

    def test_without_any_handler_warnings_still_print_masked(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With no handler anywhere, fcsdk's warnings still reach stderr (masked), as before."""
        _secrets.remember(WEB_TOKEN)
        root = logging.getLogger()
        handlers = list(root.handlers)
        root.handlers = []
        try:
            logging.getLogger("fcsdk.web").warning("leaked %s", WEB_TOKEN)
            logging.getLogger("fcsdk.web").info("quiet %s", WEB_TOKEN)
        finally:
            root.handlers = handlers
        err = capsys.readouterr().err
        assert "leaked ***" in err
        assert "quiet" not in err  # the last resort prints warnings and above only
        assert "web/Token" not in err

    def test_a_handler_on_an_fcsdk_logger_takes_the_record(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A user's own handler on an fcsdk logger keeps the last resort quiet, as logging does."""
        root = logging.getLogger()
        handlers = list(root.handlers)
        root.handlers = []
        sink = ListHandler()
        logging.getLogger("fcsdk.web").addHandler(sink)
        try:
            logging.getLogger("fcsdk.web").warning("seen once")
        finally:
            logging.getLogger("fcsdk.web").removeHandler(sink)
            root.handlers = handlers
        assert [r.getMessage() for r in sink.records] == ["seen once"]
        assert "seen once" not in capsys.readouterr().err
