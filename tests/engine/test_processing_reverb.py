"""De-reverb: WPE plus late-reverb suppression clears the pauses a room fills with its tail."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from ttsai_plugin.errors import BadRequestError
from ttsai_plugin.local.processing import reverb


def tail_ratio_db(clean: np.ndarray, test: np.ndarray, sr: int) -> float:
    """Energy of ``test`` in the clean take's pauses relative to its energy in the speech (dB).

    Dry speech has almost nothing in its pauses; a room fills them with its decaying tail,
    so the lower this ratio, the less reverberant the signal.
    """
    hop = sr // 100
    n = len(clean) // hop
    ref = np.mean(clean[: n * hop].reshape(n, hop) ** 2, axis=1)
    est = np.mean(test[: n * hop].reshape(n, hop) ** 2, axis=1)
    pauses, speech = ref < 1e-4 * ref.max(), ref > 1e-2 * ref.max()
    return float(10 * np.log10(est[pauses].mean() / est[speech].mean()))


@pytest.fixture(scope="module")
def takes(speech_wav, reverb_wav):
    clean, sr = sf.read(speech_wav, dtype="float32")
    wet, _ = sf.read(reverb_wav, dtype="float32")
    return clean, wet, sr


@pytest.fixture(scope="module")
def default_result(takes):
    _, wet, sr = takes
    return reverb.dereverb(wet, sr)


def test_default_dereverb_clears_the_pauses_by_at_least_2_db(takes, default_result):
    clean, wet, sr = takes
    out, out_sr = default_result
    before, after = tail_ratio_db(clean, wet, sr), tail_ratio_db(clean, out, sr)
    print(f"tail-to-speech {before:.1f} dB -> {after:.1f} dB")
    assert out_sr == sr and out.shape == wet.shape and out.dtype == np.float32
    assert before - after >= 2.0


def test_higher_intensity_removes_more_reverb(takes):
    clean, wet, sr = takes
    gentle, _ = reverb.dereverb(wet, sr, kind="reverb", intensity=1)
    strong, _ = reverb.dereverb(wet, sr, kind="reverb", intensity=5)
    assert tail_ratio_db(clean, strong, sr) < tail_ratio_db(clean, gentle, sr) - 1.0


def test_echo_mode_also_helps_and_uses_shorter_prediction_than_reverb(takes):
    clean, wet, sr = takes
    out, _ = reverb.dereverb(wet, sr, kind="echo")
    assert tail_ratio_db(clean, out, sr) < tail_ratio_db(clean, wet, sr) - 1.0
    echo, room = reverb.settings("echo", 3), reverb.settings("reverb", 3)
    assert echo.delay < room.delay and echo.taps < room.taps


def test_speech_stays_in_place_and_the_original_is_untouched(takes):
    _, wet, sr = takes
    before = wet.copy()
    out, _ = reverb.dereverb(wet, sr, intensity=1)
    assert np.array_equal(wet, before)
    lags = range(-480, 481, 16)
    best = max(lags, key=lambda k: np.dot(np.roll(out, k), wet))
    assert abs(best) <= 16


def test_long_recordings_are_processed_in_crossfaded_blocks(takes, monkeypatch):
    clean, wet, sr = takes
    monkeypatch.setattr(reverb, "BLOCK_SECONDS", 2.0)
    out, _ = reverb.dereverb(wet, sr)
    assert out.shape == wet.shape
    assert tail_ratio_db(clean, wet, sr) - tail_ratio_db(clean, out, sr) >= 2.0
    # no clicks at block joins: no jump far beyond the largest jump of the input
    assert np.max(np.abs(np.diff(out))) < 2 * np.max(np.abs(np.diff(wet)))


def test_stereo_is_dereverberated_jointly_and_keeps_its_channels(takes):
    clean, wet, sr = takes
    stereo = np.stack([wet, np.roll(wet, 24)], axis=1)[: sr * 4]
    out, _ = reverb.dereverb(stereo, sr)
    assert out.shape == stereo.shape
    assert tail_ratio_db(clean[: sr * 4], out[:, 0], sr) < tail_ratio_db(clean[: sr * 4],
                                                                         stereo[:, 0], sr)


@pytest.mark.parametrize("kwargs", [dict(kind="cathedral"), dict(intensity=0),
                                    dict(intensity=6), dict(intensity=2.5)])
def test_out_of_contract_options_are_bad_requests(takes, kwargs):
    _, wet, sr = takes
    with pytest.raises(BadRequestError):
        reverb.dereverb(wet[:sr], sr, **kwargs)


def test_a_very_short_clip_comes_back_the_same_length():
    x = np.random.default_rng(0).normal(0, 0.1, 300).astype(np.float32)
    out, sr = reverb.dereverb(x, 16000)
    assert out.shape == x.shape and np.all(np.isfinite(out))


def test_a_typical_room_loses_most_of_its_tail_and_gets_closer_to_the_dry_voice(takes):
    """A room with RT60 0.5 s and as much reverberant as direct sound (DRR 0 dB)."""
    from scipy.signal import fftconvolve

    clean, _, sr = takes
    rng = np.random.default_rng(5)
    t = np.arange(int(0.5 * sr)) / sr
    tail = rng.normal(0, 1, len(t)) * np.exp(-6.9 * t / 0.5)
    tail[: int(0.003 * sr)] = 0
    ir = tail / np.sqrt(np.sum(tail ** 2))
    ir[0] = 1.0
    wet = fftconvolve(clean, ir)[: len(clean)].astype(np.float32)
    out, _ = reverb.dereverb(wet, sr)

    def si_sdr(test):
        scale = np.dot(test, clean) / np.dot(clean, clean)
        return 10 * np.log10(np.sum((scale * clean) ** 2) / np.sum((test - scale * clean) ** 2))

    assert tail_ratio_db(clean, wet, sr) - tail_ratio_db(clean, out, sr) >= 4.0
    assert si_sdr(out) - si_sdr(wet) >= 1.0
