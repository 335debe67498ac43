"""The quickstart handler: a typed order in, a typed receipt out.

Deploy with handler string ``index.main``; run locally with ``make run``, or::

    python -m fcsdk invoke index.main --code-dir examples/orders \
        --event-file examples/orders/event.json
"""

from pydantic import BaseModel

import fcsdk as fc


class Order(BaseModel):
    order_id: str
    amount: int


class Receipt(BaseModel):
    order_id: str
    accepted: bool


@fc.handler(event_model=Order)
def main(event: Order, context: fc.FCContext) -> Receipt:
    context.logger.info("order %s", event.order_id)
    return Receipt(order_id=event.order_id, accepted=event.amount > 0)
