"""What the client sends for each endpoint and how it reads the answer, checked on a recording
fake (the real engine is exercised in test_engine.py; this pins the wire format)."""
from __future__ import annotations

import hashlib

import pytest

from ttsai_plugin.api import (Analysis, AudioResult, InputError, LimitExceededError,
                              TaskFailedError, Transcript, VoiceList)
from tests.api.fake_api import AUDIO, STEMS


@pytest.fixture
def clip(tmp_path):
    path = tmp_path / "clip.wav"
    path.write_bytes(b"RIFF" + bytes(5000))
    return path


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_tts_writes_audio_and_reads_credits(client, api, tmp_path):
    result = client.tts("Hello there.", voice="af_bella", out=tmp_path / "hi.wav")
    assert isinstance(result, AudioResult)
    assert result.path.read_bytes() == AUDIO
    assert result.content_type == "audio/wav" and result.credits_used == 2 and result.mock is None
    sent = api.rec.seen[-1]
    assert sent.json == {"model": "kokoro", "text": "Hello there.", "voice": "af_bella",
                         "format": "wav", "speed": 1.0, "stream": False}
    assert client.credits.used_last == 2 and client.credits.remaining == 498
    client.tts("Again.", voice="af_bella", out=tmp_path / "again.mp3")
    assert client.credits.used_total == 4
    assert client.rate_limit.limit == 60 and client.rate_limit.remaining == 59
    assert client.rate_limit.reset_at is not None


def test_tts_stream_writes_chunked_audio(client, tmp_path):
    result = client.tts("Streamed.", voice="af_bella", out=tmp_path / "s.wav", stream=True)
    assert result.path.read_bytes() == AUDIO
    assert list(tmp_path.iterdir()) == [tmp_path / "s.wav"]


def test_text_over_the_plan_limit_is_refused_before_sending(client, api, tmp_path):
    with pytest.raises(LimitExceededError, match="5,000"):
        client.tts("x" * 5001, voice="af_bella", out=tmp_path / "x.mp3")
    with pytest.raises(InputError, match="empty"):
        client.tts("   ", voice="af_bella", out=tmp_path / "x.mp3")
    assert api.rec.seen == []


@pytest.mark.parametrize("method, kwargs, path, fields", [
    ("clone", {"text": "Hi."}, "tts/clone/", {"text": "Hi.", "model": "chatterbox", "format": "wav"}),
    ("voice_convert", {"target_voice": "v1"}, "voice-convert/",
     {"target_voice": "v1", "model": "openvoice", "format": "wav"}),
    ("speech_to_speech", {"voice": "v1", "emotion": "happy"}, "speech-to-speech/",
     {"voice": "v1", "model": "openvoice", "emotion": "happy", "speed": "1.0"}),
    ("enhance", {}, "audio/enhance/",
     {"denoise": "true", "enhance_clarity": "true", "super_resolution": "false", "strength": "2"}),
    ("dereverb", {"type": "echo"}, "audio/dereverb/", {"type": "echo", "intensity": "3"}),
    ("convert", {"bitrate": 192}, "audio/convert/", {"format": "wav", "bitrate": "192"}),
])
def test_audio_endpoints_upload_the_whole_file(client, api, clip, tmp_path, method, kwargs,
                                               path, fields):
    result = getattr(client, method)(clip, out=tmp_path / "out.wav", **kwargs)
    assert result.path.read_bytes() == AUDIO
    sent = api.rec.seen[-1]
    assert sent.path == "/v1/" + path
    assert sent.form == fields
    field = "reference_audio" if method == "clone" else "file"
    assert sent.uploads[field] == (clip.stat().st_size, sha(clip))


def test_stt_parses_segments_and_words(client, api, clip):
    transcript = client.stt(clip, language="en", diarize=True)
    assert isinstance(transcript, Transcript)
    assert transcript.text == "hello world" and transcript.duration == 1.5
    seg = transcript.segments[0]
    assert seg.speaker == "A" and [w.word for w in seg.words] == ["hello", "world"]
    assert api.rec.seen[-1].form == {"model": "whisper", "language": "en", "timestamps": "true",
                                     "diarize": "true"}


