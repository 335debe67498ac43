"""``fcsdk oss-server``: run :class:`~fcsdk.testing.oss.LocalOSSServer` until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from types import FrameType

from fcsdk._platform.context import FAKE_ACCESS_KEY_ID, FAKE_ACCESS_KEY_SECRET

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add ``fcsdk oss-server``'s options to ``parser``."""
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
    """Serve until interrupted; 0 on a clean stop, 2 on bad options or a taken port."""
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
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
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
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
    sys.stdout.write("LocalOSSServer stopped.\n")
    sys.stdout.flush()
    return 0
