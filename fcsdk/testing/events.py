"""Event factories: the exact bytes each trigger sends, for tests that read like the platform.

Every factory returns the payload the runtime would hand a handler, shaped as
section 4 ("Trigger event payloads") of the FC platform reference describes
it, with believable defaults and keyword-only options for what a test cares
about::

    from fcsdk.testing import invoke
    from fcsdk.testing.events import oss_event

    def test_thumbnail() -> None:
        assert invoke(on_upload, oss_event(key="a.png")) == b'"a.png"'

Times default to a fixed instant so that outputs are reproducible; a naive
``datetime`` given to a factory is taken as UTC. The
EventBridge factories (``*_batch``) take ``shape=`` to produce the older
delivery forms: ``"object"`` (a single CloudEvent, one message only) and
``"strings"`` (an array of JSON strings).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Literal

from fcsdk.exceptions import ConfigurationError, InvalidArgumentError

__all__ = [
    "BatchShape",
    "cdn_event",
    "destination_event",
    "dts_batch",
    "kafka_batch",
    "mns_queue_batch",
    "mns_topic_event",
    "mqtt_batch",
    "oss_event",
    "rabbitmq_batch",
    "rocketmq_batch",
    "sls_event",
    "tablestore_event",
    "timer_event",
]

BatchShape = Literal["array", "object", "strings"]
"""How an EventBridge batch is delivered: a JSON array (today), one object, or JSON strings."""

_DEFAULT_TIME = datetime(2026, 11, 23, 7, 49, tzinfo=timezone.utc)
_ACCOUNT = "1234567890123456"
_REGION = "cn-hangzhou"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _utc(value: datetime | None) -> datetime:
    """Return ``value`` (default: the fixed instant) in UTC; a naive time is taken as UTC."""
    moment = value or _DEFAULT_TIME
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _iso(value: datetime | str | None, *, millis: bool = False) -> str:
    if isinstance(value, str):
        return value
    moment = _utc(value)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def _epoch(value: datetime | int | None, scale: int) -> int:
    if isinstance(value, int):
        return value
    return round(_utc(value).timestamp() * scale)


def _plain(value: Any) -> Any:
    """Return ``value`` as JSON-ready data: a pydantic model is dumped by alias."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True)
    return value


def _text(value: Any) -> str:
    """Return ``value`` as the text the platform would carry: JSON unless it is already text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    return json.dumps(_plain(value), separators=(",", ":"), ensure_ascii=False)


def _value(value: Any) -> Any:
    """Return ``value`` as an object-or-string field: bytes base64, text as is, objects as JSON."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    return _plain(value)


def oss_event(
    *,
    bucket: str = "my-bucket",
    key: str | Sequence[str] = "photos/cat.png",
    size: int = 1024,
    delta_size: int | None = None,
    event_name: str = "ObjectCreated:PutObject",
    etag: str = "688A7BF4F233DC9C88A80BF985AB7329",
    region: str = _REGION,
    account_id: str = _ACCOUNT,
    event_time: datetime | str | None = None,
    mime_type: str | None = None,
    user_meta: Mapping[str, str] | None = None,
) -> bytes:
    """Return an OSS trigger event (platform reference, section 4, "OSS").

    ``key`` may be a list of keys: one record each. ``delta_size`` defaults
    to ``size`` for a created object and ``-size`` for a removed one.
    ``mime_type``/``user_meta`` add the optional ``objectMeta``.

    Examples:
        >>> import json
        >>> json.loads(oss_event(key="a.png"))["events"][0]["oss"]["object"]["key"]
        'a.png'
    """
    keys = [key] if isinstance(key, str) else list(key)
    if delta_size is None:
        delta_size = -size if event_name.startswith("ObjectRemoved:") else size
    records = []
    for index, one_key in enumerate(keys):
        obj: dict[str, Any] = {
            "deltaSize": delta_size,
            "eTag": etag,
            "key": one_key,
            "size": size,
        }
        if mime_type is not None or user_meta is not None:
            obj["objectMeta"] = {"mimeType": mime_type or "application/octet-stream"}
            if user_meta is not None:
                obj["objectMeta"]["userMeta"] = dict(user_meta)
        records.append(
            {
                "eventName": event_name,
                "eventSource": "acs:oss",
                "eventTime": _iso(event_time, millis=True),
                "eventVersion": "1.0",
                "oss": {
                    "bucket": {
                        "arn": f"acs:oss:{region}:{account_id}:{bucket}",
                        "name": bucket,
                        "ownerIdentity": account_id,
                        "virtualBucket": "",
                    },
                    "object": obj,
                    "ossSchemaVersion": "1.0",
                    "ruleId": "9adac8e253828f4f7c0466d941fa3db81161e853",
                },
                "region": region,
                "requestParameters": {"sourceIPAddress": "203.0.113.7"},
                "responseElements": {"requestId": f"6560A1B2C3D4E5F60718293{index:X}"},
                "userIdentity": {"principalId": account_id},
            }
        )
    return _dumps({"events": records})


