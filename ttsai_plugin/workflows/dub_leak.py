"""Speech left in the bed under the spoken lines, moved to the speech stem: a separation
leaves some of the voice in the accompaniment, and on a quiet bed that leftover is as loud
as the music, so the original voice would still be heard under the dub. What the bed holds
in a line above the loudest it ever is in the pauses (per frequency) is taken as voice."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from ttsai_plugin.workflows.dub_background import speech_gate

N_FFT = 2048              # samples per analysis window (46 ms at 44.1 kHz)
PAUSE_PERCENTILE = 99.0   # the bed's level in the pauses that a line may still reach
PAUSE_FRAMES = 4000       # analysis frames of pause kept for that level (memory stays small)
PAUSE_READ = 20.0         # seconds read of any one pause (an hour of music never sits in memory)
MIN_PAUSE_FRAMES = 20     # fewer than this (about 0.25 s) and there is nothing to learn from


def _window(rate: int) -> int:
    return int(2 ** round(np.log2(N_FFT * rate / 44100)))


def _mono(block: np.ndarray) -> np.ndarray:
    return block.mean(axis=1) if block.ndim == 2 else block


def pause_level(bed: Path, lines: list[tuple[float, float]]) -> np.ndarray | None:
    """Per frequency bin, the ``PAUSE_PERCENTILE`` of the bed's magnitude over the pauses
    between ``lines`` (None when the pauses are too short to tell)."""
    from scipy.signal import stft
    with sf.SoundFile(str(bed)) as f:
        rate, total = f.samplerate, f.frames
    n = _window(rate)
    edges = [0.0] + [x for a, b in lines for x in (a, b)] + [total / rate]
    mags = []
    with sf.SoundFile(str(bed)) as f:
        for a, b in zip(edges[0::2], edges[1::2]):
            first = int(a * rate)
            last = min(total, int(b * rate), first + int(PAUSE_READ * rate))
            if last - first < n:
                continue
            f.seek(first)
            x = _mono(f.read(last - first, dtype="float32", always_2d=True))
            x = x * (1.0 - speech_gate(first, len(x), rate, lines))
            _, _, spec = stft(x, nperseg=n, noverlap=n * 3 // 4)
            mags.append(np.abs(spec[:, 2:-2]))
            if sum(m.shape[1] for m in mags) >= 2 * PAUSE_FRAMES:
                break
    frames = np.concatenate(mags, axis=1) if mags else np.zeros((n // 2 + 1, 0))
    if frames.shape[1] < MIN_PAUSE_FRAMES:
        return None
    step = max(1, frames.shape[1] // PAUSE_FRAMES)
    return np.percentile(frames[:, ::step], PAUSE_PERCENTILE, axis=1)[:, None]


def cap_leak(ctx: Any, bed: Path, voice: Path, lines: list[tuple[float, float]]) -> None:
    """In place: in each line, the bed's bins above ``pause_level`` are brought down to it
    and the excess is added to ``voice`` (the two still sum to the source)."""
    from scipy.signal import istft, stft
    cap = pause_level(bed, lines)
    if cap is None:
        return
    with sf.SoundFile(str(bed)) as f:
        rate, total = f.samplerate, f.frames
    n = _window(rate)
    hop = n // 4
    with sf.SoundFile(str(bed), "r+") as fb, sf.SoundFile(str(voice), "r+") as fv:
        for a, b in lines:
            ctx.check_cancelled()
            first = max(0, int((a - 0.2) * rate))
            last = min(total, int((b + 0.3) * rate))
            if last - first < n:
                continue
            fb.seek(first)
            x = fb.read(last - first, dtype="float32", always_2d=True)
            fv.seek(first)
            y = fv.read(last - first, dtype="float32", always_2d=True)
            _, _, spec = stft(x.T, nperseg=n, noverlap=n - hop)
            mag = np.abs(spec).mean(axis=0)
            scale = np.where(mag > cap, cap / np.maximum(mag, 1e-12), 1.0)
            g = speech_gate(first, last - first, rate, lines)[
                np.minimum(np.arange(mag.shape[1]) * hop, last - first - 1)]
            scale = 1.0 - (1.0 - scale) * g[None, :]
            _, kept = istft(spec * scale[None].astype(np.float32), nperseg=n, noverlap=n - hop)
            kept = kept.T[:len(x)].astype(np.float32)
            if len(kept) < len(x):
                kept = np.concatenate([kept, x[len(kept):]])
            fb.seek(first)
            fb.write(kept)
            fv.seek(first)
            fv.write(np.clip(y + (x - kept), -1.0, 1.0))
