"""OSS buckets signed with the invocation's credentials: what ``FCContext.oss_bucket`` builds.

``oss2`` is imported inside :func:`oss_bucket` only, never when this module
is imported: importing ``oss2`` costs about 0.4 s of cold start, and a
function that never touches OSS must not pay it.

The endpoint is chosen in this order:

1. the ``endpoint`` argument;
2. the ``FCSDK_OSS_ENDPOINT`` environment variable (how local runs and tests
   point at :class:`fcsdk.testing.oss.LocalOSSServer`);
3. built from the region (the ``region`` argument, else the context's):
   ``https://oss-<region>-internal.aliyuncs.com`` by default, since a function
   runs in its region, or ``https://oss-<region>.aliyuncs.com`` with
   ``internal=False`` and, by default, for a bucket of another region (the
   internal endpoint is reachable from its own region only).

Buckets are cached per (credentials, endpoint, bucket, options): calls in one
invocation share one bucket and its connection pool, and rotated credentials
(they change between invocations) always get a fresh bucket, never one
signed with the old keys. Buckets with the same endpoint share one HTTP
session, so a credential rotation does not drop the warm connections.

Example:
    >>> import fcsdk as fc
    >>> from fcsdk.testing import fake_context
    >>> ctx = fc.FCContext.from_runtime(fake_context(region="cn-shanghai"))
    >>> resolve_endpoint(ctx.region, endpoint=None, internal=None, environ={})
    'https://oss-cn-shanghai-internal.aliyuncs.com'
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import urlsplit

from fcsdk.exceptions import ConfigurationError, CredentialsError, InvalidBucketNameError

if TYPE_CHECKING:
    from fcsdk._context_parts import Credentials

__all__ = [
    "ENDPOINT_ENV",
    "AuthVersion",
    "clear_cache",
    "oss_bucket",
    "resolve_endpoint",
    "validate_bucket_name",
]

AuthVersion = Literal["v1", "v4"]
"""The OSS signature versions ``oss_bucket`` signs with."""

ENDPOINT_ENV = "FCSDK_OSS_ENDPOINT"
"""The environment variable that overrides the region's endpoint (local runs, tests)."""

LOCAL_RUN_ENV = "FCSDK_LOCAL_RUN"
"""Set by ``fcsdk invoke``: the in-region endpoint cannot be reached, say what can."""


class _SigningContext(Protocol):
    """What :func:`oss_bucket` reads from a context; :class:`fcsdk.FCContext` is one.

    A protocol, so that this module sits below :mod:`fcsdk.context` (which
    calls it) instead of importing it back.
    """

    @property
    def credentials(self) -> Credentials | None: ...

    @property
    def region(self) -> str | None: ...


_INSTALL_HINT = "pip install 'fcsdk[oss]'"

# The keyword arguments of oss2.Bucket that oss_bucket passes through.
_BUCKET_OPTIONS = frozenset(
    {
        "app_name",
        "cloudbox_id",
        "connect_timeout",
        "enable_crc",
        "is_cname",
        "is_path_style",
        "is_verify_object_strict",
        "proxies",
        "session",
    }
)

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_REGION = re.compile(r"[a-z0-9][a-z0-9-]*[a-z0-9]")
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")
_REGION_IN_HOST = re.compile(r"^oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$")

_CACHE_SIZE = 32
_lock = threading.Lock()
_buckets: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
_sessions: OrderedDict[str, Any] = OrderedDict()


def validate_bucket_name(name: object) -> str:
    """Return ``name`` if OSS allows it as a bucket name, else raise.

    OSS bucket names are 3 to 63 characters of lowercase letters, digits and
    hyphens, starting and ending with a letter or a digit.

    Raises:
        InvalidBucketNameError: the name breaks one of those rules (also a
            ``ValueError``); no request is sent.

    Example:
        >>> validate_bucket_name("my-bucket-1")
        'my-bucket-1'
    """
    if not isinstance(name, str):
        raise InvalidBucketNameError(f"bucket name must be a str, not {type(name).__name__}")
    if _BUCKET_NAME.fullmatch(name) is None:
        raise InvalidBucketNameError(
            f"invalid OSS bucket name {name!r}: use 3 to 63 lowercase letters, digits and "
            "hyphens, starting and ending with a letter or a digit"
        )
    return name


