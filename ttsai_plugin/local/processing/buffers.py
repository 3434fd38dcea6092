"""Shape, validation and resampling shared by the processing functions.

Every public function takes float32 ``(frames,)`` or ``(frames, channels)``; internally the
work is done channels-first, ``(channels, frames)``, and handed back in the caller's shape.
"""
from __future__ import annotations

import importlib
from math import gcd
from types import ModuleType

import numpy as np

from ttsai_plugin.errors import BadRequestError, InternalServerError

MAX_CHANNELS = 64


def check(samples: np.ndarray, sr: int, *, what: str = "audio") -> np.ndarray:
    """``samples`` as float32 with finite values, or a 400 error saying what is wrong."""
    x = np.asarray(samples)
    if x.ndim not in (1, 2) or x.size == 0:
        raise BadRequestError(f"{what}: expected a non-empty (frames,) or (frames, channels) "
                              f"array, got shape {x.shape}.",
                              hint="Send a file with at least one audio frame.")
    if not isinstance(sr, (int, np.integer)) or sr < 1000:
        raise BadRequestError(f"{what}: sample rate {sr!r} is not usable.",
                              hint="Use a sample rate of 8000 Hz or more.")
    if x.ndim == 2 and x.shape[1] > MAX_CHANNELS:
        raise BadRequestError(f"{what}: {x.shape[1]} channels; the array looks channels-first.",
                              hint="Pass (frames, channels).")
    if not np.issubdtype(x.dtype, np.floating):
        raise BadRequestError(f"{what}: samples must be floats in [-1, 1], got {x.dtype}.",
                              hint="Decode with ttsai_plugin.media.decode.")
    x = x.astype(np.float32, copy=False)
    if not np.all(np.isfinite(x)):
        raise BadRequestError(f"{what}: the samples contain NaN or infinity.",
                              hint="Re-export the audio; it is damaged.")
    return x


def channels_first(samples: np.ndarray) -> np.ndarray:
    """``(channels, frames)`` view of a mono or multichannel buffer."""
    return samples[np.newaxis, :] if samples.ndim == 1 else samples.T


def like(channels: np.ndarray, template: np.ndarray) -> np.ndarray:
    """``(channels, frames)`` back into the shape family of ``template``, as float32."""
    out = channels[0] if template.ndim == 1 else channels.T
    return np.ascontiguousarray(out, dtype=np.float32)


def mono(samples: np.ndarray) -> np.ndarray:
    """The average of all channels."""
    return samples if samples.ndim == 1 else samples.mean(axis=1)


def resample(x: np.ndarray, sr_from: int, sr_to: int, axis: int = -1) -> np.ndarray:
    """Polyphase resampling (scipy), exact-ratio; a no-op when the rates match."""
    if sr_from == sr_to:
        return x
    from scipy.signal import resample_poly
    g = gcd(int(sr_from), int(sr_to))
    return resample_poly(x, sr_to // g, sr_from // g, axis=axis).astype(np.float32)


def fit_length(x: np.ndarray, n: int) -> np.ndarray:
    """Trim or zero-pad the last axis to exactly ``n`` frames."""
    if x.shape[-1] >= n:
        return x[..., :n]
    pad = [(0, 0)] * (x.ndim - 1) + [(0, n - x.shape[-1])]
    return np.pad(x, pad)


def headroom(x: np.ndarray, ceiling: float = 0.99) -> np.ndarray:
    """Scale down (never up) so the peak stays below ``ceiling``: no clipping after gain."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return x * (ceiling / peak) if peak > ceiling else x


def zero_phase(sos: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Forward-backward IIR filtering along the last axis; also for clips shorter than its padding."""
    from scipy.signal import sosfiltfilt

    padlen = min(3 * (2 * len(sos) + 1), x.shape[-1] - 1)
    return sosfiltfilt(sos, x, axis=-1, padlen=max(padlen, 0)).astype(np.float32)


def require(module: str, purpose: str) -> ModuleType:
    """Import an engine dependency, or a 500 that says how to install it."""
    try:
        return importlib.import_module(module)
    except (ImportError, OSError) as e:
        raise InternalServerError(f"{purpose} needs {module.split('.')[0]}, which is not usable "
                                  f"here ({e.__class__.__name__}: {e}).",
                                  hint="Install the engine extras: pip install "
                                       "'ttsai-plugin[engine]'.") from e
