"""The environment a function sees: the runtime's ``FC_*`` variables and the user's own.

``--env KEY=VALUE`` and ``--env-file .env`` are parsed here; the variables FC's
documentation lists (``FC_FUNCTION_NAME``, ``FC_REGION``...) are derived from
the function's configuration the way the runtime sets them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from fcsdk.exceptions import ConfigurationError

__all__ = ["applied_environment", "parse_env_assignments", "parse_env_file", "runtime_variables"]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _check_key(key: str, where: str) -> str:
    if not _KEY.match(key):
        raise ConfigurationError(
            f"{where}: {key!r} is not a valid environment variable name "
            "(letters, digits and '_', not starting with a digit)"
        )
    return key


def parse_env_assignments(items: Iterable[str]) -> dict[str, str]:
    """Parse ``KEY=VALUE`` strings (``--env``) into a dict; later ones win.

    Raises:
        ConfigurationError: an item has no ``=`` or an invalid name.

    Example:
        >>> parse_env_assignments(["A=1", "B=x=y"])
        {'A': '1', 'B': 'x=y'}
    """
    result: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigurationError(f"--env {item!r}: expected KEY=VALUE")
        result[_check_key(key.strip(), f"--env {item!r}")] = value
    return result


def _unquote(raw: str, where: str) -> str:
    value = raw.strip()
    if not value:
        return ""
    quote = value[0]
    if quote in "'\"":
        end = value.find(quote, 1)
        while quote == '"' and end > 0 and value[end - 1] == "\\":
            end = value.find(quote, end + 1)
        if end < 0:
            raise ConfigurationError(f"{where}: unterminated {quote} quote")
        rest = value[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            raise ConfigurationError(f"{where}: unexpected text after the closing quote")
        inner = value[1:end]
        if quote == "'":
            return inner
        return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), inner)
    hash_at = value.find(" #")
    return value[:hash_at].rstrip() if hash_at >= 0 else value


def parse_env_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """Parse a ``.env`` file: ``KEY=VALUE`` lines, ``export`` allowed, ``#`` comments.

    Values may be bare (an inline comment after `` #`` is dropped), single
    quoted (taken literally) or double quoted (``\\n``, ``\\t``, ``\\"`` and
    ``\\\\`` escapes).

    Raises:
        ConfigurationError: the file cannot be read, or a line is malformed
            (the message names the file and line).

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / ".env"
        >>> _ = p.write_text('export A=1\\n# note\\nB="two words"\\n')
        >>> parse_env_file(p)
        {'A': '1', 'B': 'two words'}
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read the env file {str(file)!r}: {exc}") from exc
    result: dict[str, str] = {}
    # Only real line ends split lines: a quoted value may hold U+2028 and the like.
    for number, line in enumerate(re.split(r"\r\n|\n|\r", text), start=1):
        where = f"{file}:{number}"
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].lstrip()
        key, sep, value = stripped.partition("=")
        if not sep:
            raise ConfigurationError(f"{where}: expected KEY=VALUE, got {stripped[:40]!r}")
        result[_check_key(key.strip(), where)] = _unquote(value, where)
    return result


def runtime_variables(
    *,
    function_name: str,
    handler: str,
    code_dir: str,
    runtime: str,
    memory: int,
    region: str,
    account_id: str,
    service_name: str,
    qualifier: str,
    version_id: str,
    instance_id: str,
    access_key_id: str = "",
    access_key_secret: str = "",
    security_token: str = "",
) -> dict[str, str]:
    """Return the ``FC_*`` variables the runtime sets (and on python3.12 the credentials).

    Example:
        >>> env = runtime_variables(function_name="f", handler="index.handler",
        ...     code_dir="/code", runtime="python3.10", memory=512, region="cn-hangzhou",
        ...     account_id="1", service_name="s", qualifier="LATEST", version_id="",
        ...     instance_id="i-1")
        >>> env["FC_FUNCTION_NAME"], env["FC_FUNCTION_MEMORY_SIZE"]
        ('f', '512')
    """
    env = {
        "FC_FUNCTION_NAME": function_name,
        "FC_REGION": region,
        "FC_ACCOUNT_ID": account_id,
        "FC_SERVICE_NAME": service_name,
        "FC_QUALIFIER": qualifier,
        "FC_VER_ID": version_id,
        "FC_INSTANCE_ID": instance_id,
        "FC_FUNCTION_HANDLER": handler,
        "FC_FUNCTION_MEMORY_SIZE": str(memory),
        "FC_RUNTIME_VERSION": runtime,
        "FC_FUNC_CODE_PATH": code_dir,
    }
    if runtime == "python3.12":
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = access_key_id
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = access_key_secret
        env["ALIBABA_CLOUD_SECURITY_TOKEN"] = security_token
    return env


@contextmanager
def applied_environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` for the duration, then restore what was there."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
