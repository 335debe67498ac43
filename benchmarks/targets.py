"""Every benchmark target, stated once: the figure, its limit, and the issue that set it.

A figure is a ratio fcsdk / something, named by the module that measures it:
``"<case key> / <baseline name>"`` for a per-call case (see
``benchmarks/_runner.py``), or a name a module's ``extra_report()`` returns.
``python -m benchmarks`` prints this table with each figure and PASS/MISS and
exits 1 on a miss, or when a target's figure was not reported at all.

To add a target: make your benchmark report the figure (a ``Case`` with a
``key``, or an entry in ``Extra.figures``), then add one ``Target`` row below
with the issue and point it comes from. Keep the rows grouped by module.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TARGETS", "Target"]


@dataclass(frozen=True)
class Target:
    """A figure must be at most ``limit`` (a ratio: 0.85 means 15% faster than it)."""

    figure: str
    limit: float
    issue: str


TARGETS: tuple[Target, ...] = (
    # bench_core: @fc.handler decoding, and a whole cold start
    Target("core.decode / floor (validate_json+dump)", 1.2, "2.9"),
    Target("core.decode / powertools @event_parser", 0.85, "2.9"),
    Target("coldstart / floor (hand-written pydantic)", 1.1, "2.9"),
    Target("coldstart / powertools", 1.0, "2.9"),
    # bench_events: the trigger models
    Target("events.oss / floor OSSEvent.model_validate_json", 1.3, "5.4"),
    # bench_http: the three HTTP places on issue 11's workload (JSON body, a header, a query
    # value, a cookie -> 201), read against the stdlib-JSON floor as issue 11 set them; the
    # pydantic-core floor (issue 16) is reported beside them for every case
    Target("http.fc_http_wsgi / raw WSGI, stdlib json (floor)", 1.6, "11"),
    Target("http.fc_http_wsgi / werkzeug", 0.5, "11"),
    Target("http.fc_http_wsgi / flask", 0.2, "11"),
    Target("http.app_wsgi / raw WSGI, stdlib json (floor)", 1.8, "11"),
    Target("http.app_wsgi / werkzeug", 0.5, "11"),
    Target("http.app_wsgi / flask", 0.2, "11"),
    Target("http.fc_http_event / raw WSGI, stdlib json (floor)", 1.5, "11"),
    # bench_serve: `fcsdk serve` against werkzeug's threaded server, 16 clients, no keep-alive
    # (the throughput figure is time per request: werkzeug's rps / fcsdk's rps)
    Target("serve / werkzeug threaded", 1.0, "13.3"),
    Target("serve p99 / werkzeug threaded", 1.0, "13.3"),
    # bench_async: async def under @fc.handler, and the loop design
    Target("async.handler / the same handler, sync", 1.5, "12"),
    Target("async.loop / background loop thread", 0.5, "12"),
    # bench_asgi: fc.from_asgi with FastAPI, FC 3.0 event and FC 2.0 WSGI
    Target("asgi.fc3 / direct ASGI call (floor)", 1.3, "12"),
    Target("asgi.fc3 / Mangum (AWS event)", 0.9, "12"),
    Target("asgi.fc3 / a2wsgi bridge", 0.33, "12"),
    Target("asgi.fc2 / direct ASGI call (floor)", 1.3, "12"),
    Target("asgi.fc2 / Mangum (AWS event)", 0.9, "12"),
    Target("asgi.fc2 / a2wsgi bridge", 0.33, "12"),
    # bench_secrets: the secret registry's costs stay flat as credential sets pile up
    Target("secrets.new set at 1000 sets / at 1 set", 2.0, "23.2"),
    Target("secrets.log line at 1000 sets / at 1 set", 2.0, "23.2"),
    Target("secrets.line with a token at 1000 sets / at 1 set", 2.0, "23.2"),
    # bench_idempotency: fc.idempotent on a loopback redis-server; round trips counted on the
    # client's connection (a pipeline is one), batches of 10 to 1,000 all-new records
    Target("idempotency round trips, new key", 2.0, "25"),
    Target("idempotency round trips, repeat", 1.0, "25"),
    Target("idempotency.batch per record, worst / best of 10-1,000", 1.3, "25"),
    # bench_coldstart_package: the packaged event template, read-only, one event in a fresh
    # `python -I -B`; and the wall time of `fcsdk coldstart` on it (seconds, not a ratio)
    Target("packaged / same package without bytecode", 0.6, "14"),
    Target("packaged / writable venv, bytecode cached", 1.05, "14"),
    Target("fcsdk coldstart on the event template (s)", 15.0, "14"),
    # bench_web: `python -m fcsdk web` against bare uvicorn on the same FastAPI app (time per
    # request is bare uvicorn's rps over ours: at most 1/0.9), one instance's concurrency,
    # and a stream's first bytes against its last
    Target("web rps / bare uvicorn", 1.11, "22"),
    Target("web start / bare uvicorn", 1.2, "22"),
    Target("web 40 async x 0.5 s / 1.5 s", 1.0, "22"),
    Target("web 20 sync x 0.5 s / 1.6 s", 1.0, "22"),
    Target("web stream first bytes / last bytes", 0.5, "22"),
)
