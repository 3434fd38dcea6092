"""Echo and reverb removal: WPE linear prediction, then late-reverb spectral suppression.

1. WPE (Nakatani et al. 2010; nara_wpe) predicts each STFT frame's reverberant part from
   frames at least ``delay`` hops earlier and subtracts it; all channels are used jointly.
   It runs on the bins below 8 kHz, where speech and its reverb carry their energy.
2. The residual late reverb is suppressed with Lebart's statistical model: the late power
   is the power ``T`` seconds ago decayed at the room's rate (RT60), removed with a floored
   Wiener-like gain shared by all channels.

``kind`` picks the time scales: ``echo`` = short delay and taps (slap-back, small rooms,
up to ~150 ms), ``reverb`` = longer delay and taps (diffuse tails up to ~400 ms of prediction
and RT60 0.5–1.3 s), ``both`` = long taps with a short delay. ``intensity`` 1–5 scales taps,
WPE iterations, assumed RT60 and how deep the suppression may cut.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ttsai_plugin.errors import BadRequestError

from . import buffers

KINDS = ("echo", "reverb", "both")
WPE_MAX_HZ = 8000.0
BLOCK_SECONDS, OVERLAP_SECONDS, PREROLL_SECONDS = 30.0, 0.5, 0.5


@dataclass(frozen=True)
class Settings:
    """Parameters in STFT hops (``hop`` samples) and seconds."""

    taps: int
    delay: int
    iterations: int
    rt60: float
    late_after: float    # seconds after which a reflection counts as late reverb
    floor: float         # smallest gain of the spectral suppression


def settings(kind: str, intensity: int) -> Settings:
    """The processing parameters for ``kind`` and ``intensity`` (documented above)."""
    if kind not in KINDS:
        raise BadRequestError(f"type: {kind!r} is not one of {', '.join(KINDS)}.",
                              hint="Use 'both' when unsure.")
    if int(intensity) != intensity or not 1 <= int(intensity) <= 5:
        raise BadRequestError(f"intensity: {intensity!r} is not an integer from 1 to 5.",
                              hint="Use 3 for a typical room.")
    i = int(intensity)
    iterations = 1 + (i >= 3) + (i >= 5)
    floor = 10 ** (-(6 + 3 * i) / 20)
    if kind == "echo":
        return Settings(4 + 2 * i, 1, iterations, 0.15 + 0.05 * i, 0.02, floor)
    if kind == "reverb":
        return Settings(10 + 5 * i, 3, iterations, 0.3 + 0.2 * i, 0.05, floor)
    return Settings(10 + 5 * i, 2, iterations, 0.3 + 0.2 * i, 0.03, floor)


def stft_size(sr: int) -> int:
    """A power-of-two window of about 40 ms (hop = a quarter of it, ~10 ms)."""
    return int(2 ** round(np.log2(0.04 * sr)))


def _late_gain(power: np.ndarray, s: Settings, sr: int, hop: int) -> np.ndarray:
    """Lebart-style suppression gains, shape ``(frames, bins)`` from channel-mean power."""
    from scipy.ndimage import uniform_filter1d

    p = uniform_filter1d(power, 3, axis=0)
    lag = max(1, int(round(s.late_after * sr / hop)))
    decay = np.exp(-2 * (3 * np.log(10) / s.rt60) * lag * hop / sr)
    late = np.zeros_like(p)
    late[lag:] = decay * p[:-lag]
    gain = np.maximum(1.0 - late / np.maximum(p, 1e-20), s.floor)
    return uniform_filter1d(gain, 3, axis=0)


def _process_block(block: np.ndarray, sr: int, s: Settings) -> np.ndarray:
    """WPE + late suppression on ``(channels, frames)``; same shape back."""
    nara = buffers.require("nara_wpe.utils", "De-reverb")
    wpe = buffers.require("nara_wpe.wpe", "De-reverb").wpe_v8
    threadpool_limits = buffers.require("threadpoolctl", "De-reverb").threadpool_limits
    stft, istft = nara.stft, nara.istft

    size = stft_size(sr)
    hop = size // 4
    spec = stft(block.astype(np.float64), size=size, shift=hop)          # (D, T, F)
    top = min(spec.shape[-1], int(WPE_MAX_HZ / (sr / size)) + 1)
    low = np.ascontiguousarray(spec[..., :top].transpose(2, 0, 1))     # (F, D, T)
    if low.shape[-1] > s.taps + s.delay:
        # Thousands of small solves: threaded BLAS only thrashes here (measured 30x slower
        # on a busy 2-core machine), so one thread.
        with threadpool_limits(limits=1, user_api="blas"):
            spec[..., :top] = wpe(low, taps=s.taps, delay=s.delay,
                                  iterations=s.iterations).transpose(1, 2, 0)
    power = np.mean(spec.real ** 2 + spec.imag ** 2, axis=0)
    spec *= _late_gain(power, s, sr, hop)[np.newaxis]
    out = istft(spec, size=size, shift=hop)
    return buffers.fit_length(out, block.shape[-1]).astype(np.float32)


def _blockwise(x: np.ndarray, sr: int, s: Settings) -> np.ndarray:
    """Long audio in overlapping blocks (bounded memory), crossfaded; history kept via pre-roll."""
    n = x.shape[-1]
    block, overlap = int(BLOCK_SECONDS * sr), int(OVERLAP_SECONDS * sr)
    if n <= block + overlap:
        return _process_block(x, sr, s)
    pre = int(PREROLL_SECONDS * sr)
    out = np.zeros_like(x)
    fade_in = np.linspace(0.0, 1.0, overlap, dtype=np.float32)
    for start in range(0, n, block):
        a = max(0, start - overlap - pre)
        end = min(n, start + block)
        y = _process_block(x[:, a:end], sr, s)[:, max(0, start - overlap) - a:]
        head = min(overlap, start)
        if head:
            y[:, :head] *= fade_in[-head:]
            out[:, start - head:start] *= 1.0 - fade_in[-head:]
        out[:, start - head:end] += y
    return out


def dereverb(samples: np.ndarray, sr: int, *, kind: str = "both",
             intensity: int = 3) -> tuple[np.ndarray, int]:
    """Remove echo/reverb from mono or multichannel audio; same shape and rate back."""
    s = settings(kind, intensity)
    x = buffers.check(samples, sr)
    y = dereverb_channels(buffers.channels_first(x).astype(np.float32), sr, s)
    return buffers.like(buffers.headroom(y), x), sr


def dereverb_channels(chans: np.ndarray, sr: int, s: Settings) -> np.ndarray:
    """``dereverb`` on checked ``(channels, frames)`` audio, before headroom (also per block)."""
    return _blockwise(chans, sr, s)
