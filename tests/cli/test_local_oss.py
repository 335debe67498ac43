"""Tests for ``--local-oss`` (fcsdk/_cli/local_oss.py): the objects an OSS event names, served."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fcsdk._cli.local_oss import event_objects
from fcsdk.cli import main
from fcsdk.exceptions import ConfigurationError

HANDLER = """import fcsdk as fc
from fcsdk.events import OSSEvent


@fc.handler
def handler(event: OSSEvent, context: fc.FCContext) -> dict[str, int]:
    out = {}
    for record in event.events:
        key = record.oss.object.decoded_key
        out[key] = len(context.oss_bucket(record.bucket).get_object(key).read())
    return out
"""


def oss_event(key: str, size: int) -> str:
    """A minimal OSS trigger event for bucket my-bucket."""
    return json.dumps(
        {
            "events": [
                {
                    "eventName": "ObjectCreated:PutObject",
                    "eventSource": "acs:oss",
                    "eventTime": "2026-11-23T07:49:00.000Z",
                    "eventVersion": "1.0",
                    "region": "cn-hangzhou",
                    "oss": {
                        "bucket": {
                            "arn": "acs:oss:cn-hangzhou:1234567890123456:my-bucket",
                            "name": "my-bucket",
                            "ownerIdentity": "1234567890123456",
                        },
                        "object": {"key": key, "size": size, "deltaSize": size, "eTag": "0"},
                        "ossSchemaVersion": "1.0",
                        "ruleId": "r",
                    },
                    "requestParameters": {"sourceIPAddress": "203.0.113.7"},
                    "responseElements": {"requestId": "6560A1B2C3D4E5F607182930"},
                    "userIdentity": {"principalId": "1234567890123456"},
                }
            ]
        }
    )


@pytest.mark.parametrize("runtime", ["python3.10", "python3.12"])
def test_invoke_serves_the_events_object(
    tmp_path: Path, runtime: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """fcsdk invoke --local-oss: the handler reads the object the event names, of its size."""
    (tmp_path / "index.py").write_text(HANDLER)
    code = main(
        [
            "invoke",
            "index.handler",
            "--code-dir",
            str(tmp_path),
            "--runtime",
            runtime,
            "--event",
            oss_event("incoming/my%20notes.txt", 130),
            "--local-oss",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert json.loads(captured.out) == {"incoming/my notes.txt": 130}


def test_invoke_refuses_an_event_that_is_not_oss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--local-oss with an event that names no OSS object exits 2 with one line."""
    (tmp_path / "index.py").write_text(HANDLER)
    code = main(
        ["invoke", "index.handler", "--code-dir", str(tmp_path), "--event", "{}", "--local-oss"]
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("fcsdk invoke: --local-oss needs an OSS trigger event")


@pytest.mark.parametrize("event", [b"not json", b"[]", b'{"events": [{"oss": {}}]}'])
def test_event_objects_rejects_other_events(event: bytes) -> None:
    """Anything but an OSS trigger event is a ConfigurationError."""
    with pytest.raises(ConfigurationError, match="OSS trigger event"):
        event_objects(event)


def test_a_bad_bucket_name_is_a_configuration_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A bucket name OSS forbids is refused before anything runs."""
    bad = oss_event("a.txt", 1).replace('"name": "my-bucket"', '"name": "Bad_Bucket"')
    code = main(["invoke", "index.handler", "--event", bad, "--local-oss"])
    assert code == 2
    assert "--local-oss" in capsys.readouterr().err
