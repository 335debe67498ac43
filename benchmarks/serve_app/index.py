"""The hello ``@fc.http`` app both servers run in ``bench_serve``."""

import fcsdk as fc


@fc.http
def handler(request: fc.Request) -> str:
    return "hello"
