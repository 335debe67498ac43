"""Tests for fcsdk/testing/oss.py: signature and security-token checks, as oss2 sees them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import oss2
import pytest
import requests
from oss2 import exceptions as oe

from fcsdk._local.oss import signing
from fcsdk._local.oss.errors import OSSError
from fcsdk.testing.oss import LocalOSSServer
from tests.testing.oss_support import AK, BUCKET, REGION, SECRET, TOKEN, client, new_server


@pytest.fixture
def server() -> Iterator[LocalOSSServer]:
    with new_server() as srv:
        client(srv).put_object("obj.txt", b"content")
        srv.clear_requests()
        yield srv


def error_of(call: Any) -> oe.ServerError:
    with pytest.raises(oe.ServerError) as info:
        call()
    return info.value


class TestAccepted:
    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_header_signing_recorded(self, server: LocalOSSServer, version: str) -> None:
        """v1 and v4 header signatures pass and are recorded with the token's presence."""
        assert client(server, auth_version=version).get_object("obj.txt").read() == b"content"
        (record,) = server.requests
        assert (record.method, record.path, record.operation) == (
            "GET",
            "/test-bucket/obj.txt",
            "GetObject",
        )
        assert (record.auth, record.access_key_id, record.token_present) == (version, AK, True)
        assert (record.status, record.error_code) == (200, None)

    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_presigned_urls(self, server: LocalOSSServer, version: str) -> None:
        """sign_url GET and PUT URLs work with a plain HTTP client; signatures are redacted."""
        bucket = client(server, auth_version=version)
        url = bucket.sign_url("GET", "dir/ü name.txt", 60, slash_safe=True)
        put_url = bucket.sign_url("PUT", "dir/ü name.txt", 60, slash_safe=True)
        assert requests.put(put_url, data=b"via url", timeout=10).status_code == 200
        assert requests.get(url, timeout=10).content == b"via url"
        record = server.requests[-1]
        assert record.auth == f"{version}-presigned"
        assert record.token_present
        assert "****" in record.query
        assert TOKEN not in record.query

    def test_put_object_with_url(self, server: LocalOSSServer) -> None:
        """oss2's put/get_object_with_url round-trip through signed URLs."""
        bucket = client(server, auth_version="v1")
        bucket.put_object_with_url(bucket.sign_url("PUT", "signed.bin", 60), b"abc")
        assert bucket.get_object_with_url(bucket.sign_url("GET", "signed.bin", 60)).read() == b"abc"

    def test_url_expiring_in_eighteen_digits(self, server: LocalOSSServer) -> None:
        """A v1 URL whose Expires has 18 digits is accepted; 19 digits is no number to it."""
        bucket = client(server, auth_version="v1")
        url = bucket.sign_url("GET", "obj.txt", 10**17)
        assert len(parse_qs(urlsplit(url).query)["Expires"][0]) == 18
        assert requests.get(url, timeout=10).content == b"content"
        longer = bucket.sign_url("GET", "obj.txt", 10**18)
        assert len(parse_qs(urlsplit(longer).query)["Expires"][0]) == 19
        too_long = requests.get(longer, timeout=10)
        assert too_long.status_code == 403
        assert b"needs OSSAccessKeyId, Expires and Signature" in too_long.content

    def test_no_token_configured_ignores_token(self) -> None:
        """With security_token=None the server takes long-term keys, token or not."""
        with LocalOSSServer(buckets=["b-1"]) as srv:
            for token in (None, "anything"):
                bucket = client(
                    srv, "b-1", key_id=srv.access_key_id, secret=srv.access_key_secret, token=token
                )
                bucket.put_object("k", b"v")
            assert [r.token_present for r in srv.requests] == [False, True]


