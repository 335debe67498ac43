"""An event handler that ends its own process when asked to (os._exit), for the serve tests."""

from __future__ import annotations

import os
from typing import Any


def handler(event: bytes, context: Any) -> bytes:
    """Echo the event; the event ``exit`` ends the process at once, as a crash would."""
    if event == b"exit":
        os._exit(3)
    if event == b"exit0":
        os._exit(0)
    return event
