"""Scores for the quality benchmark: WER, SI-SDR, SDR, PESQ and STOI (when installed)."""
from __future__ import annotations

import re

import numpy as np


def words(text: str) -> list[str]:
    """Lower-case words without punctuation; digits and hyphens split like speech."""
    return re.findall(r"[a-z']+|\d+", text.lower().replace("-", " "))


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[:], i
        for j, h in enumerate(hyp, 1):
            d[j] = min(prev[j] + 1, d[j - 1] + 1, prev[j - 1] + (r != h))
    return d[-1]


def wer(pairs: list[tuple[str, str]]) -> float:
    """Corpus word error rate of ``(reference, hypothesis)`` pairs."""
    errors = sum(edit_distance(words(r), words(h)) for r, h in pairs)
    return errors / max(1, sum(len(words(r)) for r, _ in pairs))


def si_sdr(ref: np.ndarray, est: np.ndarray) -> float:
    """Scale-invariant SDR (dB) of ``est`` against ``ref`` (Le Roux et al. 2019)."""
    ref, est = ref.astype(np.float64), est.astype(np.float64)
    scale = np.dot(est, ref) / max(np.dot(ref, ref), 1e-20)
    target = scale * ref
    return float(10 * np.log10(np.sum(target ** 2) / max(np.sum((est - target) ** 2), 1e-20)))


def sdr(ref: np.ndarray, est: np.ndarray) -> float:
    """Plain signal-to-distortion ratio (dB), as the music-separation challenges score stems."""
    ref, est = ref.astype(np.float64), est.astype(np.float64)
    return float(10 * np.log10(np.sum(ref ** 2) / max(np.sum((ref - est) ** 2), 1e-20)))


def pesq_wb(ref: np.ndarray, est: np.ndarray, sr: int) -> float | None:
    """Wide-band PESQ (16 kHz), or None when the ``pesq`` package is absent or fails."""
    try:
        from pesq import pesq
        return float(pesq(sr, ref.astype(np.float64), est.astype(np.float64), "wb"))
    except Exception:
        return None


def stoi(ref: np.ndarray, est: np.ndarray, sr: int) -> float | None:
    """STOI (0–1), or None when ``pystoi`` is absent."""
    try:
        from pystoi import stoi as _stoi
        return float(_stoi(ref, est, sr, extended=False))
    except Exception:
        return None


def mean(values: list[float | None]) -> float | None:
    real = [v for v in values if v is not None]
    return float(np.mean(real)) if real else None
