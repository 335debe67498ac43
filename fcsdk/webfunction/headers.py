"""FC's common ``x-fc-*`` request headers, read into the context object of one request.

On a custom runtime FC sends every request (an HTTP-trigger request, an
event invocation on ``POST /invoke``, the lifecycle calls) with the common
headers of FC's custom-runtime "Specifications" page: ``x-fc-request-id``,
the invocation's STS credentials (``x-fc-access-key-id``,
``x-fc-access-key-secret``, ``x-fc-security-token``), the function's name,
handler, memory, timeout, qualifier and version, the region, the account id,
the service's name and Log Service project and store (FC 2.0), and FC 2.0's
``x-fc-control-path``.

:func:`read_headers` turns them into a :class:`HeaderContext`: a plain object
shaped like the runtime's own context (``request_id``, ``credentials``,
``function.memory``...), so ``FCContext.from_runtime(obj)`` reads it the way
it reads the built-in runtime's, lazily, and ``fc.logger`` finds the request
id on it. Values are kept as sent; the context's reader turns a malformed
number (memory ``abc``) into ``None``. A request without ``x-fc-request-id``
(a ``curl`` on the developer's machine) gets a fresh id; without the
credential headers the context has no credentials.

The three credential headers are taken out of the headers the app sees:
the context carries them (masked in every log), so an app that logs or
echoes its request headers cannot leak them. FC does not let clients send
``x-fc-*`` headers of their own, so behind FC these are FC's; locally
whoever sends them is the developer.

Example:
    >>> ctx, headers = read_headers([(b"x-fc-request-id", b"r-1"), (b"accept", b"*/*")])
    >>> ctx.request_id, headers
    ('r-1', [(b'x-fc-request-id', b'r-1'), (b'accept', b'*/*')])
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from fcsdk import _secrets

__all__ = [
    "CREDENTIAL_HEADERS",
    "Credentials",
    "Function",
    "HeaderContext",
    "Service",
    "read_headers",
]

Headers = list[tuple[bytes, bytes]]

CREDENTIAL_HEADERS = frozenset(
    (b"x-fc-access-key-id", b"x-fc-access-key-secret", b"x-fc-security-token")
)
"""The headers that carry the invocation's STS credentials: never shown to the app."""


class Credentials:
    """The invocation's STS credentials, shaped as the runtime's ``context.credentials``."""

    __slots__ = ("access_key_id", "access_key_secret", "security_token")

    def __init__(self, access_key_id: str, access_key_secret: str, security_token: str) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.security_token = security_token

    def __repr__(self) -> str:
        return f"Credentials(access_key_id={self.access_key_id!r}, ...)"


class Function:
    """The function's metadata, shaped as the runtime's ``context.function``."""

    __slots__ = ("handler", "memory", "name", "qualifier", "timeout", "version_id")

    def __init__(self) -> None:
        self.name: str | None = None
        self.handler: str | None = None
        self.memory: str | None = None
        self.timeout: str | None = None
        self.qualifier: str | None = None
        self.version_id: str | None = None


class Service:
    """FC 2.0's service metadata, shaped as the runtime's ``context.service``."""

    __slots__ = ("log_project", "log_store", "name", "qualifier", "version_id")

    def __init__(self) -> None:
        self.name: str | None = None
        self.log_project: str | None = None
        self.log_store: str | None = None
        self.qualifier: str | None = None
        self.version_id: str | None = None


class HeaderContext:
    """One request's context, read from its ``x-fc-*`` headers; what ``scope["fc.context"]`` is.

    Build the typed context with ``fc.FCContext.from_runtime(scope["fc.context"])``.
    ``control_path`` is FC 2.0's ``x-fc-control-path`` (``/invoke``,
    ``/http-invoke``, ``/initialize``, ``/pre-freeze``, ``/pre-stop``),
    ``None`` where FC does not send it.
    """

    __slots__ = (
        "account_id",
        "control_path",
        "credentials",
        "function",
        "region",
        "request_id",
        "service",
    )

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.region: str | None = None
        self.account_id: str | None = None
        self.credentials: Credentials | None = None
        self.function = Function()
        self.service: Service | None = None
        self.control_path: str | None = None

    def __repr__(self) -> str:
        return f"<HeaderContext request_id={self.request_id!r}>"


# header -> (attribute of the context or of its function/service, where)
_PLACES: dict[bytes, tuple[str, str]] = {
    b"x-fc-region": ("region", ""),
    b"x-fc-account-id": ("account_id", ""),
    b"x-fc-control-path": ("control_path", ""),
    b"x-fc-function-name": ("name", "function"),
    b"x-fc-function-handler": ("handler", "function"),
    b"x-fc-function-memory": ("memory", "function"),
    b"x-fc-function-timeout": ("timeout", "function"),
    b"x-fc-qualifier": ("qualifier", "function"),
    b"x-fc-version-id": ("version_id", "function"),
    b"x-fc-service-name": ("name", "service"),
    b"x-fc-service-logproject": ("log_project", "service"),
    b"x-fc-service-logstore": ("log_store", "service"),
}


def read_headers(headers: Iterable[tuple[bytes, bytes]]) -> tuple[HeaderContext, Headers]:
    """Read one request's ``x-fc-*`` headers; return its context and the headers for the app.

    The headers for the app are the same list when there were no credential
    headers, else a copy without them. The secret and the token are
    registered for masking at once (see :mod:`fcsdk._secrets`).
    """
    found: dict[bytes, str] = {}
    strip = False
    for name, value in headers:
        if name[:5] == b"x-fc-":
            found[name] = value.decode("latin-1")
            if name in CREDENTIAL_HEADERS:
                strip = True
    request_id = found.get(b"x-fc-request-id") or str(uuid.uuid4())
    context = HeaderContext(request_id)
    if len(found) > 1 or (found and b"x-fc-request-id" not in found):
        _fill(context, found)
    if not strip:
        return context, headers if type(headers) is list else list(headers)
    return context, [(name, value) for name, value in headers if name not in CREDENTIAL_HEADERS]


def _fill(context: HeaderContext, found: dict[bytes, str]) -> None:
    """Set the context's fields from the ``x-fc-*`` headers found (empty values are absent)."""
    function = context.function
    for name, value in found.items():
        place = _PLACES.get(name)
        if place is None or not value:
            continue
        attribute, where = place
        if where == "function":
            setattr(function, attribute, value)
        elif where == "service":
            if context.service is None:
                context.service = Service()
            setattr(context.service, attribute, value)
        else:
            setattr(context, attribute, value)
    key_id = found.get(b"x-fc-access-key-id")
    if key_id:
        secret = found.get(b"x-fc-access-key-secret", "")
        token = found.get(b"x-fc-security-token", "")
        _secrets.remember(secret, token)
        context.credentials = Credentials(key_id, secret, token)
