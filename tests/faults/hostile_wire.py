"""A hostile front for the local engine: a WSGI middleware that, for a seeded share of the
requests, answers the way a misbehaving service does — absurd rate-limit headers, 200s with
a cut or non-audio body, mp3 where wav was asked, a POST moved with 301, 429s whose
Retry-After is infinite — and otherwise passes the engine's real answer through.

``start_hostile(config)`` serves it on 127.0.0.1 like ``wire.start_engine`` does.
"""
from __future__ import annotations

import random
import subprocess
import threading
from collections import Counter
from typing import Any, Callable, Iterable

from werkzeug.serving import make_server

from ttsai_plugin.local import EngineConfig, create_app
from ttsai_plugin.media import ffmpeg
from tests.faults.wire import CountingApp, LoopbackEngine

KINDS = ("absurd_reset", "cut_audio", "html_200", "mp3_for_wav", "post_moved", "inf_retry_after")
AUDIO_TYPES = ("audio/",)


class HostileApp:
    """Passes requests to ``app``; ``share`` of them (each kind equally) come back hostile."""

    def __init__(self, app: Callable[..., Any], share: float, seed: int = 9) -> None:
        self.app = app
        self.share = share
        self.seen: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def _draw(self) -> str | None:
        with self._lock:
            x = self._rng.random()
        if x >= self.share:
            return None
        return KINDS[int(x / self.share * len(KINDS))]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        kind = self._draw()
        path = environ.get("PATH_INFO", "")
        if kind == "post_moved" and environ["REQUEST_METHOD"] == "POST" \
                and "moved=1" not in environ.get("QUERY_STRING", ""):
            self._count(kind)
            start_response("301 Moved Permanently", [("Location", f"{path}?moved=1"),
                                                     ("Content-Length", "0")])
            return [b""]
        if kind == "inf_retry_after":
            self._count(kind)
            body = b'{"error": {"code": "rate_limited", "message": "slow down"}}'
            start_response("429 Too Many Requests", [
                ("Content-Type", "application/json"), ("Retry-After", "inf"),
                ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "1e12"),
                ("Content-Length", str(len(body)))])
            return [body]
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        answer = self.app(environ, capture)
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        status, headers = captured["status"], captured["headers"]
        ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
        audio = status.startswith("200") and ctype.startswith(AUDIO_TYPES)
        if kind == "absurd_reset":
            self._count(kind)
            headers = [h for h in headers if not h[0].lower().startswith("x-ratelimit")]
            headers += [("X-RateLimit-Remaining", "0"),
                        ("X-RateLimit-Reset", self._rng.choice(["5000000000", "inf", "1e12"]))]
        elif audio and kind == "cut_audio":
            self._count(kind)
            body = body[:100]
        elif audio and kind == "html_200":
            self._count(kind)
            body, ctype = b"<html>upstream error</html>", "text/html"
        elif audio and kind == "mp3_for_wav" and body[:4] == b"RIFF":
            self._count(kind)
            body, ctype = _to_mp3(body), "audio/mpeg"
        headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "content-type")]
        headers += [("Content-Type", ctype), ("Content-Length", str(len(body)))]
        start_response(status, headers)
        return [body]

    def close(self) -> None:
        if hasattr(self.app, "close"):
            self.app.close()

    def _count(self, kind: str) -> None:
        with self._lock:
            self.seen[kind] += 1


def _to_mp3(wav: bytes) -> bytes:
    proc = subprocess.run([ffmpeg.ffmpeg_exe(), "-nostdin", "-v", "error", "-f", "wav", "-i",
                           "pipe:0", "-f", "mp3", "pipe:1"], input=wav, capture_output=True,
                          check=True)
    return proc.stdout


def start_hostile(config: EngineConfig, share: float, seed: int = 9) -> tuple[LoopbackEngine,
                                                                                 HostileApp]:
    """The engine behind a HostileApp (counted), on 127.0.0.1 at a free port."""
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    hostile = HostileApp(create_app(config), share, seed)
    app = CountingApp(hostile)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True, name="hostile-engine")
    thread.start()
    return LoopbackEngine(f"http://127.0.0.1:{server.server_port}/v1/", app, config, server,
                          thread), hostile
