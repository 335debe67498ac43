"""Cold start, fcsdk: the same handler with @fc.handler and a runtime-shaped context."""

import datetime
import sys
from types import SimpleNamespace

from pydantic import BaseModel

import fcsdk as fc


class Obj(BaseModel):
    key: str
    size: int
    eTag: str


class Bucket(BaseModel):
    name: str
    arn: str


class OSSInfo(BaseModel):
    bucket: Bucket
    object: Obj


class Record(BaseModel):
    eventName: str
    eventTime: datetime.datetime
    region: str
    oss: OSSInfo


class Event(BaseModel):
    events: list[Record]


class Receipt(BaseModel):
    key: str
    size: int


@fc.handler(event_model=Event)
def handler(event: Event, context: fc.FCContext) -> Receipt:
    obj = event.events[0].oss.object
    return Receipt(key=obj.key, size=obj.size)


if __name__ == "__main__":
    runtime_context = SimpleNamespace(
        request_id="1-6560a1b2-0123456789abcdef",
        credentials=SimpleNamespace(
            access_key_id="STS.k", access_key_secret="s", security_token="t"
        ),
        function=SimpleNamespace(name="f", handler="index.handler", memory=512, timeout=60),
        service=SimpleNamespace(
            name="svc", log_project="", log_store="", qualifier="", version_id=""
        ),
        region="cn-hangzhou",
        account_id="1234567890123456",
        retry_count=0,
        tracing=None,
        logger=None,
    )
    out = handler(sys.stdin.buffer.read(), runtime_context)
    sys.stdout.buffer.write(out if isinstance(out, bytes) else out.encode())
