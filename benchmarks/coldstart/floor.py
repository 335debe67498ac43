"""Cold start, floor: hand-written pydantic, no SDK."""

import datetime
import sys

from pydantic import BaseModel


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


def handler(event: bytes, context: object) -> bytes:
    parsed = Event.model_validate_json(event)
    obj = parsed.events[0].oss.object
    return Receipt(key=obj.key, size=obj.size).model_dump_json().encode()


if __name__ == "__main__":
    sys.stdout.buffer.write(handler(sys.stdin.buffer.read(), None))
