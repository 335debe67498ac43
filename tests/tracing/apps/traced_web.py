"""A web function with tracing on: a FastAPI app and a typed event handler."""

import asyncio

from fastapi import FastAPI
from opentelemetry import trace

import fcsdk as fc
import fcsdk.tracing

fcsdk.tracing.configure(flush_timeout=5.0)  # the endpoint comes from OTEL_* variables

tracer = trace.get_tracer(__name__)
app = FastAPI()


@app.get("/orders/{n}")
async def order(n: int) -> dict[str, int]:
    with tracer.start_as_current_span("load order"):
        await asyncio.sleep(0.01)
    return {"n": n}


@app.get("/boom")
async def boom() -> dict[str, int]:
    raise RuntimeError("boom")


@fc.handler
def handler(event: dict[str, int], context: fc.FCContext) -> int:
    with tracer.start_as_current_span("nightly"):
        return event["n"] * 2
