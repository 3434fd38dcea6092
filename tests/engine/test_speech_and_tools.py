"""Real offline processing behind the contract: speech both ways, audio tools, catalogues."""
from __future__ import annotations

import math

import httpx
import numpy as np
import pytest
import soundfile as sf

from ttsai_plugin.local import DEV_KEY, EngineConfig, create_app

from .conftest import audio_seconds, client, decode

TTS = {"model": "kokoro", "text": "Hello from the local engine. This is a test.",
       "voice": "af_bella"}
TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg"}


def upload(path, field="file"):
    return {field: (path.name, path.read_bytes())}


@pytest.mark.parametrize("fmt", ["mp3", "wav", "flac", "ogg", None])
def test_tts_answers_decodable_audio_in_the_requested_format(engine, tmp_path, fmt):
    body = {**TTS, "format": fmt} if fmt else TTS
    with client(engine) as c:
        r = c.post("tts/", json=body)
    fmt = fmt or "mp3"  # the contract's default
    assert r.status_code == 200 and r.headers["content-type"] == TYPES[fmt]
    assert int(r.headers["content-length"]) == len(r.content)
    assert 1.5 < audio_seconds(r.content, f".{fmt}", tmp_path) < 6


def test_tts_streams_the_same_audio_chunked(engine, tmp_path):
    espeak = {**TTS, "voice": "en-us"}   # deterministic (Piper's neural voice varies per run)
    with client(engine) as c:
        whole = c.post("tts/", json={**espeak, "format": "wav"})
        with c.stream("POST", "tts/", json={**espeak, "format": "wav", "stream": True}) as r:
            chunks = list(r.iter_raw())
            headers = r.headers
    assert headers["transfer-encoding"] == "chunked" and "content-length" not in headers
    assert len(chunks) > 1 and b"".join(chunks) == whole.content
    assert headers["X-Credits-Used"] == "2"


def test_tts_speed_changes_the_length(engine, tmp_path):
    with client(engine) as c:
        normal, fast = (c.post("tts/", json={**TTS, "format": "wav", "speed": s}) for s in (1.0, 2.0))
    ratio = audio_seconds(fast.content, ".wav", tmp_path) / audio_seconds(normal.content, ".wav", tmp_path)
    assert 0.4 < ratio < 0.75


def test_stt_transcribes_real_speech_with_word_timestamps_and_bills_per_second(engine, short_speech):
    with client(engine) as c:
        r = c.post("stt/", files=upload(short_speech), data={"timestamps": "true"})
    result = r.json()
    text = result["text"].lower()   # Whisper may hear "Hello" as "The low", pocketsphinx "engine" as "ended"
    assert r.status_code == 200 and "world" in text and "local" in text
    duration = sf.info(str(short_speech)).duration
    assert result["duration"] == pytest.approx(duration, abs=0.1)
    assert r.headers["X-Credits-Used"] == str(2 * math.ceil(duration))
    words = [w for s in result["segments"] for w in s["words"]]
    assert words and all(0 <= w["start"] <= w["end"] <= duration + 0.1 for w in words)


def test_stt_with_diarize_labels_the_single_speaker_as_a_mock(engine, short_speech):
    with client(engine) as c:
        r = c.post("stt/", files=upload(short_speech), data={"diarize": "true"})
    body = r.json()
    assert r.headers["X-TTSAI-Mock"] == body["mock"]
    assert {s["speaker"] for s in body["segments"]} == {"SPEAKER_00"}


@pytest.mark.parametrize("path, data", [("audio/enhance/", {"strength": "3"}),
                                        ("audio/dereverb/", {"type": "reverb", "intensity": "4"})])
def test_audio_tools_keep_the_length_and_answer_in_the_upload_format(engine, short_speech,
                                                                     tmp_path, path, data):
    with client(engine) as c:
        r = c.post(path, files=upload(short_speech), data=data)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "audio/wav"
    seconds = sf.info(str(short_speech)).duration
    assert audio_seconds(r.content, ".wav", tmp_path) == pytest.approx(seconds, abs=0.05)
    assert int(r.headers["X-Credits-Used"]) == {"audio/enhance/": 2, "audio/dereverb/": 3}[path] \
        * math.ceil(seconds)


def test_convert_is_free_and_honours_format_rate_and_channels(engine, short_speech, tmp_path):
    with client(engine) as c:
        r = c.post("audio/convert/", files=upload(short_speech),
                   data={"format": "flac", "sample_rate": "22050", "channels": "stereo"})
        bad = c.post("audio/convert/", files=upload(short_speech), data={"bitrate": "100"})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/flac"
    assert "X-Credits-Used" not in r.headers
    samples, sr = decode(r.content, ".flac", tmp_path)
    assert sr == 22050 and samples.ndim == 2 and samples.shape[1] == 2
    assert bad.status_code == 400 and bad.json()["error"]["allowed"] == [64, 128, 192, 256, 320]


def test_analyze_is_free_and_answers_the_contract_fields(engine, music_wav):
    with client(engine) as c:
        r = c.post("audio/analyze/", files=upload(music_wav))
    body = r.json()
    assert r.status_code == 200 and "X-Credits-Used" not in r.headers
    assert {"key", "scale", "bpm", "time_signature", "camelot", "compatible_keys"} <= set(body)
    assert body["bpm"] == pytest.approx(120, rel=0.05)


