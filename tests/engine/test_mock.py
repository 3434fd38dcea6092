"""What cannot be done offline answers in a labelled mock mode, with real audio all the same."""
from __future__ import annotations

import math

import httpx
import numpy as np
import pytest
import soundfile as sf

from .conftest import audio_seconds, client, decode

MOCK = "X-TTSAI-Mock"


def billed_seconds(path) -> int:
    return math.ceil(sf.info(str(path)).duration)


def upload(path, field="file"):
    return {field: (path.name, path.read_bytes())}


def test_translation_tags_the_recognised_text_and_speaks_it_in_the_target_language(
        engine, short_speech, tmp_path):
    with client(engine) as c:
        r = c.post("speech-translate/", files=upload(short_speech), data={"target_language": "es"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert r.headers[MOCK] == body["mock"] and "translat" in body["mock"]
    assert body["original_text"].strip() and body["translated_text"] == f"[es] {body['original_text']}"
    assert body["target_language"] == "es" and body["source_language"] == "en"
    cost = 5 * billed_seconds(short_speech)  # 5 credits per started second
    assert body["credits_used"] == cost and r.headers["X-Credits-Used"] == str(cost)
    audio = httpx.get(body["audio_url"], trust_env=False)
    assert audio.headers["content-type"] == "audio/mpeg"
    assert audio_seconds(audio.content, ".mp3", tmp_path) > 1.0


def test_translation_into_a_language_without_a_voice_is_400_before_any_billing(engine, short_speech):
    with client(engine) as c:
        r = c.post("speech-translate/", files=upload(short_speech), data={"target_language": "tlh"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "target_language"
    assert "X-Credits-Used" not in r.headers


def test_cloning_speaks_the_text_with_the_closest_voice_and_says_so(engine, short_speech, tmp_path):
    with client(engine) as c:
        r = c.post("tts/clone/", files=upload(short_speech, "reference_audio"),
                   data={"text": "This uses a cloned voice.", "format": "wav"})
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert "clone" in r.headers[MOCK] and "male en" in r.headers[MOCK]  # espeak's en-us is male
    assert r.headers["X-Credits-Used"] == "4"
    assert audio_seconds(r.content, ".wav", tmp_path) > 1.0


@pytest.mark.parametrize("path, voice_field", [("voice-convert/", "target_voice"),
                                               ("speech-to-speech/", "voice")])
def test_conversion_re_speaks_the_words_with_the_target_voice_near_the_source_length(
        engine, short_speech, tmp_path, path, voice_field):
    with client(engine) as c:
        r = c.post(path, files=upload(short_speech), data={voice_field: "af_bella"})
    assert r.status_code == 200, r.text
    assert "af_bella" in r.headers[MOCK] and r.headers["content-type"] == "audio/wav"
    assert r.headers["X-Credits-Used"] == str(3 * billed_seconds(short_speech))
    source = audio_seconds(short_speech.read_bytes(), ".wav", tmp_path)
    assert audio_seconds(r.content, ".wav", tmp_path) == pytest.approx(source, rel=0.35)


def test_conversion_without_words_shifts_the_pitch_toward_the_target_voice(engine, tmp_path):
    sr = 16000
    t = np.arange(3 * sr) / sr
    hum = sum(0.2 / k * np.sin(2 * np.pi * 110 * k * t) for k in range(1, 6))  # a low hum
    src = tmp_path / "hum.wav"
    sf.write(src, hum.astype(np.float32), sr)
    with client(engine) as c:
        # a female voice (af_bella is spoken by Piper's male Joe when the neural extra is in)
        r = c.post("voice-convert/", files=upload(src), data={"target_voice": "en-us+f3"})
    assert r.status_code == 200 and "pitch-shifted +5 semitones" in r.headers[MOCK]
    out, out_sr = decode(r.content, ".wav", tmp_path)
    assert len(out) / out_sr == pytest.approx(3.0, abs=0.05)
    spectrum = np.abs(np.fft.rfft(out))
    peak = np.argmax(spectrum[: int(400 * len(out) / out_sr)]) * out_sr / len(out)
    assert peak == pytest.approx(110 * 2 ** (5 / 12), rel=0.03)  # 110 Hz up a fourth


def test_speech_to_speech_rejects_an_unknown_emotion(engine, short_speech):
    with client(engine) as c:
        r = c.post("speech-to-speech/", files=upload(short_speech),
                   data={"voice": "af_bella", "emotion": "bored"})
    err = r.json()["error"]
    assert r.status_code == 400 and err["field"] == "emotion" and "excited" in err["message"]


def test_voice_chat_is_a_labelled_echo_with_a_spoken_reply(engine, tmp_path):
    with client(engine) as c:
        r = c.post("voice-chat/", json={"text": "What is the capital of France?"})
    body = r.json()
    assert r.status_code == 200 and r.headers[MOCK] == body["mock"]
    assert body["user_text"] == "What is the capital of France?"
    assert body["conversation_id"].startswith("conv_") and body["credits_used"] == 3
    audio = httpx.get(body["audio_url"], trust_env=False)
    assert audio_seconds(audio.content, ".mp3", tmp_path) > 1.0


def test_real_processing_is_never_labelled_as_mock(engine, short_speech):
    with client(engine) as c:
        answers = [c.post("tts/", json={"model": "kokoro", "text": "Hi", "voice": "af_bella"}),
                   c.post("audio/enhance/", files=upload(short_speech)),
                   c.post("stt/", files=upload(short_speech))]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert all(MOCK not in r.headers for r in answers)
    assert "mock" not in answers[2].json()


@pytest.mark.parametrize("route, fields", [
    ("voice-convert/", {"target_voice": "af_bella"}),
    ("speech-to-speech/", {"voice": "af_bella"}),
])
def test_a_converted_voice_keeps_the_timing_of_the_speech_sent(engine, media_dir, tmp_path,
                                                               route, fields):
    """Re-spoken words are fitted to the input's length, as a real conversion keeps timing
    (the client refuses a same-length answer that is off by more than 5 %)."""
    from tests import media_factory
    talk = media_factory.speech(media_dir, name="vc-long.wav", sample_rate=22050,
                                text="Hello there. This sentence is long enough for the "
                                     "local voice to speak it at a rather different pace.")
    sent = sf.info(str(talk)).duration
    with client(engine) as c:
        r = c.post(route, files=upload(talk), data={**fields, "format": "wav"})
    assert r.status_code == 200, r.text
    assert audio_seconds(r.content, ".wav", tmp_path) == pytest.approx(sent, abs=0.01)
