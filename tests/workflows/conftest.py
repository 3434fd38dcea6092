"""Workflow fixtures: a client on the loopback engine whose transport counts requests and
measures how many were in flight at once, and a Context with a private cache."""
from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from ttsai_plugin.api import TTSAIClient
from ttsai_plugin.cache import ResultCache
from ttsai_plugin.workflows import Context


class _Replay(httpx.SyncByteStream):
    """An already-read body handed on as a stream (so the client counts the bytes it gets)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def __iter__(self):
        yield self.body


class CountingTransport(httpx.BaseTransport):
    """A real HTTP transport that records each request (path, JSON text), the answers' bytes,
    and the peak number of requests in flight."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.requests: list[str] = []
        self.tts_audio: dict[str, bytes] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.requests.append(request.url.path)
        try:
            response = self.inner.handle_request(request)
            body = response.read()
        finally:
            with self.lock:
                self.active -= 1
        if request.url.path.endswith("/tts/") and response.status_code == 200:
            text = json.loads(request.content)["text"]
            with self.lock:
                self.tts_audio[text] = body
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=_Replay(body), request=request)

    def count(self, fragment: str) -> int:
        with self.lock:
            return sum(fragment in path for path in self.requests)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def transport() -> CountingTransport:
    t = CountingTransport()
    yield t
    t.close()


@pytest.fixture
def client(engine, transport) -> TTSAIClient:
    from ttsai_plugin.local import DEV_KEY
    c = TTSAIClient(api_key=DEV_KEY, base_url=engine.url, plan="pro", transport=transport)
    yield c
    c.close()


@pytest.fixture
def ctx(client, tmp_path) -> Context:
    return Context(client, tmp_path / "out", ResultCache(tmp_path / "cache"))


def visible_files(folder: Path) -> list[Path]:
    """Everything a user would see in ``folder`` (hidden work files excluded)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def all_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
