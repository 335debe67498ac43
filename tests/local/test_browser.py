"""A real browser against ``fcsdk serve``: headless Chromium signs in on the sign-in example.

Needs Debian's ``chromium`` (``scripts/ensure-chromium.sh`` installs it).
Under ``CI=true`` a missing browser fails the test; elsewhere it skips, loudly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local.cdp import CHROMIUM, Browser, dump_dom
from tests.local.serving import APPS, ROOT, Served, served

pytestmark = pytest.mark.slow  # each test drives a real fcsdk serve process

EXAMPLE = ROOT / "examples" / "signin"


def _need_browser() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = (
        f"NO BROWSER: {CHROMIUM} is missing, the browser test cannot run; "
        "install it with scripts/ensure-chromium.sh"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _apps() -> list[tuple[str, Path, str]]:
    apps = [("fc_page_signin.handler", APPS, "wsgi")]
    if (EXAMPLE / "index.py").exists():
        apps += [("index.handler", EXAMPLE, "wsgi"), ("index.handler", EXAMPLE, "event")]
    return apps


@pytest.fixture(scope="module", params=_apps(), ids=lambda app: f"{app[1].name}-{app[2]}")
def signin(request: pytest.FixtureRequest) -> Iterator[Served]:
    """The sign-in app served by fcsdk serve: as FC 2.0 ran it, and the example both ways."""
    handler, code_dir, mode = request.param
    with served(handler, "--code-dir", str(code_dir), "--no-oss", "--mode", mode) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module."""
    _need_browser()
    chromium = Browser()
    try:
        yield chromium
    finally:
        chromium.close()


def _sign_in(browser: Browser, served_at: Served, username: str, password: str) -> str:
    browser.navigate(served_at.url + "/2016-08-15/proxy/service_name/func_name/signin")
    assert browser.evaluate("document.forms.length") == 1
    browser.type_into("input[name=username]", username)
    browser.type_into("input[name=password]", password)
    browser.events.clear()
    browser.click("button[type=submit]")
    browser.wait_event("Page.loadEventFired")
    return str(browser.evaluate("document.body.innerText")).strip()


class TestBrowserSignIn:
    def test_form_renders(self, signin: Served) -> None:
        """Chromium's --dump-dom of the form page shows the sign-in form."""
        _need_browser()
        dom = dump_dom(signin.url + "/2016-08-15/proxy/service_name/func_name/signin")
        assert '<input name="username">' in dom
        # FC 2.0 keeps the prefix in the app's links; in event mode the prefix is
        # stripped before the app sees the path, so its links are plain paths.
        assert re.search(r'action="(/2016-08-15/proxy/service_name/func_name)?/signin"', dom)

    def test_right_password(self, browser: Browser, signin: Served) -> None:
        """Typing admin/password and submitting shows Hello, admin!"""
        assert _sign_in(browser, signin, "admin", "password") == "Hello, admin!"
        assert browser.evaluate("location.pathname").endswith("/signin")
        assert re.search(
            r'"POST (/2016-08-15/proxy/service_name/func_name)?/signin" 200', signin.log()
        )

    def test_wrong_password(self, browser: Browser, signin: Served) -> None:
        """A wrong password shows the error page."""
        assert _sign_in(browser, signin, "admin", "guess") == "Bad username or password."

    def test_query_string_sign_in(self, browser: Browser, signin: Served) -> None:
        """The sign-in example's query-string sign-in works from the address bar."""
        browser.navigate(signin.url + "/signin2?username=admin&password=password")
        assert str(browser.evaluate("document.body.innerText")).strip() == "Hello2, admin!"
