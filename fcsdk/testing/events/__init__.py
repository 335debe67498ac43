"""Event factories: the exact bytes each trigger sends, for tests that read like the platform.

Every factory returns the payload the runtime would hand a handler, shaped
as FC's trigger event format page shows it, with believable defaults and
keyword-only options for what a test cares about::

    from fcsdk.testing import invoke
    from fcsdk.testing.events import oss_event

    def test_thumbnail() -> None:
        assert invoke(on_upload, oss_event(key="a.png")) == b'"a.png"'

Times default to a fixed instant so that outputs are reproducible; a naive
``datetime`` given to a factory is taken as UTC. The
EventBridge factories (``*_batch``) take ``shape=`` to produce the older
delivery forms: ``"object"`` (a single CloudEvent, one message only) and
``"strings"`` (an array of JSON strings).

Import the factories from here; each trigger family's live in a module of
the same name as its model's in :mod:`fcsdk.events` (``oss``, ``kafka``...).
"""

from __future__ import annotations

from fcsdk.testing.events._common import BatchShape
from fcsdk.testing.events.cdn import cdn_event
from fcsdk.testing.events.destination import destination_event
from fcsdk.testing.events.dts import dts_batch
from fcsdk.testing.events.kafka import kafka_batch
from fcsdk.testing.events.mns import mns_topic_event
from fcsdk.testing.events.mns_queue import mns_queue_batch
from fcsdk.testing.events.mqtt import mqtt_batch
from fcsdk.testing.events.oss import oss_event
from fcsdk.testing.events.rabbitmq import rabbitmq_batch
from fcsdk.testing.events.rocketmq import apache_rocketmq_batch, rocketmq_batch
from fcsdk.testing.events.sls import sls_event
from fcsdk.testing.events.tablestore import tablestore_event
from fcsdk.testing.events.timer import timer_event

__all__ = [
    "BatchShape",
    "apache_rocketmq_batch",
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
