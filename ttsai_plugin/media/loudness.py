"""Loudness by ITU-R BS.1770 and normalisation to a target with a true-peak ceiling.

Streams: the K-weighting filters are pyloudnorm's, run chunk by chunk with carried filter
state, so a two-hour recording is measured and levelled without holding it in memory.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import soundfile as sf

from ttsai_plugin.errors import InputError
from ttsai_plugin.media import ffmpeg
from ttsai_plugin.media.audio import codec_args, pcm_chunks
from ttsai_plugin.media.ffmpeg import CancelCheck
from ttsai_plugin.media.files import atomic_output, source
from ttsai_plugin.media.probe import audio_stream, probe
from ttsai_plugin.sentences import sentence

_MIN_SECONDS = 0.4                              # one BS.1770 gating block
_CHANNEL_GAINS = (1.0, 1.0, 1.0, 1.41, 1.41)    # L R C Ls Rs
_LIMIT_BLOCK = 64                               # limiter gain resolution (frames)
_LIMIT_MARGIN = 4 * _LIMIT_BLOCK                # context each side of a streamed segment
_SEGMENT = 2048 * _LIMIT_BLOCK


class LoudnessMeter:
    """Integrated loudness (BS.1770-4 gating) fed in chunks of shape ``(frames, channels)``."""

    def __init__(self, sample_rate: int, channels: int) -> None:
        import pyloudnorm
        from scipy.signal import lfilter
        self.rate, self.channels = sample_rate, channels
        self._lfilter = lfilter
        self._filters = [(f.b, f.a, f.passband_gain)
                         for f in pyloudnorm.Meter(sample_rate)._filters.values()]
        self._state = [np.zeros((len(a) - 1, channels)) for _, a, _ in self._filters]
        self._step_edges: list[int] = []  # sub-block (100 ms) boundaries, in frames
        self._sums: list[np.ndarray] = []  # per 100 ms sub-block, per channel: sum of squares
        self._acc = np.zeros(channels)
        self._pos = 0
        self.frames = 0

    def _edge(self, k: int) -> int:
        return int(0.1 * k * self.rate)

    def feed(self, chunk: np.ndarray) -> None:
        x = np.asarray(chunk, dtype=np.float64).reshape(len(chunk), -1)
        for i, (b, a, gain) in enumerate(self._filters):
            x, self._state[i] = self._lfilter(b, a, x, axis=0, zi=self._state[i])
            x = x * gain
        sq = x * x
        start = self.frames
        self.frames += len(x)
        at = 0
        while True:
            boundary = self._edge(len(self._sums) + 1)
            if boundary > self.frames:
                self._acc += sq[at:].sum(axis=0)
                break
            cut = boundary - start
            self._acc += sq[at:cut].sum(axis=0)
            self._sums.append(self._acc)
            self._acc = np.zeros(self.channels)
            at = cut

    def integrated(self) -> float:
        """LUFS of everything fed so far; ``-inf`` for silence."""
        if self.frames < int(_MIN_SECONDS * self.rate):
            raise InputError(f"Audio shorter than {_MIN_SECONDS}s is too short to measure "
                             "loudness.")
        seconds = self.frames / self.rate
        blocks = int(np.round((seconds - 0.4) / 0.1)) + 1
        sums = np.array(self._sums + [self._acc])
        sums = np.vstack([sums, np.zeros((max(0, blocks + 3 - len(sums)), self.channels))])
        cum = np.vstack([np.zeros((1, self.channels)), np.cumsum(sums, axis=0)])
        z = (cum[4: blocks + 4] - cum[:blocks]) / (0.4 * self.rate)
        weights = np.array((_CHANNEL_GAINS + (1.41,) * self.channels)[: self.channels])
        with np.errstate(divide="ignore"):
            levels = -0.691 + 10 * np.log10(z @ weights)
            gated = levels >= -70.0
            if not gated.any():
                return float("-inf")
            relative = -0.691 + 10 * np.log10(z[gated].mean(axis=0) @ weights) - 10.0
            keep = (levels > relative) & (levels > -70.0)
            if not keep.any():
                return float("-inf")
            return float(-0.691 + 10 * np.log10(z[keep].mean(axis=0) @ weights))


def _layout(p: Path) -> tuple[int, int]:
    chosen = audio_stream(probe(p), p, 0)
    return chosen.sample_rate or 48000, chosen.channels


def loudness(path: str | os.PathLike[str], *, cancel: CancelCheck | None = None) -> float:
    """Integrated loudness of ``path`` in LUFS (``-inf`` for digital silence)."""
    p = source(path)
    rate, channels = _layout(p)
    meter = LoudnessMeter(rate, channels)
    for chunk in pcm_chunks(p, sample_rate=rate, channels=channels, cancel=cancel):
        meter.feed(chunk)
    try:
        return meter.integrated()
    except InputError as exc:
        raise InputError(f"{p.name}: {sentence(exc.message)}", hint=exc.hint) from None


_TAPS: dict[int, np.ndarray] = {}


def _oversample_taps(factor: int = 4, half_width: int = 12) -> np.ndarray:
    if factor not in _TAPS:
        n = np.arange(-half_width * factor, half_width * factor + 1)
        h = np.sinc(n / factor) * np.kaiser(len(n), 8.0)
        _TAPS[factor] = (h / h.sum() * factor).astype(np.float32)
    return _TAPS[factor]


def _envelope(x: np.ndarray, factor: int = 4) -> np.ndarray:
    """Per-frame peak of the ``factor``× oversampled signal, over all channels."""
    taps = _oversample_taps(factor)
    env = np.abs(x).max(axis=1)
    for c in range(x.shape[1]):
        for phase in range(1, factor):
            env = np.maximum(env, np.abs(np.convolve(x[:, c], taps[phase::factor], mode="same")))
    return env


def true_peak(samples: np.ndarray, factor: int = 4) -> float:
    """Linear true peak: the sample peak of a ``factor``× oversampled signal (BS.1770 Annex 2)."""
    x = samples if samples.ndim == 2 else samples[:, None]
    return float(_envelope(x, factor).max(initial=0.0)) if x.size else 0.0


def _limit(x: np.ndarray, ceiling: float) -> np.ndarray:
    """Smooth gain reduction so no (oversampled) peak passes ``ceiling``: block minima of the
    needed gain, widened to the neighbouring blocks, interpolated linearly between blocks."""
    need = np.minimum(1.0, ceiling / np.maximum(_envelope(x), 1e-9))
    if need.min() >= 1.0:
        return x
    n_blocks = -(-len(need) // _LIMIT_BLOCK)
    padded = np.ones(n_blocks * _LIMIT_BLOCK, np.float32)
    padded[: len(need)] = need
    g = padded.reshape(n_blocks, _LIMIT_BLOCK).min(axis=1)
    g = np.minimum(g, np.minimum(np.r_[g[1:], 1.0], np.r_[1.0, g[:-1]]))
    centres = (np.arange(n_blocks) + 0.5) * _LIMIT_BLOCK
    gain = np.interp(np.arange(len(need)), centres, g).astype(np.float32)
    return x * gain[:, None]


def limited(chunks: Iterable[np.ndarray], *, gain: float, ceiling: float,
            channels: int) -> Iterator[np.ndarray]:
    """``chunks`` times ``gain``, peak-limited to ``ceiling``, in segments that see enough of
    their neighbours (and share one block grid) to match limiting the whole signal at once."""
    m = _LIMIT_MARGIN
    pending = np.zeros((m, channels), np.float32)
    for chunk in chunks:
        pending = np.concatenate([pending, chunk * np.float32(gain)])
        while len(pending) >= _SEGMENT + 2 * m:
            yield _limit(pending[: _SEGMENT + 2 * m], ceiling)[m: m + _SEGMENT]
            pending = pending[_SEGMENT:]
    rest = len(pending) - m
    if rest > 0:
        window = np.concatenate([pending, np.zeros((m, channels), np.float32)])
        yield _limit(window, ceiling)[m: m + rest]


_AIMS = 8   # passes at most: peaky speech limited hard can take five to land within 0.1 LU


def _next_gain(tried: list[tuple[float, float]], target: float) -> float:
    """The gain to try next: the secant through the last two tries (a limiter gives less than
    a decibel of loudness per decibel of gain, and less the harder it works), or the first
    try's error added when there is only one."""
    gain, got = tried[-1]
    if len(tried) < 2:
        return gain + (target - got)
    (g0, l0), (g1, l1) = tried[-2], tried[-1]
    slope = (l1 - l0) / (g1 - g0) if abs(g1 - g0) > 1e-6 else 1.0
    step = (target - got) / min(1.0, max(slope, 0.1))
    return gain + min(step, 12.0)


