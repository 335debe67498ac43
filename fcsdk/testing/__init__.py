"""Test helpers: runtime-shaped fake contexts, ``invoke``, and (on first use) more.

Everything here runs without Docker or a cloud account::

    from fcsdk.testing import fake_context, invoke

    def test_main() -> None:
        assert invoke(main, {"order_id": "A1", "amount": 3}) == b'{"order_id":"A1","accepted":true}'
"""

from typing import TYPE_CHECKING

from fcsdk._lazy import lazy_exports as _lazy_exports
from fcsdk._platform.context import RuntimeShape, fake_context
from fcsdk.testing._invoke import invoke

if TYPE_CHECKING:
    from fcsdk._platform.http import (
        apigw_event,
        fc3_http_event,
        read_apigw_response,
        read_fc3_response,
        wsgi_environ,
    )
    from fcsdk.testing.http import HTTPClient, HTTPResponse

    HttpClient = HTTPClient  # deprecated: warns at run time
    HttpResponse = HTTPResponse  # deprecated: warns at run time
    from fcsdk.testing.oss import LocalOSSServer

# name -> module that defines it; imported on first attribute access.
_LAZY: dict[str, str] = {
    "HTTPClient": "fcsdk.testing.http",
    "HTTPResponse": "fcsdk.testing.http",
    "LocalOSSServer": "fcsdk.testing.oss",
    "apigw_event": "fcsdk._platform.http",
    "fc3_http_event": "fcsdk._platform.http",
    "read_apigw_response": "fcsdk._platform.http",
    "read_fc3_response": "fcsdk._platform.http",
    "wsgi_environ": "fcsdk._platform.http",
}

__all__ = [
    "HTTPClient",
    "HTTPResponse",
    "LocalOSSServer",
    "RuntimeShape",
    "apigw_event",
    "fake_context",
    "fc3_http_event",
    "invoke",
    "read_apigw_response",
    "read_fc3_response",
    "wsgi_environ",
]


__getattr__, __dir__ = _lazy_exports(
    __name__,
    globals(),
    _LAZY,
    __all__,
    deprecated={"HttpClient": "HTTPClient", "HttpResponse": "HTTPResponse"},
)
del TYPE_CHECKING  # vars() shows the public names only
