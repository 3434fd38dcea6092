"""The one retry policy: which failures are retried, how long each wait is, when to stop."""
from __future__ import annotations

import time

import pytest

from ttsai_plugin.api import APIConnectionError, BadRequestError, RateLimitError, RetryPolicy
from ttsai_plugin.errors import IncompleteResponseError, ModelLoadingError
from tests.api.conftest import KEY, make_client
from tests.api.fake_api import Reply, error


def rate_limited(**headers) -> RateLimitError:
    return RateLimitError("slow down", headers=headers)


def test_429_with_retry_after_is_retried_after_that_wait(client, api, sleeps, tmp_path):
    api.script("tts/", error(429, "rate_limited", headers={"Retry_After": "7"}))
    result = client.tts("Hello", voice="af_bella", out=tmp_path / "a.mp3")
    assert result.path.exists()
    assert sleeps == [7.0]
    assert api.rec.paths() == ["/v1/tts/", "/v1/tts/"]


def test_give_up_is_bounded_and_counts_the_attempts(api, sleeps):
    api.script("models/", *[error(429, "rate_limited", headers={"Retry_After": "1"})] * 10)
    with make_client(api.url + "v1/", sleeps, max_retries=2) as c:
        with pytest.raises(RateLimitError) as info:
            c.models()
    assert info.value.attempts == 3
    assert "gave up after 3 attempts" in str(info.value)
    assert len(api.rec.seen) == 3 and sleeps == [1.0, 1.0]


def test_other_4xx_are_never_retried(client, api, sleeps):
    api.script("models/", error(400, "bad_request", "voice is required"))
    with pytest.raises(BadRequestError, match="voice is required"):
        client.models()
    assert len(api.rec.seen) == 1 and sleeps == []


def test_reset_header_read_as_seconds_or_as_unix_time():
    policy = RetryPolicy(clock=lambda: 1_700_000_000.0)
    assert policy.delay_for(rate_limited(**{"X-RateLimit-Reset": "12"}), 1) == 12.0
    assert policy.delay_for(rate_limited(**{"X-RateLimit-Reset": "1700000025"}), 1) == 25.0
    assert policy.delay_for(rate_limited(**{"X-RateLimit-Reset": "1699999990"}), 1) == 0.0
    assert policy.delay_for(rate_limited(**{"Retry-After": "3", "X-RateLimit-Reset": "40"}), 1) == 3.0
    http_date = "Tue, 14 Nov 2023 22:13:40 GMT"   # 1_700_000_020
    assert policy.delay_for(rate_limited(**{"Retry-After": http_date}), 1) == 20.0


def test_unix_reset_over_the_wire(client, api, sleeps):
    reset = str(int(time.time()) + 5)
    api.script("models/", error(429, "rate_limited", headers={"X_RateLimit_Reset": reset}))
    client.models()
    assert len(sleeps) == 1 and 3.5 <= sleeps[0] <= 5.0


def test_a_single_wait_is_capped_and_backoff_is_full_jitter():
    policy = RetryPolicy(max_wait=30.0, base_delay=0.5, max_backoff=20.0, jitter=lambda: 1.0)
    assert policy.delay_for(rate_limited(**{"Retry-After": "600"}), 1) == 30.0
    five_hundred = ModelLoadingError("loading")
    assert policy.delay_for(five_hundred, 1) == policy.model_loading_delay
    conn = APIConnectionError("reset")
    assert [policy.delay_for(conn, n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert policy.delay_for(conn, 5) is None
    assert RetryPolicy(jitter=lambda: 0.25).delay_for(conn, 3) == 0.5
    assert RetryPolicy(max_retries=10).delay_for(conn, 10) <= 20.0
    assert policy.delay_for(IncompleteResponseError("cut"), 1) == 0.5
    assert policy.delay_for(BadRequestError("no"), 1) is None


def test_connection_refused_is_retried_then_raised_as_connection_error(sleeps):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}/v1/", sleeps, max_retries=2)
    with pytest.raises(APIConnectionError) as info:
        client.models()
    assert info.value.attempts == 3 and len(sleeps) == 2
    assert KEY not in str(info.value)


def test_a_truncated_answer_is_retried(client, api, sleeps, tmp_path):
    api.script("tts/", Reply(200, b"ID3 partial", {"Content-Type": "audio/mpeg"},
                             content_length=50_000))
    result = client.tts("Hello", voice="af_bella", out=tmp_path / "a.mp3")
    assert result.path.stat().st_size > 1000
    assert len(api.rec.seen) == 2 and len(sleeps) == 1
