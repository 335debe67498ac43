"""Secrets never leak: plant marker secrets, run a whole scenario, scan everything produced.

The scenario goes through every place fcsdk turns secrets into text: context
models, decode errors, logging (text and JSON, with log_event), HTTP error
bodies in the three places, OSS errors, and the CLI's output.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import pytest
from pydantic import BaseModel

import fcsdk as fc
from fcsdk import _secrets
from fcsdk.logging import RequestContextFilter, configure
from fcsdk.testing import HTTPClient, fake_context, invoke
from tests.leaks import encodings, lower_hex
from tests.leaks import leaks as scan

# Real STS secrets and tokens contain +, / and =: so do the planted ones.
SECRET = "PLANTED+secret/3c9e71="
TOKEN = "CAIS+PLANTED/token+b04d22=="
ROOT = Path(__file__).resolve().parents[1]


FORMS = sorted(encodings(SECRET) | encodings(TOKEN))


def leaks(texts: Iterable[str], forms: Iterable[str] = FORMS) -> list[str]:
    """The texts in which a piece of a form survives (none: every form is wholly gone)."""
    return scan(texts, forms)


class Order(BaseModel):
    order_id: str
    amount: int


def planted(**overrides: Any) -> Any:
    """A 3.10-shaped context carrying the marker secrets."""
    return fake_context(access_key_secret=SECRET, security_token=TOKEN, **overrides)


@pytest.fixture
def produced(caplog: pytest.LogCaptureFixture) -> Any:
    """Everything the scenario produced, scanned for the markers at the end."""
    outputs: list[str] = []
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    # caplog first: it restores the level it finds, which must be the suite's, not configure's DEBUG
    caplog.set_level(logging.DEBUG)
    json_stream, text_stream = io.StringIO(), io.StringIO()
    configure(fmt="json", stream=json_stream, level=logging.DEBUG)
    text_handler = logging.StreamHandler(text_stream)
    text_handler.addFilter(RequestContextFilter())
    text_handler.setFormatter(fc.logging.TextFormatter())
    root.addHandler(text_handler)
    yield outputs
    outputs += [json_stream.getvalue(), text_stream.getvalue(), caplog.text]
    outputs += [r.getMessage() for r in caplog.records]
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        for f in list(handler.filters):
            if isinstance(f, RequestContextFilter):
                handler.removeFilter(f)
    root.setLevel(level)
    assert outputs, "the scenario produced nothing to scan"
    leaked = leaks(outputs)
    assert not leaked, f"a planted secret leaked into: {leaked[0][:500]!r}"


def test_event_handler_scenario(produced: list[str]) -> None:
    """Context dumps, decode errors, handler logs and redacted events carry no secret."""

    @fc.handler(event_model=Order, log_event=True)
    def main(event: Order, context: fc.FCContext) -> dict[str, Any]:
        fc.logger.info("context %r", context)
        fc.logger.debug("credentials %s", context.credentials)
        context.logger.info("dump %s", context.model_dump())
        return {"ctx": context.model_dump(mode="json"), "str": str(context)}

    ctx = planted()
    produced.append(str(main(b'{"order_id": "A1", "amount": 3}', ctx)))
    produced.append(invoke(main, {"order_id": "A2", "amount": 1}, planted()).decode())
    for bad in (b"", b"{", f'{{"order_id": "{SECRET}"}}'.encode()):
        with pytest.raises(fc.EventDecodeError) as info:
            main(bad, ctx)
        # The payload prefix is the caller's own event; the planted credentials
        # must not be there, nor in the field messages.
        produced.append("\n".join(str(info.value).splitlines()[1:]))
        produced.append(repr(info.value.errors))
    typed = fc.FCContext.from_runtime(ctx)
    produced += [repr(typed), str(typed), typed.model_dump_json(), repr(typed.credentials)]
    produced.append(repr(ctx))
    fc.log_event({"note": f"credentials {SECRET} and {TOKEN}", "password": "x"})
    produced.append(json.dumps(typed.model_dump(mode="json", by_alias=True)))


def test_context_in_312_shape(produced: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Environment credentials of the 3.12 runtime print masked too."""
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "STS.env")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN)
    ctx = fc.FCContext.from_runtime(fake_context(runtime="python3.12"))
    produced += [repr(ctx), ctx.model_dump_json(), str(ctx.model_dump())]


