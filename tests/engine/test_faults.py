"""Injected latency and failures: reproducible from a seed, and what a client really meets."""
from __future__ import annotations

import socket
import time
from collections import Counter
from urllib.parse import urlsplit

import httpx
import pytest

from ttsai_plugin.local import DEV_KEY, FaultConfig

from .conftest import client, error_of

TTS = {"model": "kokoro", "text": "Hello!", "voice": "af_bella", "format": "wav"}
MIXED = FaultConfig(rate_limited=0.2, internal_error=0.1, model_loading=0.1, seed=7)


def statuses(server, n: int = 60) -> list[int]:
    with client(server) as c:
        return [c.get("models/").status_code for _ in range(n)]


def test_the_same_seed_fails_the_same_requests_in_the_same_shares(start_engine):
    first = statuses(start_engine(faults=MIXED))
    second = statuses(start_engine(faults=MIXED))
    other = statuses(start_engine(faults=FaultConfig(**{**MIXED.__dict__, "seed": 8})))
    assert first == second and first != other
    counts = Counter(first)
    assert set(counts) == {200, 429, 500, 503}
    assert 0.25 <= 1 - counts[200] / len(first) <= 0.55  # 40 % configured


def test_injected_errors_carry_the_contract_body_and_retry_hints(start_engine):
    server = start_engine(faults=MIXED)
    seen = {}
    with client(server) as c:
        while len(seen) < 3:
            r = c.get("models/")
            if r.status_code != 200:
                seen[r.status_code] = r
    expected = {429: "rate_limited", 500: "internal_error", 503: "model_loading"}
    for status, r in seen.items():
        err = error_of(r)
        assert err["code"] == expected[status] and err["injected"] is True
        assert r.headers["X-RateLimit-Remaining"].isdigit()
    assert seen[429].headers["Retry-After"] == "1" and seen[503].headers["Retry-After"] == "1"


def test_a_dropped_connection_is_a_connection_error_for_the_client(start_engine):
    server = start_engine(faults=FaultConfig(drop=1.0))
    with client(server) as c, pytest.raises(httpx.RemoteProtocolError):
        c.post("tts/", json=TTS)


def test_a_truncated_answer_promises_more_bytes_than_it_sends(start_engine):
    server = start_engine(faults=FaultConfig(truncate=1.0), credits={DEV_KEY: 100})
    with client(server) as c, pytest.raises(httpx.RemoteProtocolError, match="incomplete|closed"):
        c.post("tts/", json=TTS)
    host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
    with socket.create_connection((host, port)) as s:
        s.sendall(b"GET /v1/models/ HTTP/1.1\r\nHost: x\r\n"
                  b"Authorization: Bearer " + DEV_KEY.encode() + b"\r\n\r\n")
        raw = b""
        while chunk := s.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    promised = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")))
    assert 0 < len(body) < promised


def test_latency_and_slow_answers_delay_but_still_succeed(start_engine):
    slow = start_engine(latency=0.2, faults=FaultConfig(slow=1.0, slow_seconds=0.3))
    with client(slow) as c:
        t0 = time.monotonic()
        r = c.get("models/")
    assert r.status_code == 200 and time.monotonic() - t0 >= 0.5


def test_file_downloads_are_spared_unless_asked(start_engine):
    server = start_engine(async_threshold_seconds=1000)
    file_id = server.engine.files.put(b"ID3" + bytes(100), "mp3")
    url = server.engine.files.url(file_id, server.url.removesuffix("v1/"))
    faulty = start_engine(faults=FaultConfig(internal_error=1.0, include_files=True))
    faulty_id = faulty.engine.files.put(b"ID3" + bytes(100), "mp3")
    assert httpx.get(url, trust_env=False).status_code == 200
    assert httpx.get(faulty.engine.files.url(faulty_id, faulty.url.removesuffix("v1/")),
                     trust_env=False).status_code == 500


def test_a_uniform_fault_rate_spreads_over_every_kind():
    f = FaultConfig.uniform(0.6, seed=3)
    assert f.total == pytest.approx(0.6) and f.drop == pytest.approx(0.1) and f.seed == 3
    with pytest.raises(ValueError):
        FaultConfig.uniform(1.5)


def test_in_process_a_drop_is_a_connection_error_not_an_answer(tmp_path):
    from ttsai_plugin.local import EngineConfig, create_app
    app = create_app(EngineConfig(data_dir=tmp_path, faults=FaultConfig(drop=1.0)))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://engine/v1/",
                      headers={"Authorization": f"Bearer {DEV_KEY}"}) as c:
        with pytest.raises(ConnectionError):
            c.get("models/")
