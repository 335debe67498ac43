"""The fuzz targets: one per parser family, each a ``bytes -> None`` that raises on a failure.

A target returns normally when the input gave a value, a typed fcsdk error
or an HTTP answer below 500, and raises otherwise: the exception the parser
let escape, or :class:`Failure` describing a 5xx answer with the exception
the library logged for it. Each target also has seed inputs, valid payloads
that give the fuzzer a head start past the outer checks.
"""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fcsdk as fc
import fcsdk.testing.oss  # imported here so that atheris instruments it
from fcsdk import events
from fcsdk._decode import build_decoder
from fcsdk.testing import apigw_event, fake_context, fc3_http_event
from fcsdk.web.datastructures import (
    Headers,
    QueryParams,
    check_percent_escapes,
    parse_cookie_header,
    split_list_header,
)
from fcsdk.web.forms import parse_content_type, parse_form
from fcsdk.web.options import HTTPOptions
from fcsdk.web.places import WSGIPlace, select_event_place

__all__ = ["TARGETS", "Failure", "Target"]

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "events"


class Failure(Exception):
    """An answer that breaks the property (a 5xx), with the exception logged for it as cause."""


class _Logged(logging.Handler):
    """Keeps the last exception fcsdk logged (a 500's cause goes to the log)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.error: BaseException | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.error = record.exc_info[1]


_LOGGED = _Logged()
logging.getLogger("fcsdk").addHandler(_LOGGED)
logging.getLogger("fcsdk").propagate = False


def _fail(what: str) -> None:
    error, _LOGGED.error = _LOGGED.error, None
    if error is not None:
        raise error
    raise Failure(what)


_FUZZ_OPTIONS = HTTPOptions.of(max_body_size=4096)


def _no_start(*args: object) -> None:
    """A ``start_response`` for requests that are only read."""


def _event_request(data: object) -> tuple[object, object]:
    """The place an event selects and the request it builds, as a pair."""
    place = select_event_place(data, fake_context(), _FUZZ_OPTIONS)
    return place, place.request


def _typed(func: Callable[[], object]) -> object:
    """Run ``func``; a typed fcsdk error is an answer, anything else propagates."""
    try:
        return func()
    except fc.FCSDKError as exc:
        return exc


class _Data:
    """A small FuzzedDataProvider over bytes that needs no atheris (so seeds can be built)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def byte(self) -> int:
        if self.position >= len(self.data):
            return 0
        value = self.data[self.position]
        self.position += 1
        return value

    def pick(self, options: list[Any]) -> Any:
        return options[self.byte() % len(options)]

    def chunk(self) -> bytes:
        """Bytes up to the next NUL byte (or the end)."""
        end = self.data.find(b"\0", self.position)
        end = len(self.data) if end == -1 else end
        found = self.data[self.position : end]
        self.position = end + 1
        return found

    def text(self) -> str:
        return self.chunk().decode("utf-8", "surrogateescape")

    def rest(self) -> bytes:
        found = self.data[self.position :]
        self.position = len(self.data)
        return found


def _fixture_bytes() -> list[bytes]:
    if not FIXTURES.is_dir():
        return []
    return [path.read_bytes() for path in sorted(FIXTURES.iterdir()) if path.suffix != ".py"]


# -- decode: every event model --------------------------------------------------------------


def _models() -> list[Any]:
    from pydantic import BaseModel

    class Order(BaseModel):
        order_id: str
        amount: int

    found: list[Any] = []
    for name in events.__all__:
        value = getattr(events, name)
        if isinstance(value, type) and issubclass(value, BaseModel):
            found.append(value)
    found += [
        events.TimerEvent[Order],
        events.MNSTopicEvent[events.Base64[Order]],
        events.MNSTopicStreamEvent[Order],
        list[events.CloudEvent[Order]],
        list[events.KafkaEvent[Order]],
        list[events.KafkaEvent[events.Base64[Order]]],
        list[events.KafkaEvent[bytes]],
        list[events.RocketMQEvent[Order]],
        list[events.RabbitMQEvent[Order]],
        list[events.MNSQueueEvent[Order]],
        list[events.DTSEvent],
        list[events.MQTTEvent[Order]],
        list[events.MQTTMessage[Order]],
        list[events.ApacheRocketMQMessage[Order]],
        Order,
        list[Order],
        dict[str, Any],
        Any,
        str,
        bytes,
    ]
    return found


MODELS = _models()
DECODERS = [build_decoder(tp) for tp in MODELS]


