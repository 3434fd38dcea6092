"""Plan limits and credits, as a caller on a real socket sees them."""
from __future__ import annotations

import concurrent.futures as cf
import os
import time

import pytest

from ttsai_plugin.api.paths import ENDPOINTS
from ttsai_plugin.local import DEV_KEY, PLANS, Plan

from .conftest import client, error_of

TTS = {"model": "kokoro", "text": "Hello!", "voice": "af_bella", "format": "wav"}
TINY = Plan("tiny", requests_per_minute=3, concurrent=1, max_text_chars=100)


def test_every_answer_counts_down_the_window_then_a_real_429_says_when_to_retry(start_engine):
    server = start_engine(keys={DEV_KEY: "tiny"}, plans={"tiny": TINY, "pro": PLANS["pro"]})
    with client(server) as c:
        seen = [c.get("models/") for _ in range(3)]
        assert [r.headers["X-RateLimit-Remaining"] for r in seen] == ["2", "1", "0"]
        assert all(r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "3" for r in seen)
        refused = c.get("models/")
    assert refused.status_code == 429
    err = error_of(refused)
    assert err["code"] == "rate_limited" and err["kind"] == "requests"
    reset = int(refused.headers["X-RateLimit-Reset"])
    assert 0 < reset <= 60 and refused.headers["Retry-After"] == str(reset)
    assert refused.headers["X-RateLimit-Remaining"] == "0"


def test_the_window_resets_and_the_quota_comes_back(start_engine):
    quick = Plan("quick", requests_per_minute=2, concurrent=2, max_text_chars=100,
                 window_seconds=1.0)
    server = start_engine(keys={DEV_KEY: "quick"}, plans={"quick": quick, "pro": PLANS["pro"]})
    with client(server) as c:
        assert [c.get("models/").status_code for _ in range(3)] == [200, 200, 429]
        time.sleep(1.1)
        again = c.get("models/")
    assert again.status_code == 200 and again.headers["X-RateLimit-Remaining"] == "1"


def test_a_second_request_while_one_runs_is_refused_by_the_concurrency_limit(start_engine):
    plan = Plan("single", requests_per_minute=100, concurrent=1, max_text_chars=100)
    server = start_engine(keys={DEV_KEY: "single"}, plans={"single": plan, "pro": PLANS["pro"]},
                          latency=0.6)
    with cf.ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: client(server).get("models/"), range(3)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [200, 429, 429]
    refused = next(r for r in answers if r.status_code == 429)
    assert error_of(refused)["kind"] == "concurrent" and refused.headers["Retry-After"] == "1"
    with client(server) as c:  # the slot is free again once the answer is done
        assert c.get("models/").status_code == 200


def test_twenty_parallel_requests_fit_the_enterprise_plan_and_really_run_side_by_side(
        start_engine):
    server = start_engine(keys={DEV_KEY: "enterprise"}, latency=0.5)
    t0 = time.monotonic()
    with cf.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: client(server).get("models/"), range(20)))
    assert [r.status_code for r in answers] == [200] * 20
    assert time.monotonic() - t0 < 5  # one after another would take 10 s
    assert sorted(int(r.headers["X-RateLimit-Remaining"]) for r in answers) == list(range(280, 300))


def test_parallel_billing_is_exact(start_engine):
    server = start_engine(keys={DEV_KEY: "enterprise"}, credits={DEV_KEY: 100})
    with cf.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: client(server).post("tts/", json=TTS), range(8)))
    assert [r.status_code for r in answers] == [200] * 8
    assert all(r.headers["X-Credits-Used"] == "2" for r in answers)
    assert min(int(r.headers["X-Credits-Remaining"]) for r in answers) == 100 - 16
    assert server.engine.ledger.balance(DEV_KEY) == 100 - 16


def test_credits_headers_count_down_and_402_says_what_is_missing(start_engine):
    server = start_engine(credits={DEV_KEY: 5})
    with client(server) as c:
        first = c.post("tts/", json={**TTS, "text": "x" * 1500})  # kokoro: 2 per started 1,000
        assert first.status_code == 200
        assert (first.headers["X-Credits-Used"], first.headers["X-Credits-Remaining"]) == ("4", "1")
        free = c.get("models/")
        assert "X-Credits-Used" not in free.headers
        short = c.post("tts/", json=TTS)
        again = c.post("tts/", json={**TTS, "model": "piper"})  # free tier: 1 credit
    assert short.status_code == 402
    err = error_of(short)
    assert err["code"] == "insufficient_credits"
    assert (err["credits_required"], err["credits_available"]) == (2, 1)
    assert again.status_code == 200 and again.headers["X-Credits-Remaining"] == "0"


def test_a_failed_request_is_not_billed(start_engine):
    server = start_engine(credits={DEV_KEY: 10})
    with client(server) as c:
        r = c.post("tts/", json={**TTS, "voice": "en-us+nonexistent"})
        assert r.status_code == 404
        ok = c.post("tts/", json=TTS)
    assert ok.headers["X-Credits-Remaining"] == "8"


@pytest.mark.parametrize("excess", [1, 3 * 1024 * 1024])
def test_an_upload_over_the_endpoint_limit_is_413(engine, tmp_path, excess):
    limit = ENDPOINTS["clone"].upload_limit
    big = tmp_path / "reference.wav"
    with open(big, "wb") as f:
        f.write(os.urandom(1024))
        f.truncate(limit + excess)
    with client(engine) as c, open(big, "rb") as f:
        r = c.post("tts/clone/", files={"reference_audio": ("reference.wav", f)},
                   data={"text": "This uses a cloned voice."})
    assert r.status_code == 413
    err = error_of(r)
    assert err["code"] == "file_too_large" and err["limit_bytes"] == limit
    assert "20 MB" in err["message"] and "X-Credits-Used" not in r.headers
