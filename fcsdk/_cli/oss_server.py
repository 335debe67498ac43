"""``fcsdk oss-server``: run :class:`~fcsdk.testing.oss.LocalOSSServer` until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
import time
from types import FrameType

from fcsdk._platform.context import FAKE_ACCESS_KEY_ID, FAKE_ACCESS_KEY_SECRET

__all__ = ["configure", "run"]

DEFAULT_LS_DIR = ".fcsdk/oss"
"""What ``fcsdk oss-server ls`` lists without ``--dir``: ``fcsdk serve``'s default ``--oss-dir``."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``fcsdk oss-server``'s options to ``parser``."""
    parser.add_argument(
        "action",
        nargs="?",
        choices=["serve", "ls"],
        default="serve",
        help="serve (the default), or ls: list the objects a --dir holds and their data files "
        f"(default folder: {DEFAULT_LS_DIR}, where fcsdk serve keeps them; --bucket to pick)",
    )
    parser.add_argument(
        "--dir",
        default=None,
        help="folder to keep buckets and objects in (default: in memory, lost on exit)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)"
    )
    parser.add_argument(
        "--access-key-id", default=FAKE_ACCESS_KEY_ID, help="access key id to accept"
    )
    parser.add_argument(
        "--access-key-secret", default=FAKE_ACCESS_KEY_SECRET, help="secret to accept"
    )
    parser.add_argument(
        "--security-token",
        default=None,
        help="STS token requests must carry (default: none required)",
    )
    parser.add_argument(
        "--bucket",
        action="append",
        default=[],
        metavar="NAME",
        help="create this bucket at start (repeatable)",
    )
    parser.add_argument("--region", default="cn-hangzhou", help="region it reports")


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; 0 on a clean stop, 2 on bad options or a taken port.

    Ctrl-C and SIGTERM only set an event that the main thread polls: no
    ``KeyboardInterrupt`` is raised into the middle of the server's start or
    stop, where on Python 3.10 it could leave a thread join waiting forever.
    """
    if args.action == "ls":
        return _list(args)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return _serve(args, stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve(args: argparse.Namespace, stop: threading.Event) -> int:
    from fcsdk._local.oss.local_server import LocalOSSServer
    from fcsdk.exceptions import InvalidBucketNameError

    try:
        server = LocalOSSServer(
            access_key_id=args.access_key_id,
            access_key_secret=args.access_key_secret,
            security_token=args.security_token,
            root=args.dir,
            port=args.port,
            region=args.region,
            buckets=args.bucket,
        ).start()
    except (ValueError, InvalidBucketNameError, OSError) as exc:
        sys.stderr.write(f"fcsdk oss-server: {exc}\n")
        return 2
    try:
        out = sys.stdout
        where = args.dir if args.dir is not None else "memory"
        out.write(f"LocalOSSServer listening on {server.endpoint} (storing in {where})\n")
        out.write("Point fcsdk and the 3.12-style environment at it with:\n")
        for name, value in server.environ().items():
            out.write(f"  export {name}={shlex.quote(value)}\n")
        out.write("Press Ctrl-C to stop.\n")
        out.flush()
        while not stop.wait(0.2):
            pass
    finally:
        server.stop()
    sys.stdout.write("LocalOSSServer stopped.\n")
    sys.stdout.flush()
    return 0


def _list(args: argparse.Namespace) -> int:
    """Print each stored object: bucket/key, size, last modified, and its data file."""
    from fcsdk._local.oss.folder import stored_objects

    root = args.dir if args.dir is not None else DEFAULT_LS_DIR
    try:
        found = stored_objects(root)
    except FileNotFoundError as exc:
        sys.stderr.write(f"fcsdk oss-server ls: {exc}\n")
        return 2
    wanted = set(args.bucket)
    rows = [
        (
            f"{o.bucket}/{o.meta.key}"
            if o.meta.key.isprintable()
            else f"{o.bucket}/{o.meta.key!r}",
            str(o.meta.size),
            time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(o.meta.last_modified)),
            str(o.path),
        )
        for o in found
        if not wanted or o.bucket in wanted
    ]
    if not rows:
        sys.stderr.write(f"fcsdk oss-server ls: no objects in {root}\n")
        return 0
    header = ("OBJECT", "SIZE", "MODIFIED (UTC)", "DATA FILE")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        sys.stdout.write(
            f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}\n"
        )
    return 0
