"""A small obs-websocket 5 client (OBS 28+ ships the server) over a plain RFC 6455 socket, so the
real-window check needs no extra package. Loopback only; no authentication (the check's own
OBS runs with it off, in a network namespace of its own)."""
from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
import uuid
from typing import Any


class ObsWsError(RuntimeError):
    """A request OBS refused, or a broken connection."""


class ObsWs:
    """One identified connection; ``call`` sends a request and returns its response data."""

    def __init__(self, port: int, *, timeout: float = 30.0) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self._buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        self._sock.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                            "Sec-WebSocket-Protocol: obswebsocket.json\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = self._until(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ObsWsError(f"no websocket upgrade: {head[:200]!r}")
        hello = self._message()
        if hello.get("op") != 0:
            raise ObsWsError(f"expected Hello, got {hello}")
        if hello["d"].get("authentication"):
            raise ObsWsError("the websocket server asks for a password; the check runs its "
                             "own OBS with authentication off")
        self._send({"op": 1, "d": {"rpcVersion": 1, "eventSubscriptions": 0}})
        if self._message().get("op") != 2:
            raise ObsWsError("OBS did not identify the connection")

    # --- frames ---------------------------------------------------------------------------

    def _until(self, marker: bytes) -> bytes:
        while marker not in self._buf:
            self._read_more()
        head, self._buf = self._buf.split(marker, 1)
        return head

    def _read_more(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ObsWsError("OBS closed the websocket")
        self._buf += chunk

    def _take(self, n: int) -> bytes:
        while len(self._buf) < n:
            self._read_more()
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def _frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self._sock.sendall(head + mask + body)

    def _send(self, message: dict[str, Any]) -> None:
        self._frame(0x1, json.dumps(message).encode())

    def _message(self) -> dict[str, Any]:
        parts: list[bytes] = []
        while True:
            b0, b1 = self._take(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._take(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._take(8))[0]
            mask = self._take(4) if b1 & 0x80 else b""
            data = self._take(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            opcode = b0 & 0x0F
            if opcode == 0x8:
                raise ObsWsError("OBS closed the websocket")
            if opcode == 0x9:
                self._frame(0xA, data)
                continue
            if opcode in (0x0, 0x1):
                parts.append(data)
                if b0 & 0x80:
                    return json.loads(b"".join(parts))

    # --- requests -------------------------------------------------------------------------

    def call(self, request: str, **data: Any) -> dict[str, Any]:
        """Send ``request`` with ``data``; its responseData, or ObsWsError with OBS's reason."""
        rid = uuid.uuid4().hex
        self._send({"op": 6, "d": {"requestType": request, "requestId": rid,
                                   "requestData": data}})
        while True:
            msg = self._message()
            if msg.get("op") == 7 and msg["d"].get("requestId") == rid:
                status = msg["d"]["requestStatus"]
                if not status.get("result"):
                    raise ObsWsError(f"{request}: {status.get('code')} {status.get('comment')}")
                return msg["d"].get("responseData") or {}

    def timed(self, request: str, **data: Any) -> tuple[dict[str, Any], float]:
        """``call`` and how long OBS took to answer, in seconds (its UI thread's latency)."""
        start = time.monotonic()
        reply = self.call(request, **data)
        return reply, time.monotonic() - start

    def close(self) -> None:
        try:
            self._frame(0x8, b"")
        except OSError:
            pass
        self._sock.close()
