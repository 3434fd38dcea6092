"""The client-side plan limiter keeps bursts inside the plan, across threads and clients."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ttsai_plugin.api import (PLANS, ConfigError, PlanLimits, RateLimiter, RetryPolicy,
                              TTSAIClient, plan_limits)
from tests.api.conftest import KEY


def test_contract_plans():
    assert plan_limits("Pro") == PlanLimits("pro", 60, 5, 5_000)
    assert PLANS["enterprise"] == PlanLimits("enterprise", 300, 20, 50_000)
    with pytest.raises(ConfigError, match="pro, enterprise"):
        plan_limits("gold")


def test_a_burst_of_30_threaded_requests_stays_within_rate_and_concurrency(api):
    """Two clients share one limiter: 10 requests per 1 s window, 3 at a time."""
    limits = PlanLimits("tiny", requests_per_minute=10, concurrent=3, max_text_chars=100)
    limiter = RateLimiter(limits, window=1.0)
    api.delay = 0.05
    clients = [TTSAIClient(api_key=KEY, base_url=api.url + "v1/", plan=limits, limiter=limiter,
                           retry=RetryPolicy(max_retries=0)) for _ in range(2)]
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=12) as pool:
        list(pool.map(lambda i: clients[i % 2].models(), range(30)))
    elapsed = time.monotonic() - start
    times = sorted(s.at for s in api.rec.seen)
    assert len(times) == 30
    assert api.rec.max_active <= 3
    # Arrivals lag sends by scheduling jitter on a busy machine: allow 0.2 s of it.
    busiest = max(sum(1 for t in times if t0 <= t < t0 + 0.8) for t0 in times)
    assert busiest <= 10
    assert elapsed >= 2.0   # 30 requests at 10 per second need three windows


def test_server_says_nothing_remaining_so_requests_wait_for_its_reset():
    limiter = RateLimiter(PlanLimits("pro", 60, 5, 5000))
    limiter.observe(remaining=0, reset_in=0.3)
    start = time.monotonic()
    with limiter.slot():
        waited = time.monotonic() - start
    assert 0.25 <= waited < 1.0
    limiter.observe(remaining=5, reset_in=30)
    assert limiter.wait_time() == 0.0


def test_client_adapts_to_remaining_zero_header(client, api):
    api.headers = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0",
                   "X-RateLimit-Reset": "0.4"}
    client.models()
    assert client.rate_limit.remaining == 0
    assert client.limiter.wait_time() > 0.2
    api.headers = {}
    start = time.monotonic()
    client.models()
    assert time.monotonic() - start >= 0.2


def test_concurrency_slots_are_released_after_errors():
    limiter = RateLimiter(PlanLimits("one", 1000, 1, 10))
    for _ in range(3):
        with pytest.raises(ValueError):
            with limiter.slot():
                raise ValueError
    done = threading.Event()
    threading.Thread(target=lambda: (limiter.slot().__enter__(), done.set())).start()
    assert done.wait(1.0)


def test_clients_of_one_account_share_one_limiter_by_default(api):
    def new(key: str, plan: str = "pro") -> TTSAIClient:
        return TTSAIClient(api_key=key, base_url=api.url + "v1/", plan=plan)

    a, b = new(KEY), new(KEY)
    assert a.limiter is b.limiter and a.limiter.limits == PLANS["pro"]
    assert new("sk-tts-someone-else").limiter is not a.limiter
    assert new(KEY, "enterprise").limiter.limits.concurrent == 20


ENTERPRISE_KEY = "sk-tts-limiter-enterprise-0000"


@pytest.fixture(scope="module")
def engine_with_own_files(tmp_path_factory):
    """The local engine handing its answers' files out on its own origin (``/v1/files/…``,
    which its plan limits do not count), an enterprise key, and three seconds of speech."""
    from ttsai_plugin import local
    from tests import media_factory
    server = local.serve(local.EngineConfig(keys={ENTERPRISE_KEY: "enterprise"},
                                            credits={ENTERPRISE_KEY: 1_000_000}))
    speech = media_factory.speech(tmp_path_factory.mktemp("speech"), name="line.wav",
                                  text="Hello there, and thanks for watching.", sample_rate=16000)
    yield server, speech
    server.close()


def test_a_dub_line_is_one_request_of_the_plan_window_not_two(engine_with_own_files, tmp_path):
    """A dub answer is a call and a download of its ``audio_url``; the service counts the call
    only, so a per-line dub gets the plan's whole rate (it got half: ~30 lines a minute)."""
    server, speech = engine_with_own_files
    limits = PlanLimits("two", requests_per_minute=2, concurrent=5, max_text_chars=100)
    with TTSAIClient(api_key=ENTERPRISE_KEY, base_url=server.url, plan=limits,
                     limiter=RateLimiter(limits)) as client:
        result = client.speech_translate(speech, target_language="es", out=tmp_path / "a.mp3")
        assert result.audio_url.startswith(server.url)        # the download was on the origin
        assert client.limiter.wait_time() == 0.0              # ... and took no place in 2/min


def test_a_download_s_rate_headers_do_not_lower_the_key_s_plan(engine_with_own_files, tmp_path):
    """A file answer carries the anonymous caller's limits (the engine's: pro, 60/min); read as
    the key's, they cut an enterprise client to 60 requests a minute after its first dub."""
    server, speech = engine_with_own_files
    with TTSAIClient(api_key=ENTERPRISE_KEY, base_url=server.url, plan="enterprise",
                     limiter=RateLimiter(PLANS["enterprise"])) as client:
        client.speech_translate(speech, target_language="es", out=tmp_path / "b.mp3")
        assert client.rate_limit.limit == 300
        assert client.limiter.requests_per_window == 300
