"""Typed models of every Function Compute trigger's event payload.

One module per trigger; each model maps the platform's camelCase (or
PascalCase) names to snake_case attributes, ignores unknown fields, and
builds its schema on first use. The models load lazily: using
:class:`OSSEvent` does not import the Kafka model.

Examples:
    >>> import fcsdk as fc
    >>> from fcsdk import events
    >>> from fcsdk.testing import invoke
    >>> from fcsdk.testing.events import oss_event
    >>> @fc.handler(event_model=events.OSSEvent)
    ... def on_upload(event: events.OSSEvent, context: fc.FCContext) -> list[str]:
    ...     return [record.oss.object.key for record in event.events]
    >>> invoke(on_upload, oss_event(key="a.png"))
    b'["a.png"]'
"""

from typing import TYPE_CHECKING

from fcsdk._lazy import lazy_exports as _lazy_exports

if TYPE_CHECKING:
    from fcsdk.events._fields import (
        Base64,
    )
    from fcsdk.events._parse import (
        parse,
    )
    from fcsdk.events.cdn import (
        CDNCachedObjectsParameter,
        CDNCachedObjectsRecord,
        CDNDomainParameter,
        CDNDomainRecord,
        CDNDomainStatusParameter,
        CDNDomainStatusRecord,
        CDNEvent,
        CDNLogFileCreatedParameter,
        CDNLogFileCreatedRecord,
        CDNOtherRecord,
        CDNRecord,
        CDNResource,
        CDNUserIdentity,
    )
    from fcsdk.events.cloudevents import (
        CloudEvent,
    )
    from fcsdk.events.destination import (
        DestinationEvent,
        DestinationRequestContext,
        DestinationResponseContext,
    )
    from fcsdk.events.dts import (
        DTSData,
        DTSEvent,
        DTSSchema,
        DTSTopicPartition,
    )
    from fcsdk.events.http import (
        APIGatewayEvent,
        HTTPTriggerEvent,
    )
    from fcsdk.events.kafka import (
        KafkaData,
        KafkaEvent,
        KafkaHeaders,
    )
    from fcsdk.events.mns import (
        MNSTopicEvent,
        MNSTopicStreamEvent,
    )
    from fcsdk.events.mns_queue import (
        MNSQueueData,
        MNSQueueEvent,
    )
    from fcsdk.events.mqtt import (
        MQTTData,
        MQTTEvent,
        MQTTMessage,
        MQTTProperties,
    )
    from fcsdk.events.oss import (
        OSSBucket,
        OSSDetail,
        OSSEvent,
        OSSObject,
        OSSObjectMeta,
        OSSRecord,
        OSSRequestParameters,
        OSSResponseElements,
        OSSUserIdentity,
    )
    from fcsdk.events.rabbitmq import (
        RabbitMQData,
        RabbitMQEnvelope,
        RabbitMQEvent,
    )
    from fcsdk.events.rocketmq import (
        ApacheRocketMQMessage,
        RocketMQData,
        RocketMQEvent,
    )
    from fcsdk.events.sls import (
        SLSEvent,
        SLSSource,
    )
    from fcsdk.events.tablestore import (
        TablestoreColumn,
        TablestoreEvent,
        TablestoreInfo,
        TablestorePrimaryKeyColumn,
        TablestoreRecord,
        TablestoreValue,
    )
    from fcsdk.events.timer import (
        TimerEvent,
    )

