"""A service's rate-limit headers can never stall the plugin: absurd values are ignored, every
wait is capped at a minute, and cancelling a job wakes any wait at once."""
from __future__ import annotations

import threading
import time

import pytest

from ttsai_plugin.api import PlanLimits, RateLimiter, RetryPolicy, TTSAIClient
from ttsai_plugin.api.waits import MAX_HEADER_WAIT, reset_seconds, retry_after_seconds
from ttsai_plugin.errors import Cancelled
from ttsai_plugin.jobs import CancelToken
from tests.api.conftest import KEY
from tests.api.fake_api import error
from tests.hostile.hostile import limit_headers


@pytest.mark.parametrize("reset", ["5000000000", "1e12", "inf", "-inf", "nan", "1e999", "x"])
def test_an_absurd_reset_after_remaining_0_does_not_block_later_requests(client, api, reset):
    api.headers = limit_headers(remaining="0", reset=reset)
    client.models()
    client.models()  # raised OverflowError for inf/1e12 before
    assert client.limiter.wait_time() <= MAX_HEADER_WAIT
    assert client.limiter.wait_time() == 0.0  # not a finite, sane number: ignored


def test_a_sane_but_long_reset_is_capped_at_a_minute(client, api):
    api.headers = limit_headers(remaining="0", reset="3600")
    client.models()
    assert 50 < client.limiter.wait_time() <= MAX_HEADER_WAIT


@pytest.mark.parametrize("value", ["inf", "1e400", "nan", "-5", "5000000000"])
def test_retry_after_that_is_not_a_sane_number_is_ignored(value):
    assert retry_after_seconds(value) is None
    assert reset_seconds(value) is None


def test_rate_limit_limit_header_tells_the_limiter_the_real_plan(client, api):
    api.headers = limit_headers(remaining="5", reset="30", limit="2")
    client.models()
    assert client.limiter.requests_per_window == 2
    client.models()
    assert client.limiter.wait_time() > 50  # the third request of the minute would wait


def _blocked_client(api, **retry) -> TTSAIClient:
    limits = PlanLimits("pro", 60, 5, 5000)
    return TTSAIClient(api_key=KEY, base_url=api.url + "v1/", plan=limits,
                       limiter=RateLimiter(limits), retry=RetryPolicy(**retry))


def _cancel_after(token: CancelToken, seconds: float) -> None:
    threading.Timer(seconds, token.cancel).start()


def test_cancel_wakes_a_limiter_wait_at_once(api):
    api.headers = limit_headers(remaining="0", reset="45")
    with _blocked_client(api) as c:
        c.models()
        token = CancelToken()
        c.bind_cancel(token)
        _cancel_after(token, 0.3)
        start = time.monotonic()
        with pytest.raises(Cancelled):
            c.models()
        assert time.monotonic() - start < 1.5


def test_cancel_wakes_a_retry_after_wait_at_once(api):
    api.script("models/", *[error(429, "rate_limited", headers={"Retry-After": "50"})] * 3)
    with _blocked_client(api, max_retries=3) as c:
        token = CancelToken()
        c.bind_cancel(token)
        _cancel_after(token, 0.3)
        start = time.monotonic()
        with pytest.raises(Cancelled):
            c.models()
        assert time.monotonic() - start < 1.5
    assert len(api.rec.seen) == 1


def test_a_job_context_binds_its_cancel_token_to_the_client(api):
    from ttsai_plugin.workflows.context import Context
    with _blocked_client(api) as c:
        token = CancelToken()
        Context(c, ".", cancel=token)
        assert c.cancel_token is token
