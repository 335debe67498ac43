"""A web function with only an event handler."""

from __future__ import annotations

import fcsdk as fc


@fc.handler
def handler(event: dict[str, int]) -> dict[str, int]:
    return {"n": len(event)}