class TestRefused:
    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_wrong_access_key(self, server: LocalOSSServer, version: str) -> None:
        """An unknown access key id is InvalidAccessKeyId (403)."""
        error = error_of(
            lambda: client(server, auth_version=version, key_id="STS.other").get_object("obj.txt")
        )
        assert (error.status, error.code) == (403, "InvalidAccessKeyId")
        assert error.details["OSSAccessKeyId"] == "STS.other"

    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_wrong_secret(self, server: LocalOSSServer, version: str) -> None:
        """A wrong secret is SignatureDoesNotMatch, showing the string to sign but no secret."""
        bucket = client(server, auth_version=version, secret="wrong-secret")
        with pytest.raises(oe.SignatureDoesNotMatch) as info:
            bucket.put_object("obj.txt", b"x")
        error = info.value
        assert error.status == 403
        assert error.details["StringToSign"]
        assert error.details["OSSAccessKeyId"] == AK
        assert error.request_id
        shown = str(error) + str(error.body)
        assert SECRET not in shown
        assert TOKEN not in shown
        record = server.requests[-1]
        assert (record.status, record.error_code, record.auth) == (403, "SignatureDoesNotMatch", "")
        assert record.token_present  # refused before its signature was accepted, token seen

    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_head_errors_come_through_x_oss_err(self, server: LocalOSSServer, version: str) -> None:
        """A refused HEAD still raises the right class (the XML rides in x-oss-err)."""
        with pytest.raises(oe.SignatureDoesNotMatch):
            client(server, auth_version=version, secret="nope").head_object("obj.txt")

    @pytest.mark.parametrize(("token", "message"), [(None, "missing"), ("forged", "invalid")])
    def test_missing_or_wrong_token(
        self, server: LocalOSSServer, token: str | None, message: str
    ) -> None:
        """STS keys without their token, or with another, are InvalidSecurityToken (403)."""
        error = error_of(lambda: client(server, token=token).get_object("obj.txt"))
        assert (error.status, error.code) == (403, "InvalidSecurityToken")
        assert message in error.message

    def test_rotation_expires_old_sts_credentials(self, server: LocalOSSServer) -> None:
        """After rotation the old STS set is expired and the new one works."""
        old = client(server)
        server.rotate_credentials(
            access_key_id="STS.new", access_key_secret="new-secret", security_token="new-token"
        )
        error = error_of(lambda: old.get_object("obj.txt"))
        assert (error.status, error.code) == (403, "InvalidSecurityToken")
        assert "expired" in error.message
        new = client(server, key_id="STS.new", secret="new-secret", token="new-token")
        assert new.get_object("obj.txt").read() == b"content"
        assert (server.access_key_id, server.security_token) == ("STS.new", "new-token")

    def test_rotation_disables_old_long_term_key(self) -> None:
        """After rotation an old long-term key is InvalidAccessKeyId."""
        with LocalOSSServer(access_key_id="LTAIold", access_key_secret="s", buckets=["b-2"]) as srv:
            old = client(srv, "b-2", key_id="LTAIold", secret="s", token=None)
            old.put_object("k", b"v")
            srv.rotate_credentials(access_key_id="LTAInew", access_key_secret="s2")
            error = error_of(lambda: old.get_object("k"))
            assert (error.status, error.code) == (403, "InvalidAccessKeyId")
            assert error.message == "The OSS Access Key Id you provided is disabled."
            assert error.details["OSSAccessKeyId"] == "LTAIold"
            with pytest.raises(ValueError, match="non-empty"):
                srv.rotate_credentials(access_key_id="", access_key_secret="x")

    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_expired_url(self, version: str) -> None:
        """A presigned URL past its expiry is AccessDenied 'Request has expired.'."""
        with new_server(clock=lambda: time.time() + 120) as ahead:
            client(ahead).put_object("obj.txt", b"content")
            bucket = client(ahead, auth_version=version)
            url = bucket.sign_url("GET", "obj.txt", 60)
            with pytest.raises(oe.AccessDenied) as info:
                bucket.get_object_with_url(url)
            assert info.value.message == "Request has expired."

    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_unexpired_url(self, version: str) -> None:
        """The same URL with its expiry still ahead of the server's clock is accepted."""
        with new_server(clock=lambda: time.time() + 30) as ahead:
            client(ahead).put_object("obj.txt", b"content")
            bucket = client(ahead, auth_version=version)
            url = bucket.sign_url("GET", "obj.txt", 60)
            assert bucket.get_object_with_url(url).read() == b"content"

    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_tampered_url(self, server: LocalOSSServer, version: str) -> None:
        """A presigned URL for another key does not match its signature."""
        url = client(server, auth_version=version).sign_url("GET", "obj.txt", 60)
        response = requests.get(url.replace("obj.txt", "other.txt"), timeout=10)
        assert response.status_code == 403
        assert b"<Code>SignatureDoesNotMatch</Code>" in response.content

    def test_anonymous(self, server: LocalOSSServer) -> None:
        """An unsigned request is AccessDenied."""
        bucket = oss2.Bucket(oss2.AnonymousAuth(), server.endpoint, BUCKET)
        with pytest.raises(oe.AccessDenied):
            bucket.get_object("obj.txt")

    def test_v2_is_refused_clearly(self, server: LocalOSSServer) -> None:
        """Signature v2 is an InvalidArgument naming what is supported."""
        bucket = oss2.Bucket(
            oss2.StsAuth(AK, SECRET, TOKEN, auth_version="v2"), server.endpoint, BUCKET
        )
        with pytest.raises(oe.InvalidArgument) as info:
            bucket.get_object("obj.txt")
        assert "v1 and v4" in info.value.message
        assert info.value.details["ArgumentName"] == "Authorization"

    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_skewed_clock(self, version: str) -> None:
        """A Date 20 minutes behind the server's clock is RequestTimeTooSkewed."""
        with new_server(clock=lambda: time.time() + 1200) as ahead:
            error = error_of(lambda: client(ahead, auth_version=version).get_object("obj.txt"))
            assert (error.status, error.code) == (403, "RequestTimeTooSkewed")

    def test_skew_error_gives_the_server_time(self) -> None:
        """RequestTimeTooSkewed names the server's time as OSS writes it (ISO 8601, UTC)."""
        with new_server(clock=lambda: 1_800_000_000.0) as ahead:
            error = error_of(lambda: client(ahead).get_object("obj.txt"))
        assert error.code == "RequestTimeTooSkewed"
        assert error.details["ServerTime"] == "2027-01-15T08:00:00.000Z"

    @pytest.mark.parametrize(
        ("headers", "params", "code"),
        [
            ({"Authorization": "OSS no-colon"}, {}, "InvalidArgument"),
            ({"Authorization": f"OSS {AK}:sig"}, {}, "AccessDenied"),
            (
                {"Authorization": "OSS4-HMAC-SHA256 Credential=bad, Signature=x"},
                {},
                "InvalidArgument",
            ),
            ({}, {"OSSAccessKeyId": AK}, "AccessDenied"),
            ({"Authorization": f"OSS {AK}:sig", "Date": "not a date"}, {}, "AccessDenied"),
            (
                {},
                {
                    "x-oss-signature-version": "OSS4-HMAC-SHA256",
                    "x-oss-credential": f"{AK}/20260101/{REGION}/oss/aliyun_v4_request",
                    "x-oss-security-token": TOKEN,
                },
                "AccessDenied",
            ),
        ],
    )
    def test_malformed_authentication(
        self, server: LocalOSSServer, headers: dict[str, str], params: dict[str, str], code: str
    ) -> None:
        """Malformed signatures get OSS errors in XML, never a traceback."""
        headers = {"x-oss-security-token": TOKEN, **headers}
        response = requests.get(
            f"{server.endpoint}/{BUCKET}/obj.txt", headers=headers, params=params, timeout=10
        )
        assert response.status_code in (400, 403)
        assert f"<Code>{code}</Code>".encode() in response.content
        assert b"<RequestId>" in response.content


