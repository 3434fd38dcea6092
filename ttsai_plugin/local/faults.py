"""Injected latency and failures, drawn from a seeded RNG so a test run is reproducible.

A dropped connection is the socket shut down with no answer; a truncated answer promises a
Content-Length it never delivers. Both only make sense on a real socket (``serve()``); in
process the app raises ``ConnectionAbortedError`` for a drop instead.
"""
from __future__ import annotations

import random
import socket
import threading
import time

from .config import FaultConfig
from .errors import EngineError

KINDS = ("rate_limited", "internal_error", "model_loading", "drop", "truncate", "slow")


class FaultInjector:
    """Decides, per request, whether and how it fails."""

    def __init__(self, config: FaultConfig, latency: float = 0.0) -> None:
        self.config = config
        self.latency = latency
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()

    def draw(self) -> str | None:
        """The fault for the next request (one of KINDS), or None."""
        if self.config.total <= 0:
            return None
        with self._lock:
            x = self._rng.random()
        edge = 0.0
        for kind in KINDS:
            edge += getattr(self.config, kind)
            if x < edge:
                return kind
        return None

    def before(self, kind: str | None, environ: dict) -> None:
        """Apply the added latency and any fault that happens before the answer."""
        if self.latency > 0:
            time.sleep(self.latency)
        if kind == "slow":
            time.sleep(self.config.slow_seconds)
        elif kind == "rate_limited":
            raise EngineError("rate_limited", "Too many requests (injected fault).",
                              headers={"Retry-After": str(self.config.retry_after)}, injected=True)
        elif kind == "internal_error":
            raise EngineError("internal_error", "Internal server error (injected fault).",
                              injected=True)
        elif kind == "model_loading":
            raise EngineError("model_loading",
                              "The model is loading; retry in a few seconds (injected fault).",
                              headers={"Retry-After": str(self.config.retry_after)}, injected=True)
        elif kind == "drop":
            drop_connection(environ)


def drop_connection(environ: dict) -> None:
    """Close the client's socket without an answer, then abort the request."""
    sock = environ.get("werkzeug.socket")
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    raise ConnectionAbortedError("connection dropped (injected fault)")

