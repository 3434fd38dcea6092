"""Enhance: RNNoise really removes noise from a noisy recording, measured against the clean take."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from ttsai_plugin.errors import BadRequestError
from ttsai_plugin.local.processing import denoise


def snr_db(clean: np.ndarray, test: np.ndarray) -> float:
    """Scale-invariant SNR of ``test`` against the clean reference (dB)."""
    scale = np.dot(test, clean) / np.dot(clean, clean)
    error = test - scale * clean
    return float(10 * np.log10(np.sum((scale * clean) ** 2) / np.sum(error ** 2)))


@pytest.fixture(scope="module")
def takes(speech_wav, noisy_wav):
    clean, sr = sf.read(speech_wav, dtype="float32")
    noisy, sr2 = sf.read(noisy_wav, dtype="float32")
    assert sr == sr2
    return clean, noisy, sr


def test_denoising_raises_the_snr_of_noisy_speech_by_several_db(takes):
    clean, noisy, sr = takes
    before = snr_db(clean, noisy)
    out, out_sr = denoise.enhance(noisy, sr, clarity=False)
    after = snr_db(clean, out)
    print(f"SNR {before:.1f} dB -> {after:.1f} dB")
    assert out_sr == sr and out.shape == noisy.shape and out.dtype == np.float32
    assert after - before >= 6.0


@pytest.mark.parametrize("strength", [1, 2, 3])
def test_every_strength_with_default_clarity_improves_the_snr(takes, strength):
    clean, noisy, sr = takes
    out, _ = denoise.enhance(noisy, sr, strength=strength)
    assert snr_db(clean, out) - snr_db(clean, noisy) >= 2.0


def test_output_is_time_aligned_with_the_input(takes):
    clean, noisy, sr = takes
    out, _ = denoise.enhance(noisy, sr, clarity=False)
    lags = range(-240, 241, 8)
    best = max(lags, key=lambda k: np.dot(np.roll(out, k), clean))
    assert abs(best) <= 8


def test_stereo_keeps_its_channels_and_the_original_is_untouched(takes):
    _, noisy, sr = takes
    stereo = np.stack([noisy, 0.5 * noisy], axis=1)
    before = stereo.copy()
    out, _ = denoise.enhance(stereo, sr)
    assert out.shape == stereo.shape
    assert np.array_equal(stereo, before)
    assert np.max(np.abs(out)) <= 0.99


def test_super_resolution_returns_48k_with_new_energy_above_the_old_nyquist(takes):
    _, noisy, sr = takes
    from scipy.signal import resample_poly
    narrow = resample_poly(noisy, 1, 3).astype(np.float32)       # 16 kHz: nothing above 8 kHz
    out, out_sr = denoise.enhance(narrow, 16000, super_resolution=True)
    assert out_sr == 48000
    assert abs(len(out) - 3 * len(narrow)) <= 3
    spectrum = np.abs(np.fft.rfft(out)) ** 2
    freqs = np.fft.rfftfreq(len(out), 1 / out_sr)
    air = spectrum[(freqs > 8500) & (freqs < 16000)].sum() / spectrum.sum()
    assert air > 1e-4


def test_clarity_alone_removes_rumble_below_80_hz(takes):
    clean, _, sr = takes
    t = np.arange(len(clean)) / sr
    rumbly = (clean + 0.3 * np.sin(2 * np.pi * 30 * t)).astype(np.float32)
    out, _ = denoise.enhance(rumbly, sr, denoise=False, clarity=True)
    def level_30hz(x):
        return np.abs(np.dot(x, np.exp(-2j * np.pi * 30 * t)))
    assert level_30hz(out) < 0.2 * level_30hz(rumbly)


@pytest.mark.parametrize("strength", [0, 4, 2.5])
def test_strength_outside_one_to_three_is_a_bad_request(takes, strength):
    _, noisy, sr = takes
    with pytest.raises(BadRequestError):
        denoise.enhance(noisy[:4800], sr, strength=strength)


def test_silence_stays_silence():
    out, sr = denoise.enhance(np.zeros(16000, np.float32), 16000)
    assert sr == 16000 and np.max(np.abs(out)) < 1e-4


def babble_over(clean: np.ndarray, snr: float) -> np.ndarray:
    """The take with four other "talkers" (the same speech, shifted) under it at ``snr`` dB."""
    talkers = sum(np.roll(clean, int(k * len(clean) / 4.7)) for k in range(1, 5))
    gain = np.sqrt(np.mean(clean ** 2) / (np.mean(talkers ** 2) * 10 ** (snr / 10)))
    return (clean + gain * talkers).astype(np.float32)


@pytest.mark.parametrize("backend", ["rnnoise", "deepfilternet3"])
@pytest.mark.parametrize("snr", [0, 5, 10])
def test_speech_over_babble_never_comes_out_worse_than_it_went_in(takes, snr, backend,
                                                                 monkeypatch):
    """Whichever denoiser the install has: DeepFilterNet3 took 0.5-0.8 dB off speech over
    babble of the same voice (a panel of one speaker's takes) before it too gave way."""
    from ttsai_plugin.local.processing import models_registry
    if backend == "deepfilternet3" and not models_registry.available(
            models_registry.DEEPFILTERNET3):
        pytest.skip("DeepFilterNet3 is not installed (the neural extra)")
    monkeypatch.setenv("TTSAI_ENGINE_CLASSICAL", "1" if backend == "rnnoise" else "0")
    assert denoise.backend() == backend
    clean, _, sr = takes
    noisy = babble_over(clean, snr)
    out, _ = denoise.enhance(noisy, sr, clarity=False)
    before, after = snr_db(clean, noisy), snr_db(clean, out)
    print(f"babble {snr} dB: SI-SDR {before:.2f} -> {after:.2f} dB")
    assert after >= before - 0.05