def decode_target(data: bytes) -> None:
    """Event decoding: the first byte picks a model, the rest is the event."""
    index = data[0] % len(DECODERS) if data else 0
    payload = data[1:]
    result = _typed(lambda: DECODERS[index](payload))
    if isinstance(result, fc.FCSDKError) and not isinstance(result, fc.EventDecodeError):
        raise result


def decode_seeds() -> list[bytes]:
    seeds = []
    for payload in _fixture_bytes():
        for index, decode in enumerate(DECODERS):
            try:
                decode(payload)
            except fc.EventDecodeError:
                continue
            seeds.append(bytes([index]) + payload)
            break
    return seeds


# -- HTTP: the views every request offers -----------------------------------------------------


def _read_everything(request: fc.Request) -> None:
    views: list[Callable[[], object]] = [
        lambda: request.path,
        lambda: request.query.multi_items(),  # noqa: PLW0108 - query may raise
        lambda: request.query_string,
        lambda: request.request_uri,
        lambda: request.headers.items(),  # noqa: PLW0108 - headers may raise
        lambda: request.cookies,
        lambda: request.body,
        lambda: request.text,
        request.json,
        request.form,
        lambda: request.model(dict[str, int]),
        lambda: request.request_id,
    ]
    for view in views:
        result = _typed(view)
        if isinstance(result, fc.HTTPError) and result.status >= 500:
            raise result
        if isinstance(result, fc.FCSDKError) and not isinstance(result, fc.HTTPError):
            raise result


def _router() -> fc.HTTPApp:
    app = fc.HTTPApp()

    @app.get("/items/{item_id:int}")
    def show(item_id: int, q: str | None = None, tags: list[int] | None = None) -> object:
        return {"id": item_id, "q": q, "tags": tags}

    @app.post("/items/{name}")
    def create(name: str, body: dict[str, int]) -> object:
        return {"name": name, "body": body}

    @app.get("/files/{rest:path}")
    def files(rest: str) -> object:
        return rest

    return app


ROUTER = _router()


def _wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    stream = environ.get("wsgi.input")
    body = stream.read() if stream is not None else b""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode("latin-1"), str(len(body)).encode()]


FROM_WSGI = fc.from_wsgi(_wsgi_app)
_HEADER_KEYS = ["HTTP_COOKIE", "HTTP_ACCEPT", "HTTP_X_FORWARDED_FOR", "CONTENT_TYPE", "HTTP_X_A"]


def _environ(data: bytes) -> dict[str, Any]:
    reader = _Data(data)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": reader.pick(["GET", "POST", "PUT", "HEAD", "DELETE"]),
        "PATH_INFO": reader.chunk().decode("latin-1"),
        "QUERY_STRING": reader.chunk().decode("latin-1"),
        "SCRIPT_NAME": reader.pick(["", "/app"]),
        "REMOTE_ADDR": "203.0.113.7",
        "fc.context": fake_context(),
    }
    uri = reader.chunk()
    if uri:
        environ["fc.request_uri"] = uri.decode("latin-1")  # as http.server decodes it
    length = reader.chunk()
    if length:
        environ["CONTENT_LENGTH"] = length.decode("latin-1")
    for _ in range(reader.byte() % 5):
        environ[reader.pick(_HEADER_KEYS)] = reader.chunk().decode("latin-1")
    mode = reader.byte() % 3
    body = reader.rest()
    if mode != 2:
        environ["wsgi.input"] = io.BytesIO(body)
    if mode == 1:
        environ["wsgi.input_terminated"] = True
    return environ


def wsgi_target(data: bytes) -> None:
    """FC 2.0: an environ built from the input, every view, then the router and from_wsgi."""
    environ = _environ(data)
    request = WSGIPlace(dict(environ), _no_start, _FUZZ_OPTIONS).request
    _read_everything(request)
    response = ROUTER.handle(WSGIPlace(dict(environ), _no_start, _FUZZ_OPTIONS).request)
    if response.status >= 500:
        _fail(f"HTTPApp answered {response.status}")
    status: list[str] = []
    fresh = dict(environ)
    if "wsgi.input" in environ:
        fresh["wsgi.input"] = io.BytesIO(environ["wsgi.input"].getvalue())

    def start_response(line: str, headers: Any, exc_info: Any = None) -> Any:
        status.append(line)
        return lambda chunk: None

    b"".join(FROM_WSGI(fresh, start_response))
    if int(status[0].split()[0]) >= 500:
        _fail(f"from_wsgi answered {status[0]}")


