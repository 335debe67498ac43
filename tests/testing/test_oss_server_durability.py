"""LocalOSSServer never loses or tears an object: racing operations on one key, and kill -9."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import oss2
import pytest

from fcsdk._local.oss.storage import crc64
from tests.testing.oss_support import BUCKET, client, new_server

ROOT = Path(__file__).resolve().parents[2]
KEY = "contended.bin"


def check_whole(
    bucket: Any, key: str = KEY, *, md5_etag: bool = True, payloads: bool = False
) -> bytes | None:
    """GET ``key``: the body is whole, its length, CRC-64 and (Normal) ETag match the headers.

    With ``payloads`` the body is the racers' (:func:`payload`): only an appended
    object may mix them.
    """
    try:
        result = bucket.get_object(key)
    except oss2.exceptions.NoSuchKey:
        return None
    body = result.read()
    headers = result.headers
    assert len(body) == int(headers["Content-Length"])
    assert crc64(body, 0) == int(headers["x-oss-hash-crc64ecma"])
    if md5_etag and headers["x-oss-object-type"] == "Normal":
        assert hashlib.md5(body).hexdigest().upper() == headers["ETag"].strip('"')
    if payloads and headers["x-oss-object-type"] != "Appendable":
        # a PUT or a one-part upload holds one racer's payload: one letter throughout
        assert len(set(body)) <= 1, f"a {headers['x-oss-object-type']} object mixes payloads"
    return bytes(body)


def payload(tag: int, size: int) -> bytes:
    """A body made of one repeated byte, so that a torn mix of two bodies shows."""
    return bytes([65 + tag % 26]) * size


def racer(
    bucket: Any, rng_seed: int, rounds: int, barrier: threading.Barrier, errors: list[str]
) -> None:
    """Run random PUT/GET/DELETE/append/multipart calls on one key, recording any failure."""
    rng = random.Random(rng_seed)
    for _ in range(rounds):
        barrier.wait()
        op = rng.choice(["put", "get", "get", "delete", "append", "multipart", "copy"])
        size = rng.choice([1, 1000, 300_000])
        try:
            if op == "put":
                bucket.put_object(KEY, payload(rng_seed, size))
            elif op == "get":
                check_whole(bucket, payloads=True)
            elif op == "delete":
                bucket.delete_object(KEY)
            elif op == "append":
                try:
                    position = bucket.head_object(KEY).headers.get("x-oss-next-append-position")
                except oss2.exceptions.NotFound:
                    position = "0"
                if position is not None:
                    bucket.append_object(KEY, int(position), payload(rng_seed, size))
            elif op == "multipart":
                upload = bucket.init_multipart_upload(KEY).upload_id
                part = bucket.upload_part(KEY, upload, 1, payload(rng_seed, size))
                bucket.complete_multipart_upload(KEY, upload, [oss2.models.PartInfo(1, part.etag)])
            else:
                bucket.copy_object(BUCKET, KEY, KEY + ".copy")
                check_whole(bucket, KEY + ".copy", md5_etag=False)  # a copied append keeps its ETag
        except (oss2.exceptions.NoSuchKey, oss2.exceptions.NotFound):
            pass  # deleted meanwhile: a 404 is a valid answer
        except oss2.exceptions.Conflict:
            pass  # PositionNotEqualToLength / ObjectNotAppendable: a racing write won
        except oss2.exceptions.NoSuchUpload:
            pass
        except Exception as exc:
            errors.append(f"{op}: {type(exc).__name__}: {exc}")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["memory", "folder"])
def test_racing_operations_on_one_key_never_tear_or_lose(mode: str, tmp_path: Path) -> None:
    """PUT/GET/DELETE/append/multipart/copy racing on one key: whole objects or 404, never 500."""
    root = str(tmp_path) if mode == "folder" else None
    threads_n, rounds = 4, 60
    with new_server(root=root) as server:
        barrier = threading.Barrier(threads_n, timeout=30)
        errors: list[str] = []
        buckets = [client(server, connect_timeout=10) for _ in range(threads_n)]
        threads = [
            threading.Thread(target=racer, args=(buckets[i], i, rounds, barrier, errors))
            for i in range(threads_n)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not [t for t in threads if t.is_alive()], "a racer is stuck"
        assert not errors, errors[:5]
        last = check_whole(buckets[0], payloads=True)
        statuses = {r.status for r in server.requests}
        assert 500 not in statuses
    if mode == "folder":
        with new_server(root=root) as again:  # what was there at the end survives a restart
            assert check_whole(client(again)) == last


@pytest.mark.slow
def test_put_racing_delete_keeps_the_put(tmp_path: Path) -> None:
    """A PUT that answered 200 after a racing DELETE is there, whole, also after a restart."""
    with new_server(root=str(tmp_path)) as server:
        bucket = client(server)
        for n in range(25):
            barrier = threading.Barrier(2, timeout=30)
            body = payload(n, 10_000)

            def put(body: bytes = body, barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                bucket.put_object(KEY, body)

            def delete(barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                bucket.delete_object(KEY)

            threads = [threading.Thread(target=put), threading.Thread(target=delete)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert not [t for t in threads if t.is_alive()], "a PUT or DELETE is stuck"
            seen = check_whole(bucket)
            assert seen in (None, body)
            listed = [o.key for o in oss2.ObjectIterator(bucket)]
            assert listed == ([KEY] if seen is not None else [])
        final = check_whole(bucket)
    with new_server(root=str(tmp_path)) as again:
        assert check_whole(client(again)) == final


def test_memory_get_racing_put_sends_the_whole_old_body() -> None:
    """A GET that found an object keeps its bytes although a PUT replaces it before the read."""
    with new_server() as server:
        bucket = client(server)
        bucket.put_object(KEY, b"old" * 1000)
        meta, blob = server._store.open(BUCKET, KEY)
        bucket.put_object(KEY, b"new")
        assert b"".join(blob.read()) == b"old" * 1000
        assert meta.size == 3000


def test_folder_get_racing_delete_is_whole_or_404(tmp_path: Path) -> None:
    """An object found just before a DELETE is still read whole; after it, GET is a 404."""
    with new_server(root=str(tmp_path)) as server:
        bucket = client(server)
        bucket.put_object(KEY, b"x" * 5000)
        _, blob = server._store.open(BUCKET, KEY)
        bucket.delete_object(KEY)
        assert b"".join(blob.read()) == b"x" * 5000
        with pytest.raises(oss2.exceptions.NoSuchKey):
            bucket.get_object(KEY)


def test_bytes_a_crashed_append_left_are_not_served(tmp_path: Path) -> None:
    """Bytes past the recorded length (an append killed mid-copy) never reach an object."""
    with new_server(root=str(tmp_path)) as server:
        bucket = client(server)
        bucket.append_object(KEY, 0, b"HEAD-")
    data_files = list((tmp_path / BUCKET / "objects").glob("*.data"))
    assert len(data_files) == 1
    with data_files[0].open("ab") as f:
        f.write(b"GGGGG")  # what a kill -9 during the next append leaves behind
    with new_server(root=str(tmp_path)) as server:
        bucket = client(server)
        assert check_whole(bucket) == b"HEAD-"
        bucket.append_object(KEY, 5, b"-TAIL")
        assert check_whole(bucket) == b"HEAD--TAIL"


def test_unreferenced_data_files_are_removed_at_start(tmp_path: Path) -> None:
    """A data file no metadata names (a crash before the metadata was replaced) is cleaned up."""
    with new_server(root=str(tmp_path)) as server:
        client(server).put_object(KEY, b"kept")
    objects = tmp_path / BUCKET / "objects"
    (objects / "0123.deadbeef.data").write_bytes(b"orphan")
    (objects / "0123.json.abc.tmp").write_text("{", "utf-8")
    with new_server(root=str(tmp_path)) as server:
        assert check_whole(client(server)) == b"kept"
    assert sorted(p.suffix for p in objects.iterdir()) == [".data", ".json"]


def test_unreadable_metadata_is_skipped(tmp_path: Path) -> None:
    """Metadata that is not JSON, or names a missing or short data file, is ignored, not fatal."""
    with new_server(root=str(tmp_path)) as server:
        bucket = client(server)
        bucket.put_object("a", b"aaaa")
        bucket.put_object("b", b"bbbb")
        bucket.put_object("c", b"cccc")
    objects = tmp_path / BUCKET / "objects"
    metas = {p: p.read_text("utf-8") for p in objects.glob("*.json")}
    by_key = {}
    for path, text in metas.items():
        by_key[json.loads(text)["key"]] = path
    by_key["a"].write_text("not json", "utf-8")
    data_b = objects / json.loads(metas[by_key["b"]])["data"]
    data_b.unlink()
    data_c = objects / json.loads(metas[by_key["c"]])["data"]
    data_c.write_bytes(b"c")
    with new_server(root=str(tmp_path)) as server:
        assert [o.key for o in oss2.ObjectIterator(client(server))] == []


# -- kill -9 of a real server process, at each named step of a write ----------------------


def start_server(
    root: Path, port: int = 0, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str, Any]:
    """Start ``python -m fcsdk oss-server --dir root``; return the process, endpoint and auth."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fcsdk",
            "oss-server",
            "--dir",
            str(root),
            "--bucket",
            BUCKET,
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    shown: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("Press Ctrl-C"):
            break
        if line.strip().startswith("export "):
            name, _, value = line.strip()[len("export ") :].partition("=")
            shown[name] = value.strip("'")
    auth = oss2.Auth(shown["ALIBABA_CLOUD_ACCESS_KEY_ID"], shown["ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
    return proc, shown["FCSDK_OSS_ENDPOINT"], auth


def stop_server(proc: subprocess.Popen[str]) -> int:
    """Stop a server (SIGTERM, SIGKILL past 10 s) and close its pipe; return its exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    assert proc.stdout is not None
    proc.stdout.close()
    return proc.returncode


def killed_at(proc: subprocess.Popen[str]) -> None:
    """Assert that ``proc`` died of SIGKILL (its crash step), within 10 s."""
    try:
        code = proc.wait(10)
    except subprocess.TimeoutExpired:
        raise AssertionError("the server did not reach its crash step") from None
    finally:
        stop_server(proc)
    assert code == -signal.SIGKILL


OLD = payload(0, 300_000)
NEW = payload(1, 200_000)


def files_of(root: Path) -> list[str]:
    """The suffixes of the files in the bucket's objects folder, sorted."""
    return sorted(p.suffix for p in (root / BUCKET / "objects").iterdir())


class TestKilledMidWrite:
    @pytest.mark.parametrize(
        ("step", "survivor"),
        [
            ("data-receiving", OLD),
            ("data-placed", OLD),  # the new data has a file of its own: the old one is intact
            ("metadata-half-written", OLD),  # the metadata is replaced whole or not at all
            ("metadata-replaced", NEW),
        ],
    )
    def test_a_put_killed_at_each_step(self, tmp_path: Path, step: str, survivor: bytes) -> None:
        """kill -9 at each step of a re-PUT: the old object or the new one, whole, no stray file."""
        proc, endpoint, auth = start_server(tmp_path)
        try:
            oss2.Bucket(auth, endpoint, BUCKET).put_object(KEY, OLD)
        finally:
            stop_server(proc)
        proc, endpoint, auth = start_server(tmp_path, env={"FCSDK_OSS_CRASH_AT": step})
        with pytest.raises(oss2.exceptions.RequestError):
            oss2.Bucket(auth, endpoint, BUCKET, connect_timeout=10).put_object(KEY, NEW)
        killed_at(proc)
        proc, endpoint, auth = start_server(tmp_path)
        try:
            assert check_whole(oss2.Bucket(auth, endpoint, BUCKET)) == survivor
        finally:
            stop_server(proc)
        assert files_of(tmp_path) == [".data", ".json"]

    @pytest.mark.parametrize("step", ["append-copied", "metadata-half-written"])
    def test_an_append_killed_mid_way(self, tmp_path: Path, step: str) -> None:
        """kill -9 in an append: the object keeps its recorded bytes; appends go on from there."""
        proc, endpoint, auth = start_server(tmp_path)
        try:
            oss2.Bucket(auth, endpoint, BUCKET).append_object("log", 0, b"HEAD-")
        finally:
            stop_server(proc)
        proc, endpoint, auth = start_server(tmp_path, env={"FCSDK_OSS_CRASH_AT": step})
        with pytest.raises(oss2.exceptions.RequestError):
            oss2.Bucket(auth, endpoint, BUCKET).append_object("log", 5, b"LOST")
        killed_at(proc)
        proc, endpoint, auth = start_server(tmp_path)
        try:
            bucket = oss2.Bucket(auth, endpoint, BUCKET)
            assert check_whole(bucket, "log") == b"HEAD-"
            bucket.append_object("log", 5, b"-TAIL")
            assert check_whole(bucket, "log") == b"HEAD--TAIL"
        finally:
            stop_server(proc)

    def test_an_unknown_step_is_refused(self, tmp_path: Path) -> None:
        """A misspelt crash step stops the server at start instead of never crashing."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "fcsdk", "oss-server", "--dir", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env={**os.environ, "FCSDK_OSS_CRASH_AT": "data-plaiced"},
        )
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 2
        assert "FCSDK_OSS_CRASH_AT='data-plaiced'" in err
