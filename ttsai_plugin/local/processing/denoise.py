"""Speech enhancement: denoising, a presence EQ for clarity, and bandwidth extension.

Denoising is DeepFilterNet3 (``denoise_dfn``) when the ``neural`` extra is installed, else
RNNoise. RNNoise (Valin, 2018; via pyrnnoise's bundled library) is a small recurrent network that
estimates per-band gains at 48 kHz, so audio is resampled to 48 kHz for it and back after.
When what it removed pulses like speech (babble), the dry signal is restored instead.
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
import sys

import numpy as np

from ttsai_plugin.errors import BadRequestError, InternalServerError

from . import buffers, denoise_dfn, models_registry

RNNOISE_RATE = 48000
RNNOISE_FRAME = 480
# RNNoise answers 960 samples (20 ms at 48 kHz) late: one frame of buffering plus its window.
RNNOISE_LATENCY = 960
# strength -> share of the denoised signal in the mix (the rest is the original, aligned)
STRENGTHS = {1: 0.6, 2: 0.9, 3: 1.0}
# Spread (dB, std of 25 ms levels) of what RNNoise removed: steady noise (pink, hum) is removed
# as a steady signal (1.3-2.9 dB on the quality set), speech-like babble or speech itself as a
# pulsing one (4.1-7.9 dB babble, >40 clean), and there RNNoise cost 3.5-4.9 dB SI-SDR. The dry
# signal is faded back in between the two bounds, and fully restored above the upper one.
STEADY_REMOVAL_DB = 3.0
PULSING_REMOVAL_DB = 4.0
LEVEL_RANGE_DB = 60.0             # quieter frames than this under the loudest count as this


def _rnnoise_library():
    """pyrnnoise's ctypes binding. Its package front end imports audiolab and PyAV, which the
    Blender extension leaves out (~40 MB): then the binding module is loaded on its own."""
    if "_ttsai_rnnoise" in sys.modules:
        return sys.modules["_ttsai_rnnoise"]
    try:
        return buffers.require("pyrnnoise.rnnoise", "Denoising")
    except InternalServerError as first:
        spec = importlib.util.find_spec("pyrnnoise")
        where = list(spec.submodule_search_locations or []) if spec else []
        path = next((os.path.join(d, "rnnoise.py") for d in where), None)
        if path is None:
            raise first
        binding = importlib.util.spec_from_file_location("_ttsai_rnnoise", path)
        module = importlib.util.module_from_spec(binding)
        try:
            binding.loader.exec_module(module)
        except (ImportError, OSError):
            raise first from None
        sys.modules["_ttsai_rnnoise"] = module
        return module


def rnnoise(x48: np.ndarray) -> np.ndarray:
    """One RNNoise pass over a mono 48 kHz float signal (full scale ±1), latency removed."""
    lib = _rnnoise_library()
    n = len(x48)
    total = -(-(n + RNNOISE_LATENCY) // RNNOISE_FRAME) * RNNOISE_FRAME
    buf = np.zeros(total, dtype=np.float32)
    buf[:n] = x48 * 32768.0
    state = lib.create()
    try:
        for i in range(0, total, RNNOISE_FRAME):
            frame = buf[i:i + RNNOISE_FRAME]
            ptr = frame.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
            lib.lib.rnnoise_process_frame(state, ptr, ptr)
    finally:
        lib.destroy(state)
    return buf[RNNOISE_LATENCY:RNNOISE_LATENCY + n] / 32768.0


def backend() -> str:
    """``"deepfilternet3"`` or ``"rnnoise"``: what ``denoise_channel`` runs."""
    return "deepfilternet3" if models_registry.use(models_registry.DEEPFILTERNET3) else "rnnoise"


def denoise_channel(x: np.ndarray, sr: int, strength: int) -> np.ndarray:
    """DeepFilterNet3 (attenuation limited per ``strength``) or RNNoise (mixed with the original
    per ``strength``), at 48 kHz; either gives way to the original as far as what it removed
    pulses like speech (``removal_trust``)."""
    if backend() == "deepfilternet3":
        y, wet = denoise_dfn.denoise48k(buffers.resample(x, sr, RNNOISE_RATE), strength), 1.0
    else:
        y, wet = rnnoise(buffers.resample(x, sr, RNNOISE_RATE)), STRENGTHS[strength]
    y = buffers.fit_length(buffers.resample(y, RNNOISE_RATE, sr), len(x))
    wet *= removal_trust(x - y, sr)
    return wet * y + (1.0 - wet) * x


def removal_spread_db(removed: np.ndarray, sr: int) -> float:
    """How much the level of what the denoiser removed swings over time (std of 25 ms levels)."""
    hop, win = int(0.010 * sr), int(0.025 * sr)
    if len(removed) < win + hop:
        return 0.0
    frames = np.lib.stride_tricks.sliding_window_view(removed, win)[::hop]
    level = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-20)
    return float(np.std(np.maximum(level, level.max() - LEVEL_RANGE_DB)))


def removal_trust(removed: np.ndarray, sr: int) -> float:
    """1 when the removed part is steady noise, 0 when it pulses like speech (babble, or the
    speech itself): RNNoise then cuts words and leaves speech worse than the input."""
    spread = removal_spread_db(removed, sr)
    return float(np.clip((PULSING_REMOVAL_DB - spread)
                         / (PULSING_REMOVAL_DB - STEADY_REMOVAL_DB), 0.0, 1.0))


def _peaking(sr: int, freq: float, gain_db: float, q: float) -> np.ndarray:
    """An RBJ-cookbook peaking biquad as a scipy second-order section."""
    a = 10 ** (gain_db / 40)
    w = 2 * np.pi * freq / sr
    alpha = np.sin(w) / (2 * q)
    b = [1 + alpha * a, -2 * np.cos(w), 1 - alpha * a]
    den = [1 + alpha / a, -2 * np.cos(w), 1 - alpha / a]
    return np.array([[*(c / den[0] for c in b), 1.0, den[1] / den[0], den[2] / den[0]]])


def presence_eq(x: np.ndarray, sr: int) -> np.ndarray:
    """High-pass at 80 Hz (rumble, hum) and +3 dB of presence around 3 kHz, zero-phase."""
    from scipy.signal import butter

    sos = np.vstack([butter(2, 80, "highpass", fs=sr, output="sos"),
                     _peaking(sr, min(3000.0, 0.35 * sr), 3.0, 0.8)])
    return buffers.zero_phase(sos, x)


def extend_bandwidth(x: np.ndarray, sr: int, target: int = RNNOISE_RATE) -> np.ndarray:
    """Resample to ``target`` and fill the empty top band with an exciter's harmonics.

    Not a learned super-resolution model: the top octave of the original band is full-wave
    rectified (doubling its frequencies), high-passed above the old Nyquist and mixed in
    12 dB under that octave, the classical "aural exciter" way of adding air.
    """
    from scipy.signal import butter

    if sr >= target:
        return x
    y = buffers.resample(x, sr, target)
    nyquist = sr / 2
    band = buffers.zero_phase(butter(4, [nyquist / 2, 0.95 * nyquist], "bandpass", fs=target,
                                     output="sos"), y)
    harmonics = buffers.zero_phase(butter(4, nyquist, "highpass", fs=target, output="sos"),
                                   np.abs(band))
    ref = np.sqrt(np.mean(band ** 2, axis=-1, keepdims=True))
    level = np.sqrt(np.mean(harmonics ** 2, axis=-1, keepdims=True))
    gain = np.where(level > 0, 0.25 * ref / np.maximum(level, 1e-12), 0.0)
    return (y + gain * harmonics).astype(np.float32)


def enhance(samples: np.ndarray, sr: int, *, denoise: bool = True, clarity: bool = True,
            super_resolution: bool = False, strength: int = 2) -> tuple[np.ndarray, int]:
    """Denoise (DeepFilterNet3 or RNNoise), then clarity EQ, then bandwidth extension to 48 kHz; peak-safe.

    ``strength``: how much of the original stays under the denoised signal — 1 keeps 40 %
    (natural room tone, ~8 dB less noise), 2 keeps 10 %, 3 keeps none (most noise removed).
    A second RNNoise pass was measured to distort speech more than it removes noise.
    """
    x = buffers.check(samples, sr)
    if int(strength) != strength or int(strength) not in STRENGTHS:
        raise BadRequestError(f"strength: {strength!r} is not 1, 2 or 3.",
                              hint="Use 2 for most recordings, 3 for very noisy ones.")
    chans, out_sr = enhance_channels(buffers.channels_first(x).astype(np.float32), sr,
                                     denoise=denoise, clarity=clarity,
                                     super_resolution=super_resolution, strength=int(strength))
    return buffers.like(buffers.headroom(chans), x), out_sr


def enhance_channels(chans: np.ndarray, sr: int, *, denoise: bool, clarity: bool,
                     super_resolution: bool, strength: int) -> tuple[np.ndarray, int]:
    """``enhance`` on checked ``(channels, frames)`` audio, before headroom (also per block)."""
    if denoise:
        chans = np.stack([denoise_channel(c, sr, strength) for c in chans])
    if clarity:
        chans = presence_eq(chans, sr)
    out_sr = sr
    if super_resolution:
        chans, out_sr = extend_bandwidth(chans, sr), max(sr, RNNOISE_RATE)
    return chans, out_sr
