"""The sliced STFT gives scipy's numbers bit for bit, with a working set of a few slices."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from scipy.signal import istft, stft

from ttsai_plugin.local.processing import spectral

N_FFT, HOP = 2048, 512


def scipy_stft(x: np.ndarray) -> np.ndarray:
    return stft(x, nperseg=N_FFT, noverlap=N_FFT - HOP, window="hann")[2]


@pytest.mark.parametrize("shape", [(1, 48000 * 3 + 17), (2, 44100 * 2 + 5), (1, N_FFT)])
def test_stft_and_its_inverse_are_scipys_bit_for_bit(shape):
    rng = np.random.default_rng(sum(shape))
    x = (0.1 * rng.standard_normal(shape)).astype(np.float32)
    ref = scipy_stft(x)
    spec = spectral.stft(x, N_FFT, HOP, slice_frames=7)
    assert spec.dtype == ref.dtype and spec.shape == ref.shape
    assert np.array_equal(spec, ref)
    assert spec.shape[-1] == spectral.frame_count(shape[-1], N_FFT, HOP)
    mask = rng.random(ref.shape[1:]).astype(np.float32)
    y = spectral.istft(spec, mask, N_FFT, HOP, slice_frames=7)
    assert np.array_equal(y, istft(ref * mask[np.newaxis], nperseg=N_FFT,
                                   noverlap=N_FFT - HOP, window="hann")[1])


def peak_mb(fn, *args) -> float:
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_a_20_s_block_at_48_khz_is_transformed_in_little_more_than_its_spectrum():
    x = (0.1 * np.random.default_rng(0).standard_normal((1, 20 * 48000))).astype(np.float32)
    spec = spectral.stft(x, N_FFT, HOP)
    size = spec.nbytes / 1e6                                       # 15.4 MB
    assert peak_mb(spectral.stft, x, N_FFT, HOP) < 2 * size           # scipy's: 6.5x
    assert peak_mb(spectral.istft, spec, None, N_FFT, HOP) < size     # scipy's: 2.8x
