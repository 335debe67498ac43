"""The FC 2.0 path: any WSGI environ gives a ``Request`` whose every view is a value or a 4xx.

Environs are shaped as FC 2.0 builds them (``fc.request_uri``, the
``/2016-08-15/proxy`` prefix, ``HTTP_*`` keys as latin-1 text) and then
bent: bad percent-encoding, bytes that are not UTF-8, a ``Content-Length``
that lies (longer, shorter, negative, not a number, absurd), a body without
a length, no ``wsgi.input`` at all. Through ``@fc.http``, ``HTTPApp`` and
``from_wsgi`` the answer is always a status below 500.
"""

from __future__ import annotations

import io
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import fcsdk as fc
from fcsdk.testing import fake_context
from tests.properties._support import (
    LoggedErrors,
    app_handlers,
    clean_text,
    content_length_text,
    deep_json,
    invalid_utf8,
    outcome,
    peak_memory,
    percent_text,
    profile,
    weird_text,
)
from tests.web.places_support import environ_request as request_from_environ

HANDLERS = app_handlers()

latin1 = st.text(alphabet=st.characters(max_codepoint=255), max_size=30)
#: What a header value looks like in the environ: UTF-8 bytes read as latin-1, or raw latin-1.
header_values = st.one_of(
    clean_text.map(lambda t: t.encode("utf-8").decode("latin-1")),
    latin1,
    invalid_utf8.map(lambda b: b.decode("latin-1")),
)
paths = st.one_of(
    st.sampled_from(["/", "/items/7", "/items/x", "/items/12345678901234567890", "/files/a/b"]),
    st.builds(lambda p: "/" + p, percent_text),
    st.builds(lambda p: "/items/" + p, percent_text),
    st.builds(lambda p: "/2016-08-15/proxy/svc/fn/" + p, percent_text),
    weird_text,
)
content_types = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=XyZ",
            "multipart/form-data",
            "text/plain; charset=latin-1",
            "application/octet-stream",
            "",
        ]
    ),
    header_values,
)
bodies = st.one_of(
    st.binary(max_size=60),
    invalid_utf8,
    deep_json,
    st.sampled_from(
        [
            b'{"name": "tea", "qty": 2}',
            b'{"name": "tea", "qty": "x"}',
            b"a=1&b=%zz",
            b'--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XyZ--\r\n',
            b"--XyZ\r\nContent-Disposition: form-data\r\n\r\n1\r\n--XyZ",
        ]
    ),
)


@st.composite
def environs(draw: st.DrawFn) -> dict[str, Any]:
    """A WSGI environ as FC 2.0 builds it, with any part bent."""
    path = draw(paths)
    body = draw(bodies)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": draw(st.sampled_from(["GET", "POST", "PUT", "HEAD", "DELETE", "BREW"])),
        "SCRIPT_NAME": draw(st.sampled_from(["", "", "/app", "/2016-08-15"])),
        # PEP 3333: PATH_INFO is the decoded path's bytes as latin-1 text.
        "PATH_INFO": draw(
            st.one_of(latin1, st.just(path.encode("utf-8", "surrogatepass").decode("latin-1")))
        ),
        "QUERY_STRING": draw(
            st.one_of(percent_text, header_values, st.just("item_id=1&tags=1&tags=x"))
        ),
        "CONTENT_TYPE": draw(content_types),
        "SERVER_NAME": "FCRUNTIME",
        "SERVER_PORT": "9000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": draw(st.sampled_from(["203.0.113.7", "", "::1"])),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "fc.context": draw(st.sampled_from([None, "ctx", object()])) or fake_context(),
    }
    if draw(st.booleans()):
        environ["fc.request_uri"] = draw(st.one_of(st.just(path), weird_text, st.none()))
    length = draw(st.sampled_from(["honest", "lying", "absent"]))
    if length == "honest":
        environ["CONTENT_LENGTH"] = str(len(body))
    elif length == "lying":
        environ["CONTENT_LENGTH"] = draw(content_length_text)
    stream = draw(st.sampled_from(["bytes", "terminated", "missing"]))
    if stream != "missing":
        environ["wsgi.input"] = io.BytesIO(body)
    if stream == "terminated":
        environ["wsgi.input_terminated"] = True
    for name, value in draw(
        st.lists(st.tuples(st.sampled_from(HEADER_KEYS), header_values), max_size=5)
    ):
        environ[name] = value
    if draw(st.integers(0, 9)) == 0:  # around the header-count limit (Limits.max_headers, 128)
        environ.update({f"HTTP_X_H_{i}": "v" for i in range(draw(st.integers(120, 140)))})
    return environ