@pytest.mark.parametrize("via", ["wsgi", "fc3", "apigw"])
def test_http_error_bodies(produced: list[str], via: str) -> None:
    """500s, 422s and 404s in every HTTP place show no secret."""
    app = fc.HTTPApp()

    @app.post("/orders")
    def create(request: fc.Request, body: Order) -> dict[str, str]:
        return {"ok": body.order_id}

    @app.get("/boom")
    def boom(request: fc.Request) -> dict[str, str]:
        credentials = request.context.credentials
        assert credentials is not None
        raise RuntimeError(f"failed with {credentials.access_key_secret}")

    @app.get("/raw")
    def raw(request: fc.Request) -> dict[str, str]:
        credentials = request.context.credentials
        assert credentials is not None
        fc.logger.error("about to fail with %s", credentials.access_key_secret.get_secret_value())
        raise RuntimeError(f"failed with {credentials.access_key_secret.get_secret_value()}")

    @app.get("/leaky")
    def leaky(request: fc.Request) -> dict[str, str]:
        raise fc.BadRequest(f"context was {request.context!r}")

    client = HTTPClient(app, via=via, context=planted())  # type: ignore[arg-type]
    for response in (
        client.post("/orders", json={"order_id": 5}),
        client.post("/orders", body=b"{not json", headers={"Content-Type": "application/json"}),
        client.get("/boom"),
        client.get("/raw"),
        client.get("/leaky"),
        client.get("/nowhere"),
    ):
        assert response.status_code >= 400
        produced += [response.text, repr(dict(response.headers.items()))]


def test_oss_errors(produced: list[str]) -> None:
    """Credential and configuration errors of oss_bucket name no secret."""
    ctx = fc.FCContext.from_runtime(planted())
    for call in (
        lambda: ctx.oss_bucket("Bad_Bucket"),
        lambda: ctx.oss_bucket("good-bucket", endpoint="not a url"),
        lambda: ctx.oss_bucket("good-bucket", no_such_option=1),
    ):
        with pytest.raises(fc.FCSDKError) as info:
            call()
        produced.append(str(info.value))
    no_role = fc.FCContext.from_runtime(fake_context(credentials=False))
    with pytest.raises(fc.CredentialsError) as info:
        no_role.oss_bucket("good-bucket")
    produced.append(str(info.value))
    bucket = ctx.oss_bucket("good-bucket", endpoint="http://127.0.0.1:9")
    produced.append(repr(bucket.__dict__.get("auth")))


