"""Tests for fcsdk/context.py: FCContext and its parts, from every runtime generation."""

from __future__ import annotations

import logging
import pickle
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import SecretStr

import fcsdk as fc
from fcsdk.context import Credentials, FCContext, FunctionMeta, ServiceMeta, Tracing
from fcsdk.testing import fake_context

SECRET = "marker-secret-7f3a"
TOKEN = "marker-token-91bc"


def runtime_310(**overrides: Any) -> Any:
    """A 3.10-shaped context carrying the marker secrets."""
    return fake_context(access_key_secret=SECRET, security_token=TOKEN, **overrides)


class TestFromRuntimeOlderShape:
    def test_reads_every_attribute(self) -> None:
        """The 3.9/3.10 object's attributes all land on the typed model."""
        raw = fake_context(
            request_id="r-1",
            region="cn-shanghai",
            account_id="42",
            retry_count=2,
            function_name="fn",
            handler="index.main",
            memory=256,
            timeout=30,
            service_name="svc",
            qualifier="prod",
            version_id="3",
            log_project="proj",
            log_store="store",
        )
        ctx = FCContext.from_runtime(raw)
        assert ctx.request_id == "r-1"
        assert ctx.region == "cn-shanghai"
        assert ctx.account_id == "42"
        assert ctx.retry_count == 2
        assert ctx.function == FunctionMeta(name="fn", handler="index.main", memory=256, timeout=30)
        assert ctx.service == ServiceMeta(
            name="svc", log_project="proj", log_store="store", qualifier="prod", version_id="3"
        )
        assert ctx.qualifier == "prod"
        assert ctx.version_id == "3"
        assert ctx.log_project == "proj"
        assert ctx.log_store == "store"
        assert ctx.function_name == "fn"
        assert ctx.credentials is not None
        assert ctx.credentials.access_key_id == "STS.fake-access-key-id"
        assert ctx.raw is raw

    def test_empty_strings_become_none(self) -> None:
        """Unpublished functions have '' qualifier and version: they read as None."""
        ctx = FCContext.from_runtime(fake_context(qualifier="", version_id="", region=""))
        assert ctx.qualifier is None
        assert ctx.version_id is None
        assert ctx.region is None

    def test_empty_credentials_mean_no_credentials(self) -> None:
        """A function without a role has empty credentials: context.credentials is None."""
        ctx = FCContext.from_runtime(fake_context(credentials=False))
        assert ctx.credentials is None

    def test_camel_case_attributes(self) -> None:
        """camelCase attribute names (requestId, accessKeyId, ...) are read too."""
        raw = SimpleNamespace(
            requestId="r-2",
            accountId="7",
            retryCount="1",
            credentials=SimpleNamespace(
                accessKeyId="STS.k", accessKeySecret=SECRET, securityToken=TOKEN
            ),
            function=SimpleNamespace(name="f", handler="i.h", memory="128", timeout="3"),
            service=SimpleNamespace(name="s", logProject="p", logStore="l", versionId="9"),
        )
        ctx = FCContext.from_runtime(raw)
        assert ctx.request_id == "r-2"
        assert ctx.account_id == "7"
        assert ctx.retry_count == 1
        assert ctx.function.memory == 128
        assert ctx.credentials is not None
        assert ctx.credentials.access_key_secret.get_secret_value() == SECRET
        assert ctx.version_id == "9"
        assert ctx.log_project == "p"

    def test_missing_tracing_and_logger(self) -> None:
        """An object without tracing gives tracing None; unknown numbers degrade to None."""
        raw = SimpleNamespace(request_id="r", function=SimpleNamespace(name="f", memory="lots"))
        ctx = FCContext.from_runtime(raw)
        assert ctx.tracing is None
        assert ctx.function.memory is None
        assert ctx.service is None

    def test_tracing(self) -> None:
        """Tracing data is carried over, baggage as a str dict."""
        raw = fake_context(
            tracing={
                "span_context": "abc",
                "jaeger_endpoint": "http://j",
                "span_baggages": {"k": 1},
            }
        )
        ctx = FCContext.from_runtime(raw)
        assert ctx.tracing == Tracing(
            span_context="abc", jaeger_endpoint="http://j", span_baggages={"k": "1"}
        )

    def test_context_missing_attributes(self) -> None:
        """An object with nothing but a request id still builds, with empty metadata."""
        ctx = FCContext.from_runtime(SimpleNamespace(request_id="only"))
        assert ctx.request_id == "only"
        assert ctx.function == FunctionMeta()
        assert ctx.credentials is None
        assert ctx.qualifier is None


