"""A caller meets the contract's error bodies: every code the engine answers with on its own."""
from __future__ import annotations

import httpx
import pytest

from ttsai_plugin.errors import ERRORS_BY_CODE
from ttsai_plugin.local import DEV_KEY, PLANS

from .conftest import client, error_of

RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
TTS = {"model": "kokoro", "text": "Hello!", "voice": "af_bella"}


def assert_error(response: httpx.Response, code: str) -> dict:
    assert response.status_code == ERRORS_BY_CODE[code].status, response.text
    err = error_of(response)
    assert err["code"] == code
    for h in RATE_HEADERS:
        assert response.headers[h].isdigit(), (h, response.headers)
    return err


def test_no_key_is_401_with_a_json_body_that_says_how_to_send_one(engine):
    with client(engine, key=None) as c:
        err = assert_error(c.post("tts/", json=TTS), "unauthorized")
    assert "Authorization: Bearer" in err["message"]


def test_a_wrong_key_is_401_and_never_echoed_back(engine):
    with client(engine, key="sk-tts-not-a-real-key") as c:
        r = c.post("tts/", json=TTS)
    err = assert_error(r, "unauthorized")
    assert "not-a-real-key" not in r.text and err["message"] == "Invalid API key."


def test_a_plan_without_api_access_is_403(start_engine):
    server = start_engine(keys={"sk-tts-free-plan": "free"})
    with client(server, key="sk-tts-free-plan") as c:
        err = assert_error(c.get("models/"), "forbidden")
    assert "upgrade" in err["message"].lower()


def test_unknown_voice_model_task_and_path_are_404(engine):
    with client(engine) as c:
        assert "voice" in assert_error(c.post("tts/", json={**TTS, "voice": "zz_nobody"}),
                                       "not_found")["message"]
        err = assert_error(c.post("tts/", json={**TTS, "model": "no-such-model"}), "not_found")
        assert "kokoro" in err["message"]  # names the models that exist
        assert_error(c.get("results/task_doesnotexist"), "not_found")
        assert_error(c.get("no-such-endpoint/"), "not_found")
        assert_error(c.get("files/nothing_here.mp3"), "not_found")


@pytest.mark.parametrize("body, field, allowed", [
    ({**TTS, "format": "aiff"}, "format", ["mp3", "wav", "flac", "ogg"]),
    ({**TTS, "speed": 3}, "speed", None),
    ({**TTS, "speed": "fast"}, "speed", None),
    ({**TTS, "stream": "perhaps"}, "stream", None),
    ({"model": "kokoro", "voice": "af_bella"}, "text", None),
    ({**TTS, "model": "whisper"}, "model", None),
])
def test_bad_parameters_are_400_naming_the_field_and_allowed_values(engine, body, field, allowed):
    with client(engine) as c:
        err = assert_error(c.post("tts/", json=body), "bad_request")
    assert err["message"].startswith(field) and err["field"] == field
    if allowed:
        assert err["allowed"] == allowed
        assert all(a in err["message"] for a in allowed)


def test_a_text_over_the_plan_limit_is_400_and_costs_nothing(engine):
    limit = PLANS["pro"].max_text_chars
    with client(engine) as c:
        r = c.post("tts/", json={**TTS, "text": "a" * (limit + 1)})
    err = assert_error(r, "bad_request")
    assert f"{limit:,}" in err["message"] and err["max_chars"] == limit
    assert "X-Credits-Used" not in r.headers


def test_the_wrong_method_and_a_broken_json_body_are_400(engine):
    with client(engine) as c:
        assert "POST" in assert_error(c.get("tts/"), "bad_request")["message"]
        r = c.post("tts/", content=b"{not json", headers={"Content-Type": "application/json"})
        assert "JSON" in assert_error(r, "bad_request")["message"]


def test_an_upload_that_is_not_audio_is_400_naming_the_file(engine, media_dir):
    from tests import media_factory
    bad = media_factory.corrupt_file(media_dir)
    with client(engine) as c:
        r = c.post("audio/enhance/", files={"file": (bad.name, bad.read_bytes())})
        err = assert_error(r, "bad_request")
        assert err["field"] == "file" and "corrupt.wav" in err["message"]
        missing = assert_error(c.post("audio/enhance/", data={"denoise": "true"}), "bad_request")
        assert "file is required" in missing["message"]


def test_paths_without_the_trailing_slash_reach_the_same_endpoint(engine):
    with client(engine) as c:
        assert c.get("models").status_code == 200


def test_every_key_of_the_config_is_kept_out_of_its_repr():
    from ttsai_plugin.local import EngineConfig
    text = repr(EngineConfig(keys={"sk-tts-very-secret-123": "pro"}))
    assert "very-secret" not in text and DEV_KEY not in text


def test_a_processing_crash_is_a_500_json_body_and_is_not_billed(start_engine, short_speech,
                                                                 monkeypatch):
    from ttsai_plugin.local.routes import audio_tools

    def broken(*args, **kwargs):
        raise FloatingPointError("denoiser diverged")

    monkeypatch.setattr(audio_tools.denoise, "enhance", broken)
    server = start_engine(credits={DEV_KEY: 50})
    with client(server) as c:
        r = c.post("audio/enhance/", files={"file": (short_speech.name, short_speech.read_bytes())})
    err = assert_error(r, "internal_error")
    assert "denoiser diverged" in err["message"] and "Traceback" not in r.text
    assert server.engine.ledger.balance(DEV_KEY) == 50 and "X-Credits-Used" not in r.headers


def test_an_oversized_json_body_is_refused_without_being_read(engine):
    with client(engine) as c:
        r = c.post("tts/", json={**TTS, "text": "a" * (3 * 1024 * 1024)})
    assert "JSON body is over 2 MB" in assert_error(r, "bad_request")["message"]