def timer_event(
    *,
    payload: Any = "",
    trigger_name: str = "timer",
    trigger_time: datetime | str | None = None,
) -> bytes:
    """Return a timer trigger event (platform reference, section 4, "Timer").

    ``payload`` is sent as the platform sends it, a string: anything else
    (a dict, a pydantic model) is JSON-encoded into that string first.

    Examples:
        >>> timer_event(payload={"job": "sync"})
        b'{"triggerTime":"2026-11-23T07:49:00Z","triggerName":"timer","payload":"{\\\\"job\\\\":\\\\"sync\\\\"}"}'
    """
    return _dumps(
        {
            "triggerTime": _iso(trigger_time),
            "triggerName": trigger_name,
            "payload": _text(payload),
        }
    )


def sls_event(
    *,
    project: str = "my-project",
    logstore: str = "my-logstore",
    shard_id: int = 0,
    begin_cursor: str = "MTY2MzE2NTYwMjU1NzM3OTQwNA==",
    end_cursor: str = "MTY2MzE2NTYwMjU1NzM3OTQxMA==",
    region: str = _REGION,
    job_name: str = "7f7e4b0b3e5a4d1c9f2e8a6b5c4d3e2f1a0b9c8d",
    task_id: str = "c2691505-38da-4d1b-998a-1d4ebbe35e7e",
    cursor_time: datetime | int | None = None,
    parameter: Mapping[str, Any] | None = None,
) -> bytes:
    """Return a Log Service trigger event (platform reference, section 4, "Log Service").

    Examples:
        >>> import json
        >>> json.loads(sls_event(shard_id=3))["source"]["shardId"]
        3
    """
    return _dumps(
        {
            "parameter": dict(parameter or {}),
            "source": {
                "endpoint": f"http://{region}-intranet.log.aliyuncs.com",
                "projectName": project,
                "logstoreName": logstore,
                "shardId": shard_id,
                "beginCursor": begin_cursor,
                "endCursor": end_cursor,
            },
            "jobName": job_name,
            "taskId": task_id,
            "cursorTime": _epoch(cursor_time, 1),
        }
    )


def _cdn_parameter(event_name: str, domain: str, moment: int) -> dict[str, Any]:
    if event_name == "LogFileCreated":
        return {
            "domain": domain,
            "endTime": moment,
            "fileSize": 1024,
            "filePath": f"http://cdnlog.{_REGION}.oss.aliyun-inc.com/{domain}/2026_11_23/"
            f"{domain}_2026_11_23_0700_0800.gz",
            "startTime": moment - 3600,
        }
    if event_name in ("CachedObjectsRefreshed", "CachedObjectsPushed"):
        return {
            "objectPath": [f"/{domain}/index.html"],
            "createTime": moment - 60,
            "domain": domain,
            "completeTime": moment,
            "objectType": "File",
            "taskId": 2089687230,
        }
    if event_name in ("CdnDomainStarted", "CdnDomainStopped"):
        return {
            "domain": domain,
            "status": "online" if event_name.endswith("Started") else "offline",
        }
    return {"domain": domain}