class TestSigningUnit:
    def keyring(self) -> signing.Keyring:
        return signing.Keyring(signing.CredentialSet(AK, SECRET, TOKEN))

    def signed_v4(
        self, additional: list[str] | None = None, /, **header_changes: str
    ) -> signing.SignedRequest:
        req = oss2.http.Request(
            "GET",
            "http://127.0.0.1/test-bucket/k",
            headers={"Host": "127.0.0.1:9000"},
            region=REGION,
            product="oss",
        )
        oss2.auth.ProviderAuthV4(
            oss2.credentials.StaticCredentialsProvider(AK, SECRET, TOKEN)
        )._sign_request(req, BUCKET, "k", in_additional_headers=additional)
        headers = {k.lower(): v for k, v in req.headers.items() if v is not None}
        headers.update(header_changes)
        return signing.SignedRequest("GET", BUCKET, "k", [], headers)

    def test_v4_time_checks(self) -> None:
        """v4 rejects a skewed x-oss-date and a scope date that does not match it."""
        req = self.signed_v4()
        assert signing.authenticate(req, self.keyring()).scheme == "v4"
        with pytest.raises(OSSError, match="RequestTimeTooSkewed"):
            signing.authenticate(req, self.keyring(), now=time.time() + 3600)
        with pytest.raises(OSSError) as info:
            signing.authenticate(
                self.signed_v4(**{"x-oss-date": "20200101T000000Z"}), self.keyring(), now=1577836800
            )
        assert (info.value.code, info.value.message) == (
            "InvalidArgument",
            "The date in the Credential scope does not match x-oss-date.",
        )
        assert info.value.extra == {"ArgumentName": "Credential"}
        with pytest.raises(OSSError, match="missing or invalid"):
            signing.authenticate(self.signed_v4(**{"x-oss-date": "garbage"}), self.keyring())

    def test_v4_additional_headers_are_signed(self) -> None:
        """Headers a v4 signature lists in AdditionalHeaders are part of what it signs."""
        req = self.signed_v4(["host"])
        assert "AdditionalHeaders=host" in req.headers["authorization"]
        assert signing.authenticate(req, self.keyring()).scheme == "v4"
        moved = self.signed_v4(["host"])
        moved.headers = {**moved.headers, "host": "127.0.0.1:9001"}
        with pytest.raises(OSSError, match="SignatureDoesNotMatch"):
            signing.authenticate(moved, self.keyring())

    def test_v4_without_signature_does_not_match(self) -> None:
        """A v4 Authorization header with no Signature field is SignatureDoesNotMatch."""
        req = self.signed_v4()
        credential = req.headers["authorization"].split(",")[0]
        req.headers = {**req.headers, "authorization": credential}
        with pytest.raises(OSSError) as info:
            signing.authenticate(req, self.keyring())
        assert (info.value.status, info.value.code) == (403, "SignatureDoesNotMatch")
        assert info.value.extra["SignatureProvided"] == ""

    @pytest.mark.parametrize(
        "credential",
        [
            "bad",
            f"{AK}/20260101/{REGION}/oss/aliyun_v2_request",
            f"/20260101/{REGION}/oss/aliyun_v4_request",
            f"{AK}/20260101/{REGION}/oss/aliyun_v4_request/more",
        ],
    )
    def test_v4_malformed_credential(self, credential: str) -> None:
        """A Credential not shaped <AK>/<date>/<region>/<product>/aliyun_v4_request is
        InvalidArgument naming the Credential, before the key or the time is looked at."""
        req = self.signed_v4()
        rest = req.headers["authorization"].split(",", 1)[1]
        req.headers = {
            **req.headers,
            "authorization": f"OSS4-HMAC-SHA256 Credential={credential},{rest}",
        }
        with pytest.raises(OSSError) as info:
            signing.authenticate(req, self.keyring())
        assert (info.value.status, info.value.code) == (400, "InvalidArgument")
        assert info.value.extra == {"ArgumentName": "Credential"}

    def test_v1_subresources_match_oss2(self) -> None:
        """The server signs v1 over exactly the sub-resources the installed oss2 signs."""
        expected = oss2.auth.ProviderAuth._subresource_key_set
        assert expected == signing.V1_SUBRESOURCES

    def test_credential_set_repr_hides_secret(self) -> None:
        """A CredentialSet's repr shows the key id only."""
        assert SECRET not in repr(signing.CredentialSet(AK, SECRET, TOKEN))


class TestAddCredentials:
    def test_extra_sets_are_accepted_alongside_the_current(self) -> None:
        """add_credentials accepts another key set without retiring the current one."""
        import oss2

        from fcsdk.testing.oss import LocalOSSServer

        with LocalOSSServer(access_key_id="STS.main", access_key_secret="main-secret") as server:
            server.create_bucket("extra-keys")
            server.add_credentials(access_key_id="STS.extra", access_key_secret="extra-secret")
            for key_id, secret in (("STS.main", "main-secret"), ("STS.extra", "extra-secret")):
                bucket = oss2.Bucket(oss2.Auth(key_id, secret), server.endpoint, "extra-keys")
                bucket.put_object(key_id, b"x")
            assert sorted(server.object_keys("extra-keys")) == ["STS.extra", "STS.main"]
            with pytest.raises(ValueError, match="non-empty"):
                server.add_credentials(access_key_id="", access_key_secret="s")