def resolve_endpoint(
    region: str | None,
    *,
    endpoint: str | None,
    internal: bool | None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Return the OSS endpoint URL to use: the argument, ``FCSDK_OSS_ENDPOINT``, or the region's.

    Args:
        region: the region to build the endpoint from when none is given.
        endpoint: an explicit endpoint (``https://host``, ``http://127.0.0.1:9000``
            or a bare host name, which gets ``https://``).
        internal: with a region-built endpoint, ``False`` picks the public
            endpoint; ``None`` and ``True`` the in-region one.
        environ: where to read ``FCSDK_OSS_ENDPOINT`` (default ``os.environ``).

    Raises:
        ConfigurationError: the endpoint is not an http(s) URL of a host,
            there is neither an endpoint nor a region, or a local run
            (``FCSDK_LOCAL_RUN``) would reach the in-region endpoint.

    Example:
        >>> resolve_endpoint("cn-hangzhou", endpoint=None, internal=False, environ={})
        'https://oss-cn-hangzhou.aliyuncs.com'
    """
    env = os.environ if environ is None else environ
    if endpoint is not None:
        return _normalize_endpoint(endpoint, source="endpoint")
    from_env = env.get(ENDPOINT_ENV, "").strip()
    if from_env:
        return _normalize_endpoint(from_env, source=ENDPOINT_ENV)
    if not region:
        raise ConfigurationError(
            "no OSS endpoint: the context has no region; pass endpoint= or region= "
            f"to oss_bucket(), or set {ENDPOINT_ENV}"
        )
    if _REGION.fullmatch(region) is None:
        raise ConfigurationError(f"invalid region {region!r}: expected a name like 'cn-hangzhou'")
    suffix = "" if internal is False else "-internal"
    if suffix and env.get(LOCAL_RUN_ENV):
        raise ConfigurationError(
            f"no OSS endpoint for a local run: oss-{region}-internal.aliyuncs.com exists only "
            "inside FC. Run with --local-oss (a loopback OSS server; --bucket NAME creates a "
            f"bucket), or start `fcsdk oss-server` and set {ENDPOINT_ENV} to its URL"
        )
    return f"https://oss-{region}{suffix}.aliyuncs.com"


def _normalize_endpoint(value: object, *, source: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{source} must be a non-empty URL, got {value!r}")
    text = value.strip()
    candidate = text if "://" in text else f"https://{text}"
    problem = ""
    try:
        parts = urlsplit(candidate)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        problem = str(exc)
    else:
        if parts.scheme not in ("http", "https"):
            problem = f"scheme {parts.scheme!r} is not http or https"
        elif "@" in parts.netloc:
            problem = "it must not carry user information"
        elif not _valid_host(parts.hostname):
            problem = "it has no valid host name"
        elif parts.path not in ("", "/") or parts.query or parts.fragment:
            problem = "it must not have a path, a query or a fragment"
    if problem:
        raise ConfigurationError(
            f"{source} {text!r} is not an OSS endpoint URL ({problem}); "
            "expected e.g. https://oss-cn-hangzhou-internal.aliyuncs.com or http://127.0.0.1:9000"
        )
    return f"{parts.scheme}://{parts.netloc}"


def _valid_host(host: str | None) -> bool:
    if not host:
        return False
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    return _HOST.fullmatch(host) is not None


def _region_from_endpoint(endpoint: str) -> str | None:
    host = urlsplit(endpoint).hostname or ""
    match = _REGION_IN_HOST.match(host)
    return match.group(1) if match else None


def _secrets(credentials: Credentials | None) -> tuple[str, str, str | None]:
    if credentials is None:
        raise CredentialsError(
            "no credentials for OSS: this invocation carries none, so the function has no "
            "role. Attach a RAM role with OSS access to the function (its 'role' setting); "
            "locally, set ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and "
            "ALIBABA_CLOUD_SECURITY_TOKEN, or pass a context with credentials"
        )
    key_id = credentials.access_key_id.strip()
    secret = credentials.access_key_secret.get_secret_value().strip()
    token_value = credentials.security_token
    token = token_value.get_secret_value().strip() if token_value is not None else ""
    missing = [
        name
        for name, value in (("access_key_id", key_id), ("access_key_secret", secret))
        if not value
    ]
    if missing:
        raise CredentialsError(
            f"the invocation's credentials have an empty {' and '.join(missing)}: the "
            "function's role is not set up; attach a RAM role with OSS access, or set "
            "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET locally"
        )
    return key_id, secret, token or None


def _freeze(value: Any) -> Hashable:
    """Turn an option value into a hashable cache-key part (dicts and lists by value)."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        items = [_freeze(v) for v in value]
        return (
            tuple(sorted(items, key=repr)) if isinstance(value, set | frozenset) else tuple(items)
        )
    if isinstance(value, Hashable):
        return value
    return ("id", id(value))


def _import_oss2() -> Any:
    try:
        import oss2
    except ImportError as exc:
        raise ConfigurationError(
            f"context.oss_bucket() needs the oss2 package, which is not installed: {_INSTALL_HINT}"
        ) from exc
    return oss2


def oss_bucket(
    context: _SigningContext,
    bucket_name: str,
    *,
    endpoint: str | None = None,
    internal: bool | None = None,
    region: str | None = None,
    auth_version: AuthVersion = "v4",
    **bucket_options: Any,
) -> Any:
    """Return an ``oss2.Bucket`` signed with ``oss2.StsAuth`` from the context's credentials.

    This is what :meth:`fcsdk.FCContext.oss_bucket` calls; see the module
    docstring for how the endpoint is chosen and how buckets are cached.

    Args:
        context: the invocation's :class:`~fcsdk.FCContext`; its credentials sign
            the requests.
        bucket_name: the bucket, checked against OSS's naming rules first.
        endpoint: an explicit endpoint URL, over ``FCSDK_OSS_ENDPOINT`` and
            the region's.
        internal: ``False`` for the region's public endpoint, ``True`` for its
            internal one; by default internal when the bucket is in the
            function's region, public otherwise.
        region: the bucket's region, if not the function's (also used by v4
            signing).
        auth_version: ``"v4"`` (default) or ``"v1"``.
        **bucket_options: passed on to ``oss2.Bucket`` (``connect_timeout``,
            ``enable_crc``, ``app_name``, ``proxies``, ``session``,
            ``is_path_style``, ``is_cname``, ``is_verify_object_strict``,
            ``cloudbox_id``).

    Returns:
        An ``oss2.Bucket``, shared with other calls that have the same
        credentials, endpoint, bucket and options.

    Raises:
        InvalidBucketNameError: OSS forbids this bucket name.
        ConfigurationError: ``oss2`` is missing, an option is unknown, or the
            endpoint is not a URL or cannot be built.
        CredentialsError: the context has no usable credentials.

    Example:
        >>> import fcsdk as fc
        >>> from fcsdk.testing import fake_context
        >>> ctx = fc.FCContext.from_runtime(fake_context())
        >>> bucket = oss_bucket(ctx, "my-bucket", endpoint="http://127.0.0.1:9000")
        >>> bucket.bucket_name, bucket.endpoint
        ('my-bucket', 'http://127.0.0.1:9000')
    """
    validate_bucket_name(bucket_name)
    if auth_version not in ("v1", "v4"):
        raise ConfigurationError(f"auth_version must be 'v1' or 'v4', got {auth_version!r}")
    unknown = sorted(set(bucket_options) - _BUCKET_OPTIONS)
    if unknown:
        raise ConfigurationError(
            f"unknown oss2.Bucket option(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_BUCKET_OPTIONS))}"
        )
    key_id, secret, token = _secrets(context.credentials)
    home = context.region or os.environ.get("FC_REGION") or None
    the_region = region or home
    if internal is None:
        # The internal endpoint only reaches buckets of the function's own region.
        internal = region is None or region == home
    url = resolve_endpoint(the_region, endpoint=endpoint, internal=internal)
    if auth_version == "v4" and not the_region:
        the_region = _region_from_endpoint(url)
        if not the_region:
            raise ConfigurationError(
                "signature v4 needs the bucket's region: pass region= to oss_bucket(), "
                "or auth_version='v1'"
            )
    # JSON of the three: unambiguous whatever characters the values hold (a joined
    # string would let "a\0b" + "c" and "a" + "b\0c" collide).
    fingerprint = hashlib.sha256(
        json.dumps([key_id, secret, token], ensure_ascii=False).encode("utf-8", "surrogatepass")
    ).hexdigest()
    cache_key: tuple[Hashable, ...] = (
        fingerprint,
        url,
        bucket_name,
        the_region,
        auth_version,
        _freeze(bucket_options),
    )
    with _lock:
        hit = _buckets.get(cache_key)
        if hit is not None:
            _buckets.move_to_end(cache_key)
            return hit
    oss2 = _import_oss2()
    options = dict(bucket_options)
    if "session" not in options:
        options["session"] = _session_for(oss2, url)
    auth = oss2.StsAuth(key_id, secret, token, auth_version=auth_version)
    try:
        bucket = oss2.Bucket(auth, url, bucket_name, region=the_region, **options)
    except oss2.exceptions.ClientError as exc:
        raise ConfigurationError(f"oss2 rejected the bucket settings: {exc.body}") from exc
    with _lock:
        # Another thread may have built the same bucket meanwhile: keep the first.
        existing = _buckets.setdefault(cache_key, bucket)
        _buckets.move_to_end(cache_key)
        while len(_buckets) > _CACHE_SIZE:
            _buckets.popitem(last=False)
    return existing


def _session_for(oss2: Any, endpoint: str) -> Any:
    """Return the shared ``oss2.Session`` (one connection pool) for this endpoint."""
    with _lock:
        session = _sessions.get(endpoint)
        if session is None:
            session = oss2.Session()
            _sessions[endpoint] = session
            while len(_sessions) > _CACHE_SIZE:
                _sessions.popitem(last=False)
        else:
            _sessions.move_to_end(endpoint)
        return session


def clear_cache() -> None:
    """Forget every cached bucket and close the shared sessions' connections.

    For tests, and for long-lived processes that change settings.

    Example:
        >>> clear_cache()
    """
    with _lock:
        sessions = list(_sessions.values())
        _buckets.clear()
        _sessions.clear()
    for session in sessions:
        session.session.close()
