"""Tests for fcsdk/_cli/oss_server.py: ``fcsdk oss-server``."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import oss2
import pytest

from fcsdk.cli import main
from fcsdk.testing.oss import LocalOSSServer

ROOT = Path(__file__).resolve().parents[2]


def start(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start ``python -m fcsdk oss-server`` and read the variables it prints."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "fcsdk", "oss-server", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    env: dict[str, str] = {}
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line or line.startswith("Press Ctrl-C"):
            break
        if line.strip().startswith("export "):
            name, _, value = line.strip()[len("export ") :].partition("=")
            env[name] = value.strip("'")
    return proc, env


@pytest.mark.slow
class TestOssServerProcess:
    @pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
    def test_serves_and_stops_cleanly(self, tmp_path: Path, sig: signal.Signals) -> None:
        """It prints the endpoint and credentials, serves oss2, and exits 0 on SIGTERM/Ctrl-C."""
        proc, env = start(
            "--dir", str(tmp_path), "--bucket", "demo", "--security-token", "cli-token"
        )
        try:
            assert env["ALIBABA_CLOUD_SECURITY_TOKEN"] == "cli-token"
            auth = oss2.StsAuth(
                env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                env["ALIBABA_CLOUD_SECURITY_TOKEN"],
            )
            bucket = oss2.Bucket(auth, env["FCSDK_OSS_ENDPOINT"], "demo")
            bucket.put_object("from-cli.txt", b"stored")
        finally:
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        assert "stopped" in out
        with LocalOSSServer(root=tmp_path) as again:
            assert again.object_keys("demo") == ["from-cli.txt"]


@pytest.mark.slow
class TestOssServerSignals:
    @pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
    def test_signal_stops(self, sig: signal.Signals) -> None:
        """Ctrl-C (SIGINT) or SIGTERM once it is ready: it stops with 0 and no traceback."""
        proc, env = start("--bucket", "demo")
        assert env["FCSDK_OSS_ENDPOINT"].startswith("http://127.0.0.1:")
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
        assert (proc.returncode, err) == (0, "")
        assert out.endswith("LocalOSSServer stopped.\n")

    def test_signal_handlers_are_restored(self, capsys: pytest.CaptureFixture[str]) -> None:
        """In process, a run that fails to start leaves Ctrl-C and SIGTERM as they were."""
        before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
        assert main(["oss-server", "--bucket", "Bad_Name"]) == 2
        assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


class TestOssServerInProcess:
    def test_bad_bucket_name(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A forbidden bucket name exits 2 with the reason."""
        assert main(["oss-server", "--bucket", "Bad_Name"]) == 2
        assert "invalid OSS bucket name" in capsys.readouterr().err

    def test_port_taken(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A taken port exits 2."""
        with LocalOSSServer() as other:
            assert main(["oss-server", "--port", str(other.port)]) == 2
        assert "fcsdk oss-server:" in capsys.readouterr().err

    def test_empty_key(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An empty access key id exits 2."""
        assert main(["oss-server", "--access-key-id", ""]) == 2
        assert "non-empty" in capsys.readouterr().err


class TestOssServerList:
    def test_lists_keys_sizes_and_data_files(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """ls prints each object's bucket/key and size, and the hashed file that holds it."""
        with LocalOSSServer(root=tmp_path, buckets=["demo", "other"]) as server:
            bucket = oss2.Bucket(
                oss2.Auth(server.access_key_id, server.access_key_secret), server.endpoint, "demo"
            )
            bucket.put_object("reports/2026 q1.csv", b"a,b\n1,2\n")
            bucket.put_object("tab\tkey", b"x")
            assert main(["oss-server", "ls", "--dir", str(tmp_path)]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].split() == ["OBJECT", "SIZE", "MODIFIED", "(UTC)", "DATA", "FILE"]
        assert len(lines) == 3
        row = re.fullmatch(r"(.+?) +(\d+)  (\S+ \S+)  (\S+)", lines[1])
        assert row is not None, lines[1]
        assert row.group(1, 2) == ("demo/reports/2026 q1.csv", "8")
        data_file = Path(row.group(4))
        assert data_file.parent == tmp_path / "demo" / "objects"
        assert data_file.read_bytes() == b"a,b\n1,2\n"
        assert lines[2].startswith("demo/'tab\\tkey'  ")  # unprintable keys are quoted

    def test_bucket_filter_and_default_folder(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--bucket lists one bucket; without --dir, ls reads fcsdk serve's .fcsdk/oss."""
        monkeypatch.chdir(tmp_path)
        with LocalOSSServer(root=tmp_path / ".fcsdk" / "oss", buckets=["aaa", "bbb"]) as server:
            auth = oss2.Auth(server.access_key_id, server.access_key_secret)
            oss2.Bucket(auth, server.endpoint, "aaa").put_object("in-a", b"1")
            oss2.Bucket(auth, server.endpoint, "bbb").put_object("in-b", b"2")
        assert main(["oss-server", "ls", "--bucket", "bbb"]) == 0
        out = capsys.readouterr().out
        assert "bbb/in-b" in out
        assert "aaa/in-a" not in out

    def test_listing_changes_nothing(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """ls leaves a running server's files alone: an upload in progress, an unnamed file."""
        with LocalOSSServer(root=tmp_path, buckets=["demo"]) as server:
            auth = oss2.Auth(server.access_key_id, server.access_key_secret)
            oss2.Bucket(auth, server.endpoint, "demo").put_object("k", b"v")
            in_flight = tmp_path / "demo" / "tmp" / "blob-1.data"
            in_flight.parent.mkdir(exist_ok=True)
            in_flight.write_bytes(b"arriving")
            placed = tmp_path / "demo" / "objects" / "0123.abcd.data"
            placed.write_bytes(b"not named by metadata yet")
            assert main(["oss-server", "ls", "--dir", str(tmp_path)]) == 0
            assert in_flight.exists()
            assert placed.exists()
        assert "demo/k" in capsys.readouterr().out

    def test_no_store_there(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """ls on a folder holding no buckets exits 2 saying so; an empty bucket prints a note."""
        assert main(["oss-server", "ls", "--dir", str(tmp_path / "missing")]) == 2
        assert "no buckets stored in" in capsys.readouterr().err
        with LocalOSSServer(root=tmp_path, buckets=["empty"]):
            pass
        assert main(["oss-server", "ls", "--dir", str(tmp_path)]) == 0
        assert "no objects in" in capsys.readouterr().err