def test_cli_output(produced: list[str], tmp_path: Path) -> None:
    """fcsdk invoke's output (result, logs, error JSON) carries no secret from the env."""
    (tmp_path / "index.py").write_text(
        "import fcsdk as fc\n"
        "@fc.handler\n"
        "def main(event: dict, context: fc.FCContext) -> dict:\n"
        "    fc.logger.warning('ctx %r', context)\n"
        "    raise ValueError(repr(context.credentials))\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "STS.cli",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SECRET,
        "ALIBABA_CLOUD_SECURITY_TOKEN": TOKEN,
    }
    result = subprocess.run(
        [
            *(sys.executable, "-m", "fcsdk", "invoke", "index.main"),
            *("--code-dir", str(tmp_path), "--runtime", "python3.12", "--event", "{}"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert "ValueError" in result.stdout
    produced += [result.stdout, result.stderr]


class TestRegistry:
    def test_never_forgets_and_ignores_short_values(self) -> None:
        """The registry keeps every value (no eviction), and never masks empty or tiny strings."""
        registry = _secrets.Registry()
        registry.add(None, "", "abc")
        assert registry.values() == ()
        assert registry.mask("abc") == "abc"
        for i in range(1000):
            registry.add(f"secret+{i:03d}/=", f"CAIS{i:04d}tokenBody+with/slash{i:04d}==")
        values = registry.values()
        assert len(values) == 2000
        assert registry.mask("x secret+000/= y") == "x *** y"
        assert registry.mask("x secret%2B000%2F%3D y") == "x *** y"
        assert registry.mask("t=CAIS0000tokenBody%2Bwith%2Fslash0000%3D%3D&") == "t=***&"
        assert registry.mask("x secret+999/= y CAIS0999tokenBody+with/slash0999==") == "x *** y ***"
        registry.add(values[-1])  # already known: nothing changes
        assert registry.values() == values

    def test_adjacent_and_overlapping_forms(self) -> None:
        """Two secrets side by side are two masks; overlapping forms are masked as one."""
        registry = _secrets.Registry()
        registry.add("first+secret/1", "second+secret/2")
        assert registry.mask("first+secret/1second+secret/2") == "******"
        assert registry.mask("[first+secret/1]") == "[***]"
        encoded = base64.b64encode(b"first+secret/1").decode()
        assert registry.mask(encoded + "!") == "***!"  # its core and its whole form overlap

    def test_membership_and_a_duplicate_among_new_values(self) -> None:
        """``in`` tells registered values; a value repeated in one call does not stop the next."""
        registry = _secrets.Registry()
        registry.add("first+secret/1=", "first+secret/1=", "second+secret/2=")
        assert "first+secret/1=" in registry
        assert "second+secret/2=" in registry
        assert "third+secret/3=" not in registry
        assert registry.values() == ("first+secret/1=", "second+secret/2=")
        assert registry.mask("a second+secret/2= b") == "a *** b"

    def test_every_occurrence_is_masked(self) -> None:
        """Three occurrences, at the start, in the middle and at the very end, are three masks."""
        registry = _secrets.Registry()
        registry.add(SECRET)
        assert registry.mask(f"{SECRET} and {SECRET}, {SECRET}") == "*** and ***, ***"
        assert registry.mask(f"{SECRET}{SECRET}") == "******"
        assert _secrets.Registry().mask(SECRET) == SECRET  # nothing registered, nothing masked

    @pytest.mark.parametrize("value", ["a+a+", "-+-+", "x=x=x="])
    def test_overlapping_occurrences_leave_no_piece(self, value: str) -> None:
        """Where occurrences of a value overlap (its period is 2), all of them are masked."""
        registry = _secrets.Registry()
        registry.add(value)
        twice = value + value[:2]  # the value, and it again two characters on
        assert registry.mask(twice) == "***"
        assert registry.mask(f"<{twice}>") == "<***>"

    def test_a_near_miss_is_left_alone(self) -> None:
        """A text that differs from the secret in one character of its plain run is not masked."""
        registry = _secrets.Registry()
        registry.add(SECRET)
        for index in (0, 3, 4, 6):
            near = SECRET[:index] + "x" + SECRET[index + 1 :]
            assert registry.mask(near) == near
            assert registry.mask(f"k={near}") == f"k={near}"
        assert registry.mask(SECRET[1:]) == SECRET[1:]

    def test_a_space_travels_as_a_plus_in_a_form(self) -> None:
        """A passphrase with spaces is masked form-encoded (space as '+'); '+' alone is no space."""
        value = "open sesame+/=42"
        registry = _secrets.Registry()
        registry.add(value)
        form = quote_plus(value)
        assert form == "open+sesame%2B%2F%3D42"
        assert registry.mask(f"pw={form}&next=1") == "pw=***&next=1"
        assert registry.mask(f"pw={quote(value)}&x") == "pw=***&x"
        # a '+' stands for a space only: in place of another character it is no match
        for index in (0, 2, 7):
            near = form[:index] + "+" + form[index + 1 :]
            assert registry.mask(f"pw={near}") == f"pw={near}", near

    def test_lone_surrogates(self) -> None:
        """A value or a text holding a lone surrogate (bad UTF-16 decoded leniently) is masked."""
        value = "lone\ud800+/=Secret"
        registry = _secrets.Registry()
        registry.add(value)
        raw = value.encode("utf-8", "surrogatepass")
        for form in (
            value,
            json.dumps(value)[1:-1],
            quote(raw, safe=""),
            base64.b64encode(raw).decode(),
        ):
            assert registry.mask(f"a \udfff {form} b") == "a \udfff *** b", form

    def test_values_without_a_plain_character(self) -> None:
        """A value made only of characters encodings change is still masked in every form."""
        registry = _secrets.Registry()
        registry.add("\u00e9+/=\u00e9+/=", "密码密码")
        for value in ("\u00e9+/=\u00e9+/=", "密码密码"):
            for form in encodings(value):
                assert registry.mask(f"<{form}>") == "<***>", form

    def test_the_module_functions_use_one_registry(self) -> None:
        """remember/known/mask/active are the process's registry."""
        _secrets.remember("module+level/secret=")
        assert _secrets.active()
        assert "module+level/secret=" in _secrets.known()
        assert _secrets.mask("a module%2Blevel%2Fsecret%3D b") == "a *** b"
        assert _secrets.mask("a module+level/secret= b", "[hidden]") == "a [hidden] b"


class TestEncodedForms:
    @pytest.mark.parametrize("form", FORMS)
    def test_every_form_is_wholly_masked(self, form: str) -> None:
        """Each form a log line carries (built independently) is masked whole, its context kept."""
        _secrets.remember(SECRET, TOKEN)
        assert _secrets.mask(f"<{form}>") == "<***>"
        assert _secrets.mask(f"k={form}&next=1") == "k=***&next=1"

    def test_forms_cover_url_json_and_base64(self) -> None:
        """A +/= secret is masked percent-encoded (%2B, %2b, + kept), JSON-escaped and base64."""
        _secrets.remember(SECRET)
        for text in (
            quote(SECRET, safe=""),
            lower_hex(quote(SECRET, safe="")),
            quote(SECRET, safe="+/"),
            quote_plus(SECRET),
            json.dumps(SECRET)[1:-1].replace("/", "\\/"),
            base64.b64encode(SECRET.encode()).decode(),
            base64.urlsafe_b64encode(SECRET.encode()).decode().rstrip("="),
        ):
            assert _secrets.mask(f"<{text}>") == "<***>", text

    def test_any_character_as_a_json_unicode_escape(self) -> None:
        """``\\uXXXX`` for any character, either case of hex: Gson writes ``=`` (the padding
        of every STS token) as ``\\u003d``, and ``&'<>`` so too, as Go does ``&<>``."""
        _secrets.remember(TOKEN, "pass&word<7>'x")
        gson = TOKEN.replace("=", "\\u003d")
        assert _secrets.mask(f'{{"token":"{gson}"}}') == '{"token":"***"}'
        other = TOKEN.replace("=", "\\u003D").replace("+", "\\u002b").replace("/", "\\u002F")
        assert _secrets.mask(f'{{"token":"{other}"}}') == '{"token":"***"}'
        html_safe = "pass\\u0026word\\u003c7\\u003e\\u0027x"
        assert _secrets.mask(f'{{"password":"{html_safe}"}}') == '{"password":"***"}'

    @pytest.mark.parametrize("value", ['Ab3+/=" \\\u00e9\U0001f600', "pw\uffff\U00010000+/="])
    def test_json_escapes_of_quotes_controls_and_astral_characters(self, value: str) -> None:
        """``\\"``, ``\\\\``, ``\\u00e9``, and astral characters as a surrogate pair
        (``\\ud83d\\ude00``): the BMP's last character and the first astral one too."""
        registry = _secrets.Registry()
        registry.add(value)
        for escaped in (json.dumps(value), json.dumps(value, ensure_ascii=False)):
            for form in (escaped[1:-1], escaped[1:-1].replace("/", "\\/")):
                assert registry.mask(f'{{"v":"{form}"}}') == '{"v":"***"}', form

    def test_json_escaped_slash_in_the_base64(self) -> None:
        """A ``/`` of the base64, written ``\\/`` by a JSON writer, is masked with the rest."""
        value = "TmV3+Pass/w0rd?x="  # its base64 holds a "/" (from the "?")
        registry = _secrets.Registry()
        registry.add(value)
        encoded = base64.b64encode(value.encode()).decode()
        assert "/" in encoded.rstrip("=")[1:-1]
        for form in (encoded, encoded.rstrip("=")):
            escaped = form.replace("/", "\\/")
            assert registry.mask(f'{{"b":"{escaped}","n":1}}') == '{"b":"***","n":1}'

    @pytest.mark.parametrize("value", ["k+/=7Qz", SECRET])
    @pytest.mark.parametrize("before", ["", "u", "us", "use", "user", "user:"])
    @pytest.mark.parametrize("after", ["", "@example.com"])
    def test_base64_inside_a_larger_text_exactly(self, value: str, before: str, after: str) -> None:
        """In the base64 of a larger text (``before`` + value + ``after``, at each of the three
        byte alignments), exactly the characters made of the value's bits alone are masked;
        when the value ends the text, the rest of it too (padded or not)."""
        registry = _secrets.Registry()
        registry.add(value)
        data = (before + value + after).encode()
        start = (8 * len(before) + 5) // 6  # the first character without a bit of ``before``
        stop = 8 * (len(before) + len(value)) // 6  # the first with a bit of ``after``
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(data).decode()
            if after:
                assert registry.mask(text) == text[:start] + "***" + text[stop:]
            else:
                assert registry.mask(text) == text[:start] + "***"
                assert registry.mask(text.rstrip("=")) == text[:start] + "***"

    def test_a_short_values_base64_is_matched_whole(self) -> None:
        """A value too short for a core of its own (4 characters) is masked in its base64 only
        whole: the base64 of a value sharing all its bits but the last two is left alone."""
        registry = _secrets.Registry()
        registry.add("Ab+/")
        assert registry.mask(base64.b64encode(b"Ab+/").decode()) == "***"
        other = base64.b64encode(b"Ab+,").decode()  # "/" is 0x2F, "," 0x2C
        assert other[:5] == base64.b64encode(b"Ab+/").decode()[:5]
        assert registry.mask(other) == other
        assert registry.mask(f"x {other} y") == f"x {other} y"

    def test_a_presigned_url_inside_another_urls_parameter(self) -> None:
        """The token percent-encoded twice (a presigned URL as a redirect target) is masked."""
        _secrets.remember(TOKEN)
        inner = f"http://b.oss/k.txt?security-token={quote(TOKEN, safe='')}&Expires=1"
        for outer in (quote(inner, safe=""), quote_plus(inner), lower_hex(quote(inner, safe=""))):
            masked = _secrets.mask(f"GET /login?next={outer} 302")
            assert "***" in masked
            assert not leaks([masked], encodings(TOKEN)), masked

    @pytest.mark.parametrize("key_id", ["STS.id", "STS.NTk", "LTAI5t"])
    def test_basic_authorization_of_id_and_secret(self, key_id: str) -> None:
        """``Authorization: Basic base64(id:secret)`` shows the id's part, never the secret's."""
        _secrets.remember(SECRET)
        header = base64.b64encode(f"{key_id}:{SECRET}".encode()).decode()
        masked = _secrets.mask(f"Authorization: Basic {header}")
        assert masked.endswith("***"), masked
        shown = masked.removeprefix("Authorization: Basic ").removesuffix("***")
        # What is left encodes the id and at most 4 bits of the secret, at the seam.
        assert len(shown) <= (len(key_id) + 1) * 4 // 3 + 1, masked

    @pytest.mark.parametrize("padding", ["", "x", "xy"])
    def test_base64_of_a_json_document_holding_the_token(self, padding: str) -> None:
        """The base64 of a JSON document carrying the token (any byte offset) hides it."""
        _secrets.remember(TOKEN)
        document = json.dumps({"user": padding, "token": TOKEN, "n": 1}).encode()
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(document).decode()
            masked = _secrets.mask(f"session={text}")
            assert "***" in masked
            decoded_before = base64.urlsafe_b64decode(
                text.replace("+", "-").replace("/", "_")
            ).decode()
            assert TOKEN in decoded_before
            assert not leaks([masked], encodings(TOKEN)), masked

    @pytest.mark.parametrize("version", ["v1", "v4"])
    def test_presigned_urls_in_logs(
        self, produced: list[str], version: Literal["v1", "v4"]
    ) -> None:
        """A presigned URL (token percent-encoded in it) is masked in text and JSON logs."""
        ctx = fc.FCContext.from_runtime(planted())
        bucket = ctx.oss_bucket("good-bucket", endpoint="http://127.0.0.1:9", auth_version=version)
        url = bucket.sign_url("GET", "k.txt", 60)
        assert TOKEN not in url  # it is there, encoded
        fc.logger.warning("presigned %s", url)
        logging.getLogger("plain").warning("presigned %s", url)
        fc.logger.warning("as json %s", json.dumps({"url": url, "token": TOKEN}))

    def test_signature_mismatch_document(self, produced: list[str]) -> None:
        """LocalOSSServer's SignatureDoesNotMatch XML and oss2's exception carry no token form."""
        import oss2
        import requests

        from fcsdk.testing.oss import LocalOSSServer

        with LocalOSSServer(
            access_key_id="STS.k", access_key_secret="right+secret/=", security_token=TOKEN
        ) as server:
            server.create_bucket("good-bucket")
            auth = oss2.StsAuth("STS.k", "wrong+secret/=", TOKEN, auth_version="v4")
            bucket = oss2.Bucket(auth, server.endpoint, "good-bucket", region="cn-hangzhou")
            with pytest.raises(oss2.exceptions.ServerError) as caught:
                bucket.put_object("k", b"x")
            assert caught.value.code == "SignatureDoesNotMatch"
            produced.append(str(caught.value))
            url = bucket.sign_url("GET", "k", 60)
            answer = requests.get(url, timeout=10)
            assert b"SignatureDoesNotMatch" in answer.content
            assert b"<CanonicalRequest>" in answer.content
            produced.append(answer.text)

    def test_plain_handler_under_invoke(self, produced: list[str], tmp_path: Path) -> None:
        """An undecorated handler's logs, traceback and error JSON mask the injected credentials."""
        from fcsdk._platform.context import FAKE_ACCESS_KEY_SECRET, FAKE_SECURITY_TOKEN

        (tmp_path / "index.py").write_text(
            "import logging\n"
            "def main(event, context):\n"
            "    c = context.credentials\n"
            "    log = logging.getLogger()\n"
            "    log.warning('creds %s %s', c.access_key_secret, c.security_token)\n"
            "    raise ValueError(c.access_key_secret + ' ' + c.security_token)\n"
        )
        result = subprocess.run(
            [
                *(sys.executable, "-m", "fcsdk", "invoke", "index.main"),
                *("--code-dir", str(tmp_path), "--event", "{}", "--runtime", "python3.10"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
        assert result.returncode == 1
        assert "ValueError" in result.stdout
        fake = encodings(FAKE_ACCESS_KEY_SECRET) | encodings(FAKE_SECURITY_TOKEN)
        out = result.stdout + result.stderr
        assert "***" in out
        assert not leaks([out], fake), out[-2000:]

    def test_error_json_of_serve_and_invoke(self) -> None:
        """The error JSON the local runtime answers masks a secret the exception message quotes."""
        from fcsdk._local.instance import invocation_error

        _secrets.remember(SECRET)
        try:
            raise RuntimeError(f"failed with {SECRET} and {json.dumps(SECRET)}")
        except RuntimeError as exc:
            payload = invocation_error(exc)
        text = json.dumps(payload)
        assert "***" in payload["errorMessage"]
        assert not leaks([text])

    def test_live_secret_not_forgotten_after_many_others(self) -> None:
        """A context's secret is still masked after 100 other credential sets came and went."""
        first = fc.FCContext.from_runtime(planted())
        for i in range(100):
            fc.FCContext.from_runtime(
                fake_context(access_key_secret=f"other+{i}/secret=", security_token=f"tok+{i}/x==")
            )
        assert first.credentials is not None
        assert _secrets.mask(f"s={SECRET} t={TOKEN}") == "s=*** t=***"


def _decodings(form: str) -> set[str]:
    """What ``form`` reads as: percent-decoded (``+`` kept or a space), JSON, base64."""
    found = {form}
    found |= {unquote(form, errors="surrogatepass"), unquote_plus(form, errors="surrogatepass")}
    with contextlib.suppress(ValueError):
        found.add(json.loads(f'"{form}"'))
    padded = form + "=" * (-len(form) % 4)
    for alphabet in (b"+/", b"-_"):
        with contextlib.suppress(ValueError):
            data = base64.b64decode(padded.encode("ascii"), altchars=alphabet, validate=True)
            found.add(data.decode("utf-8", "surrogatepass"))
    return found


class TestForms:
    """``forms()`` lists what the local OSS server removes from its SignatureDoesNotMatch
    document (and what tests search for): each common single encoding of a value."""

    @pytest.mark.parametrize(
        "value", [SECRET, TOKEN, 'Ab3+/=" \\\u00e9\U0001f600', "key+with/e=W", "Ab+/"]
    )
    def test_each_common_form_and_nothing_else(self, value: str) -> None:
        """Percent-encoded with each of ``+/=`` kept or not, ``%xx`` in either case,
        ``quote_plus``, JSON-escaped (ASCII or not, ``\\/`` or ``/``), base64 (either
        alphabet, padded or not); and every form listed reads back as the value."""
        listed = _secrets.forms(value)
        raw = value.encode()
        expected = {value, quote_plus(raw, safe=""), quote_plus(raw, safe="/")}
        for safe in ("", "/", "+", "=", "+/", "/=", "+=", "+/="):
            expected |= {quote(raw, safe=safe), lower_hex(quote(raw, safe=safe))}
        for escaped in (json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
            expected |= {escaped, escaped.replace("/", "\\/")}
        for encoded in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
            expected |= {encoded, encoded.rstrip("=")}
        assert expected <= listed, expected - listed
        for form in listed:
            assert value in _decodings(form), form

    def test_the_shortest_forms_and_lone_surrogates(self) -> None:
        """A 4-character value is a form of itself; a lone surrogate does not stop the listing."""
        assert "Ab+/" in _secrets.forms("Ab+/")
        value = "lone\ud800+/=Secret"
        listed = _secrets.forms(value)
        assert {value, "lone%ED%A0%80%2B%2F%3DSecret", "lone\\ud800+/=Secret"} <= listed


class TestValidationErrors:
    def test_context_model_errors_carry_no_secret(self) -> None:
        """``e.errors()``/``e.json()`` of context models built from raw credentials hide inputs."""
        from pydantic import ValidationError

        raw = {
            "request_id": 5,
            "credentials": {
                "access_key_id": [1],
                "access_key_secret": [SECRET],
                "security_token": {"t": TOKEN},
            },
        }
        for build in (
            lambda: fc.FCContext.model_validate(raw),
            lambda: fc.Credentials.model_validate(raw["credentials"]),
            lambda: fc.FCContext.model_validate({"request_id": "r", "credentials": SECRET}),
        ):
            with pytest.raises(ValidationError) as caught:
                build()
            texts = [caught.value.json(), repr(caught.value.errors()), str(caught.value)]
            assert not leaks(texts)
            assert caught.value.errors()[0]["loc"]

    def test_event_decode_error_names_paths_not_values(self) -> None:
        """EventDecodeError names field paths, error types and the size; the payload stays on it."""
        password = "hunter2+pass/word=="

        @fc.handler
        def main(event: Order, context: fc.FCContext) -> str:
            return event.order_id

        payload = json.dumps({"order_id": password, "amount": "lots", "pw": password}).encode()
        with pytest.raises(fc.EventDecodeError) as caught:
            invoke(main, payload)
        message = str(caught.value)
        assert "event.amount" in message
        assert f"{len(payload)} bytes" in message
        assert password not in message
        assert "lots" not in message
        assert caught.value.raw == payload
        with pytest.raises(fc.EventDecodeError) as bad_utf8:
            invoke(main, b"\xff" + password.encode())
        assert password not in str(bad_utf8.value)
        assert bad_utf8.value.raw == b"\xff" + password.encode()


def test_pickle_carries_the_secrets() -> None:
    """As docs/security.md says: ``pickle.dumps(context)`` carries the secrets in clear."""
    import pickle

    ctx = fc.FCContext.from_runtime(planted())
    data = pickle.dumps(ctx)
    assert SECRET.encode() in data
    assert TOKEN.encode() in data
    again = pickle.loads(data)
    assert again.credentials.access_key_secret.get_secret_value() == SECRET


@pytest.mark.slow
def test_serve_error_json_masks_injected_credentials(tmp_path: Path) -> None:
    """``fcsdk serve``'s /invoke error body and its log mask the credentials it injects."""
    import httpx

    from fcsdk._platform.context import FAKE_ACCESS_KEY_SECRET, FAKE_SECURITY_TOKEN
    from tests.local.serving import served

    (tmp_path / "index.py").write_text(
        "def main(event, context):\n"
        "    c = context.credentials\n"
        "    raise ValueError(c.access_key_secret + ' ' + c.security_token)\n"
    )
    fake = encodings(FAKE_ACCESS_KEY_SECRET) | encodings(FAKE_SECURITY_TOKEN)
    with served(
        "index.main",
        "--code-dir",
        str(tmp_path),
        "--no-oss",
        "--mode",
        "event",
        "--runtime",
        "python3.10",
    ) as srv:
        answer = httpx.post(f"{srv.url}/invoke", content=b"{}", timeout=30)
        assert "ValueError" in answer.text
        assert "***" in answer.json()["errorMessage"]
        texts = [answer.text, srv.log()]
    assert not leaks(texts, fake)


def test_fresh_serve_credentials_look_real() -> None:
    """The credentials ``fcsdk serve`` makes for each run contain ``+``, ``/`` and ``=``."""
    from fcsdk._local.embedded_oss import new_credentials

    for _ in range(20):
        creds = new_credentials()
        for name in ("access_key_secret", "security_token"):
            assert all(ch in creds[name] for ch in "+/="), creds[name]


class TestLocalRuntimeOutput:
    def test_own_lines_and_direct_writes_are_masked(self) -> None:
        """RuntimeLogs masks its ``fcsdk:`` lines (the access log) and what is written to it."""
        from fcsdk._local.logs import RuntimeLogs

        _secrets.remember(SECRET, TOKEN)
        out = io.StringIO()
        logs = RuntimeLogs(out)
        logs.message(f'127.0.0.1 "GET /?security-token={quote(TOKEN, safe="")}" 200 1.0 ms')
        logs.message(f"warning: lifespan startup failed: RuntimeError: {SECRET}")
        logs.stream.write(f"Traceback ...\nValueError: {json.dumps(TOKEN)}\n")
        text = out.getvalue()
        assert text.count("***") == 3, text
        assert not leaks([text])

    def test_install_masks_prints_until_uninstalled(self) -> None:
        """While installed, a handler's print() and sys.stderr writes are masked."""
        from fcsdk._local.logs import RuntimeLogs

        _secrets.remember(SECRET)
        before_out, before_err = sys.stdout, sys.stderr
        out, err = io.StringIO(), io.StringIO()
        sys.stdout, sys.stderr = out, err
        try:
            logs = RuntimeLogs(io.StringIO())
            logs.install()
            try:
                print("print", SECRET)
                sys.stderr.write(f"stderr {SECRET}\n")
                assert sys.stdout.isatty() is False  # the rest is the wrapped stream's
            finally:
                logs.uninstall()
            assert sys.stdout is out
            assert sys.stderr is err
            print("after", SECRET)  # not ours any more: written as is
        finally:
            sys.stdout, sys.stderr = before_out, before_err
        assert out.getvalue() == f"print ***\nafter {SECRET}\n"
        assert err.getvalue() == "stderr ***\n"


HANDLER_THAT_PRINTS = """
import sys


def handler(environ, start_response):
    token = environ["fc.context"].credentials.security_token
    print("print", token)
    sys.stderr.write("stderr " + token + "\\n")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""

APP_FAILING_WITH_THE_SECRET = """
import os
from contextlib import asynccontextmanager

import fcsdk as fc
from starlette.applications import Starlette


@asynccontextmanager
async def broken(app):
    raise RuntimeError("cannot connect with " + os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
    yield


handler = fc.from_asgi(Starlette(lifespan=broken))
"""


@pytest.mark.slow
def test_serve_masks_its_own_output(tmp_path: Path) -> None:
    """fcsdk serve's access log, a handler's print()/stderr (python3.10) and the lifespan
    warning carry no form of the credentials it injects."""
    import httpx

    from fcsdk._platform.context import FAKE_ACCESS_KEY_SECRET, FAKE_SECURITY_TOKEN
    from tests.local.serving import served

    (tmp_path / "printing.py").write_text(HANDLER_THAT_PRINTS)
    (tmp_path / "failing.py").write_text(APP_FAILING_WITH_THE_SECRET)
    fake = encodings(FAKE_ACCESS_KEY_SECRET) | encodings(FAKE_SECURITY_TOKEN)
    common = ("--code-dir", str(tmp_path), "--no-oss", "--function-name", "fn")
    with served("printing.handler", *common, "--runtime", "python3.10") as srv:
        query = f"security-token={quote(FAKE_SECURITY_TOKEN, safe='')}"
        answer = httpx.get(f"{srv.url}/2016-08-15/proxy/my-service/fn/?{query}", timeout=30)
        assert answer.text == "ok"
        srv.wait_log(r"print \*\*\*")
        srv.wait_log(r"stderr \*\*\*")
        srv.wait_log(r"security-token=\*\*\*")
        first = srv.log()
    with served("failing.handler", *common, "--runtime", "python3.12") as srv:
        srv.wait_log(r"lifespan startup failed: RuntimeError: cannot connect with \*\*\*")
        second = srv.log()
    assert not leaks([first, second], fake), first + second