# name -> module that defines it; imported on first attribute access.
_LAZY: dict[str, str] = {
    "APIGatewayEvent": "fcsdk.events.http",
    "ApacheRocketMQMessage": "fcsdk.events.rocketmq",
    "Base64": "fcsdk.events._fields",
    "CDNCachedObjectsParameter": "fcsdk.events.cdn",
    "CDNCachedObjectsRecord": "fcsdk.events.cdn",
    "CDNDomainParameter": "fcsdk.events.cdn",
    "CDNDomainRecord": "fcsdk.events.cdn",
    "CDNDomainStatusParameter": "fcsdk.events.cdn",
    "CDNDomainStatusRecord": "fcsdk.events.cdn",
    "CDNEvent": "fcsdk.events.cdn",
    "CDNLogFileCreatedParameter": "fcsdk.events.cdn",
    "CDNLogFileCreatedRecord": "fcsdk.events.cdn",
    "CDNOtherRecord": "fcsdk.events.cdn",
    "CDNRecord": "fcsdk.events.cdn",
    "CDNResource": "fcsdk.events.cdn",
    "CDNUserIdentity": "fcsdk.events.cdn",
    "CloudEvent": "fcsdk.events.cloudevents",
    "DTSData": "fcsdk.events.dts",
    "DTSEvent": "fcsdk.events.dts",
    "DTSSchema": "fcsdk.events.dts",
    "DTSTopicPartition": "fcsdk.events.dts",
    "DestinationEvent": "fcsdk.events.destination",
    "DestinationRequestContext": "fcsdk.events.destination",
    "DestinationResponseContext": "fcsdk.events.destination",
    "HTTPTriggerEvent": "fcsdk.events.http",
    "KafkaData": "fcsdk.events.kafka",
    "KafkaEvent": "fcsdk.events.kafka",
    "KafkaHeaders": "fcsdk.events.kafka",
    "MNSQueueData": "fcsdk.events.mns_queue",
    "MNSQueueEvent": "fcsdk.events.mns_queue",
    "MNSTopicEvent": "fcsdk.events.mns",
    "MNSTopicStreamEvent": "fcsdk.events.mns",
    "MQTTData": "fcsdk.events.mqtt",
    "MQTTEvent": "fcsdk.events.mqtt",
    "MQTTMessage": "fcsdk.events.mqtt",
    "MQTTProperties": "fcsdk.events.mqtt",
    "OSSBucket": "fcsdk.events.oss",
    "OSSDetail": "fcsdk.events.oss",
    "OSSEvent": "fcsdk.events.oss",
    "OSSObject": "fcsdk.events.oss",
    "OSSObjectMeta": "fcsdk.events.oss",
    "OSSRecord": "fcsdk.events.oss",
    "OSSRequestParameters": "fcsdk.events.oss",
    "OSSResponseElements": "fcsdk.events.oss",
    "OSSUserIdentity": "fcsdk.events.oss",
    "RabbitMQData": "fcsdk.events.rabbitmq",
    "RabbitMQEnvelope": "fcsdk.events.rabbitmq",
    "RabbitMQEvent": "fcsdk.events.rabbitmq",
    "RocketMQData": "fcsdk.events.rocketmq",
    "RocketMQEvent": "fcsdk.events.rocketmq",
    "SLSEvent": "fcsdk.events.sls",
    "SLSSource": "fcsdk.events.sls",
    "TablestoreColumn": "fcsdk.events.tablestore",
    "TablestoreEvent": "fcsdk.events.tablestore",
    "TablestoreInfo": "fcsdk.events.tablestore",
    "TablestorePrimaryKeyColumn": "fcsdk.events.tablestore",
    "TablestoreRecord": "fcsdk.events.tablestore",
    "TablestoreValue": "fcsdk.events.tablestore",
    "TimerEvent": "fcsdk.events.timer",
    "parse": "fcsdk.events._parse",
}

__all__ = [
    "APIGatewayEvent",
    "ApacheRocketMQMessage",
    "Base64",
    "CDNCachedObjectsParameter",
    "CDNCachedObjectsRecord",
    "CDNDomainParameter",
    "CDNDomainRecord",
    "CDNDomainStatusParameter",
    "CDNDomainStatusRecord",
    "CDNEvent",
    "CDNLogFileCreatedParameter",
    "CDNLogFileCreatedRecord",
    "CDNOtherRecord",
    "CDNRecord",
    "CDNResource",
    "CDNUserIdentity",
    "CloudEvent",
    "DTSData",
    "DTSEvent",
    "DTSSchema",
    "DTSTopicPartition",
    "DestinationEvent",
    "DestinationRequestContext",
    "DestinationResponseContext",
    "HTTPTriggerEvent",
    "KafkaData",
    "KafkaEvent",
    "KafkaHeaders",
    "MNSQueueData",
    "MNSQueueEvent",
    "MNSTopicEvent",
    "MNSTopicStreamEvent",
    "MQTTData",
    "MQTTEvent",
    "MQTTMessage",
    "MQTTProperties",
    "OSSBucket",
    "OSSDetail",
    "OSSEvent",
    "OSSObject",
    "OSSObjectMeta",
    "OSSRecord",
    "OSSRequestParameters",
    "OSSResponseElements",
    "OSSUserIdentity",
    "RabbitMQData",
    "RabbitMQEnvelope",
    "RabbitMQEvent",
    "RocketMQData",
    "RocketMQEvent",
    "SLSEvent",
    "SLSSource",
    "TablestoreColumn",
    "TablestoreEvent",
    "TablestoreInfo",
    "TablestorePrimaryKeyColumn",
    "TablestoreRecord",
    "TablestoreValue",
    "TimerEvent",
    "parse",
]


__getattr__, __dir__ = _lazy_exports(__name__, globals(), _LAZY, __all__)
del TYPE_CHECKING  # vars() shows the public names only