def normalize(src: str | os.PathLike[str], out: str | os.PathLike[str], *,
              target_lufs: float = -16.0, true_peak: float = -1.0,
              cancel: CancelCheck | None = None) -> Path:
    """Write ``src`` at ``target_lufs`` integrated loudness with peaks kept under ``true_peak``
    dBTP (gentle limiting where the gain would push peaks over). Silence raises InputError."""
    p, out_p = source(src), Path(out)
    measured = loudness(p, cancel=cancel)
    if not np.isfinite(measured):
        raise InputError(f"{p.name} is silent: there is no loudness to normalise.")
    rate, channels = _layout(p)
    ceiling = 10 ** (true_peak / 20)
    gain_db = target_lufs - measured
    direct = out_p.suffix.lower() in (".wav", ".flac")
    with atomic_output(out_p, p) as tmp:
        wav = tmp if direct else tmp.with_suffix(".wav")
        try:
            tried: list[tuple[float, float]] = []   # (gain dB, loudness it gave)
            for _ in range(_AIMS):  # limiting lowers loudness: re-aim until on target
                meter = LoudnessMeter(rate, channels)
                with sf.SoundFile(str(wav), "w", samplerate=rate, channels=channels,
                                  subtype="PCM_16" if direct else "FLOAT") as f:
                    source_chunks = pcm_chunks(p, sample_rate=rate, channels=channels,
                                               cancel=cancel)
                    for seg in limited(source_chunks,
                                       gain=10 ** (gain_db / 20), ceiling=ceiling,
                                       channels=channels):
                        meter.feed(seg)
                        f.write(np.clip(seg, -1.0, 1.0))
                got = meter.integrated()
                if abs(target_lufs - got) < 0.1:
                    break
                tried.append((gain_db, got))
                gain_db = _next_gain(tried, target_lufs)
            if not direct:
                ffmpeg.run(["-i", wav, *codec_args(out_p), tmp], what=f"encode {out_p.name}")
        finally:
            if not direct:
                wav.unlink(missing_ok=True)
    return out_p
