"""Signature checks of LocalOSSServer, exactly as ``oss2`` signs.

Supported: v1 header signing (``Authorization: OSS <AK>:<sig>``), v1 presigned
URLs (``OSSAccessKeyId``/``Expires``/``Signature``), v4 header signing
(``OSS4-HMAC-SHA256``) and v4 presigned URLs (``x-oss-signature-version``).
Failures raise :class:`OSSError` with the codes OSS uses:
``InvalidAccessKeyId``, ``InvalidSecurityToken``, ``SignatureDoesNotMatch``,
``RequestTimeTooSkewed`` and ``AccessDenied`` (anonymous or expired URL).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import quote

from fcsdk._local.oss.errors import OSSError, is_number
from fcsdk._secrets import forms

__all__ = ["AuthResult", "CredentialSet", "Keyring", "authenticate"]

# The query parameters oss2's v1 signer puts in the canonical resource.
_V1_NAMES = """
response-content-type response-content-language response-cache-control logging
response-content-encoding acl uploadId uploads partNumber group link delete website
location objectInfo objectMeta response-expires response-content-disposition cors lifecycle
restore qos referer stat bucketInfo append position security-token live comp status vod
startTime endTime x-oss-process symlink callback callback-var tagging encryption versions
versioning versionId policy requestPayment x-oss-traffic-limit qosInfo asyncFetch
x-oss-request-payer sequential inventory inventoryId continuation-token worm wormId
wormExtend replication replicationLocation replicationProgress transferAcceleration cname
metaQuery x-oss-ac-source-ip x-oss-ac-subnet-mask x-oss-ac-vpc-id x-oss-ac-forward-allow
resourceGroup style styleName x-oss-async-process regionList
x-oss-write-get-object-response bucketArchiveDirectRead httpsConfig redundancyTransition
x-oss-target-redundancy-type x-oss-redundancy-transition-taskid accessPoint
accessPointPolicy publicAccessBlock x-oss-access-point-name requesterQosInfo qosRequester
resourcePoolInfo resourcePool resourcePoolBuckets
"""
V1_SUBRESOURCES = frozenset(_V1_NAMES.split())
_V4_DEFAULT_SIGNED = ("content-type", "content-md5")
MAX_SKEW = 15 * 60
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
_TOKEN_HEADER = "x-oss-security-token"


@dataclass(frozen=True)
class CredentialSet:
    """One access key pair, with the STS token it must come with (``None``: long-term keys)."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None

    def __repr__(self) -> str:
        return f"CredentialSet(access_key_id={self.access_key_id!r}, ...)"


@dataclass(frozen=True)
class AuthResult:
    """How a request was authenticated."""

    scheme: str  # v1, v4, v1-presigned, v4-presigned
    access_key_id: str
    token_present: bool


class Keyring:
    """The credentials a server accepts now, and those it accepted before a rotation."""

    def __init__(self, current: CredentialSet) -> None:
        self._lock = threading.Lock()
        self._current: dict[str, CredentialSet] = {current.access_key_id: current}
        self._expired: dict[str, CredentialSet] = {}

    @property
    def current(self) -> CredentialSet:
        """The credentials most recently installed."""
        with self._lock:
            return next(reversed(self._current.values()))

    def rotate(self, new: CredentialSet) -> None:
        """Accept ``new`` from now on; every earlier set expires."""
        with self._lock:
            self._expired.update(self._current)
            self._expired.pop(new.access_key_id, None)
            self._current = {new.access_key_id: new}

    def add(self, extra: CredentialSet) -> None:
        """Accept ``extra`` as well as the current credentials (several callers at once)."""
        with self._lock:
            self._expired.pop(extra.access_key_id, None)
            self._current[extra.access_key_id] = extra

    def lookup(self, access_key_id: str) -> tuple[CredentialSet | None, bool]:
        """Return ``(credentials, expired)`` for an access key id."""
        with self._lock:
            found = self._current.get(access_key_id)
            if found is not None:
                return found, False
            old = self._expired.get(access_key_id)
            return old, old is not None


@dataclass
class SignedRequest:
    """What the checks read from a request."""

    method: str
    bucket: str
    key: str
    params: Sequence[tuple[str, str]]
    headers: Mapping[str, str]  # lower-case names


def authenticate(req: SignedRequest, keyring: Keyring, *, now: float | None = None) -> AuthResult:
    """Check the request's signature against ``keyring``; return how it was signed.

    Raises:
        OSSError: the request is anonymous, expired, badly signed or signed
            with keys the server does not accept.
    """
    clock = time.time() if now is None else now
    params = dict(req.params)
    authorization = req.headers.get("authorization", "")
    if authorization.startswith("OSS4-HMAC-SHA256 "):
        return _v4_header(req, authorization, keyring, clock)
    if authorization.startswith("OSS "):
        return _v1_header(req, authorization, keyring, clock)
    if authorization:
        raise OSSError(
            400,
            "InvalidArgument",
            "LocalOSSServer checks signatures v1 and v4 only; this Authorization header is "
            "neither.",
            ArgumentName="Authorization",
        )
    if params.get("x-oss-signature-version") == "OSS4-HMAC-SHA256":
        return _v4_url(req, params, keyring, clock)
    if "OSSAccessKeyId" in params or "Signature" in params:
        return _v1_url(req, params, keyring, clock)
    raise OSSError(
        403,
        "AccessDenied",
        "AccessDenied: anonymous access is forbidden; sign the request.",
    )


