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

    def __init__(self, found: dict[bytes, bytes]) -> None:
        self.name = _text(found, b"x-fc-function-name")
        self.handler = _text(found, b"x-fc-function-handler")
        self.memory = _text(found, b"x-fc-function-memory")
        self.timeout = _text(found, b"x-fc-function-timeout")
        self.qualifier = _text(found, b"x-fc-qualifier")
        self.version_id = _text(found, b"x-fc-version-id")


class Service:
    """FC 2.0's service metadata, shaped as the runtime's ``context.service``."""

    __slots__ = ("log_project", "log_store", "name", "qualifier", "version_id")

    def __init__(self, found: dict[bytes, bytes]) -> None:
        self.name = _text(found, b"x-fc-service-name")
        self.log_project = _text(found, b"x-fc-service-logproject")
        self.log_store = _text(found, b"x-fc-service-logstore")
        self.qualifier = _text(found, b"x-fc-qualifier")
        self.version_id = _text(found, b"x-fc-version-id")


def _new_request_id() -> str:
    """A fresh request id for a request FC did not send (uuid imported only then)."""
    import uuid

    return str(uuid.uuid4())


def _text(found: dict[bytes, bytes], name: bytes) -> str | None:
    """A header's value as text, ``None`` when absent or empty."""
    value = found.get(name)
    return value.decode("latin-1") if value else None


class HeaderContext:
    """One request's context, read from its ``x-fc-*`` headers; what ``scope["fc.context"]`` is.

    Build the typed context with ``fc.FCContext.from_runtime(scope["fc.context"])``.
    Only the request id is read at once; the other fields when first asked
    for (most requests never ask). ``control_path`` is FC 2.0's
    ``x-fc-control-path`` (``/invoke``, ``/http-invoke``, ``/initialize``,
    ``/pre-freeze``, ``/pre-stop``), ``None`` where FC does not send it.
    """

    __slots__ = ("_found", "_function", "request_id")

    def __init__(self, found: dict[bytes, bytes]) -> None:
        self._found = found
        request_id = found.get(b"x-fc-request-id")
        self.request_id = request_id.decode("latin-1") if request_id else _new_request_id()
        self._function: Function | None = None

    @property
    def region(self) -> str | None:
        """``x-fc-region``."""
        return _text(self._found, b"x-fc-region")

    @property
    def account_id(self) -> str | None:
        """``x-fc-account-id``."""
        return _text(self._found, b"x-fc-account-id")

    @property
    def control_path(self) -> str | None:
        """FC 2.0's ``x-fc-control-path``."""
        return _text(self._found, b"x-fc-control-path")

    @property
    def function(self) -> Function:
        """Name, handler, memory, timeout, qualifier and version of the function."""
        if self._function is None:
            self._function = Function(self._found)
        return self._function

    @property
    def service(self) -> Service | None:
        """FC 2.0's service (name, Log Service project and store), when FC names it."""
        found = self._found
        if not any(name.startswith(b"x-fc-service-") for name in found):
            return None
        return Service(found)

    @property
    def credentials(self) -> Credentials | None:
        """The invocation's STS credentials, ``None`` without ``x-fc-access-key-id``."""
        found = self._found
        key_id = _text(found, b"x-fc-access-key-id")
        if key_id is None:
            return None
        return Credentials(
            key_id,
            _text(found, b"x-fc-access-key-secret") or "",
            _text(found, b"x-fc-security-token") or "",
        )

    def __repr__(self) -> str:
        return f"<HeaderContext request_id={self.request_id!r}>"


_REMEMBERED: list[tuple[bytes | None, bytes | None]] = [(None, None)]
"""The last secret and token registered for masking."""


def read_headers(headers: Iterable[tuple[bytes, bytes]]) -> tuple[HeaderContext, Headers]:
    """Read one request's ``x-fc-*`` headers; return its context and the headers for the app.

    The headers for the app are the same list when there were no credential
    headers, else a copy without them. The secret and the token are
    registered for masking at once (see :mod:`fcsdk._secrets`).
    """
    if type(headers) is not list:
        headers = list(headers)  # read twice: for the x-fc-* headers, then for the app's
    found: dict[bytes, bytes] = {}
    strip = False
    for name, value in headers:
        if name[:5] == b"x-fc-":
            found[name] = value
            if name in CREDENTIAL_HEADERS:
                strip = True
    context = HeaderContext(found)
    if not strip:
        return context, headers
    secret = found.get(b"x-fc-access-key-secret")
    token = found.get(b"x-fc-security-token")
    if (secret, token) != _REMEMBERED[0]:  # FC's credentials change every so often, not each call
        _secrets.remember(
            secret.decode("latin-1") if secret else None, token.decode("latin-1") if token else None
        )
        _REMEMBERED[0] = (secret, token)
    return context, [(name, value) for name, value in headers if name not in CREDENTIAL_HEADERS]
