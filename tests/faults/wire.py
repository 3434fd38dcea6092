"""The local engine on a real loopback socket with its requests counted on both sides.

``CountingApp`` wraps the engine's WSGI app and counts every request the server saw, per
``X-Test-Job`` header (a dropped or truncated answer still counts: the server got it).
``TaggingTransport`` is an ordinary HTTP transport that stamps that header and counts answers
per status on the client side.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx
from werkzeug.serving import make_server

from ttsai_plugin.local import EngineConfig, create_app

JOB_HEADER = "X-Test-Job"


class CountingApp:
    """WSGI middleware: requests per job tag and per path, thread-safe."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.per_job: Counter[str] = Counter()
        self.per_path: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        tag = environ.get("HTTP_" + JOB_HEADER.upper().replace("-", "_"), "")
        with self._lock:
            self.per_job[tag] += 1
            self.per_path[environ.get("PATH_INFO", "")] += 1
        return self.app(environ, start_response)

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.per_path.values())


class TaggingTransport(httpx.HTTPTransport):
    """Stamps ``X-Test-Job: <tag>`` on every request and counts answers per status."""

    def __init__(self, tag: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tag = tag
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.tag:
            request.headers[JOB_HEADER] = self.tag
        try:
            response = super().handle_request(request)
        except Exception as error:
            self.errors[type(error).__name__] += 1
            raise
        self.statuses[response.status_code] += 1
        return response

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + sum(self.errors.values())


@dataclass
class LoopbackEngine:
    """A running engine: base ``url``, the counting ``app`` and the engine's ``config``."""

    url: str
    app: CountingApp
    config: EngineConfig
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
        engine = self.app.app
        if hasattr(engine, "close"):
            engine.close()

    def __enter__(self) -> "LoopbackEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_engine(config: EngineConfig) -> LoopbackEngine:
    """Serve ``create_app(config)``, counted, on 127.0.0.1 at a free port (threaded)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = CountingApp(create_app(config))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True, name="test-engine")
    thread.start()
    return LoopbackEngine(f"http://127.0.0.1:{server.server_port}/v1/", app, config, server, thread)
