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


WRITER = """import fcsdk as fc


@fc.handler
def main(event: dict[str, str], context: fc.FCContext) -> str:
    bucket = context.oss_bucket(event["bucket"])
    bucket.put_object(event["key"], event["text"].encode())
    return bucket.get_object(event["key"]).read().decode()
"""


def test_invoke_local_oss_serves_any_handler(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--local-oss with a plain JSON event: a loopback server with the --bucket buckets."""
    monkeypatch.delenv("FCSDK_OSS_ENDPOINT", raising=False)
    (tmp_path / "index.py").write_text(WRITER)
    event = json.dumps({"bucket": "my-bucket", "key": "a.txt", "text": "tea"})
    argv = ["invoke", "index.main", "--code-dir", str(tmp_path), "--event", event]
    code = main([*argv, "--local-oss", "--bucket", "my-bucket"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out == "tea\n"


def test_invoke_without_local_oss_says_how_to_get_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an OSS endpoint, an OSS handler fails at once naming the three ways to get one."""
    monkeypatch.delenv("FCSDK_OSS_ENDPOINT", raising=False)
    (tmp_path / "index.py").write_text(WRITER)
    event = json.dumps({"bucket": "my-bucket", "key": "a.txt", "text": "tea"})
    code = main(["invoke", "index.main", "--code-dir", str(tmp_path), "--event", event])
    captured = capsys.readouterr()
    assert code == 1
    payload = json.loads(captured.out)
    assert payload["errorType"] == "ConfigurationError"
    for fix in ("--local-oss", "fcsdk oss-server", "FCSDK_OSS_ENDPOINT"):
        assert fix in payload["errorMessage"]
    assert "RequestError" not in captured.err
    assert len(captured.err.splitlines()) < 40


def test_bucket_without_local_oss_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--bucket alone exits 2, saying it goes with --local-oss."""
    assert main(["invoke", "index.main", "--event", "{}", "--bucket", "b"]) == 2
    assert "--local-oss" in capsys.readouterr().err


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
