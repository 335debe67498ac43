"""An async handler that logs its events (secrets redacted), on a FastAPI app's loop."""

from __future__ import annotations

from fastapi import FastAPI

import fcsdk as fc

app = FastAPI()


@fc.handler(log_event=True)
async def handler(event: dict[str, str], context: fc.FCContext) -> str:
    return event["name"]