class TestFromRuntime312:
    def test_credentials_from_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """On 3.12 there is no context.credentials: the ALIBABA_CLOUD_* variables fill it."""
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.env")
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
        monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
        raw = fake_context(runtime="python3.12", qualifier="prod", version_id="2")
        assert not hasattr(raw, "credentials")
        assert not hasattr(raw, "service")
        ctx = FCContext.from_runtime(raw)
        assert ctx.credentials is not None
        assert ctx.credentials.access_key_id == "STS.env"
        assert ctx.credentials.security_token is not None
        assert ctx.credentials.security_token.get_secret_value() == TOKEN
        assert ctx.service is None
        assert ctx.qualifier == "prod"
        assert ctx.version_id == "2"

    def test_empty_access_key_means_none(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An empty ALIBABA_CLOUD_ACCESS_KEY_ID gives no credentials, not empty strings."""
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "")
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "x")
        ctx = FCContext.from_runtime(fake_context(runtime="python3.12"))
        assert ctx.credentials is None

    def test_no_environment_means_none(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without the variables the 3.12 context has no credentials."""
        monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID", raising=False)
        ctx = FCContext.from_runtime(fake_context(runtime="python3.12"))
        assert ctx.credentials is None

    def test_log_project_on_context(self) -> None:
        """log_project/log_store sit on the 3.12 context itself."""
        ctx = FCContext.from_runtime(
            fake_context(runtime="python3.12", log_project="p", log_store="s")
        )
        assert (ctx.log_project, ctx.log_store) == ("p", "s")

    def test_rotated_environment_credentials(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Credentials rotate between invocations: each context reads the current ones."""
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.one")
        first = FCContext.from_runtime(fake_context(runtime="python3.12"))
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.two")
        second = FCContext.from_runtime(fake_context(runtime="python3.12"))
        assert first.credentials is not None
        assert second.credentials is not None
        assert (first.credentials.access_key_id, second.credentials.access_key_id) == (
            "STS.one",
            "STS.two",
        )


class TestFromRuntimeOtherInputs:
    def test_dict_snake_case(self) -> None:
        """A dict with the runtime's names builds the same model."""
        ctx = FCContext.from_runtime(
            {
                "request_id": "r",
                "credentials": {"access_key_id": "k", "access_key_secret": "s"},
                "function": {"name": "f", "memory": 128},
                "service": {"name": "svc"},
            }
        )
        assert ctx.function.name == "f"
        assert ctx.service is not None
        assert ctx.service.name == "svc"
        assert ctx.credentials is not None
        assert ctx.credentials.security_token is None

    def test_dict_camel_case(self) -> None:
        """A to_json()-style dict with camelCase keys builds the same model."""
        ctx = FCContext.from_runtime(
            {"requestId": "r", "accountId": "1", "credentials": {"accessKeyId": "k"}}
        )
        assert ctx.request_id == "r"
        assert ctx.account_id == "1"
        assert ctx.credentials is not None
        assert ctx.credentials.access_key_secret.get_secret_value() == ""

    def test_fccontext_returned_as_is(self) -> None:
        """An FCContext given to from_runtime comes back unchanged."""
        ctx = FCContext.from_runtime(fake_context())
        assert FCContext.from_runtime(ctx) is ctx

    def test_subclass_returned_as_is(self) -> None:
        """A subclass instance of FCContext is also accepted unchanged."""

        class MyContext(FCContext):
            pass

        mine = MyContext(request_id="r")
        assert FCContext.from_runtime(mine) is mine

    def test_none_is_a_clear_error(self) -> None:
        """A context of None raises ContextError saying what to use in tests."""
        with pytest.raises(fc.ContextError, match="fake_context"):
            FCContext.from_runtime(None)

    def test_object_without_request_id(self) -> None:
        """An object that is not a context at all raises ContextError."""
        with pytest.raises(fc.ContextError, match="no request_id"):
            FCContext.from_runtime(object())
        with pytest.raises(TypeError):
            FCContext.from_runtime({"request_id": ""})


class TestSecrets:
    def test_never_in_repr_str_or_dumps(self) -> None:
        """Secrets appear in no repr, str, model_dump or model_dump_json output."""
        ctx = FCContext.from_runtime(runtime_310())
        outputs = [
            repr(ctx),
            str(ctx),
            repr(ctx.credentials),
            str(ctx.model_dump()),
            ctx.model_dump_json(),
            ctx.model_dump_json(by_alias=True),
            str(ctx.model_dump(mode="json")),
            repr(runtime_310()),
            repr(runtime_310().credentials),
        ]
        for text in outputs:
            assert SECRET not in text
            assert TOKEN not in text

    def test_available_when_asked(self) -> None:
        """get_secret_value() gives the secret back."""
        ctx = FCContext.from_runtime(runtime_310())
        assert ctx.credentials is not None
        assert ctx.credentials.access_key_secret.get_secret_value() == SECRET
        assert ctx.credentials.security_token == SecretStr(TOKEN)

    def test_validation_error_hides_secret(self) -> None:
        """A validation error on Credentials does not echo the secret."""
        with pytest.raises(ValueError, match="accessKeyId") as info:
            Credentials.model_validate({"access_key_secret": SECRET})
        assert SECRET not in str(info.value)


class TestModelBehaviour:
    def test_frozen(self) -> None:
        """The context and its parts are immutable."""
        ctx = FCContext.from_runtime(fake_context())
        with pytest.raises(ValueError, match="frozen"):
            ctx.request_id = "other"
        with pytest.raises(ValueError, match="frozen"):
            ctx.function.name = "other"

    def test_equal_to_validated_model(self) -> None:
        """A context built from the runtime equals one validated from its dump."""
        ctx = FCContext.from_runtime(runtime_310(tracing={"span_context": "s"}))
        dumped = ctx.model_dump()
        dumped["credentials"]["access_key_secret"] = SECRET
        dumped["credentials"]["security_token"] = TOKEN
        assert FCContext.model_validate(dumped) == ctx

    def test_round_trip_by_alias(self) -> None:
        """model_dump(by_alias=True) uses camelCase and validates back."""
        ctx = FCContext.from_runtime(fake_context(request_id="r"))
        dumped = ctx.model_dump(by_alias=True)
        assert dumped["requestId"] == "r"
        assert "accessKeyId" in dumped["credentials"]
        again = FCContext.model_validate(dumped)
        assert again.request_id == "r"

    def test_copy_and_pickle(self) -> None:
        """Contexts copy and pickle like ordinary models."""
        ctx = FCContext.from_runtime(SimpleNamespace(request_id="r", region="x"))
        assert ctx.model_copy(update={"region": "y"}).region == "y"
        restored = pickle.loads(pickle.dumps(ctx))
        assert restored == ctx

    def test_with_raw(self) -> None:
        """with_raw() gives a copy pointing at another runtime object."""
        ctx = FCContext(request_id="r")
        assert ctx.raw is None
        marker = object()
        assert ctx.with_raw(marker).raw is marker
        assert ctx.raw is None

    def test_cache_is_bounded(self) -> None:
        """Many distinct functions do not grow the metadata cache without bound."""
        from fcsdk import _context_reader as module

        for i in range(200):
            FCContext.from_runtime(fake_context(function_name=f"f{i}"))
        assert len(module._cache) <= module._CACHE_LIMIT


class TestLogger:
    def test_runtime_logger_preferred(self) -> None:
        """The runtime's own logger (3.12, or concurrency > 1) is returned as is."""
        runtime_logger = logging.getLogger("runtime")
        ctx = FCContext.from_runtime(fake_context(logger=runtime_logger))
        assert ctx.logger is runtime_logger

    def test_get_logger_fallback(self) -> None:
        """Without context.logger, the runtime's getLogger() (the root logger) is used."""
        ctx = FCContext.from_runtime(fake_context())
        assert ctx.logger is logging.getLogger()

    def test_request_id_logger(self, caplog: pytest.LogCaptureFixture) -> None:
        """Without any runtime logger, the logger carries the request id."""
        ctx = FCContext.from_runtime(SimpleNamespace(request_id="rid-9"))
        with caplog.at_level(logging.INFO, logger="fcsdk.handler"):
            ctx.logger.info("hello %s", "there")
        record = caplog.records[-1]
        assert record.getMessage() == "hello there"
        assert record.__dict__["fc_request_id"] == "rid-9"

    def test_get_logger_returning_junk(self) -> None:
        """A getLogger that returns something odd falls back to the request-id logger."""
        raw = SimpleNamespace(request_id="r", logger=None, getLogger=lambda: "nope")
        logger = FCContext.from_runtime(raw).logger
        assert isinstance(logger, logging.LoggerAdapter)


class TestLazyReading:
    def test_runtime_object_read_only_when_used(self) -> None:
        """Creating the context reads only request_id; fields are read on first use."""
        reads: list[str] = []

        class Spy:
            request_id = "r-spy"

            def __getattr__(self, name: str) -> object:
                reads.append(name)
                return None

        ctx = FCContext.from_runtime(Spy())
        assert set(reads) <= {"credentials"}
        reads.clear()
        assert ctx.function.name is None
        assert "function" in reads

    def test_nested_serialisation(self) -> None:
        """A lazily built context nested in another model serialises in full."""
        from pydantic import BaseModel, ConfigDict

        class Envelope(BaseModel):
            model_config = ConfigDict(arbitrary_types_allowed=True)
            context: FCContext

        ctx = FCContext.from_runtime(fake_context(request_id="nested", region="r"))
        dumped = Envelope(context=ctx).model_dump()
        assert dumped["context"]["request_id"] == "nested"
        assert dumped["context"]["region"] == "r"
        secret = dumped["context"]["credentials"]["access_key_secret"]
        assert secret.get_secret_value() == "Fake+AccessKey/Secret0w8Zq="

    def test_every_whole_model_operation_sees_fields(self) -> None:
        """repr, dump, iteration, copy and equality all see the fields of a lazy context."""
        make = lambda: FCContext.from_runtime(fake_context(request_id="w"))  # noqa: E731
        assert "request_id='w'" in repr(make())
        assert make().model_dump()["request_id"] == "w"
        assert dict(make())["request_id"] == "w"
        assert make().model_copy().request_id == "w"
        assert make() == make()
        assert make().model_fields_set >= {"request_id", "function"}

    def test_unknown_attribute(self) -> None:
        """An unknown attribute of a lazy context raises AttributeError."""
        ctx = FCContext.from_runtime(fake_context())
        with pytest.raises(AttributeError):
            _ = ctx.no_such_field  # type: ignore[attr-defined]


def test_model_copy_update_does_not_touch_other_contexts() -> None:
    """model_copy(update=...) of one lazy context leaves the others' fields sets alone."""
    first = FCContext.from_runtime(fake_context())
    second = FCContext.from_runtime(fake_context())
    before = set(second.model_fields_set)
    first.model_copy(update={"region": "x"})
    assert second.model_fields_set == before