def _seed_environ(
    method: str, path: str, length: str, body: bytes, *headers: tuple[str, str]
) -> bytes:
    out = bytes([["GET", "POST", "PUT", "HEAD", "DELETE"].index(method)])
    out += path.encode("latin-1") + b"\0" + b"a=1&tags=2&tags=3\0" + path.encode() + b"\0"
    out += length.encode() + b"\0" + bytes([len(headers)])
    for name, value in headers:
        out += bytes([_HEADER_KEYS.index(name)]) + value.encode("latin-1") + b"\0"
    return out + b"\0" + body


def wsgi_seeds() -> list[bytes]:
    form = b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--\r\n'
    return [
        _seed_environ("GET", "/items/7", "", b"", ("HTTP_COOKIE", "a=1; b=2")),
        _seed_environ("POST", "/items/x", "9", b'{"a": 1}', ("CONTENT_TYPE", "application/json")),
        _seed_environ(
            "POST",
            "/files/a/b",
            str(len(form)),
            form,
            ("CONTENT_TYPE", "multipart/form-data; boundary=B"),
        ),
        _seed_environ(
            "POST", "/", "7", b"a=1&b=2", ("CONTENT_TYPE", "application/x-www-form-urlencoded")
        ),
    ]


# -- FC 3.0 and API Gateway events ---------------------------------------------------------------


def _event_answer(handler: Any, data: bytes) -> None:
    answer = _typed(lambda: handler(data, fake_context()))
    if isinstance(answer, fc.FCSDKError):
        if not isinstance(answer, fc.EventDecodeError):
            raise answer
        return
    assert isinstance(answer, bytes)
    status = json.loads(answer)["statusCode"]
    if status >= 500:
        _fail(f"answered {status}")


@fc.http
def _echo(request: fc.Request) -> dict[str, Any]:
    _read_everything(request)
    return {"ok": True}


def _structured_event(data: bytes) -> bytes:
    """An FC 3.0 or API Gateway event built field by field from the input, as JSON bytes.

    Text is decoded with ``surrogateescape``, so JSON's ``\\udcXX`` escapes reach the
    parsers the way a client's lone surrogates would.
    """
    reader = _Data(data)
    kind = reader.byte() % 2
    method = reader.pick(["GET", "POST", "PUT", "HEAD", "DELETE"])
    path = reader.text()
    headers = {reader.text(): reader.text() for _ in range(reader.byte() % 4)}
    query = {reader.text(): reader.text() for _ in range(reader.byte() % 3)}
    flag = reader.pick([True, False, None, "yes", 1])
    body = reader.rest().decode("utf-8", "surrogateescape")
    event: dict[str, Any]
    if kind == 0:
        event = {
            "rawPath": path,
            "headers": headers,
            "queryParameters": query,
            "body": body,
            "isBase64Encoded": flag,
            "requestContext": {"http": {"method": method, "path": path}, "requestId": "r"},
        }
    else:
        event = {
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "queryParameters": query,
            "pathParameters": {},
            "body": body,
            "isBase64Encoded": flag,
        }
    return json.dumps(event).encode()


def event_request_target(data: bytes) -> None:
    """FC 3.0 / API Gateway, through every handler kind.

    The first byte chooses: even, the rest is the event's JSON as it came; odd, the
    rest builds an event field by field (:func:`_structured_event`).
    """
    if data and data[0] % 2:
        data = _structured_event(data[1:])
    elif data:
        data = data[1:]
    result = _typed(lambda: _event_request(data))
    if isinstance(result, fc.FCSDKError):
        if not isinstance(result, fc.EventDecodeError):
            raise result
        return
    assert isinstance(result, tuple)
    _read_everything(result[1])
    for handler in (_echo, ROUTER, FROM_WSGI):
        _event_answer(handler, data)


def event_request_seeds() -> list[bytes]:
    form = b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--\r\n'
    built = [
        fc3_http_event(
            "GET", "/items/7", query={"q": "x", "tags": "1,2"}, headers={"Cookie": "a=1"}
        ),
        fc3_http_event(
            "POST", "/items/a b", body=b'{"a": 1}', headers={"Content-Type": "application/json"}
        ),
        fc3_http_event(
            "POST",
            "/files/x",
            body=form,
            headers={"Content-Type": "multipart/form-data; boundary=B"},
        ),
        apigw_event("POST", "/items/x", body=b"\xff\x00", headers={"Content-Length": "2"}),
        apigw_event("GET", "/", query={"a": "%zz"}),
    ]
    structured = [
        b"\x00\x01/items/7\x00\x01Content-Type\x00application/json\x00\x01q\x00x\x00\x01{}",
        b"\x01\x01\x00/files/a\x00\x01Cookie\x00a=1\x00\x00\x00body",
    ]
    return [b"\x00" + json.dumps(event).encode() for event in built] + structured