HEADER_KEYS = [
    "HTTP_COOKIE",
    "HTTP_ACCEPT",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_AUTHORIZATION",
    "HTTP_IF_NONE_MATCH",
    "HTTP_X_CUSTOM",
    "HTTP_CONTENT_LENGTH",
    "HTTP_",
]


def read_everything(request: fc.Request) -> None:
    """Read every view of ``request``: each gives a value or a 4xx HTTPError."""
    views = [
        lambda: request.path,
        lambda: request.query.multi_items(),  # noqa: PLW0108 - query may raise
        lambda: request.query_string,
        lambda: request.request_uri,
        lambda: request.headers.items(),  # noqa: PLW0108 - headers may raise
        lambda: request.cookies,
        lambda: request.content_type,
        lambda: request.body,
        lambda: request.text,
        request.json,
        request.form,
        lambda: request.model(dict[str, Any]),
        lambda: request.request_id,
        lambda: repr(request),
    ]
    for view in views:
        result = outcome(view)
        if isinstance(result, fc.FCSDKError):
            assert isinstance(result, fc.HTTPError), repr(result)
            assert 400 <= result.status < 500, repr(result)


class Collector:
    """A ``start_response`` that keeps the status and headers."""

    def __init__(self) -> None:
        self.status = ""
        self.headers: list[tuple[str, str]] = []

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        self.status, self.headers = status, headers
        return lambda data: None


class TestRequestFromEnviron:
    @profile(300)
    @given(environ=environs(), limit=st.sampled_from([6 * 1024 * 1024, 16, 0]))
    def test_every_view(self, environ: dict[str, Any], limit: int) -> None:
        """Every view of the request of any environ is a value or a 4xx HTTPError."""
        request = outcome(lambda: request_from_environ(environ, max_body_size=limit))
        assert isinstance(request, fc.Request), repr(request)
        read_everything(request)

    @profile(300)
    @given(environ=environs(), name=st.sampled_from(sorted(HANDLERS)))
    def test_through_handlers(self, environ: dict[str, Any], name: str) -> None:
        """@fc.http, HTTPApp and from_wsgi answer any environ with a status below 500."""
        start = Collector()
        with LoggedErrors() as logged:
            body = b"".join(HANDLERS[name](environ, start))
        status = int(start.status.split()[0])
        if status >= 500:
            logged.raise_first()
        assert 200 <= status < 500, (start.status, body)
        assert all("\n" not in v and "\r" not in v for _, v in start.headers)


class TestLyingLength:
    @profile(100)
    @given(
        body=st.binary(max_size=50),
        declared=st.integers(0, 10**30),
        terminated=st.booleans(),
    )
    def test_body_matches_its_length_or_400(
        self, body: bytes, declared: int, terminated: bool
    ) -> None:
        """A body is read only when it matches Content-Length exactly; otherwise 400 or 413."""
        environ = {
            "REQUEST_METHOD": "POST",
            "CONTENT_LENGTH": str(declared),
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": terminated,
        }
        result = outcome(lambda: request_from_environ(environ, max_body_size=1000).body)
        if declared == len(body):
            assert result == body
        elif declared > 1000:
            assert isinstance(result, fc.PayloadTooLarge)
        else:
            assert isinstance(result, fc.BadRequest)

    @profile(20, deadline_ms=5000)
    @given(declared=st.integers(10**6, 10**40), size=st.integers(0, 200_000))
    def test_no_allocation_for_a_declared_size(self, declared: int, size: int) -> None:
        """A huge declared length is refused without allocating for it, whatever follows."""
        environ = {
            "REQUEST_METHOD": "POST",
            "CONTENT_LENGTH": str(declared),
            "wsgi.input": io.BytesIO(b"x" * size),
        }
        peak = peak_memory(lambda: request_from_environ(environ, max_body_size=1000).body)
        assert peak < 200_000

    @profile(20, deadline_ms=5000)
    @given(size=st.integers(1001, 3_000_000))
    def test_unterminated_stream_reads_at_most_the_limit(self, size: int) -> None:
        """A body without a length on a terminated stream reads at most limit + 1 bytes."""
        environ = {
            "REQUEST_METHOD": "POST",
            "wsgi.input": io.BytesIO(b"x" * size),
            "wsgi.input_terminated": True,
        }
        peak = peak_memory(lambda: request_from_environ(environ, max_body_size=1000).body)
        assert peak < 200_000
