"""A minimal Chrome DevTools Protocol client over a stdlib websocket, for the browser test.

Just enough of RFC 6455 (masked client frames, fragmented server messages,
ping/pong, close) and of CDP (commands by id, events by name) to drive
headless Chromium. Every wait is bounded.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class WebSocket:
    """A blocking websocket client (text messages only)."""

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("websocket handshake: connection closed")
            head += chunk
        status, _, rest = head.partition(b"\r\n\r\n")
        if not status.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(f"websocket handshake refused: {status[:200]!r}")
        self.buffer = rest

    def _recv_exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("websocket closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        size = len(payload)
        if size < 126:
            header += bytes([0x80 | size])
        elif size < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", size)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", size)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send(self, text: str) -> None:
        """Send one text message."""
        self._send_frame(0x1, text.encode())

    def recv(self) -> str:
        """Return the next whole text message."""
        parts: list[bytes] = []
        while True:
            first, second = self._recv_exactly(2)
            opcode = first & 0x0F
            size = second & 0x7F
            if size == 126:
                size = struct.unpack("!H", self._recv_exactly(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", self._recv_exactly(8))[0]
            mask = self._recv_exactly(4) if second & 0x80 else b""
            payload = self._recv_exactly(size)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0x8:
                raise ConnectionError("websocket closed by the browser")
            if opcode in (0x0, 0x1):
                parts.append(payload)
                if first & 0x80:
                    return b"".join(parts).decode()

    def close(self) -> None:
        """Close the connection."""
        with contextlib.suppress(OSError):
            self._send_frame(0x8, b"")
        self.sock.close()


class Browser:
    """Headless Chromium with one page, driven over CDP."""

    def __init__(self, *, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self.profile = Path(tempfile.mkdtemp(prefix="fcsdk-chromium-"))
        self.log = self.profile.parent / (self.profile.name + ".log")
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [
                    CHROMIUM,
                    *FLAGS,
                    f"--user-data-dir={self.profile}",
                    # 0: Chromium binds a free port itself and writes it to
                    # DevToolsActivePort in the profile (no port picked, closed, then raced for)
                    "--remote-debugging-port=0",
                    "about:blank",
                ],
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        self.port = self._active_port()
        self.ws = WebSocket(self._page_socket(), timeout=timeout)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        self.call("Page.enable")
        self.call("Runtime.enable")

    def _active_port(self) -> int:
        """The port Chromium listens on, from the DevToolsActivePort file it writes once bound."""
        active = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            with contextlib.suppress(OSError):
                first_line = active.read_text().split("\n", 1)[0].strip()
                if first_line.isdigit():
                    return int(first_line)
            time.sleep(0.05)
        raise RuntimeError("chromium did not start:\n" + self.log.read_text(errors="replace"))

    def _page_socket(self) -> str:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                url = f"http://127.0.0.1:{self.port}/json/list"
                with urllib.request.urlopen(url, timeout=5) as response:
                    targets = json.load(response)
            except OSError:
                targets = []
            pages = [t for t in targets if t.get("type") == "page"]
            if pages:
                return str(pages[0]["webSocketDebuggerUrl"])
            time.sleep(0.1)
        raise RuntimeError("chromium did not start:\n" + self.log.read_text(errors="replace"))

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a CDP command and return its result (events that arrive meanwhile are kept)."""
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)
        raise TimeoutError(f"no answer to {method}")

    def wait_event(self, method: str) -> dict[str, Any]:
        """Return the first (kept or coming) event named ``method``."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for index, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(index)
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(f"no {method} event")

    def navigate(self, url: str) -> None:
        """Open ``url`` and wait until it has loaded."""
        self.events.clear()
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """Return the value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def type_into(self, selector: str, text: str) -> None:
        """Focus the element and type ``text`` as keyboard input."""
        focused = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return false; e.focus(); return document.activeElement === e; })()"
        )
        if not focused:
            raise RuntimeError(f"cannot focus {selector}")
        for char in text:
            self.call("Input.dispatchKeyEvent", type="keyDown", text=char, key=char)
            self.call("Input.dispatchKeyEvent", type="keyUp", key=char)

    def click(self, selector: str) -> None:
        """Click the middle of the element with the mouse."""
        box = self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
        )
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def close(self) -> None:
        """Stop the browser and remove its profile."""
        try:
            self.ws.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            shutil.rmtree(self.profile, ignore_errors=True)
            self.log.unlink(missing_ok=True)


def dump_dom(url: str, *, timeout: float = 60.0) -> str:
    """Return the DOM Chromium renders for ``url`` (``--dump-dom``)."""
    profile = tempfile.mkdtemp(prefix="fcsdk-chromium-")
    try:
        result = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return result.stdout