# -- forms and multipart ---------------------------------------------------------------------------


def forms_target(data: bytes) -> None:
    """Form bodies: the input is a Content-Type, a NUL, then the body."""
    content_type, _, body = data.partition(b"\0")
    text = content_type.decode("utf-8", "surrogateescape")
    result = _typed(lambda: parse_form(body, text))
    if isinstance(result, fc.FCSDKError) and not isinstance(
        result, fc.BadRequest | fc.UnsupportedMediaType
    ):
        raise result
    request = fc.Request(method="POST", headers={"Content-Type": text}, body=body)
    for view in (lambda: request.text, request.json, request.form):
        answer = _typed(view)
        if isinstance(answer, fc.FCSDKError) and not (
            isinstance(answer, fc.HTTPError) and answer.status < 500
        ):
            raise answer


def forms_seeds() -> list[bytes]:
    part = b'Content-Disposition: form-data; name="f"; filename="a.png"\r\nContent-Type: image/png'
    return [
        b"multipart/form-data; boundary=B\0--B\r\n" + part + b"\r\n\r\n\x89PNG\r\n--B--\r\n",
        b'multipart/form-data; boundary="a b"\0--a b\r\nContent-Disposition: form-data; name="x"'
        b"\r\n\r\nv\r\n--a b--",
        b"application/x-www-form-urlencoded\0a=1&b=%C3%A9&c=+",
        b"text/plain; charset=latin-1\0caf\xe9",
        b'application/json\0{"a": [1, 2]}',
    ]


# -- headers, query strings, cookies, percent-encoding -------------------------------------------


def headers_target(data: bytes) -> None:
    """The small text parsers: the input, as text, goes through each of them."""
    text = data.decode("utf-8", "surrogateescape")
    parse_cookie_header(text)
    split_list_header(text)
    parse_content_type(text)
    headers = Headers([(text[:8], text), ("Accept", text), ("Cookie", text)])
    headers.getall("accept")
    headers.getall(text[:8])
    for part in (text, text.partition("?")[2]):
        checked = _typed(lambda p=part: check_percent_escapes(p, "path"))  # type: ignore[misc]
        if isinstance(checked, fc.FCSDKError) and not isinstance(checked, fc.BadRequest):
            raise checked
        query = _typed(lambda p=part: QueryParams.from_string(p))  # type: ignore[misc]
        if isinstance(query, QueryParams):
            for name in query:
                query.getall(name)
        elif not isinstance(query, fc.BadRequest):
            raise AssertionError(repr(query))


def headers_seeds() -> list[bytes]:
    return [
        b'sid=abc; theme="dark"; junk; sid=other',
        b'W/"a,b", "c" ,  d',
        b'multipart/form-data; boundary="a b"; charset=UTF-8',
        b"/path?tag=a&tag=b&q=%C3%A9&bad=%zz",
    ]


# -- the local OSS server ------------------------------------------------------------------------

_OSS: list[Any] = []  # the one server of this process, started on first use


def _oss() -> Any:
    if not _OSS:
        from fcsdk.testing.oss import LocalOSSServer

        _OSS.append(LocalOSSServer(buckets=["fuzz-bucket"]).start())
    return _OSS[0]


def oss_server_target(data: bytes) -> None:
    """LocalOSSServer: the input is a raw HTTP request sent over a socket on 127.0.0.1."""
    server = _oss()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as conn:
        try:
            conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        answer = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            answer += chunk
    line = answer.split(b"\r\n", 1)[0].split()
    if len(line) >= 2 and line[0].startswith(b"HTTP/") and line[1].isdigit():
        status = int(line[1])
        if status >= 500 and status != 501:  # 501: http.server's answer to an unknown method
            _fail(f"LocalOSSServer answered {status}")


