"""Measurements of a studio dub shared by the tests and ``bench/dub_timing.py``: where each
dubbed sentence starts, and how much a track still sounds like the source's background."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def mono(path: Path, rate: int = 16000) -> np.ndarray:
    from ttsai_plugin import media
    samples, _ = media.decode(path, sample_rate=rate, mono=True)
    return samples


def onset(samples: np.ndarray, rate: int, near: float, *, before: float = 0.5,
          after: float = 1.5, floor_db: float = -30.0) -> float | None:
    """Seconds at which sound starts in ``[near - before, near + after]``: the first 5 ms frame
    within ``floor_db`` of the track's peak frame (None when nothing starts there)."""
    n = int(0.005 * rate)
    frames = len(samples) // n
    levels = 20 * np.log10(np.sqrt(np.mean(
        samples[: frames * n].reshape(frames, n) ** 2, axis=1)) + 1e-10)
    top = float(levels.max())
    lo, hi = max(0, int((near - before) / 0.005)), min(frames, int((near + after) / 0.005))
    loud = np.flatnonzero(levels[lo:hi] > top + floor_db)
    return None if loud.size == 0 else (lo + int(loud[0])) * 0.005


def onset_errors(track: Path, starts: list[float], rate: int = 16000) -> list[float | None]:
    """For each true sentence start, how far (seconds) the dub's sound starts from it."""
    samples = mono(track, rate)
    found = [onset(samples, rate, t) for t in starts]
    return [None if f is None else f - t for f, t in zip(found, starts)]


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two signals over their common length (1.0 = same waveform)."""
    n = min(len(a), len(b))
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))
