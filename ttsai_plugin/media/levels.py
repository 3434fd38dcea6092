"""Short-term levels of a signal: the RMS in dBFS of every fixed-length frame, from samples in
memory or streamed from a file, so an hour of audio costs its frames (a few MB), not its
samples (an hour at 16 kHz is 230 MB as float32, three times that while squared)."""
from __future__ import annotations

import os
from typing import Iterable

import numpy as np

from ttsai_plugin.media.ffmpeg import CancelCheck
from ttsai_plugin.media.audio import pcm_chunks

BLOCK = 1 << 18   # samples squared at a time: an hour is never copied whole


def frame_levels(samples: np.ndarray, sr: int, frame: float) -> np.ndarray:
    """RMS level in dBFS of each whole ``frame``-second slice of a signal (channels averaged);
    a trailing part frame is left out."""
    n = max(1, int(frame * sr))
    step = max(1, BLOCK // n) * n
    return _levels((samples[i:i + step] for i in range(0, len(samples), step)), n)


def file_levels(path: str | os.PathLike[str], *, sample_rate: int, frame: float,
                stream: int = 0, start: float = 0.0, end: float | None = None,
                cancel: CancelCheck | None = None) -> np.ndarray:
    """``frame_levels`` of ``path``'s audio (``start``..``end`` seconds of audio stream
    ``stream``), decoded to mono at ``sample_rate`` through an ffmpeg pipe a block at a time."""
    chunks = pcm_chunks(path, sample_rate=sample_rate, channels=1, stream=stream,
                        start=start, end=end, cancel=cancel)
    return _levels((c[:, 0] for c in chunks), max(1, int(frame * sample_rate)))


def frame_powers(blocks: Iterable[np.ndarray], n: int) -> np.ndarray:
    """Mean square of every ``n``-sample frame over consecutive ``blocks`` (1-D, or
    ``(frames, channels)`` averaged to mono), each block squared in float64 on its own; a
    frame may straddle two blocks, a trailing part frame is left out."""
    powers: list[np.ndarray] = []
    carry = np.zeros(0, np.float32)
    for block in blocks:
        mono = block if block.ndim == 1 else block.mean(axis=1, dtype=np.float32)
        mono = np.concatenate([carry, mono]) if carry.size else mono
        whole = len(mono) // n * n
        if whole:
            frames = mono[:whole].astype(np.float64).reshape(-1, n)
            powers.append(np.einsum("ij,ij->i", frames, frames) / n)
        carry = mono[whole:].astype(np.float32, copy=True)
    return np.concatenate(powers) if powers else np.zeros(0, np.float64)


def _levels(blocks: Iterable[np.ndarray], n: int) -> np.ndarray:
    return 20 * np.log10(np.sqrt(frame_powers(blocks, n)) + 1e-10)
