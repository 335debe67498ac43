"""CloudEvents 1.0, the envelope of every EventBridge-based trigger, with Alibaba's extensions.

The MNS queue, RocketMQ, RabbitMQ, Kafka, DTS and MQTT triggers reach a
function through EventBridge: the event is a JSON **array** of CloudEvents
(a batch). Older deliveries send a single object, or an array of JSON
*strings*; a model declared as ``list[SomeEvent]`` accepts all three, and
``SomeEvent`` alone accepts a single event (or a batch of exactly one).

Examples:
    >>> from fcsdk.events import CloudEvent
    >>> from fcsdk.events import parse
    >>> raw = b'{"id": "1", "source": "s", "specversion": "1.0", "type": "t", "data": {"n": 1}}'
    >>> [event.data for event in parse(list[CloudEvent[dict[str, int]]], raw)]
    [{'n': 1}]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Generic, get_origin

from pydantic import TypeAdapter
from pydantic_core import from_json
from typing_extensions import TypeVar

from fcsdk.events._base import EventModel
from fcsdk.events._fields import EMBEDDED_VALUE, ISOTime
from fcsdk.exceptions import EventDecodeError

__all__ = ["CloudEvent", "normalize_batch"]

D = TypeVar("D", default=Any)


def _invalid_json(path: str, exc: ValueError | TypeError, raw: Any) -> EventDecodeError:
    return EventDecodeError(
        f"cannot decode the event: {path}: Invalid JSON: {exc}",
        raw=raw,
        errors=[(path, f"Invalid JSON: {exc}")],
    )


def normalize_batch(raw: Any) -> list[Any]:
    """Return the batch in ``raw`` as a list of decoded JSON objects.

    ``raw`` may be JSON bytes/text or already-decoded data, in any of the
    three delivery shapes: an array of objects, a single object, or an array
    of JSON strings.

    Raises:
        EventDecodeError: the event, or one string in the array, is not JSON.
    """
    data = raw
    if not isinstance(raw, dict | list):
        from fcsdk._decode import to_bytes

        try:
            data = from_json(to_bytes(raw))
        except ValueError as exc:
            raise _invalid_json("event", exc, raw) from exc
    items = data if isinstance(data, list) else [data]
    result: list[Any] = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            result.append(item)
            continue
        try:
            result.append(from_json(item))
        except (ValueError, TypeError) as exc:  # TypeError: a str with a lone surrogate
            raise _invalid_json(f"event[{index}]", exc, raw) from exc
    return result


class CloudEvent(EventModel, Generic[D]):
    """One CloudEvents 1.0 event as EventBridge delivers it.

    ``data`` is the source's payload: any JSON by default, ``CloudEvent[M]``
    validates it as ``M`` (parsing it first when it arrives as a JSON
    string). The ``aliyun*`` attributes are Alibaba's extensions.
    """

    id: str
    source: str
    specversion: str
    type: str
    datacontenttype: str | None = None
    dataschema: str | None = None
    subject: str | None = None
    time: ISOTime | None = None
    aliyunaccountid: str | None = None
    aliyunpublishtime: ISOTime | None = None
    aliyunoriginalaccountid: str | None = None
    aliyuneventbusname: str | None = None
    aliyunregionid: str | None = None
    aliyunpublishaddr: str | None = None
    data: Annotated[D, EMBEDDED_VALUE]

    @classmethod
    def __fcsdk_decoder__(cls, tp: Any) -> Callable[[Any], Any]:
        """Return the decoder ``@fc.handler`` uses for ``tp`` (this class or a ``list`` of it).

        A list accepts the three delivery shapes; a single event accepts an
        object or a batch of exactly one.
        """
        adapter: TypeAdapter[Any] = TypeAdapter(tp)
        many = get_origin(tp) is list

        def decode(raw: Any) -> Any:
            batch = normalize_batch(raw)
            if many:
                return adapter.validate_python(batch)
            if len(batch) != 1:
                raise EventDecodeError(
                    f"cannot decode the event: expected one CloudEvent, got a batch of "
                    f"{len(batch)}; declare the event model as list[...] to take batches",
                    raw=raw,
                    errors=[("event", f"a batch of {len(batch)} where one event was expected")],
                )
            return adapter.validate_python(batch[0])

        return decode
