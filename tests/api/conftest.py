"""Fixtures for the API client: a fake API and a fake CDN on real loopback sockets, and a
client whose retries record their waits instead of sleeping."""
from __future__ import annotations

import os

import pytest

from ttsai_plugin.api import PlanLimits, RateLimiter, RetryPolicy, TTSAIClient
from tests.api.fake_api import FakeAPI, FakeCDN
from tests.api.loopback import LoopbackServer

KEY = "sk-tts-test-5EcReT-0123456789abcdef"
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch):
    """No real user config or environment leaks into a test."""
    for name in ("TTSAI_API_KEY", "TTSAI_BASE_URL", "TTSAI_PLAN"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("TTSAI_CONFIG", str(path))
    return path


@pytest.fixture
def cdn():
    app = FakeCDN()
    server = LoopbackServer(app)
    app.url = server.url
    yield app
    server.close()


@pytest.fixture
def api(cdn):
    app = FakeAPI(cdn)
    server = LoopbackServer(app)
    app.url = server.url
    yield app
    server.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(base_url: str, sleeps: list[float], *, max_retries: int = 4,
                limits: PlanLimits | None = None, **kwargs) -> TTSAIClient:
    limits = limits or PlanLimits("pro", 60, 5, 5000)
    return TTSAIClient(api_key=KEY, base_url=base_url, plan=limits,
                       limiter=RateLimiter(limits), timeout=10.0,
                       retry=RetryPolicy(max_retries=max_retries, sleep=sleeps.append), **kwargs)


@pytest.fixture
def client(api, sleeps):
    with make_client(api.url + "v1/", sleeps) as c:
        yield c


@pytest.fixture
def big_file(tmp_path):
    """60 MB: random head and tail around a sparse middle."""
    path = tmp_path / "long_interview.wav"
    with path.open("wb") as f:
        f.write(os.urandom(MB))
        f.truncate(60 * MB - MB)
        f.seek(0, os.SEEK_END)
        f.write(os.urandom(MB))
    return path
