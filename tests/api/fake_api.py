"""A small contract-shaped fake of the TTS.ai API and of a CDN, for error injection.

It answers every endpoint with fixed, checkable content and records what it saw (headers,
form fields, upload sizes, concurrency). ``script(path, *replies)`` queues answers that
replace the default for the next requests to ``path`` — 429s, 500s, truncated bodies …
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from werkzeug.wrappers import Request



def tone(seconds: float = 1.0, freq: int = 440, fmt: str = "wav") -> bytes:
    """Real audio made by ffmpeg (a file, so its header states its length, as a service's
    does): the client decodes every answer before it keeps it."""
    from tests.media_factory import ffmpeg
    with tempfile.TemporaryDirectory(prefix="ttsai-tone-") as d:
        out = Path(d) / f"tone.{fmt}"
        subprocess.run([ffmpeg(), "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                        f"sine=frequency={freq}:sample_rate=8000:duration={seconds}",
                        "-ac", "1", str(out)], capture_output=True, check=True)
        return out.read_bytes()


AUDIO = tone()
STEMS = {"vocals": tone(freq=660), "accompaniment": tone(freq=220)}


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_length: int | None = None   # a lie, to cut an answer short

    def render(self) -> tuple[str, list[tuple[str, str]], Iterable[bytes]]:
        headers = dict(self.headers)
        if isinstance(self.body, dict):
            body: Any = [json.dumps(self.body).encode()]
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(self.body, bytes):
            body = [self.body]
        else:
            body = self.body
        if self.content_length is not None:
            headers["Content-Length"] = str(self.content_length)
        elif isinstance(body, list):
            headers["Content-Length"] = str(sum(map(len, body)))
        headers.setdefault("Content-Type", "audio/mpeg")
        return f"{self.status} X", list(headers.items()), body


def error(status: int, code: str, message: str = "nope", **extra: Any) -> Reply:
    headers = {k.replace("_", "-"): str(v) for k, v in extra.pop("headers", {}).items()}
    return Reply(status, {"error": {"code": code, "message": message, **extra}}, headers)


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]
    json: Any
    uploads: dict[str, tuple[int, str]]   # field -> (bytes, sha256)
    at: float


class Recorder:
    """What a fake server saw, and how many requests it handled at once."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def enter(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)
            self.active += 1
            self.max_active = max(self.max_active, self.active)

    def leave(self) -> None:
        with self._lock:
            self.active -= 1

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


def _read(request: Request) -> Seen:
    uploads = {}
    for name, storage in request.files.items():
        digest, size = hashlib.sha256(), 0
        while chunk := storage.stream.read(1 << 16):
            digest.update(chunk)
            size += len(chunk)
        uploads[name] = (size, digest.hexdigest())
    body = request.get_json(silent=True) if request.is_json else None
    return Seen(request.method, request.path, dict(request.headers), dict(request.form), body,
                uploads, time.monotonic())