# -- credential checks ----------------------------------------------------------------------


def _credentials(access_key_id: str, token: str | None, keyring: Keyring) -> CredentialSet:
    creds, expired = keyring.lookup(access_key_id)
    if creds is None:
        raise OSSError(
            403,
            "InvalidAccessKeyId",
            "The OSS Access Key Id you provided does not exist in our records.",
            access_key_id=access_key_id,
        )
    if expired:
        if creds.security_token is not None:
            raise OSSError(
                403, "InvalidSecurityToken", "The security token you provided has expired."
            )
        raise OSSError(
            403,
            "InvalidAccessKeyId",
            "The OSS Access Key Id you provided is disabled.",
            access_key_id=access_key_id,
        )
    if creds.security_token is not None:
        if not token:
            raise OSSError(
                403,
                "InvalidSecurityToken",
                "The security token is missing: these are STS credentials, so the request "
                "needs x-oss-security-token.",
            )
        if not hmac.compare_digest(token.encode(), creds.security_token.encode()):
            raise OSSError(
                403, "InvalidSecurityToken", "The security token you provided is invalid."
            )
    return creds


def _redact(text: str, token: str | None) -> str:
    """``text`` without ``token`` in any form (a canonical request holds it percent-encoded)."""
    if not token:
        return text
    for form in sorted(forms(token), key=len, reverse=True):
        text = text.replace(form, "****")
    return text


def _check_time(moment: datetime | None, clock: float, what: str) -> None:
    if moment is None:
        raise OSSError(
            403, "AccessDenied", f"AccessDenied: the {what} header is missing or invalid."
        )
    if abs(moment.timestamp() - clock) > MAX_SKEW:
        raise OSSError(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            RequestTime=moment.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            ServerTime=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(clock)),
        )


def _parse_http_date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def _parse_iso(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


# -- v1 ------------------------------------------------------------------------------------


def _v1_resource(req: SignedRequest) -> str:
    subs = sorted((k, v) for k, v in req.params if k in V1_SUBRESOURCES)
    query = "&".join(f"{k}={v}" if v else k for k, v in subs)
    path = f"/{req.bucket}/{req.key}" if req.bucket else "/"
    return path + (f"?{query}" if query else "")


def _v1_string_to_sign(req: SignedRequest, date: str) -> str:
    oss_headers = sorted((k, v) for k, v in req.headers.items() if k.startswith("x-oss-"))
    canonical = "".join(f"{k}:{v}\n" for k, v in oss_headers)
    return "\n".join(
        [
            req.method,
            req.headers.get("content-md5", ""),
            req.headers.get("content-type", ""),
            date,
            canonical + _v1_resource(req),
        ]
    )


def _v1_signature(secret: str, string_to_sign: str) -> str:
    digest = hmac.new(secret.encode(), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _v1_verify(creds: CredentialSet, string_to_sign: str, provided: str, token: str | None) -> None:
    expected = _v1_signature(creds.access_key_secret, string_to_sign)
    if not hmac.compare_digest(expected.encode(), provided.encode()):
        raise OSSError(
            403,
            "SignatureDoesNotMatch",
            _MISMATCH,
            StringToSign=_redact(string_to_sign, token),
            SignatureProvided=provided,
            access_key_id=creds.access_key_id,
        )


def _v1_header(
    req: SignedRequest, authorization: str, keyring: Keyring, clock: float
) -> AuthResult:
    access_key_id, sep, provided = authorization[4:].strip().rpartition(":")
    if not sep or not access_key_id:
        raise OSSError(
            400, "InvalidArgument", "Authorization header is invalid.", ArgumentName="Authorization"
        )
    token = req.headers.get(_TOKEN_HEADER)
    creds = _credentials(access_key_id, token, keyring)
    date = req.headers.get("x-oss-date") or req.headers.get("date", "")
    _check_time(_parse_http_date(date) if date else None, clock, "Date")
    _v1_verify(creds, _v1_string_to_sign(req, date), provided, token)
    return AuthResult("v1", access_key_id, bool(token))


def _v1_url(
    req: SignedRequest, params: dict[str, str], keyring: Keyring, clock: float
) -> AuthResult:
    access_key_id = params.get("OSSAccessKeyId", "")
    expires = params.get("Expires", "")
    provided = params.get("Signature", "")
    if not (access_key_id and is_number(expires) and provided):
        raise OSSError(
            403,
            "AccessDenied",
            "AccessDenied: a signed URL needs OSSAccessKeyId, Expires and Signature.",
        )
    token = params.get("security-token")
    creds = _credentials(access_key_id, token, keyring)
    if int(expires) < clock:
        raise OSSError(
            403,
            "AccessDenied",
            "Request has expired.",
            Expires=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(int(expires))),
            ServerTime=time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(clock)),
        )
    _v1_verify(creds, _v1_string_to_sign(req, expires), provided, token)
    return AuthResult("v1-presigned", access_key_id, bool(token))


