"""The API key goes only to the API's origin, and never shows in a repr, a log or an error."""
from __future__ import annotations

import logging
import pickle

import pytest

from ttsai_plugin.api import AuthenticationError, Secret, RateLimitError, resolve_config
from tests.api.conftest import KEY
from tests.api.fake_api import AUDIO, Reply, error


def assert_cdn_never_saw_the_key(api):
    assert api.cdn.rec.seen, "the CDN was never asked"
    for seen in api.cdn.rec.seen:
        assert "Authorization" not in seen.headers and KEY not in str(seen.headers)


def test_the_api_gets_the_key(client, api):
    client.models()
    assert api.rec.seen[0].headers["Authorization"] == f"Bearer {KEY}"


def test_audio_url_on_another_origin_is_fetched_without_the_key(client, api, tmp_path):
    clip = tmp_path / "c.wav"
    clip.write_bytes(b"RIFF" + bytes(100))
    client.speech_translate(clip, target_language="es", out=tmp_path / "dub.wav")
    client.voice_chat(text="hi", out=tmp_path / "reply.wav")
    client.download(client.voices().voices[0].preview_url, tmp_path / "preview.wav")
    assert len(api.cdn.rec.seen) == 3
    assert_cdn_never_saw_the_key(api)


def test_result_url_and_stems_on_a_cdn_get_no_key(client, api, tmp_path):
    clip = tmp_path / "c.wav"
    clip.write_bytes(b"RIFF" + bytes(100))
    stems = {"vocals": api.cdn_url("v.wav", AUDIO), "accompaniment": api.cdn_url("a.wav", AUDIO)}
    result_url = api.cdn_url("task_9.json", [Reply(202, {"status": "processing"}),
                                             Reply(200, {"status": "success", "stems": stems})])
    api.script("audio/separate/", Reply(202, {"task_id": "task_9", "status": "queued",
                                              "result_url": result_url}))
    result = client.separate(clip, out_dir=tmp_path / "stems", poll_interval=0.01, timeout=5)
    assert set(result.paths) == {"vocals", "accompaniment"}
    assert api.cdn.rec.paths().count("/files/task_9.json") == 2
    assert_cdn_never_saw_the_key(api)


@pytest.mark.parametrize("status", [302, 303])
def test_an_api_answer_redirected_to_a_cdn_drops_the_key(client, api, tmp_path, status):
    api.script("tts/", Reply(status, b"", {"Location": api.cdn_url("moved.wav", AUDIO)}))
    result = client.tts("Hello", voice="af_bella", out=tmp_path / "a.wav")
    assert result.path.read_bytes() == AUDIO
    assert api.rec.seen[0].headers["Authorization"] == f"Bearer {KEY}"
    assert api.cdn.rec.seen[0].method == "GET"
    assert_cdn_never_saw_the_key(api)


@pytest.mark.parametrize("status", [301, 307, 308])
def test_an_api_file_url_redirected_to_a_cdn_drops_the_key(client, api, tmp_path, status):
    api.script("files/x", Reply(status, b"", {"Location": api.cdn_url("moved.wav", AUDIO)}))
    client.download(api.url + "v1/files/x", tmp_path / "a.wav")
    assert (tmp_path / "a.wav").read_bytes() == AUDIO
    assert api.rec.seen[0].headers["Authorization"] == f"Bearer {KEY}"
    assert_cdn_never_saw_the_key(api)


def test_the_key_is_in_no_repr(client, api):
    cfg = resolve_config(api_key=KEY, base_url=api.url)
    for text in (repr(client), str(client), repr(cfg), str(cfg.api_key), f"{cfg.api_key}",
                 repr(client.limiter), repr(client.credits)):
        assert KEY not in text
    assert cfg.api_key.get_secret_value() == KEY
    with pytest.raises(TypeError):
        pickle.dumps(cfg.api_key)


def test_the_key_is_in_no_log_even_at_debug(client, api, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "ttsai_plugin"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    api.script("tts/", error(429, "rate_limited", headers={"Retry_After": "0"}))
    client.tts("Hello", voice="af_bella", out=tmp_path / "a.mp3")
    api.script("models/", error(401, "unauthorized", f"key {KEY} is not valid"))
    with pytest.raises(AuthenticationError):
        client.models()
    assert any(r.name.startswith("httpcore") for r in caplog.records)
    assert any("retry" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert KEY not in record.getMessage() and KEY not in repr(record.args)


def test_a_key_echoed_by_the_server_is_scrubbed_from_errors(client, api):
    api.script("models/", error(401, "unauthorized", f"Bearer {KEY} rejected",
                                detail={"sent": KEY}))
    with pytest.raises(AuthenticationError) as info:
        client.models()
    err = info.value
    for text in (str(err), repr(err), err.message, repr(err.extra)):
        assert KEY not in text
    assert "sk-tts-***" in err.message
    assert "TTSAI_API_KEY" in str(err)


def test_a_mid_retry_error_never_carries_the_key(client, api):
    api.script("models/", *[error(429, "rate_limited", f"too fast, {KEY}")] * 5)
    with pytest.raises(RateLimitError) as info:
        client.models()
    assert KEY not in str(info.value)


def test_secret_equality_without_exposure():
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")
    assert not Secret("") and "a" not in repr(Secret("a"))
