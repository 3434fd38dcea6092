"""Whisper's log-Mel features a slice of frames at a time, the same numbers as faster-whisper's.

faster-whisper's ``FeatureExtractor`` builds the windowed frames and the STFT of a whole upload
at once (~0.6 MB per second of speech: about 150 MB for a 4-minute part, many times the audio
itself); here the frames go through the FFT in slices of ``SLICE_FRAMES`` and only their power
spectra (0.08 MB per second) are kept whole, laid out as faster-whisper's are, so the one Mel
product is the same BLAS call on the same numbers: bit-identical features.
"""
from __future__ import annotations

from typing import Any

import numpy as np

SLICE_FRAMES = 3000  # 30 s of 10 ms frames


class SlicedFeatures:
    """Stands in for a faster-whisper ``FeatureExtractor`` (its attributes read through)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __call__(self, waveform: np.ndarray, padding: int = 160,
                 chunk_length: int | None = None) -> np.ndarray:
        """``FeatureExtractor.__call__`` (1.2.1) with the STFT and Mel filters done in slices."""
        f = self._inner
        if chunk_length is not None:
            f.n_samples = chunk_length * f.sampling_rate
            f.nb_max_frames = f.n_samples // f.hop_length
        if waveform.dtype is not np.float32:
            waveform = waveform.astype(np.float32)
        if padding:
            waveform = np.pad(waveform, (0, padding))
        power = power_frames(waveform, f.n_fft, f.hop_length)
        mel_spec = f.mel_filters @ power[:-1].T
        del power
        log_spec = np.log10(np.clip(mel_spec, a_min=1e-10, a_max=None))
        log_spec = np.maximum(log_spec, log_spec.max() - 8.0)
        return (log_spec + 4.0) / 4.0


def power_frames(waveform: np.ndarray, n_fft: int, hop: int,
                 slice_frames: int = SLICE_FRAMES) -> np.ndarray:
    """``|STFT|²`` of the centred (reflect-padded) Hann-windowed frames of ``waveform``,
    ``(frames, n_fft // 2 + 1)`` float32, computed ``slice_frames`` frames at a time."""
    window = np.hanning(n_fft + 1)[:-1].astype("float32")
    half = n_fft // 2
    padded = np.pad(waveform[np.newaxis, :], ((0, 0), (half, half)), mode="reflect")[0]
    count = 1 + (len(padded) - n_fft) // hop
    out = np.empty((count, half + 1), np.float32)
    step = padded.strides[0]
    for a in range(0, count, slice_frames):
        b = min(count, a + slice_frames)
        frames = np.lib.stride_tricks.as_strided(padded[a * hop:], (b - a, n_fft),
                                                 (hop * step, step)) * window
        out[a:b] = np.abs(np.fft.rfft(frames, n=n_fft, axis=-1).astype("complex64")) ** 2
    return out