def cdn_event(
    *,
    event_name: str = "LogFileCreated",
    domain: str = "www.example.com",
    parameter: Mapping[str, Any] | None = None,
    region: str = _REGION,
    ali_uid: str = _ACCOUNT,
    event_time: datetime | str | None = None,
) -> bytes:
    """Return a CDN trigger event (platform reference, section 4, "CDN").

    ``eventParameter`` gets the shape ``event_name`` calls for, with
    believable values; ``parameter`` replaces it entirely.

    Examples:
        >>> import json
        >>> json.loads(cdn_event(event_name="CdnDomainAdded"))["events"][0]["eventParameter"]
        {'domain': 'www.example.com'}
    """
    moment = _epoch(event_time if isinstance(event_time, datetime) else None, 1)
    record = {
        "eventName": event_name,
        "eventSource": "cdn",
        "region": region,
        "eventVersion": "1.0.0",
        "eventTime": _iso(event_time),
        "traceId": "c6459282-6a4d-4413-894c-e4ea3968****",
        "userIdentity": {"aliUid": ali_uid},
        "resource": {"domain": domain},
        "eventParameter": dict(parameter)
        if parameter is not None
        else _cdn_parameter(event_name, domain, moment),
    }
    return _dumps({"events": [record]})


def mns_topic_event(
    *,
    message: Any = "hello",
    attributes: Mapping[str, Any] | None = None,
    format: Literal["JSON", "STREAM"] = "JSON",
    topic: str = "my-topic",
    subscription: str = "my-subscription",
    owner: str = _ACCOUNT,
    message_id: str = "F4D1C2E1B8A3E9A2-1-18C0A1B2C3D-200000001",
    publish_time: datetime | int | None = None,
) -> bytes:
    """Return an MNS topic push in the subscription's format (platform reference, section 4).

    ``format="JSON"`` gives the JSON envelope with ``attributes`` merged at
    its top level; ``format="STREAM"`` gives ``{"body", "attrs"}`` when there
    are attributes and the bare message body when there are none.
    ``message`` that is not text is JSON-encoded (bytes: base64).

    Examples:
        >>> mns_topic_event(message="raw body", format="STREAM")
        b'raw body'
    """
    body = _text(message)
    if format == "STREAM":
        if not attributes:
            return body.encode("utf-8")
        return _dumps({"body": body, "attrs": dict(attributes)})
    import hashlib

    envelope: dict[str, Any] = {
        "TopicOwner": owner,
        "Message": body,
        "Subscriber": owner,
        "PublishTime": _epoch(publish_time, 1000),
        "SubscriptionName": subscription,
        "MessageMD5": hashlib.md5(body.encode("utf-8")).hexdigest().upper(),
        "TopicName": topic,
        "MessageId": message_id,
    }
    envelope.update(attributes or {})
    return _dumps(envelope)