# -- v4 ------------------------------------------------------------------------------------


def _v4_canonical_request(
    req: SignedRequest, params: Sequence[tuple[str, str]], additional: Sequence[str]
) -> str:
    uri = quote(f"/{req.bucket}/{req.key}" if req.bucket else "/", safe="/")
    encoded = sorted((quote(k, safe=""), quote(v, safe="")) for k, v in params)
    query = "&".join(f"{k}={v}" if v else k for k, v in encoded)
    signed = sorted(
        (k, v)
        for k, v in req.headers.items()
        if k.startswith("x-oss-") or k in _V4_DEFAULT_SIGNED or k in additional
    )
    headers = "".join(f"{k}:{v}\n" for k, v in signed)
    payload = req.headers.get("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
    return "\n".join([req.method, uri, query, headers, ";".join(sorted(additional)), payload])


def _v4_signature(secret: str, scope: Sequence[str], string_to_sign: str) -> str:
    key = ("aliyun_v4" + secret).encode()
    for part in scope[:3]:  # date, region, product
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    key = hmac.new(key, b"aliyun_v4_request", hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _v4_verify(
    req: SignedRequest,
    *,
    creds: CredentialSet,
    scope: Sequence[str],
    moment: str,
    params: Sequence[tuple[str, str]],
    additional: Sequence[str],
    provided: str,
    token: str | None,
) -> None:
    canonical = _v4_canonical_request(req, params, additional)
    string_to_sign = "\n".join(
        [
            "OSS4-HMAC-SHA256",
            moment,
            "/".join(scope),
            hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        ]
    )
    expected = _v4_signature(creds.access_key_secret, scope, string_to_sign)
    if not hmac.compare_digest(expected.encode(), provided.encode()):
        raise OSSError(
            403,
            "SignatureDoesNotMatch",
            _MISMATCH,
            CanonicalRequest=_redact(canonical, token),
            StringToSign=string_to_sign,
            SignatureProvided=provided,
            access_key_id=creds.access_key_id,
        )


def _v4_scope(credential: str) -> tuple[str, list[str]]:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aliyun_v4_request" or not parts[0]:
        raise OSSError(
            400,
            "InvalidArgument",
            "The Credential of a v4 signature must be <AccessKeyId>/<date>/<region>/<product>"
            "/aliyun_v4_request.",
            ArgumentName="Credential",
        )
    return parts[0], parts[1:]


def _v4_header(
    req: SignedRequest, authorization: str, keyring: Keyring, clock: float
) -> AuthResult:
    fields: dict[str, str] = {}
    for item in authorization[len("OSS4-HMAC-SHA256 ") :].split(","):
        name, _, value = item.strip().partition("=")
        fields[name] = value
    access_key_id, scope = _v4_scope(fields.get("Credential", ""))
    provided = fields.get("Signature", "")
    additional = [h for h in fields.get("AdditionalHeaders", "").split(";") if h]
    token = req.headers.get(_TOKEN_HEADER)
    creds = _credentials(access_key_id, token, keyring)
    moment = req.headers.get("x-oss-date", "")
    parsed = _parse_iso(moment)
    _check_time(parsed, clock, "x-oss-date")
    if moment[:8] != scope[0]:
        raise OSSError(
            400,
            "InvalidArgument",
            "The date in the Credential scope does not match x-oss-date.",
            ArgumentName="Credential",
        )
    _v4_verify(
        req,
        creds=creds,
        scope=scope,
        moment=moment,
        params=req.params,
        additional=additional,
        provided=provided,
        token=token,
    )
    return AuthResult("v4", access_key_id, bool(token))


def _v4_url(
    req: SignedRequest, params: dict[str, str], keyring: Keyring, clock: float
) -> AuthResult:
    access_key_id, scope = _v4_scope(params.get("x-oss-credential", ""))
    token = params.get("x-oss-security-token")
    creds = _credentials(access_key_id, token, keyring)
    moment = params.get("x-oss-date", "")
    parsed = _parse_iso(moment)
    expires = params.get("x-oss-expires", "")
    if parsed is None or not is_number(expires):
        raise OSSError(
            403, "AccessDenied", "AccessDenied: x-oss-date or x-oss-expires is missing or invalid."
        )
    if parsed.timestamp() + int(expires) < clock:
        raise OSSError(403, "AccessDenied", "Request has expired.")
    additional = [h for h in params.get("x-oss-additional-headers", "").split(";") if h]
    _v4_verify(
        req,
        creds=creds,
        scope=scope,
        moment=moment,
        params=[(k, v) for k, v in req.params if k != "x-oss-signature"],
        additional=additional,
        provided=params.get("x-oss-signature", ""),
        token=token,
    )
    return AuthResult("v4-presigned", access_key_id, bool(token))