def test_speech_translate_fetches_the_dub(client, api, clip, tmp_path):
    out = tmp_path / "dub.wav"
    translation = client.speech_translate(clip, target_language="es", out=out)
    assert translation.translated_text == "hola" and translation.path == out
    assert out.read_bytes() == AUDIO
    assert translation.mock == "translation"
    assert api.cdn.rec.paths() == ["/files/dub.wav"]


def test_separate_answering_200_downloads_every_stem(client, clip, tmp_path):
    stems = client.separate(clip, out_dir=tmp_path / "stems")
    assert set(stems.paths) == {"vocals", "accompaniment"}
    assert stems.paths["vocals"] == tmp_path / "stems" / "vocals.wav"
    assert stems.paths["vocals"].read_bytes() == STEMS["vocals"]
    assert sorted(p.name for p in (tmp_path / "stems").iterdir()) == ["accompaniment.wav",
                                                                      "vocals.wav"]
    assert stems.credits_used == 12


def test_separate_answering_202_polls_until_done(client, api, clip, tmp_path):
    api.separate_async = True
    progress = []
    stems = client.separate(clip, out_dir=tmp_path, poll_interval=0.01,
                            on_progress=lambda f, m: progress.append(m))
    assert stems.paths["accompaniment"].read_bytes() == STEMS["accompaniment"]
    assert api.rec.paths().count("/v1/results/task_1") == 3
    assert stems.task_id == "task_1" or stems.task_id is None
    assert progress[-1] == "Stems downloaded" and "Task queued" in progress


def test_a_failed_task_raises_and_leaves_no_stems(client, api, clip, tmp_path):
    api.separate_async, api.task_fails = True, True
    with pytest.raises(TaskFailedError, match="demucs crashed"):
        client.separate(clip, out_dir=tmp_path / "stems", poll_interval=0.01)
    assert not any((tmp_path / "stems").glob("*.wav"))


def test_analyze_models_voices_chat(client, api, clip, tmp_path):
    analysis = client.analyze(clip)
    assert isinstance(analysis, Analysis) and analysis.bpm == 120.0 and analysis.camelot == "8A"
    models = client.models()
    assert models[0].id == "kokoro" and models[0].credits_per_1k_chars == 2
    voices = client.voices(model="kokoro", gender="female")
    assert isinstance(voices, VoiceList) and voices.total == 1 and voices.voices[0].id == "af_bella"
    assert api.rec.seen[-1].path == "/v1/voices/"
    turn = client.voice_chat(text="hi", out=tmp_path / "reply.wav")
    assert turn.ai_text == "hello!" and turn.path.read_bytes() == AUDIO
    assert api.rec.seen[-1].json == {"voice": "af_bella", "tts_model": "kokoro", "text": "hi"}
    with pytest.raises(InputError):
        client.voice_chat()


def test_upload_over_the_endpoint_limit_is_refused_before_sending(client, api, tmp_path):
    big = tmp_path / "big.wav"
    with big.open("wb") as f:
        f.truncate(20 * 1024 * 1024 + 1)
    with pytest.raises(LimitExceededError, match="20 MB") as info:
        client.clone(big, text="hi", out=tmp_path / "o.wav")
    assert "shorter range" in str(info.value)
    assert api.rec.seen == []
    with pytest.raises(InputError, match="does not exist"):
        client.enhance(tmp_path / "missing.wav", out=tmp_path / "o.wav")


def test_a_task_that_outlives_its_timeout_says_how_to_fetch_it_later(client, api, clip, tmp_path):
    from ttsai_plugin.api import APITimeoutError
    api.separate_async, api.polls_before_done = True, 1000
    with pytest.raises(APITimeoutError, match="task_1") as info:
        client.separate(clip, out_dir=tmp_path, poll_interval=0.02, timeout=0.2)
    assert "client.result(task_id)" in str(info.value)
    assert client.result("task_1").status == "processing"
    assert list(tmp_path.iterdir()) == [clip]
