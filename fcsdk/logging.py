"""Request-aware logging: ``fc.logger``, ``configure()`` and ``log_event()``.

Secrets the context has seen (access key secrets and security tokens) are
masked as ``***`` in every record that passes :class:`RequestContextFilter`
(``fc.logger``'s records, and every handler's once :func:`configure` ran),
and in every record of fcsdk's own loggers (``fcsdk.web``, ``fcsdk.local``
and the others under ``fcsdk``) before any handler formats it, also the FC
runtime's own handler, which filters nothing.

Records logged while an invocation runs carry its request id, function name
and cold-start flag as attributes (``record.request_id``,
``record.function_name``, ``record.cold_start``, and ``record.fc_request_id``
for the runtime's own format). They come from a context variable that
``@fc.handler``, the lifecycle hooks and the HTTP adapters set for the
duration of each call, so they are right even when one instance serves many
requests at once in threads.

Nothing is configured at import. On the FC runtime the root logger already
prints ``%(asctime)s.%(msecs)03dZ %(fc_request_id)s [%(levelname)s] %(message)s``;
:func:`configure` switches to one JSON object per line for Log Service
queries (``fmt="json"``) or sets up the runtime's text format locally
(``fmt="text"``).

Example:
    >>> import fcsdk as fc
    >>> fc.logger.info("hello")  # carries the current request id, if any
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
import time
import traceback
from collections.abc import Iterable, Mapping
from typing import IO, Any, Literal

from fcsdk import _secrets
from fcsdk._invocation import TRACE, current

__all__ = [
    "REDACTED",
    "JSONFormatter",
    "RequestContextFilter",
    "TextFormatter",
    "configure",
    "current_context",
    "log_event",
    "logger",
    "redact",
]

REDACTED = "***"
RUNTIME_FORMAT = "%(asctime)s.%(msecs)03dZ %(fc_request_id)s [%(levelname)s] %(message)s"

# Keys whose values are secrets wherever they appear (compared case-insensitively,
# ignoring "-" and "_"), and words that make any key a secret.
_SECRET_KEYS = frozenset(
    {"accesskeysecret", "securitytoken", "xfcsecuritytoken", "xosssecuritytoken"}
)
_SECRET_WORDS = ("secret", "password", "passwd", "token", "authorization", "cookie", "apikey")

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_RECORD_ATTRS = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "function_name",
    "cold_start",
    "fc_request_id",
    "taskName",
    "_fcsdk_masked",
}


def current_context() -> Any:
    """Return the context of the invocation running now (``FCContext`` or the runtime's own).

    ``None`` outside an invocation.
    """
    invocation = current()
    return invocation[0] if invocation is not None else None


def _request_attrs() -> tuple[str | None, str | None, bool | None]:
    invocation = current()
    if invocation is None:
        return None, None, None
    context, cold = invocation
    if context is None:
        return None, None, cold
    request_id = getattr(context, "request_id", None) or getattr(context, "requestId", None)
    function = getattr(context, "function", None)
    name = getattr(function, "name", None) if function is not None else None
    return (str(request_id) if request_id else None), (str(name) if name else None), cold


_MASKED = "_fcsdk_masked"


def _mask_record(record: logging.LogRecord) -> None:
    """Mask known secrets in ``record``'s message, traceback and stack, once, in place."""
    attrs = record.__dict__
    if attrs.get(_MASKED) or not _secrets.active():
        return
    attrs[_MASKED] = True
    message = record.getMessage()
    masked = _secrets.mask(message, REDACTED)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        # Formatters reuse exc_text: a traceback may quote a secret.
        text = logging.Formatter().formatException(record.exc_info)
        record.exc_text = _secrets.mask(text, REDACTED)
    elif record.exc_text:
        record.exc_text = _secrets.mask(record.exc_text, REDACTED)
    if record.stack_info:
        record.stack_info = _secrets.mask(record.stack_info, REDACTED)


class _MaskingHandler(logging.Handler):
    """On the ``fcsdk`` logger: masks every record of fcsdk's own loggers before the root's
    handlers (the runtime's, which filter nothing) format it.

    A logger's filters see only the records logged on it, but a handler of a
    parent logger sees every record that propagates through it, before the
    root's handlers do. It writes nothing; when no other handler would take
    the record, it hands it to :data:`logging.lastResort`, as logging would
    have had this handler not been there.
    """

    def handle(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; print it as the last resort when nothing else would."""
        _mask_record(record)
        if not logging.root.handlers and _unhandled(record):
            last = logging.lastResort
            if last is not None and record.levelno >= last.level:
                last.handle(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        """Nothing to write: :meth:`handle` did the work."""


def _unhandled(record: logging.LogRecord) -> bool:
    """Whether no handler but the masking one is on ``record``'s way up the logger tree."""
    node: logging.Logger | None = logging.getLogger(record.name)
    while node is not None:
        if any(not isinstance(h, _MaskingHandler) for h in node.handlers):
            return False
        node = node.parent if node.propagate else None
    return True


class RequestContextFilter(logging.Filter):
    """Adds ``request_id``, ``function_name``, ``cold_start`` and ``fc_request_id`` to records.

    Attach it to a handler (``configure()`` does) to have every record that
    handler emits carry the current invocation, whatever logger it came from.
    Attributes a record already has (the runtime sets ``fc_request_id``) are
    kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the current invocation's attributes and mask known secrets; never drops a record."""
        _mask_record(record)
        request_id, function_name, cold_start = _request_attrs()
        attrs = record.__dict__
        attrs.setdefault("request_id", request_id)
        attrs.setdefault("function_name", function_name)
        attrs.setdefault("cold_start", cold_start)
        if not attrs.get("fc_request_id"):
            attrs["fc_request_id"] = request_id or ""
        tracer = TRACE[0]
        if tracer is not None and "trace_id" not in attrs:
            ids = tracer.ids()  # the span current where the record was made
            if ids is not None:
                attrs["trace_id"], attrs["span_id"] = ids
        return True


class TextFormatter(logging.Formatter):
    """The FC runtime's text format, in UTC: ``2026-11-23T08:00:00.123Z <id> [INFO] msg``."""

    converter = time.gmtime  # type: ignore[assignment]  # typeshed narrows gmtime

    def __init__(self) -> None:
        super().__init__(RUNTIME_FORMAT, datefmt="%Y-%m-%dT%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        """Format as the runtime does, known secrets masked."""
        return _secrets.mask(super().format(record), REDACTED)


class JSONFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``message``, ``request_id``,
    ``function``, ``cold_start``, ``logger``, any ``extra=`` fields, and
    ``exception`` with the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one line of JSON."""
        created = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc)
        attrs = record.__dict__
        request_id = attrs.get("request_id")
        if request_id is None:
            request_id, _, _ = _request_attrs()
        payload: dict[str, Any] = {
            "time": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "message": record.getMessage(),
            "request_id": request_id or attrs.get("fc_request_id") or None,
            "function": attrs.get("function_name"),
            "cold_start": attrs.get("cold_start"),
            "logger": record.name,
        }
        for key, value in attrs.items():
            if key not in _RECORD_ATTRS and key not in payload:
                payload[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            payload["exception"] = "".join(traceback.format_exception(*record.exc_info))
        elif record.exc_text:
            payload["exception"] = record.exc_text
        if record.stack_info:
            payload["stack"] = record.stack_info
        return _secrets.mask(json.dumps(payload, default=str, ensure_ascii=False), REDACTED)


logger = logging.getLogger("fcsdk.user")
"""The logger for handler code: ``fc.logger.info(...)``; records carry the current request."""
logger.addFilter(RequestContextFilter())
if not any(isinstance(h, _MaskingHandler) for h in logging.getLogger("fcsdk").handlers):
    logging.getLogger("fcsdk").addHandler(_MaskingHandler())

_HANDLER_FLAG = "_fcsdk_configured"


def configure(
    fmt: Literal["json", "text"] = "json",
    stream: IO[str] | None = None,
    level: int | str | None = None,
) -> logging.Handler:
    """Send log records to ``stream`` (default ``sys.stderr``) in ``fmt``, with the request id.

    Installs one handler on the root logger (calling again replaces it: the
    call is idempotent) with :class:`RequestContextFilter`, and adds that
    filter to the handlers the runtime installed, so their
    ``%(fc_request_id)s`` is filled in for every logger.

    Args:
        fmt: ``"json"`` (one object per line, for Log Service) or ``"text"``
            (the FC runtime's format).
        stream: where to write; ``sys.stderr`` by default.
        level: the root logger's level; unchanged when ``None``.

    Returns:
        The handler installed.
    """
    if fmt not in ("json", "text"):
        from fcsdk.exceptions import ConfigurationError

        raise ConfigurationError(f"fmt must be 'json' or 'text', not {fmt!r}")
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, _HANDLER_FLAG, False):
            root.removeHandler(existing)
        elif not any(isinstance(f, RequestContextFilter) for f in existing.filters):
            existing.addFilter(RequestContextFilter())
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    setattr(handler, _HANDLER_FLAG, True)
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JSONFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(handler)
    if level is not None:
        root.setLevel(level)
    return handler


def _secret_values(context: Any) -> set[str]:
    values: set[str] = set()
    credentials = getattr(context, "credentials", None)
    for name in ("access_key_secret", "security_token"):
        value: Any = getattr(credentials, name, None)
        secret = value.get_secret_value() if hasattr(value, "get_secret_value") else value
        if isinstance(secret, str) and secret:
            values.add(secret)
    return values


def _is_secret_key(key: str, extra: frozenset[str]) -> bool:
    folded = key.lower().replace("-", "").replace("_", "")
    return folded in _SECRET_KEYS or folded in extra or any(w in folded for w in _SECRET_WORDS)


def redact(value: Any, *, keys: Iterable[str] = (), secrets: Iterable[str] = ()) -> Any:
    """Return ``value`` with secret-looking keys, the given ``keys`` and ``secrets`` masked.

    Walks dicts and lists; a key is secret when it contains ``secret``,
    ``password``, ``token``, ``authorization``, ``cookie`` or ``apikey``
    (case and ``-``/``_`` ignored) or is one of ``keys``; a string equal to
    one of ``secrets`` is masked wherever it appears, in each of its forms
    (percent-encoded, JSON-escaped, base64).
    """
    extra = frozenset(k.lower().replace("-", "").replace("_", "") for k in keys)
    hidden = _secrets.Registry()
    hidden.add(*secrets)

    def walk(item: Any, depth: int) -> Any:
        if depth > 64:
            return REDACTED
        if isinstance(item, Mapping):
            return {
                k: REDACTED
                if isinstance(k, str) and _is_secret_key(k, extra)
                else walk(v, depth + 1)
                for k, v in item.items()
            }
        if isinstance(item, list | tuple):
            return [walk(v, depth + 1) for v in item]
        if isinstance(item, str) and hidden:
            return hidden.mask(item, REDACTED)
        return item

    return walk(value, 0)


def log_event(
    event: object,
    *,
    keys: Iterable[str] = (),
    level: int = logging.INFO,
    target: logging.Logger | None = None,
) -> None:
    """Log an incoming event through ``fc.logger``, secrets and ``keys`` redacted.

    A JSON payload is logged parsed and redacted (see :func:`redact`); the
    current invocation's own credentials are masked wherever they appear;
    a payload that is not JSON is logged as its size and a short prefix.
    """
    out = target or logger
    if not out.isEnabledFor(level):
        return
    # Registered secrets are masked in the line as a whole (at a cost that does not grow
    # with their number); the context's own are walked for only when fcsdk never saw them.
    secrets = {s for s in _secret_values(current_context()) if s not in _secrets._registry}
    data: Any = event
    if isinstance(event, bytes | bytearray | memoryview | str):
        raw = bytes(event) if not isinstance(event, str) else event.encode("utf-8", "replace")
        try:
            data = json.loads(raw)
        except ValueError:
            text = repr(raw[:64]) + (f"... ({len(raw)} bytes)" if len(raw) > 64 else "")
            out.log(level, "event: %s", _secrets.mask(redact(text, secrets=secrets), REDACTED))
            return
    elif hasattr(event, "model_dump"):
        data = event.model_dump(mode="json")
    shown = json.dumps(redact(data, keys=keys, secrets=secrets), default=str, ensure_ascii=False)
    out.log(level, "event: %s", _secrets.mask(shown, REDACTED))
