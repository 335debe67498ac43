"""The Flask sign-in example of FC's Python handler page, as FC 2.0 ran it.

WSGI, with the proxy-prefixed form action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, make_response, request
from flask.typing import ResponseReturnValue

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
def home() -> ResponseReturnValue:
    return make_response("<h1>Home</h1>", 200)


@app.route("/signin", methods=["GET"])
def signin_form() -> ResponseReturnValue:
    # service_name,function_name in action url need to be replaced
    html = """<form action="/2016-08-15/proxy/service_name/func_name/signin" method="post">
              <p><input name="username"></p>
              <p><input name="password" type="password"></p>
              <p><button type="submit">Sign In</button></p>
              </form>"""
    return make_response(html, 200)


@app.route("/signin", methods=["POST"])
def signin() -> ResponseReturnValue:
    if request.form["username"] == "admin" and request.form["password"] == "password":
        html = "<h3>Hello, admin!</h3>"
    else:
        html = "<h3>Bad username or password.</h3>"
    return make_response(html, 200)


@app.route("/signin2", methods=["GET"])
def signin2() -> ResponseReturnValue:
    if request.args.get("username") == "admin" and request.args.get("password") == "password":
        html = "<h3>Hello2, admin!</h3>"
    else:
        html = "<h3>Bad username or password.</h3>"
    return make_response(html, 200)


def handler(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    # do something here
    return app(environ, start_response)