class FakeCDN:
    """Serves ``files`` at ``/files/<name>`` with no auth and records every request.

    A file may be bytes, a :class:`Reply`, or a list of replies given one per request
    (the last one repeats).
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes | Reply | list[Reply]] = {}
        self.rec = Recorder()
        self.url = ""

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.rec.enter(_read(request))
        try:
            name = request.path.rsplit("/", 1)[-1]
            found = self.files.get(name)
            if isinstance(found, list):
                found = found.pop(0) if len(found) > 1 else found[0]
            reply = (found if isinstance(found, Reply) else
                     Reply(200, found, {"Content-Type": "audio/wav"}) if found is not None
                     else Reply(404, b"no such file"))
            status, headers, body = reply.render()
            start_response(status, headers)
            return list(body)
        finally:
            self.rec.leave()


class FakeAPI:
    """The API under ``/v1/``: default contract answers, scripted overrides, a recorder."""

    def __init__(self, cdn: FakeCDN) -> None:
        self.cdn = cdn
        self.rec = Recorder()
        self.url = ""
        self.delay = 0.0
        self.polls_before_done = 2
        self.separate_async = False
        self.task_fails = False
        self.headers = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59",
                        "X-RateLimit-Reset": "30"}
        self._scripts: dict[str, list[Reply | Callable[[Seen], Reply]]] = {}
        self._polls = 0

    def script(self, path: str, *replies: Reply | Callable[[Seen], Reply]) -> None:
        self._scripts.setdefault("/v1/" + path.lstrip("/"), []).extend(replies)

    def cdn_url(self, name: str, data: bytes | Reply | list[Reply]) -> str:
        self.cdn.files[name] = data
        return f"{self.cdn.url}files/{name}"

    def __call__(self, environ, start_response):
        request = Request(environ)
        seen = _read(request)
        self.rec.enter(seen)
        try:
            if self.delay:
                time.sleep(self.delay)
            queue = self._scripts.get(seen.path)
            reply = queue.pop(0) if queue else self._default(seen)
            if callable(reply):
                reply = reply(seen)
            reply.headers = {**self.headers, **reply.headers}
            status, headers, body = reply.render()
            start_response(status, headers)
            return list(body) if isinstance(body, list) else body
        finally:
            self.rec.leave()

    def _default(self, s: Seen) -> Reply:
        route = s.path.removeprefix("/v1/")
        billed = {"X-Credits-Used": "2", "X-Credits-Remaining": "498"}
        audio_routes = {"tts/clone/", "voice-convert/", "speech-to-speech/", "audio/enhance/",
                        "audio/dereverb/", "audio/convert/"}
        if route == "tts/":
            ctype = {"wav": "audio/wav", "flac": "audio/flac"}.get(s.json.get("format"), "audio/mpeg")
            if s.json.get("stream"):
                return Reply(200, iter([AUDIO[:1000], AUDIO[1000:]]), {**billed, "Content-Type": ctype})
            return Reply(200, AUDIO, {**billed, "Content-Type": ctype})
        if route in audio_routes:
            return Reply(200, AUDIO, {**billed, "Content-Type": "audio/wav"})
        if route == "stt/":
            return Reply(200, {"text": "hello world", "language": "en", "duration": 1.5,
                               "segments": [{"start": 0.0, "end": 1.5, "text": "hello world",
                                             "speaker": "A", "confidence": 0.9,
                                             "words": [{"start": 0.0, "end": 0.7, "word": "hello"},
                                                       {"start": 0.8, "end": 1.5, "word": "world"}]}],
                               "extra_field": 1}, billed)
        if route == "speech-translate/":
            return Reply(200, {"original_text": "hello", "translated_text": "hola",
                               "source_language": "en", "target_language": "es",
                               "audio_url": self.cdn_url("dub.wav", AUDIO), "credits_used": 5,
                               "mock": "translation"}, {"X-TTSAI-Mock": "translation"})
        if route == "audio/separate/":
            if self.separate_async:
                self._polls = 0
                return Reply(202, {"task_id": "task_1", "status": "queued",
                                   "result_url": f"{self.url}v1/results/task_1"})
            return Reply(200, self._stems())
        if route.startswith("results/"):
            self._polls += 1
            if self._polls <= self.polls_before_done:
                return Reply(202, {"status": "processing"})
            if self.task_fails:
                return Reply(200, {"status": "failed",
                                   "error": {"code": "internal_error", "message": "demucs crashed"}})
            return Reply(200, {"status": "success", **self._stems()})
        if route == "audio/analyze/":
            return Reply(200, {"key": "A", "scale": "minor", "bpm": 120.0, "time_signature": "4/4",
                               "camelot": "8A", "compatible_keys": ["C major", "E minor"]})
        if route == "voice-chat/":
            return Reply(200, {"conversation_id": "c1", "user_text": "hi", "ai_text": "hello!",
                               "audio_url": self.cdn_url("chat.wav", AUDIO), "credits_used": 3})
        if route == "models/":
            return Reply(200, {"models": [{"id": "kokoro", "name": "Kokoro", "type": "tts",
                                           "tier": "standard", "languages": ["en"],
                                           "supports_cloning": False, "supports_streaming": True,
                                           "credits_per_1k_chars": 2, "new_field": "x"}]})
        if route == "voices/":
            return Reply(200, {"voices": [{"id": "af_bella", "name": "Bella", "model": "kokoro",
                                           "language": "en", "gender": "female",
                                           "preview_url": self.cdn_url("bella.wav", AUDIO)}],
                               "total": 1})
        return Reply(404, {"error": {"code": "not_found", "message": f"no route {route}"}})

    def _stems(self) -> dict:
        return {"stems": {name: self.cdn_url(f"{name}.wav", body) for name, body in STEMS.items()},
                "credits_used": 12}
