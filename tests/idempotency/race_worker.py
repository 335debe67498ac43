"""A process of the race tests: 16 threads firing the same keys, or a call killed mid-run.

Run as ``python race_worker.py race URL PREFIX`` or ``python race_worker.py hang URL PREFIX``.
"""

from __future__ import annotations

import json
import random
import sys
import threading
from typing import Any

import redis

import fcsdk as fc
from fcsdk.idempotency import RedisStore
from fcsdk.testing import fake_context

KEYS = 200
THREADS = 16


def make_handler(store: RedisStore, counter: Any, *, block: bool = False, **options: Any) -> Any:
    """The function under test: its side effect is an INCR of a counter per key.

    With ``block``, it says "started" and blocks until the process is killed.
    """

    @fc.handler
    @fc.idempotent(store, key="k", namespace="race", **options)
    def main(event: dict[str, str], context: fc.FCContext) -> int:
        runs = counter.incr(f"{store.prefix}runs:{event['k']}")
        if block:
            print("started", flush=True)
            sys.stdin.read()  # blocks until the parent kills this process
        return int(runs)

    return main


def race(url: str, prefix: str) -> None:
    store = RedisStore.from_url(url, prefix=prefix)
    counter = redis.Redis.from_url(url)
    main = make_handler(store, counter, wait=30)
    answers: dict[str, set[int]] = {}
    lock = threading.Lock()

    def fire(shuffle: int) -> None:
        counter.blpop([f"{prefix}go"], timeout=30)  # the start gate, shared by both processes
        order = list(range(KEYS))
        random.Random(shuffle).shuffle(order)
        for n in order:
            answer = int(main(json.dumps({"k": f"key-{n}"}).encode(), fake_context(timeout=30)))
            with lock:
                answers.setdefault(f"key-{n}", set()).add(answer)

    threads = [threading.Thread(target=fire, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    print("ready", flush=True)
    for thread in threads:
        thread.join(60)
    print(json.dumps({key: sorted(values) for key, values in answers.items()}), flush=True)


def hang(url: str, prefix: str) -> None:
    store = RedisStore.from_url(url, prefix=prefix)
    main = make_handler(store, redis.Redis.from_url(url), block=True)
    main(b'{"k": "kill"}', fake_context(timeout=2))


if __name__ == "__main__":
    {"race": race, "hang": hang}[sys.argv[1]](sys.argv[2], sys.argv[3])
