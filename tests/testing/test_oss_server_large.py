"""Tests for fcsdk/testing/oss.py: a 100 MB object streams through the server.

Each run is a fresh interpreter, so that its peak memory (``ru_maxrss``)
measures this transfer alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIZE = 100 * 1024 * 1024
MB = 1024 * 1024

SCRIPT = r"""
import hashlib, json, os, resource, sys, tempfile
import oss2
from fcsdk.testing.oss import LocalOSSServer

mode, size = sys.argv[1], int(sys.argv[2])
block = os.urandom(1024 * 1024)
with tempfile.TemporaryDirectory() as folder:
    source = os.path.join(folder, "source.bin")
    digest = hashlib.md5()
    with open(source, "wb") as f:
        for i in range(size // len(block)):
            piece = block[:-4] + i.to_bytes(4, "big")
            f.write(piece)
            digest.update(piece)
    root = os.path.join(folder, "store") if mode == "folder" else None
    with LocalOSSServer(root=root, buckets=["big"]) as server:
        auth = oss2.StsAuth(server.access_key_id, server.access_key_secret, None)
        bucket = oss2.Bucket(auth, server.endpoint, "big")
        bucket.put_object("warm-up", b"x")
        bucket.get_object("warm-up").read()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with open(source, "rb") as f:
            put = bucket.put_object("big.bin", f)
        got = bucket.get_object("big.bin")
        back = hashlib.md5()
        for chunk in got:
            back.update(chunk)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({
            "same": back.hexdigest() == digest.hexdigest(),
            "etag": put.etag == digest.hexdigest().upper(),
            "crc": got.client_crc == got.server_crc,
            "size": bucket.head_object("big.bin").content_length,
            "grew_mb": (after - before) / 1024,
        }))
"""


@pytest.mark.slow
class TestLargeObject:
    @pytest.mark.parametrize(("mode", "limit_mb"), [("folder", 40), ("memory", 150)])
    def test_100_mb_streams(self, mode: str, limit_mb: int) -> None:
        """100 MB round-trips intact; folder storage stays flat, memory holds one copy only."""
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, mode, str(SIZE)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            cwd=ROOT,
        )
        report = json.loads(result.stdout)
        assert report["same"]
        assert report["etag"]
        assert report["crc"]
        assert report["size"] == SIZE
        # Two copies of the object would be 200 MB; streaming keeps well below.
        assert report["grew_mb"] < limit_mb, report
