"""An ``fc.HTTPApp`` as the web function's app."""

from __future__ import annotations

import fcsdk as fc

app = fc.HTTPApp()


@app.get("/orders/{order_id:int}")
def show(order_id: int, request: fc.Request) -> dict[str, object]:
    return {"id": order_id, "request_id": request.context.request_id}
