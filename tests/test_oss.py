"""Tests for fcsdk/oss.py: the bucket factory behind ``FCContext.oss_bucket``."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import oss2
import pytest
from pydantic import BaseModel, SecretStr

import fcsdk as fc
from fcsdk import oss as fcoss
from fcsdk.testing import fake_context, invoke
from fcsdk.testing.oss import LocalOSSServer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv(fcoss.ENDPOINT_ENV, raising=False)
    monkeypatch.delenv("FC_REGION", raising=False)
    for name in (
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    fcoss.clear_cache()
    yield
    fcoss.clear_cache()


def ctx(**kwargs: Any) -> fc.FCContext:
    return fc.FCContext.from_runtime(fake_context(**kwargs))


def creds_ctx(key_id: str, secret: str, token: str | None, region: str | None = "cn-hangzhou"):
    return fc.FCContext(
        request_id="r-1",
        region=region,
        credentials=fc.Credentials(
            access_key_id=key_id,
            access_key_secret=SecretStr(secret),
            security_token=SecretStr(token) if token is not None else None,
        ),
    )


LOCAL = "http://127.0.0.1:9000"


class TestBucketName:
    @pytest.mark.parametrize("name", ["abc", "my-bucket-1", "a" * 63, "0-9"])
    def test_valid_names_pass(self, name: str) -> None:
        """Names OSS allows are returned unchanged."""
        assert fcoss.validate_bucket_name(name) == name

    @pytest.mark.parametrize(
        "name",
        ["ab", "a" * 64, "My-Bucket", "bucket_1", "-bucket", "bucket-", "buck et", "bück", ""],
    )
    def test_forbidden_names_raise_value_error(self, name: str) -> None:
        """A forbidden name raises InvalidBucketNameError, a ValueError, before any request."""
        with pytest.raises(ValueError, match="invalid OSS bucket name") as info:
            ctx().oss_bucket(name, endpoint=LOCAL)
        assert isinstance(info.value, fc.InvalidBucketNameError)
        assert isinstance(info.value, fc.ConfigurationError)

    def test_non_str_name(self) -> None:
        """A bucket name that is not a str is a clear error."""
        with pytest.raises(fc.InvalidBucketNameError, match="must be a str"):
            fcoss.validate_bucket_name(b"bytes-name")


class TestEndpoint:
    def test_internal_by_default(self) -> None:
        """Without endpoint or env, the region's internal endpoint is used."""
        bucket = ctx(region="cn-shanghai").oss_bucket("my-bucket")
        assert bucket.endpoint == "https://oss-cn-shanghai-internal.aliyuncs.com"

    def test_public_when_asked(self) -> None:
        """internal=False picks the region's public endpoint."""
        bucket = ctx(region="cn-shanghai").oss_bucket("my-bucket", internal=False)
        assert bucket.endpoint == "https://oss-cn-shanghai.aliyuncs.com"

    def test_other_region_is_public_by_default(self) -> None:
        """A bucket of another region gets that region's public endpoint and signature."""
        bucket = ctx(region="cn-shanghai").oss_bucket("my-bucket", region="cn-beijing")
        assert bucket.endpoint == "https://oss-cn-beijing.aliyuncs.com"
        assert bucket.region == "cn-beijing"

    def test_other_region_internal_on_request(self) -> None:
        """internal=True forces the internal endpoint (a VPC with a route to that region)."""
        bucket = ctx(region="cn-shanghai").oss_bucket(
            "my-bucket", region="cn-beijing", internal=True
        )
        assert bucket.endpoint == "https://oss-cn-beijing-internal.aliyuncs.com"

    def test_own_region_given_explicitly_stays_internal(self) -> None:
        """region= equal to the function's region keeps the internal endpoint."""
        bucket = ctx(region="cn-shanghai").oss_bucket("my-bucket", region="cn-shanghai")
        assert bucket.endpoint == "https://oss-cn-shanghai-internal.aliyuncs.com"

    def test_env_overrides_region(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """FCSDK_OSS_ENDPOINT wins over the region-built endpoint."""
        monkeypatch.setenv(fcoss.ENDPOINT_ENV, "http://127.0.0.1:9999/")
        assert ctx().oss_bucket("my-bucket").endpoint == "http://127.0.0.1:9999"

    def test_argument_overrides_env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The endpoint argument wins over FCSDK_OSS_ENDPOINT."""
        monkeypatch.setenv(fcoss.ENDPOINT_ENV, "http://127.0.0.1:9999")
        assert ctx().oss_bucket("my-bucket", endpoint=LOCAL).endpoint == LOCAL

    def test_bare_host_gets_https(self) -> None:
        """A bare host name is taken as an https endpoint."""
        url = fcoss.resolve_endpoint(None, endpoint="oss.example.com:8443", internal=None)
        assert url == "https://oss.example.com:8443"

    def test_ipv6_host(self) -> None:
        """A bracketed IPv6 literal is a valid endpoint host."""
        url = fcoss.resolve_endpoint(None, endpoint="http://[::1]:9000", internal=None)
        assert url == "http://[::1]:9000"

    @pytest.mark.parametrize(
        "endpoint",
        [
            "",
            "   ",
            "ftp://oss.example.com",
            "http://",
            "http://oss.example.com/path",
            "http://oss.example.com?x=1",
            "http://oss.example.com:port",
            "http://user@oss.example.com",
            "not a url",
            "http://bad_host!",
            "http://[zz::1]",
        ],
    )
    def test_not_a_url(self, endpoint: str) -> None:
        """An endpoint that is not an http(s) URL of a host is a ConfigurationError."""
        with pytest.raises(fc.ConfigurationError, match="endpoint"):
            ctx().oss_bucket("my-bucket", endpoint=endpoint)

    def test_bad_env_endpoint_names_the_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A bad FCSDK_OSS_ENDPOINT is reported by its name."""
        monkeypatch.setenv(fcoss.ENDPOINT_ENV, "localhost:no")
        with pytest.raises(fc.ConfigurationError, match=fcoss.ENDPOINT_ENV):
            ctx().oss_bucket("my-bucket")

    def test_local_run_names_the_local_endpoints(self) -> None:
        """In a local run the in-region endpoint is refused with the ways to a local OSS."""
        local = {fcoss.LOCAL_RUN_ENV: "1"}
        with pytest.raises(fc.ConfigurationError, match="--local-oss") as caught:
            fcoss.resolve_endpoint("cn-hangzhou", endpoint=None, internal=None, environ=local)
        assert "fcsdk oss-server" in str(caught.value)
        assert fcoss.ENDPOINT_ENV in str(caught.value)
        with_server = {**local, fcoss.ENDPOINT_ENV: "http://127.0.0.1:9100"}
        assert (
            fcoss.resolve_endpoint("cn-hangzhou", endpoint=None, internal=None, environ=with_server)
            == "http://127.0.0.1:9100"
        )
        public = fcoss.resolve_endpoint("cn-hangzhou", endpoint=None, internal=False, environ=local)
        assert public == "https://oss-cn-hangzhou.aliyuncs.com"

    def test_no_region_no_endpoint(self) -> None:
        """With neither an endpoint nor a region the error says what to pass."""
        with pytest.raises(fc.ConfigurationError, match="no OSS endpoint"):
            creds_ctx("k", "s", "t", region=None).oss_bucket("my-bucket")

    def test_fc_region_env_is_the_fallback(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """FC_REGION is used when the context carries no region."""
        monkeypatch.setenv("FC_REGION", "cn-qingdao")
        bucket = creds_ctx("k", "s", "t", region=None).oss_bucket("my-bucket")
        assert bucket.endpoint == "https://oss-cn-qingdao-internal.aliyuncs.com"

    def test_bad_region(self) -> None:
        """A region that cannot be part of a host name is a ConfigurationError."""
        with pytest.raises(fc.ConfigurationError, match="invalid region"):
            ctx().oss_bucket("my-bucket", region="cn hangzhou!")

    def test_host_check(self) -> None:
        """Host names and IPv6 literals are checked character by character."""
        assert fcoss._valid_host("oss.example.com")
        assert fcoss._valid_host("::1")
        assert not fcoss._valid_host("zz::1")
        assert not fcoss._valid_host(None)

    def test_ipv6_rejected_by_oss2_is_a_configuration_error(self) -> None:
        """Settings oss2 itself rejects surface as ConfigurationError, not oss2's ClientError."""
        with pytest.raises(fc.ConfigurationError, match="oss2 rejected"):
            ctx().oss_bucket("my-bucket", endpoint="http://[::1]:9000")


class TestAuth:
    def test_v4_by_default_with_region(self) -> None:
        """Signature v4 is the default and the bucket carries the region."""
        bucket = ctx(region="cn-hangzhou").oss_bucket("my-bucket", endpoint=LOCAL)
        assert isinstance(bucket.auth, oss2.StsAuth)
        assert bucket.auth.auth_version() == "v4"
        assert bucket.region == "cn-hangzhou"

    def test_v1_selectable(self) -> None:
        """auth_version='v1' signs with v1."""
        bucket = ctx().oss_bucket("my-bucket", endpoint=LOCAL, auth_version="v1")
        assert bucket.auth.auth_version() == "v1"

    def test_v1_needs_no_region(self) -> None:
        """v1 works without any region when the endpoint is given."""
        bucket = creds_ctx("k", "s", None, region=None).oss_bucket(
            "my-bucket", endpoint=LOCAL, auth_version="v1"
        )
        assert bucket.region is None

    def test_v4_region_from_endpoint(self) -> None:
        """Without a region, v4 takes it from an aliyuncs.com endpoint."""
        bucket = creds_ctx("k", "s", "t", region=None).oss_bucket(
            "my-bucket", endpoint="https://oss-cn-beijing-internal.aliyuncs.com"
        )
        assert bucket.region == "cn-beijing"

    def test_v4_without_any_region(self) -> None:
        """v4 with no region anywhere says to pass region= or use v1."""
        with pytest.raises(fc.ConfigurationError, match="region="):
            creds_ctx("k", "s", "t", region=None).oss_bucket("my-bucket", endpoint=LOCAL)

    def test_bad_auth_version(self) -> None:
        """An unknown signature version is a ConfigurationError."""
        with pytest.raises(fc.ConfigurationError, match="auth_version"):
            ctx().oss_bucket("my-bucket", endpoint=LOCAL, auth_version="v2")  # type: ignore[arg-type]

    def test_unknown_option(self) -> None:
        """A keyword oss2.Bucket does not take is named in the error."""
        with pytest.raises(fc.ConfigurationError, match="connect_timout"):
            ctx().oss_bucket("my-bucket", endpoint=LOCAL, connect_timout=3)

    def test_options_pass_through(self) -> None:
        """Known options reach oss2.Bucket."""
        bucket = ctx().oss_bucket(
            "my-bucket", endpoint=LOCAL, connect_timeout=7, enable_crc=False, app_name="demo"
        )
        assert bucket.timeout == 7
        assert bucket.enable_crc is False
        assert bucket.app_name == "demo"


class TestCredentials:
    def test_no_role(self) -> None:
        """A context without credentials raises CredentialsError saying what to configure."""
        with pytest.raises(fc.CredentialsError, match="RAM role") as info:
            ctx(credentials=False).oss_bucket("my-bucket", endpoint=LOCAL)
        assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in str(info.value)

    def test_python312_without_env(self) -> None:
        """On the 3.12 shape with no ALIBABA_CLOUD_* variables there are no credentials."""
        with pytest.raises(fc.CredentialsError):
            ctx(runtime="python3.12").oss_bucket("my-bucket", endpoint=LOCAL)

    def test_python312_from_env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """On the 3.12 shape the credentials come from the environment."""
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.env")
        monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
        monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token")
        bucket = ctx(runtime="python3.12").oss_bucket("my-bucket", endpoint=LOCAL)
        creds = bucket.auth._StsAuth__auth.credentials_provider.get_credentials()
        assert creds.get_access_key_id() == "STS.env"
        assert creds.get_security_token() == "env-token"

    @pytest.mark.parametrize(
        ("key_id", "secret", "missing"),
        [("", "s3cr3t-value", "access_key_id"), ("STS.k", "  ", "access_key_secret")],
    )
    def test_empty_strings(self, key_id: str, secret: str, missing: str) -> None:
        """Credentials of empty strings raise CredentialsError naming the empty part."""
        with pytest.raises(fc.CredentialsError, match=missing) as info:
            creds_ctx(key_id, secret, "tok-value").oss_bucket("my-bucket", endpoint=LOCAL)
        assert "s3cr3t-value" not in str(info.value)
        assert "tok-value" not in str(info.value)

    def test_empty_token_means_no_token(self) -> None:
        """An empty security token sends no x-oss-security-token (long-term keys)."""
        bucket = creds_ctx("LTAIkey", "secret", "").oss_bucket("my-bucket", endpoint=LOCAL)
        creds = bucket.auth._StsAuth__auth.credentials_provider.get_credentials()
        assert creds.get_security_token() is None


class TestCache:
    def test_same_call_same_bucket(self) -> None:
        """Two calls with the same credentials, endpoint, bucket and options share one bucket."""
        c = ctx()
        assert c.oss_bucket("my-bucket", endpoint=LOCAL) is c.oss_bucket(
            "my-bucket", endpoint=LOCAL
        )

    def test_rotated_credentials_new_bucket_same_session(self) -> None:
        """New credentials give a new bucket, which still shares the endpoint's HTTP session."""
        first = creds_ctx("STS.a", "secret-a", "token-a").oss_bucket("my-bucket", endpoint=LOCAL)
        second = creds_ctx("STS.a", "secret-b", "token-b").oss_bucket("my-bucket", endpoint=LOCAL)
        assert first is not second
        assert first.session is second.session

    @pytest.mark.parametrize(
        "change",
        [
            {"bucket_name": "other-bucket"},
            {"endpoint": "http://127.0.0.1:9001"},
            {"auth_version": "v1"},
            {"connect_timeout": 5},
            {"proxies": {"http": "http://127.0.0.1:3128"}},
            {"region": "cn-beijing"},
        ],
    )
    def test_key_parts(self, change: dict[str, Any]) -> None:
        """Changing the bucket, endpoint, signature, region or an option gives another bucket."""
        c = ctx()
        base: dict[str, Any] = {"bucket_name": "my-bucket", "endpoint": LOCAL}
        assert c.oss_bucket(**base) is not c.oss_bucket(**{**base, **change})

    def test_unhashable_options_are_keyed_by_value(self) -> None:
        """Options given as dicts/lists/sets are compared by value."""
        c = ctx()
        one = c.oss_bucket("my-bucket", endpoint=LOCAL, proxies={"http": "p", "https": "q"})
        two = c.oss_bucket("my-bucket", endpoint=LOCAL, proxies={"https": "q", "http": "p"})
        assert one is two
        assert fcoss._freeze({"a": [1, {2, 3}]}) == (("a", (1, (2, 3))),)
        blob = bytearray(b"x")
        assert fcoss._freeze(blob) == ("id", id(blob))

    def test_bounded(self) -> None:
        """The cache keeps a bounded number of buckets, dropping the least recently used."""
        c = ctx()
        first = c.oss_bucket("bucket-0", endpoint=LOCAL)
        for i in range(1, 50):
            c.oss_bucket(f"bucket-{i}", endpoint=LOCAL)
        assert len(fcoss._buckets) == fcoss._CACHE_SIZE
        assert c.oss_bucket("bucket-0", endpoint=LOCAL) is not first
        for port in range(9000, 9050):
            c.oss_bucket("my-bucket", endpoint=f"http://127.0.0.1:{port}")
        assert len(fcoss._sessions) == fcoss._CACHE_SIZE

    def test_thread_safe(self) -> None:
        """Concurrent first calls from many threads all get one and the same bucket."""
        c = ctx()
        results: list[Any] = []
        barrier = threading.Barrier(16)

        def work() -> None:
            barrier.wait()
            results.append(c.oss_bucket("my-bucket", endpoint=LOCAL))

        threads = [threading.Thread(target=work) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert len(results) == 16
        assert all(r is results[0] for r in results)

    def test_clear_cache_closes_sessions(self) -> None:
        """clear_cache() forgets the buckets and closes the shared sessions' pools."""
        bucket = ctx().oss_bucket("my-bucket", endpoint=LOCAL)
        pools = bucket.session.session.adapters["http://"].poolmanager
        pools.connection_from_url(LOCAL)
        assert len(pools.pools) == 1
        fcoss.clear_cache()
        assert len(pools.pools) == 0
        assert ctx().oss_bucket("my-bucket", endpoint=LOCAL) is not bucket

    def test_own_session_is_kept(self) -> None:
        """A session passed by the caller is used as is."""
        session = oss2.Session()
        assert ctx().oss_bucket("my-bucket", endpoint=LOCAL, session=session).session is session


class TestImport:
    def test_missing_oss2(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without oss2 installed the error says to install fcsdk[oss]."""
        monkeypatch.setitem(sys.modules, "oss2", None)
        with pytest.raises(fc.ConfigurationError, match=r"pip install 'fcsdk\[oss\]'"):
            ctx().oss_bucket("my-bucket", endpoint=LOCAL)

    def test_handler_without_oss_never_imports_oss2(self) -> None:
        """import fcsdk and a handler that never touches OSS leave oss2 unimported."""
        code = (
            "import sys, fcsdk as fc\n"
            "from fcsdk.testing import invoke\n"
            "@fc.handler\n"
            "def main(event: bytes, context: fc.FCContext) -> str:\n"
            "    return context.request_id\n"
            "invoke(main, b'{}')\n"
            "import fcsdk.oss\n"
            "print('oss2' in sys.modules)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            cwd=ROOT,
        )
        assert out.stdout.strip() == "False"


def load_example() -> Any:
    """Import examples/oss_upload/index.py as a module."""
    path = ROOT / "examples" / "oss_upload" / "index.py"
    spec = importlib.util.spec_from_file_location("oss_upload_example", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Upload(BaseModel):
    bucket: str
    object_name: str
    message: str


@fc.handler(event_model=Upload)
def upload(event: Upload, context: fc.FCContext) -> str:
    bucket = context.oss_bucket(event.bucket)
    bucket.put_object(event.object_name, event.message)
    return "success"


EVENT = {"bucket": "test-bucket", "object_name": "notes/hello.txt", "message": "hi"}


class TestEndToEnd:
    def test_issue_example(self, oss_server: LocalOSSServer) -> None:
        """The issue's handler uploads through the fixture's server, signed v4 with the token."""
        assert invoke(upload, EVENT) == b"success"
        assert oss_server.object_keys("test-bucket") == ["notes/hello.txt"]
        (record,) = oss_server.requests
        assert (record.operation, record.auth, record.token_present) == ("PutObject", "v4", True)
        assert record.status == 200

    def test_seed_example_module(self, oss_server: LocalOSSServer) -> None:
        """examples/oss_upload runs end to end with the event shape of FC's Python handler page."""
        module = load_example()
        event = json.loads((ROOT / "examples" / "oss_upload" / "event.json").read_text("utf-8"))
        event["bucket"] = "test-bucket"
        assert invoke(module.main, event) == b"success"
        bucket = ctx().oss_bucket("test-bucket")
        assert bucket.get_object("hello/world.txt").read() == b"Hello from Function Compute"

    def test_v1_through_context(self, oss_server: LocalOSSServer) -> None:
        """auth_version='v1' reaches the server signed v1."""
        bucket = ctx().oss_bucket("test-bucket", auth_version="v1")
        bucket.put_object("v1.txt", b"1")
        assert oss_server.requests[-1].auth == "v1"

    def test_python312_credentials_from_environment(
        self, oss_server: LocalOSSServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Under a 3.12-shaped context the credentials come from ALIBABA_CLOUD_* variables."""
        oss_server.rotate_credentials(
            access_key_id="STS.from-env", access_key_secret="env-secret", security_token="env-tok"
        )
        for name, value in oss_server.environ().items():
            monkeypatch.setenv(name, value)
        context = fake_context(runtime="python3.12")
        assert not hasattr(context, "credentials")
        assert invoke(upload, EVENT, context) == b"success"
        record = oss_server.requests[-1]
        assert (record.access_key_id, record.token_present, record.status) == (
            "STS.from-env",
            True,
            200,
        )

    def test_rotation_between_invocations(self, oss_server: LocalOSSServer) -> None:
        """A second invocation with rotated credentials signs with the new keys."""
        first = fake_context()
        assert invoke(upload, EVENT, first) == b"success"
        oss_server.rotate_credentials(
            access_key_id="STS.rotated", access_key_secret="rotated-secret", security_token="rot"
        )
        second = fake_context(
            access_key_id="STS.rotated", access_key_secret="rotated-secret", security_token="rot"
        )
        assert invoke(upload, EVENT, second) == b"success"
        assert [r.access_key_id for r in oss_server.requests] == [
            "STS.fake-access-key-id",
            "STS.rotated",
        ]
        with pytest.raises(oss2.exceptions.ServerError) as info:
            invoke(upload, EVENT, first)
        assert (info.value.status, info.value.code) == (403, "InvalidSecurityToken")

    @pytest.mark.parametrize(
        ("change", "code"),
        [
            ({"access_key_id": "STS.unknown"}, "InvalidAccessKeyId"),
            ({"access_key_secret": "not-the-secret"}, "SignatureDoesNotMatch"),
            ({"security_token": "stolen"}, "InvalidSecurityToken"),
        ],
    )
    def test_wrong_credentials(
        self, oss_server: LocalOSSServer, change: dict[str, Any], code: str
    ) -> None:
        """Wrong credentials give oss2's 403 errors, with no secret in the message."""
        with pytest.raises(oss2.exceptions.ServerError) as info:
            invoke(upload, EVENT, fake_context(**change))
        assert (info.value.status, info.value.code) == (403, code)
        assert "not-the-secret" not in str(info.value)
        assert "CAIS+fake/SecurityTokenR9xY2Q==" not in str(info.value)

    def test_bucket_cache_reused_within_invocation(self, oss_server: LocalOSSServer) -> None:
        """Many calls in one invocation share one bucket (one connection pool)."""

        @fc.handler
        def many(event: bytes, context: fc.FCContext) -> int:
            buckets = {id(context.oss_bucket("test-bucket")) for _ in range(20)}
            for i in range(5):
                context.oss_bucket("test-bucket").put_object(f"m/{i}", b"x")
            return len(buckets)

        assert invoke(many, b"") == b"1"
        assert len(oss_server.object_keys("test-bucket")) == 5


def test_bucket_cache_key_cannot_collide_for_different_credentials() -> None:
    """Credentials a joined string would confuse (``a\\0b``+``c``, ``a``+``b\\0c``) differ."""
    endpoint = "http://127.0.0.1:9"
    first = creds_ctx("STS.a\0b", "c+/=", "CAIS+tok/en==")
    second = creds_ctx("STS.a", "b\0c+/=", "CAIS+tok/en==")
    one = fcoss.oss_bucket(first, "test-bucket", endpoint=endpoint)
    two = fcoss.oss_bucket(second, "test-bucket", endpoint=endpoint)
    assert one is not two