def tablestore_event(
    *,
    primary_key: Mapping[str, Any] | None = None,
    columns: Mapping[str, Any] | None = None,
    type: Literal["PutRow", "UpdateRow", "DeleteRow"] = "PutRow",
    deleted_columns: Sequence[str] = (),
    timestamp: int = 1763884140000000,
) -> bytes:
    """Return a Tablestore stream event as **CBOR** bytes (platform reference, section 4).

    One record: ``primary_key`` (``{"id": 1}`` by default) and ``columns``
    as ``Put`` columns; ``deleted_columns`` adds ``DeleteAllVersions``
    columns. Needs ``cbor2`` (``pip install 'fcsdk[tablestore]'``).

    Examples:
        >>> tablestore_event(primary_key={"id": 1})[:4]
        b'\\xa2gVe'
    """
    try:
        import cbor2
    except ImportError as exc:
        raise ConfigurationError(
            "tablestore_event needs the cbor2 package: pip install 'fcsdk[tablestore]'"
        ) from exc
    record_columns: list[dict[str, Any]] = [
        {"Type": "Put", "ColumnName": name, "Value": value, "Timestamp": timestamp // 1000}
        for name, value in (columns or {}).items()
    ]
    record_columns += [
        {"Type": "DeleteAllVersions", "ColumnName": name, "Timestamp": timestamp // 1000}
        for name in deleted_columns
    ]
    record = {
        "Type": type,
        "Info": {"Timestamp": timestamp},
        "PrimaryKey": [
            {"ColumnName": name, "Value": value}
            for name, value in (primary_key if primary_key is not None else {"id": 1}).items()
        ],
        "Columns": record_columns,
    }
    data: bytes = cbor2.dumps({"Version": "Sync-v1", "Records": [record]})
    return data


def _cloud_event(kind: str, source: str, subject: str, data: Any, index: int) -> dict[str, Any]:
    return {
        "id": f"6a7d0c1e-2b3f-4a5d-8e9f-{index:012x}",
        "source": source,
        "specversion": "1.0",
        "type": kind,
        "datacontenttype": "application/json;charset=utf-8",
        "subject": subject,
        "time": _iso(None, millis=True),
        "aliyunaccountid": _ACCOUNT,
        "aliyunpublishtime": _iso(None, millis=True),
        "aliyunoriginalaccountid": _ACCOUNT,
        "aliyuneventbusname": "MNS-Function-trigger",
        "aliyunregionid": _REGION,
        "aliyunpublishaddr": "10.0.0.1",
        "data": data,
    }


def _batch(events: list[dict[str, Any]], shape: BatchShape) -> bytes:
    if shape == "object":
        if len(events) != 1:
            raise InvalidArgumentError(f"shape='object' delivers one event, not {len(events)}")
        return _dumps(events[0])
    if shape == "strings":
        return _dumps([_dumps(event).decode("utf-8") for event in events])
    return _dumps(events)


def kafka_batch(
    *,
    values: Sequence[Any] = ("hello",),
    topic: str = "my-topic",
    partition: int = 0,
    offset: int = 0,
    key: str | None = None,
    instance: str = "alikafka_pre-cn-abc123",
    timestamp: datetime | int | None = None,
    shape: BatchShape = "array",
) -> bytes:
    """Return a Kafka trigger batch (platform reference, section 4, "EventBridge-based").

    One CloudEvent per value, offsets counting up from ``offset``. A ``str``
    value is sent as text, ``bytes`` as base64, anything else as a JSON object.

    Examples:
        >>> import json
        >>> json.loads(kafka_batch(values=[{"page": "/"}]))[0]["data"]["value"]
        {'page': '/'}
    """
    events = [
        _cloud_event(
            "alikafka:Topic:Message",
            "acs:alikafka",
            f"acs:alikafka:{_REGION}:{_ACCOUNT}:{instance}/topic/{topic}",
            {
                "topic": topic,
                "partition": partition,
                "offset": offset + index,
                "timestamp": _epoch(timestamp, 1000),
                "headers": {"headers": [], "isReadOnly": False},
                "key": key,
                "value": _value(value),
            },
            index,
        )
        for index, value in enumerate(values)
    ]
    return _batch(events, shape)


def rocketmq_batch(
    *,
    bodies: Sequence[Any] = ("hello",),
    topic: str = "my-topic",
    tags: str | None = None,
    keys: str | None = None,
    user_properties: Mapping[str, Any] | None = None,
    instance: str = "MQ_INST_1234567890123456_BXhFHJ8a",
    shape: BatchShape = "array",
) -> bytes:
    """Return a RocketMQ trigger batch (platform reference, section 4, "EventBridge-based").

    ``body`` is text; a body that is not text is JSON-encoded into it.

    Examples:
        >>> import json
        >>> event = json.loads(rocketmq_batch(bodies=["hi"], tags="TagA"))[0]
        >>> event["data"]["systemProperties"]["TAGS"]
        'TagA'
    """
    events = []
    for index, body in enumerate(bodies):
        system: dict[str, Any] = {
            "MIN_OFFSET": "0",
            "MAX_OFFSET": str(index + 1),
            "UNIQ_KEY": f"AC14C305069E1B0A4AAC5AB0000000{index:02d}",
            "CONSUME_START_TIME": _epoch(None, 1000),
        }
        if tags is not None:
            system["TAGS"] = tags
        if keys is not None:
            system["KEYS"] = keys
        data = {
            "topic": topic,
            "systemProperties": system,
            "userProperties": dict(user_properties or {}),
            "body": _text(body),
        }
        subject = f"acs:mq:{_REGION}:{_ACCOUNT}:{instance}%{topic}"
        events.append(_cloud_event("mq:Topic:SendMessage", "acs:mq", subject, data, index))
    return _batch(events, shape)


def rabbitmq_batch(
    *,
    bodies: Sequence[Any] = ("hello",),
    exchange: str = "",
    routing_key: str = "my-queue",
    props: Mapping[str, Any] | None = None,
    redeliver: bool = False,
    instance: str = "amqp-cn-abc123",
    shape: BatchShape = "array",
) -> bytes:
    """Return a RabbitMQ trigger batch (platform reference, section 4, "EventBridge-based").

    Examples:
        >>> import json
        >>> json.loads(rabbitmq_batch(routing_key="rk"))[0]["data"]["envelope"]["routingKey"]
        'rk'
    """
    events = [
        _cloud_event(
            "amqp:Queue:SendMessage",
            "acs:amqp",
            f"acs:amqp:{_REGION}:{_ACCOUNT}:/instances/{instance}/vhosts/vhost/queues/{routing_key}",
            {
                "envelope": {
                    "deliveryTag": index + 1,
                    "exchange": exchange,
                    "redeliver": redeliver,
                    "routingKey": routing_key,
                },
                "body": _value(body),
                "props": dict(props or {"contentEncoding": "UTF-8", "deliveryMode": 2}),
            },
            index,
        )
        for index, body in enumerate(bodies)
    ]
    return _batch(events, shape)


def mns_queue_batch(
    *,
    bodies: Sequence[Any] = ("hello",),
    queue: str = "my-queue",
    shape: BatchShape = "array",
) -> bytes:
    """Return an MNS queue trigger batch (platform reference, section 4, "EventBridge-based").

    ``messageBody`` is text; a body that is not text is JSON-encoded into it.

    Examples:
        >>> import json
        >>> json.loads(mns_queue_batch(bodies=["a"]))[0]["data"]["messageBody"]
        'a'
    """
    events = [
        _cloud_event(
            "mns:Queue:SendMessage",
            "acs:mns",
            f"acs:mns:{_REGION}:{_ACCOUNT}:queues/{queue}",
            {
                "requestId": f"6560A1B2C3D4E5F6071829{index:02X}",
                "messageId": f"F4D1C2E1B8A3E9A2-1-18C0A1B2C3D-2000000{index:02d}",
                "messageBody": _text(body),
            },
            index,
        )
        for index, body in enumerate(bodies)
    ]
    return _batch(events, shape)


def dts_batch(
    *,
    operation: str = "INSERT",
    database: str = "mydb",
    table: str = "orders",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    count: int = 1,
    shape: BatchShape = "array",
) -> bytes:
    """Return a DTS trigger batch (platform reference, section 4, "EventBridge-based").

    ``count`` row changes of ``operation`` on ``database.table``; ``after``
    (default: an image of row ``id=1``, none for a ``DELETE``) and
    ``before`` (default: none, the row for a ``DELETE``) are the images.

    Examples:
        >>> import json
        >>> json.loads(dts_batch(operation="DELETE"))[0]["data"]["operationType"]
        'DELETE'
    """
    row = {"recordSchema": None, "values": [1, "pending"], "size": 12}
    if after is None and operation != "DELETE":
        after = row
    if before is None and operation == "DELETE":
        before = row
    events = []
    for index in range(count):
        data: dict[str, Any] = {
            "id": 321 + index,
            "topicPartition": {"hash": 0, "partition": 0, "topic": f"{_REGION}_{database}"},
            "offset": 3218099 + index,
            "sourceTimestamp": _epoch(None, 1),
            "operationType": operation,
            "schema": {
                "recordFields": [
                    {"fieldName": "id", "rawDataTypeNum": 8, "isPrimaryKey": True},
                    {"fieldName": "status", "rawDataTypeNum": 253, "isPrimaryKey": False},
                ],
                "nameIndex": {"id": 0, "status": 1},
                "schemaId": f"({database},{table})",
                "databaseName": database,
                "tableName": table,
                "databaseInfo": {"databaseType": "MySQL", "version": "8.0.28"},
                "totalRows": 0,
            },
        }
        if before is not None:
            data["beforeImage"] = dict(before)
        if after is not None:
            data["afterImage"] = dict(after)
        subject = f"acs:dts:{_REGION}:{_ACCOUNT}:dtsabc123"
        events.append(_cloud_event("dts:ConsumeMessage:Message", "acs:dts", subject, data, index))
    return _batch(events, shape)


def mqtt_batch(
    *,
    bodies: Sequence[Any] = ("hello",),
    topic: str = "home/lamp",
    client_id: str = "GID_demo@@@device-1",
    instance: str = "mqtt-cn-abc123",
    shape: BatchShape = "array",
) -> bytes:
    """Return an MQTT trigger batch (platform reference, section 4, "EventBridge-based").

    ``topic`` is split as MQTT sends it: ``firstTopic`` (the first level) and
    ``secondTopic`` (the rest, with its leading ``/``).

    Examples:
        >>> import json
        >>> json.loads(mqtt_batch(topic="home/lamp"))[0]["data"]["props"]["secondTopic"]
        '/lamp'
    """
    first, slash, rest = topic.partition("/")
    props = {"firstTopic": first, "secondTopic": slash + rest, "clientId": client_id}
    events = [
        _cloud_event(
            "mqtt:Topic:SendMessage",
            "acs:mqtt",
            f"acs:mqtt:{_REGION}:{_ACCOUNT}:{instance}%{first}",
            {"props": props, "body": _value(body)},
            index,
        )
        for index, body in enumerate(bodies)
    ]
    return _batch(events, shape)


def destination_event(
    *,
    request: Any = "{}",
    response: Any = "",
    error: str | None = None,
    status_code: int = 200,
    condition: str | None = None,
    function_arn: str = f"acs:fc:{_REGION}:{_ACCOUNT}:functions/my-function",
    request_id: str = "1-6560a1b2-0123456789abcdef01234567",
    invoke_count: int = 1,
    timestamp: datetime | int | None = None,
) -> bytes:
    """Return an async invocation's destination record (platform reference, section 4).

    ``request`` and ``response`` become the text payloads (JSON-encoded
    unless already text). ``error`` (``UnhandledInvocationError``, say)
    makes it a failure record; ``condition`` defaults to ``Success`` or to
    the error.

    Examples:
        >>> import json
        >>> record = json.loads(destination_event(error="UnhandledInvocationError"))
        >>> record["requestContext"]["condition"]
        'UnhandledInvocationError'
    """
    response_context: dict[str, Any] = {"statusCode": status_code}
    if error is not None:
        response_context["functionError"] = error
    return _dumps(
        {
            "timestamp": _epoch(timestamp, 1000),
            "requestContext": {
                "requestId": request_id,
                "functionArn": function_arn,
                "condition": condition or error or "Success",
                "approximateInvokeCount": invoke_count,
            },
            "requestPayload": _text(request),
            "responseContext": response_context,
            "responsePayload": _text(response),
        }
    )