def test_models_list_every_contract_name_with_its_tier_price(engine):
    with client(engine) as c:
        models = {m["id"]: m for m in c.get("models/").json()["models"]}
    assert {"kokoro", "chatterbox", "piper", "whisper", "openvoice", "demucs"} <= set(models)
    assert [models[m]["credits_per_1k_chars"] for m in ("piper", "kokoro", "chatterbox")] == [1, 2, 4]
    assert models["chatterbox"]["supports_cloning"] and not models["kokoro"]["supports_cloning"]
    assert models["whisper"]["credits_per_1k_chars"] is None


def test_voices_filter_by_language_gender_and_model(engine):
    with client(engine) as c:
        spanish_women = c.get("voices/", params={"language": "es", "gender": "female"}).json()
        kokoro = c.get("voices/", params={"model": "kokoro"}).json()
        unknown = c.get("voices/", params={"model": "nope"})
    assert spanish_women["total"] == len(spanish_women["voices"]) > 0
    assert all(v["language"] == "es" and v["gender"] == "female" for v in spanish_women["voices"])
    assert any(v["id"] == "af_bella" for v in kokoro["voices"])
    assert unknown.status_code == 404


def test_file_urls_point_at_a_public_base_url_when_one_is_set(start_engine, tmp_path):
    cdn = "http://127.0.0.1:9/cdn/"
    server = start_engine(public_base_url=cdn, data_dir=tmp_path / "data")
    with client(server) as c:
        body = c.post("voice-chat/", json={"text": "Hello there"}).json()
    assert body["audio_url"].startswith(cdn)
    name = body["audio_url"].removeprefix(cdn)
    stored = tmp_path / "data" / "files" / name
    assert stored.is_file() and stored.read_bytes()[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3")


def test_the_app_runs_in_process_through_httpx_wsgi_transport(tmp_path):
    app = create_app(EngineConfig(data_dir=tmp_path))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://engine/v1/",
                      headers={"Authorization": f"Bearer {DEV_KEY}"}) as c:
        r = c.post("tts/", json={**TTS, "format": "wav"})
        chat = c.post("voice-chat/", json={"text": "Hi"}).json()
        audio = c.get(chat["audio_url"])
    assert r.status_code == 200 and r.content[:4] == b"RIFF"
    assert r.headers["X-RateLimit-Limit"] == "60" and r.headers["X-Credits-Used"] == "2"
    assert chat["audio_url"].startswith("http://engine/v1/files/") and audio.status_code == 200
    samples, _ = decode(r.content, ".wav", tmp_path)
    assert np.abs(samples).max() > 0.05


def test_each_voice_has_a_preview_made_on_first_download(engine, tmp_path):
    with client(engine) as c:
        listed = c.get("voices/", params={"language": "fr", "gender": "female"}).json()["voices"]
    url = listed[0]["preview_url"]
    assert url.startswith(engine.url + "files/preview_")
    first = httpx.get(url, trust_env=False)  # previews are plain links: no key
    again = httpx.get(url, trust_env=False)
    assert first.status_code == 200 and first.headers["content-type"] == "audio/mpeg"
    assert first.headers["X-RateLimit-Limit"].isdigit()  # on every answer, downloads too
    assert first.content == again.content and audio_seconds(first.content, ".mp3", tmp_path) > 0.5
    assert httpx.get(engine.url + "files/preview_xx-nobody.mp3", trust_env=False).status_code == 404


def test_stt_lets_the_decoded_upload_go_before_the_model_hears_it(tmp_path, short_speech,
                                                                 monkeypatch):
    """A 5-minute part decoded at 48 kHz is 58 MB; Whisper needs only its 16 kHz copy."""
    import weakref

    from ttsai_plugin.local import audio
    from ttsai_plugin.local.processing import models_registry, recognition

    if not models_registry.available(models_registry.WHISPER):
        pytest.skip("Whisper is not installed (the neural extra)")
    monkeypatch.setenv("TTSAI_ENGINE_CLASSICAL", "0")
    from scipy.signal import resample_poly
    voice, sr = sf.read(str(short_speech), dtype="float32")
    part = tmp_path / "part48k.wav"
    sf.write(str(part), resample_poly(voice, 48000, sr), 48000)
    decoded, alive = [], []
    decode_upload, recognize = audio.decode_upload, recognition.recognize

    def watched_decode(*args, **kwargs):
        samples, sr = decode_upload(*args, **kwargs)
        decoded.append(weakref.ref(samples))
        return samples, sr

    def watched_recognize(speech, **kwargs):
        alive.append((speech.backend, decoded[-1]() is not None))
        return recognize(speech, **kwargs)

    monkeypatch.setattr(audio, "decode_upload", watched_decode)
    monkeypatch.setattr(recognition, "recognize", watched_recognize)
    app = create_app(EngineConfig(data_dir=tmp_path))
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://engine/v1/",
                      headers={"Authorization": f"Bearer {DEV_KEY}"}) as c:
        r = c.post("stt/", files=upload(part))
    assert r.status_code == 200 and "world" in r.json()["text"].lower()
    assert alive == [("whisper", False)]
