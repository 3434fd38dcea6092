"""Loudness by ITU-R BS.1770 (pyloudnorm) and normalisation to a target with a true-peak ceiling."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ttsai_plugin.errors import InputError
from ttsai_plugin.media.audio import decode, write_audio
from ttsai_plugin.media.files import source

_MIN_SECONDS = 0.4  # one BS.1770 gating block


def _measure(samples: np.ndarray, sr: int, name: str) -> float:
    import pyloudnorm
    if len(samples) < int(_MIN_SECONDS * sr):
        raise InputError(f"{name} is shorter than {_MIN_SECONDS}s: too short to measure loudness.")
    return float(pyloudnorm.Meter(sr).integrated_loudness(samples))


def loudness(path: str | os.PathLike[str]) -> float:
    """Integrated loudness in LUFS (``-inf`` for digital silence)."""
    p = source(path)
    samples, sr = decode(p)
    return _measure(samples, sr, p.name)


def _oversample_taps(factor: int = 4, half_width: int = 12) -> np.ndarray:
    n = np.arange(-half_width * factor, half_width * factor + 1)
    h = np.sinc(n / factor) * np.kaiser(len(n), 8.0)
    return (h / h.sum() * factor).astype(np.float32)


def true_peak(samples: np.ndarray, factor: int = 4) -> float:
    """Linear true peak: the sample peak of a ``factor``× oversampled signal (BS.1770 Annex 2)."""
    x = samples if samples.ndim == 2 else samples[:, None]
    taps = _oversample_taps(factor)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    for c in range(x.shape[1]):
        for phase in range(1, factor):
            peak = max(peak, float(np.max(np.abs(np.convolve(x[:, c], taps[phase::factor],
                                                             mode="same")), initial=0.0)))
    return peak


def _limit(samples: np.ndarray, ceiling: float, block: int = 64) -> np.ndarray:
    """Smooth gain reduction so no (oversampled) peak passes ``ceiling``: block minima of the
    needed gain, widened to the neighbouring blocks, interpolated linearly between blocks."""
    x = samples if samples.ndim == 2 else samples[:, None]
    taps = _oversample_taps()
    env = np.abs(x).max(axis=1)
    for c in range(x.shape[1]):
        for phase in range(1, 4):
            env = np.maximum(env, np.abs(np.convolve(x[:, c], taps[phase::4], mode="same")))
    need = np.minimum(1.0, ceiling / np.maximum(env, 1e-9))
    n_blocks = -(-len(need) // block)
    padded = np.ones(n_blocks * block, np.float32)
    padded[: len(need)] = need
    g = padded.reshape(n_blocks, block).min(axis=1)
    g = np.minimum(g, np.minimum(np.r_[g[1:], 1.0], np.r_[1.0, g[:-1]]))
    centres = (np.arange(n_blocks) + 0.5) * block
    gain = np.interp(np.arange(len(need)), centres, g).astype(np.float32)
    out = x * gain[:, None]
    return out if samples.ndim == 2 else out[:, 0]


def normalize(src: str | os.PathLike[str], out: str | os.PathLike[str], *,
              target_lufs: float = -16.0, true_peak: float = -1.0) -> Path:
    """Write ``src`` at ``target_lufs`` integrated loudness with peaks kept under ``true_peak``
    dBTP (gentle limiting where the gain would push peaks over). Silence raises InputError."""
    p = source(src)
    samples, sr = decode(p)
    measured = _measure(samples, sr, p.name)
    if not np.isfinite(measured):
        raise InputError(f"{p.name} is silent: there is no loudness to normalise.")
    ceiling = 10 ** (true_peak / 20)
    gain_db = target_lufs - measured
    result = samples
    for _ in range(4):  # limiting lowers loudness a little: re-aim until on target
        result = _limit(samples * np.float32(10 ** (gain_db / 20)), ceiling)
        error = target_lufs - _measure(result, sr, p.name)
        if abs(error) < 0.1:
            break
        gain_db += error
    return write_audio(result, sr, out)