def oss_server_seeds() -> list[bytes]:
    import oss2

    server = _oss()
    auth = oss2.Auth(server.access_key_id, server.access_key_secret)
    bucket = oss2.Bucket(auth, server.endpoint, "fuzz-bucket")
    bucket.put_object("a.txt", b"hello")
    seeds = []
    for method, key, params, body in [
        ("GET", "a.txt", {}, b""),
        ("PUT", "b.txt", {}, b"data"),
        ("POST", "log.txt", {"append": "", "position": "0"}, b"line"),
        ("POST", "mp.bin", {"uploads": ""}, b""),
        ("GET", "a.txt", {"objectMeta": ""}, b""),
    ]:
        url = bucket.sign_url(method, key, 3600, params=params)
        target = url.split(server.endpoint, 1)[1]
        head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}"
        seeds.append(head.encode() + b"\r\n\r\n" + body)
    seeds.append(b"GET /fuzz-bucket/?max-keys=5 HTTP/1.1\r\nHost: x\r\n\r\n")
    # chunked framing (with an extension and a trailer), h11's to check
    url = bucket.sign_url("PUT", "c.txt", 3600)
    target = url.split(server.endpoint, 1)[1]
    seeds.append(
        f"PUT {target} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3;x=1\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n".encode()
    )
    # the XML integers and the listing token
    upload = bucket.init_multipart_upload("mp.bin").upload_id
    complete = (
        b"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
        b"<ETag>&quot;X&quot;</ETag></Part></CompleteMultipartUpload>"
    )
    url = bucket.sign_url("POST", "mp.bin", 3600, params={"uploadId": upload})
    target = url.split(server.endpoint, 1)[1]
    head = f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(complete)}"
    seeds.append(head.encode() + b"\r\n\r\n" + complete)
    listing = oss2.http.Request(
        "GET",
        f"{server.endpoint}/fuzz-bucket/",
        params={"list-type": "2", "continuation-token": "YS50eHQ="},
    )
    auth._sign_request(listing, "fuzz-bucket", "")
    head = "GET /fuzz-bucket/?list-type=2&continuation-token=YS50eHQ%3D HTTP/1.1\r\nHost: x\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in listing.headers.items() if k != "Host")
    seeds.append(head.encode() + b"\r\n")
    return seeds


def serve_framing_target(data: bytes) -> None:
    """fcsdk serve's HTTP/1.1 framing (h11): raw bytes read as requests over a socket pair."""
    from fcsdk._local.http1 import ClientGone, FramingError, Wire

    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(data[: 64 * 1024])
        theirs.shutdown(socket.SHUT_WR)
        wire = Wire(ours, max_body_size=4096, read_timeout=1.0, server="fuzz")
        try:
            for _ in range(20):
                head = wire.next_request()
                if head is None:
                    return
                names = {name.lower() for name, _ in head.headers}
                if {"content-length", "transfer-encoding"} <= names:
                    _fail("a request with both Content-Length and Transfer-Encoding was read")
                wire.read_body()
                wire.answer(200, [("Content-Length", "0")], b"")
                if not wire.next_cycle():
                    return
        except FramingError as refused:
            if refused.status not in (400, 413, 431, 505):
                _fail(f"framing refused with {refused.status}")
        except ClientGone:
            pass


def serve_framing_seeds() -> list[bytes]:
    return [
        b"POST /invoke HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab",
        b"POST /invoke HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2;e=1\r\nab\r\n0\r\nX-T: 1\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
    ]


def secrets_target(data: bytes) -> None:
    """Secret masking: a secret from the input, in each of its forms inside the rest, is masked."""
    from fcsdk import _secrets

    provider = _Data(data)
    secret = provider.text()[:40]
    text = provider.rest().decode("utf-8", "surrogateescape")[:200]
    if len(secret) < 4:
        return
    registry = _secrets.Registry()
    registry.add(secret)
    for form in _secrets.forms(secret):
        masked = registry.mask(text[: len(text) // 2] + form + text[len(text) // 2 :])
        if form in masked:
            _fail(f"a form of the secret survived masking: {form!r}")


def secrets_seeds() -> list[bytes]:
    return [b"CAIS+tok/en==\x00 in a url: ?security-token=", b"ab+/cd==\x00rest"]


Target = tuple[Callable[[bytes], None], Callable[[], list[bytes]]]

#: name -> (the target, its seed inputs)
TARGETS: dict[str, Target] = {
    "decode": (decode_target, decode_seeds),
    "wsgi": (wsgi_target, wsgi_seeds),
    "event_request": (event_request_target, event_request_seeds),
    "forms": (forms_target, forms_seeds),
    "headers": (headers_target, headers_seeds),
    "oss_server": (oss_server_target, oss_server_seeds),
    "serve_framing": (serve_framing_target, serve_framing_seeds),
    "secrets": (secrets_target, secrets_seeds),
}
