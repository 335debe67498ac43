"""Cold start, powertools: the same handler with aws-lambda-powertools' @event_parser."""

import datetime
import sys

from aws_lambda_powertools.utilities.parser import event_parser
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


@event_parser(model=Event)
def handler(event: Event, context: object) -> str:
    obj = event.events[0].oss.object
    return Receipt(key=obj.key, size=obj.size).model_dump_json()


if __name__ == "__main__":
    sys.stdout.buffer.write(handler(sys.stdin.buffer.read().decode(), None).encode())  # type: ignore[arg-type]
