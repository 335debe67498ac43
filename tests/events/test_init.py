"""Tests for fcsdk/events/__init__.py: the lazy public namespace and what importing it costs."""

from __future__ import annotations

import doctest
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import fcsdk as fc
from fcsdk import events

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str) -> str:
    """Run code in a fresh interpreter and return its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
    )
    return result.stdout


class TestNamespace:
    def test_all_sorted_and_resolves(self) -> None:
        """__all__ is sorted and every name resolves to an object of its module."""
        assert events.__all__ == sorted(events.__all__)
        for name in events.__all__:
            assert getattr(events, name) is not None

    def test_every_trigger_model_exported(self) -> None:
        """The model of every trigger is in the namespace."""
        for name in [
            "OSSEvent",
            "TimerEvent",
            "SLSEvent",
            "CDNEvent",
            "MNSTopicEvent",
            "MNSTopicStreamEvent",
            "TablestoreEvent",
            "CloudEvent",
            "MNSQueueEvent",
            "RocketMQEvent",
            "RabbitMQEvent",
            "KafkaEvent",
            "DTSEvent",
            "MQTTEvent",
            "DestinationEvent",
            "Base64",
            "parse",
            "APIGatewayEvent",
            "HTTPTriggerEvent",
        ]:
            assert name in events.__all__

    def test_unknown_name(self) -> None:
        """An unknown attribute is an AttributeError naming the module."""
        with pytest.raises(AttributeError, match=r"fcsdk\.events"):
            _ = events.NoSuchEvent

    def test_dir_lists_exports(self) -> None:
        """dir() shows the lazy names before they are loaded."""
        assert set(events.__all__) <= set(dir(events))

    def test_reached_from_top_level(self) -> None:
        """fc.events is the same module."""
        assert fc.events is events


MODULES = [
    "fcsdk.events",
    "fcsdk.events._fields",
    "fcsdk.events._parse",
    "fcsdk.events.cdn",
    "fcsdk.events.cloudevents",
    "fcsdk.events.destination",
    "fcsdk.events.dts",
    "fcsdk.events.kafka",
    "fcsdk.events.mns",
    "fcsdk.events.mns_queue",
    "fcsdk.events.mqtt",
    "fcsdk.events.oss",
    "fcsdk.events.rabbitmq",
    "fcsdk.events.rocketmq",
    "fcsdk.events.sls",
    "fcsdk.events.tablestore",
    "fcsdk.events.timer",
    "fcsdk.testing.events.cdn",
    "fcsdk.testing.events.destination",
    "fcsdk.testing.events.dts",
    "fcsdk.testing.events.kafka",
    "fcsdk.testing.events.mns",
    "fcsdk.testing.events.mns_queue",
    "fcsdk.testing.events.mqtt",
    "fcsdk.testing.events.oss",
    "fcsdk.testing.events.rabbitmq",
    "fcsdk.testing.events.rocketmq",
    "fcsdk.testing.events.sls",
    "fcsdk.testing.events.tablestore",
    "fcsdk.testing.events.timer",
]


class TestDocstringExamples:
    @pytest.mark.parametrize("name", MODULES)
    def test_examples_run(self, name: str) -> None:
        """Every docstring example in the events modules and factories runs as written."""
        module = importlib.import_module(name)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0
        assert result.attempted > 0


class TestLaziness:
    def test_import_builds_nothing(self) -> None:
        """Importing fcsdk.events loads no trigger module and no schema."""
        out = run_python(
            "import sys, json, fcsdk.events\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('fcsdk.events.'))))"
        )
        assert json.loads(out) == []

    def test_oss_does_not_load_kafka(self) -> None:
        """Using the OSS model loads its module only, and builds its schema on first use."""
        out = run_python(
            "import sys, json\n"
            "from fcsdk import events\n"
            "cls = events.OSSEvent\n"
            "built_at_import = cls.__pydantic_complete__\n"
            "cls.model_validate_json(open('tests/events/oss_put_object.json', 'rb').read())\n"
            "print(json.dumps([built_at_import, cls.__pydantic_complete__,"
            " sorted(m for m in sys.modules if m.startswith('fcsdk.events.'))]))"
        )
        built_at_import, built_after, loaded = json.loads(out)
        assert built_at_import is False
        assert built_after is True
        assert "fcsdk.events.kafka" not in loaded
        assert "fcsdk.events.cloudevents" not in loaded
        assert "fcsdk.events.oss" in loaded
