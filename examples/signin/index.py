"""The FC documentation's Flask sign-in example, deployed with ``fc.from_wsgi``.

Handler: ``index.handler``. The same module runs on FC 2.0 (WSGI), on FC 3.0
(HTTP trigger event) and behind API Gateway. The sign-in form posts to
``url_for("signin")``: through FC 2.0's API endpoint that is
``/2016-08-15/proxy/<service>/<function>/signin`` (``fc.from_wsgi`` moves the
prefix into ``SCRIPT_NAME``), through a custom domain just ``/signin``.
"""

from __future__ import annotations

from flask import Flask, make_response, request, url_for
from flask.wrappers import Response

import fcsdk as fc

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
def home() -> Response:
    return make_response("<h1>Home</h1>", 200)


@app.route("/signin", methods=["GET"])
def signin_form() -> Response:
    html = f"""<form action="{url_for("signin")}" method="post">
<p><input name="username"></p>
<p><input name="password" type="password"></p>
<p><button type="submit">Sign In</button></p>
</form>"""
    return make_response(html, 200)


@app.route("/signin", methods=["POST"])
def signin() -> Response:
    if request.form["username"] == "admin" and request.form["password"] == "password":
        html = "<h3>Hello, admin!</h3>"
    else:
        html = "<h3>Bad username or password.</h3>"
    return make_response(html, 200)


@app.route("/signin2", methods=["GET"])
def signin2() -> Response:
    if request.args.get("username") == "admin" and request.args.get("password") == "password":
        html = "<h3>Hello2, admin!</h3>"
    else:
        html = "<h3>Bad username or password.</h3>"
    return make_response(html, 200)


handler = fc.from_wsgi(app)
