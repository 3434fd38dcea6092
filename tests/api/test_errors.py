"""Every documented error answer becomes its typed error, with the body's extra fields."""
from __future__ import annotations

import pytest

from ttsai_plugin.api import (APIError, AuthenticationError, BadRequestError, FileTooLargeError,
                              InsufficientCreditsError, InternalServerError, ModelLoadingError,
                              NotFoundError, PermissionDeniedError, RateLimitError)
from tests.api.fake_api import Reply, error

CASES = [
    (400, "bad_request", BadRequestError),
    (401, "unauthorized", AuthenticationError),
    (402, "insufficient_credits", InsufficientCreditsError),
    (403, "forbidden", PermissionDeniedError),
    (404, "not_found", NotFoundError),
    (413, "file_too_large", FileTooLargeError),
    (429, "rate_limited", RateLimitError),
    (500, "internal_error", InternalServerError),
    (503, "model_loading", ModelLoadingError),
]


@pytest.mark.parametrize("status, code, cls", CASES)
def test_each_error_code_maps_to_its_class(client, api, status, code, cls):
    api.script("models/", *[error(status, code, f"{code} happened", detail="d")] * 10)
    with pytest.raises(cls) as info:
        client.models()
    err = info.value
    assert err.status == status and err.code == code
    assert err.message.startswith(f"{code} happened")
    assert err.extra == {"detail": "d"}
    expected_attempts = 5 if err.retryable else 1
    assert err.attempts == expected_attempts
    assert len(api.rec.seen) == expected_attempts


def test_insufficient_credits_carries_the_numbers_and_a_hint(client, api, tmp_path):
    api.script("tts/", error(402, "insufficient_credits", "Not enough credits",
                             credits_required=40, credits_available=12))
    with pytest.raises(InsufficientCreditsError) as info:
        client.tts("Hello", voice="af_bella", out=tmp_path / "a.mp3")
    assert info.value.credits_required == 40 and info.value.credits_available == 12
    assert "tts.ai/pricing" in str(info.value)
    assert not (tmp_path / "a.mp3").exists()


def test_unknown_code_falls_back_to_the_status(client, api):
    api.script("models/", error(403, "plan_expired", "expired"))
    with pytest.raises(PermissionDeniedError) as info:
        client.models()
    assert info.value.code == "plan_expired"


def test_a_body_that_is_not_json_still_gives_a_typed_error(client, api):
    api.script("models/", Reply(418, b"I'm a teapot", {"Content-Type": "text/plain"}))
    with pytest.raises(APIError) as info:
        client.models()
    assert info.value.status == 418 and "teapot" in str(info.value)
    assert type(info.value) is APIError


def test_an_unlisted_5xx_is_retried_as_a_server_error(client, api, sleeps):
    api.script("models/", Reply(502, b"bad gateway", {"Content-Type": "text/html"}))
    assert client.models()[0].id == "kokoro"
    assert len(sleeps) == 1
