"""Transcripts: Whisper tiny.en (the ``neural`` extra) and pocketsphinx (the classical fallback)
recognise espeak speech offline, with real segment and word times."""
from __future__ import annotations

import re

import numpy as np
import pytest
import soundfile as sf

from tests.media_factory import SPEECH_TEXT
from ttsai_plugin.local.processing import models_registry, recognition

BACKENDS = ["whisper", "pocketsphinx"]


def recall(reference: str, hypothesis: str) -> float:
    """Share of the reference's words that the hypothesis contains."""
    ref = re.findall(r"[a-z']+", reference.lower())
    hyp = set(re.findall(r"[a-z']+", hypothesis.lower()))
    return sum(w in hyp for w in ref) / len(ref)


@pytest.fixture(scope="module")
def speech(speech_wav):
    return sf.read(speech_wav, dtype="float32")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request):
    """Each test runs on both backends; the classical one is forced by the engine's switch."""
    if request.param == "whisper" and not models_registry.available(models_registry.WHISPER):
        pytest.skip("the neural extra is not installed")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TTSAI_ENGINE_CLASSICAL", "1" if request.param == "pocketsphinx" else "0")
        assert recognition.backend() == request.param
        yield request.param


@pytest.fixture(scope="module")
def result(speech, backend):
    samples, sr = speech
    return recognition.transcribe(samples, sr, timestamps=True)


def test_whisper_hears_the_narration_almost_word_for_word(speech, monkeypatch):
    if not models_registry.available(models_registry.WHISPER):
        pytest.skip("the neural extra is not installed")
    monkeypatch.setenv("TTSAI_ENGINE_CLASSICAL", "0")
    samples, sr = speech
    out = recognition.transcribe(samples, sr)
    print("whisper heard:", out["text"])
    assert recall(SPEECH_TEXT, out["text"]) >= 0.85
    assert out["text"].startswith("Hello and welcome to the show.")


def test_most_words_of_the_narration_are_recognised(result):
    print("heard:", result["text"])
    assert set(result) == {"text", "language", "duration", "segments"}
    assert result["language"] == "en"
    assert recall(SPEECH_TEXT, result["text"]) >= 0.5


def test_segments_break_at_the_pauses_in_order_inside_the_audio(result, speech):
    samples, sr = speech
    assert result["duration"] == pytest.approx(len(samples) / sr, abs=0.01)
    segments = result["segments"]
    assert len(segments) >= 2                      # three sentences with clear pauses
    for seg in segments:
        assert set(seg) >= {"start", "end", "text", "speaker"}
        assert 0 <= seg["start"] < seg["end"] <= result["duration"]
        assert seg["text"]
    assert all(a["end"] <= b["start"] for a, b in zip(segments, segments[1:]))
    assert " ".join(s["text"] for s in segments) == result["text"]


def test_word_times_lie_inside_their_segment_and_advance(result):
    for seg in result["segments"]:
        words = seg["words"]
        assert [w["word"].lower() for w in words] == seg["text"].lower().split()
        assert all(seg["start"] <= w["start"] < w["end"] <= seg["end"] + 0.05 for w in words)
        assert all(a["start"] <= b["start"] for a, b in zip(words, words[1:]))


def test_the_last_sentence_is_heard_near_the_end_of_the_clip(result):
    last = result["segments"][-1]
    assert "time" in last["text"].lower() or "watching" in last["text"].lower()
    assert last["start"] > 0.4 * result["duration"]


def test_without_timestamps_there_are_no_word_lists(speech, backend):
    samples, sr = speech
    quiet = (0.05 * samples[: sr * 3]).astype(np.float32)        # a faint, short take
    stereo = np.stack([quiet, quiet], axis=1)
    out = recognition.transcribe(stereo, sr, language="es")
    assert out["language"] == "en"
    assert out["segments"] and all("words" not in s for s in out["segments"])
    assert recall("hello and welcome to the show", out["text"]) >= 0.5


def test_silence_gives_an_empty_transcript_not_an_error(backend):
    out = recognition.transcribe(np.zeros(16000 * 2, np.float32), 16000, timestamps=True)
    assert out == {"text": "", "language": "en", "duration": 2.0, "segments": []}


def test_noisy_speech_is_recognised(noisy_wav, speech, backend):
    noisy, sr = sf.read(noisy_wav, dtype="float32")
    assert recognition.is_noisy(noisy[::3]) and not recognition.is_noisy(speech[0][::3])
    out = recognition.transcribe(noisy, sr)
    print("heard through noise:", out["text"])
    assert recall(SPEECH_TEXT, out["text"]) >= 0.5
