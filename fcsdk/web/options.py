"""The options of every HTTP app (``@fc.http``, ``fc.HTTPApp``, ``fc.from_wsgi``), defined once.

Call sites keep keyword arguments (``@fc.http(strip_prefix=False)``); they
are typed by :class:`HTTPOptionArgs` and gathered into one frozen
:class:`HTTPOptions` that the app and its places read.

Example:
    >>> from fcsdk.web.options import HTTPOptions
    >>> options = HTTPOptions.of(max_body_size=1000)
    >>> options.limits.max_body_size, options.strip_prefix
    (1000, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, TypedDict

from fcsdk.web._types import MultiValueHeaders
from fcsdk.web.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DEFAULT_OPTIONS", "DEFAULT_TEXT_TYPES", "HTTPOptionArgs", "HTTPOptions"]

DEFAULT_TEXT_TYPES: tuple[str, ...] = (
    "text/",
    "application/json",
    "application/problem+json",
    "application/javascript",
    "application/xml",
    "application/x-www-form-urlencoded",
    "application/graphql",
    "image/svg+xml",
    "+json",
    "+xml",
)
"""Content types sent as text: a prefix (``text/``), an exact type, or a suffix (``+json``)."""


class HTTPOptionArgs(TypedDict, total=False):
    """The keyword options every HTTP app takes (see :class:`HTTPOptions`)."""

    max_body_size: int
    strip_prefix: bool
    text_types: Iterable[str]
    multi_value_headers: MultiValueHeaders
    limits: Limits


_NAMES = frozenset(HTTPOptionArgs.__annotations__)


@dataclasses.dataclass(frozen=True)
class HTTPOptions:
    """How an HTTP app reads requests and writes answers, in every place.

    Attributes:
        strip_prefix: move FC 2.0's ``/2016-08-15/proxy/<service>/<function>``
            prefix out of the path into ``root_path``/``SCRIPT_NAME``.
        text_types: content types answered as text on FC 3.0 / API Gateway
            (see :data:`DEFAULT_TEXT_TYPES`).
        multi_value_headers: carry repeated response headers as a list
            (``"list"``) or joined with ``", "`` (``"join"``) on FC 3.0 / API Gateway.
        limits: body size, header, form and JSON-nesting limits
            (see :class:`~fcsdk.web.limits.Limits`).
    """

    strip_prefix: bool = True
    text_types: tuple[str, ...] = DEFAULT_TEXT_TYPES
    multi_value_headers: MultiValueHeaders = "list"
    limits: Limits = DEFAULT_LIMITS

    @classmethod
    def of(cls, **options: Unpack[HTTPOptionArgs]) -> HTTPOptions:
        """Gather keyword options; ``max_body_size=`` sets ``limits.max_body_size``.

        Raises:
            ConfigurationError: an unknown option.
        """
        unknown = set(options) - _NAMES
        if unknown:
            from fcsdk.exceptions import ConfigurationError

            raise ConfigurationError(f"unknown HTTP option(s): {', '.join(sorted(unknown))}")
        if not options:
            return DEFAULT_OPTIONS
        limits = options.get("limits", DEFAULT_LIMITS)
        size = options.get("max_body_size")
        if size is not None:
            limits = dataclasses.replace(limits, max_body_size=size)
        return cls(
            strip_prefix=options.get("strip_prefix", True),
            text_types=tuple(options.get("text_types", DEFAULT_TEXT_TYPES)),
            multi_value_headers=options.get("multi_value_headers", "list"),
            limits=limits,
        )


DEFAULT_OPTIONS = HTTPOptions()
