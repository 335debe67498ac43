"""A Flask app whose ``@fc.initializer`` fails."""

from __future__ import annotations

from flask import Flask

import fcsdk as fc

app = Flask(__name__)


@app.get("/ping")
def ping() -> str:
    return "pong"


@fc.initializer
def init(context: fc.FCContext) -> None:
    raise KeyError("config missing")
