"""Long audio through a processing function in bounded memory, the way a streaming STFT works.

The input WAV is read in near-equal blocks; each block is processed with ``context`` seconds of
audio either side (so filters, recurrent state and reverb history settle before the part it
answers for), and neighbouring blocks share ``overlap`` seconds that are crossfaded linearly
(the fades sum to one, so stems still sum to the input). Outputs are written block by block
as float WAVs; only the peak of each is kept, for a headroom gain applied in a second pass.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile as sf

from . import buffers

BlockFn = Callable[[np.ndarray, int], tuple[dict[str, np.ndarray], int]]
"""``(channels, frames)`` float32 at ``sr`` -> named ``(channels, frames)`` outputs, their rate."""

FINISH_FRAMES = 1 << 18


@dataclass(frozen=True)
class Blocks:
    """How long inputs are cut: block length, crossfade and unanswered context, in seconds.
    De-reverb's blocks are at most ``dereverb_seconds``: its float64 STFT working set is
    about 10 MB per second of 48 kHz audio (20 s blocks suit enhance and stems)."""

    seconds: float = 20.0
    overlap: float = 0.5
    context: float = 1.0
    dereverb_seconds: float = 10.0

    def needed(self, frames: int, sr: int) -> bool:
        """True when ``frames`` is longer than one block (shorter inputs run whole)."""
        return frames > int((self.seconds + self.overlap) * sr)


@dataclass
class Written:
    """The float WAVs a blockwise run wrote, their rate and each one's peak."""

    paths: dict[str, Path] = field(default_factory=dict)
    sr: int = 0
    peaks: dict[str, float] = field(default_factory=dict)


def _at(i: int, sr: int, out_sr: int) -> int:
    """The output frame of input frame ``i`` (exact when the rates divide evenly)."""
    return i * out_sr // sr


def edges(frames: int, sr: int, blocks: Blocks) -> list[int]:
    """Block boundaries: near-equal blocks of about ``blocks.seconds``, none left short."""
    count = max(1, round(frames / max(1, int(blocks.seconds * sr))))
    return [int(e) for e in np.linspace(0, frames, count + 1).round()]


def process(src: Path, out_dir: Path, fn: BlockFn, blocks: Blocks) -> Written:
    """Run ``fn`` over ``src`` block by block into ``out_dir/<name>.wav`` (float)."""
    done = Written()
    writers: dict[str, sf.SoundFile] = {}
    tails: dict[str, np.ndarray] = {}
    with sf.SoundFile(str(src)) as f:
        sr, n = f.samplerate, f.frames
        cuts = edges(n, sr, blocks)
        ov = min(int(blocks.overlap * sr), min(b - a for a, b in zip(cuts, cuts[1:])))
        ctx = int(blocks.context * sr)
        try:
            for s, e in zip(cuts[:-1], cuts[1:]):
                head = min(ov, s)
                a, b = max(0, s - head - ctx), min(n, e + ctx)
                f.seek(a)
                x = f.read(b - a, dtype="float32", always_2d=True).T
                parts, out_sr = fn(np.ascontiguousarray(x), sr)
                done.sr = out_sr
                base = _at(a, sr, out_sr)
                lo, hi = _at(s - head, sr, out_sr) - base, _at(e, sr, out_sr) - base
                ohead = _at(s, sr, out_sr) - _at(s - head, sr, out_sr)
                otail = 0 if e >= n else _at(e, sr, out_sr) - _at(e - ov, sr, out_sr)
                for name, y in parts.items():
                    y = buffers.fit_length(np.asarray(y, dtype=np.float32),
                                           _at(b, sr, out_sr) - base)[:, lo:hi].copy()
                    if ohead:
                        fade = np.linspace(0.0, 1.0, ohead, dtype=np.float32)
                        y[:, :ohead] = y[:, :ohead] * fade + tails[name] * (1.0 - fade)
                    keep, tails[name] = y[:, :y.shape[1] - otail], y[:, y.shape[1] - otail:]
                    if name not in writers:
                        done.paths[name] = out_dir / f"{name}.wav"
                        writers[name] = sf.SoundFile(str(done.paths[name]), "w", out_sr,
                                                     y.shape[0], subtype="FLOAT")
                    writers[name].write(keep.T)
                    peak = float(np.max(np.abs(keep))) if keep.size else 0.0
                    done.peaks[name] = max(done.peaks.get(name, 0.0), peak)
        finally:
            for w in writers.values():
                w.close()
    return done


def finish(src: Path, out: Path, *, gain: float = 1.0, subtype: str = "PCM_16") -> Path:
    """``src`` scaled by ``gain``, cleaned and clipped to ±1, written as ``subtype`` WAV."""
    with sf.SoundFile(str(src)) as f, \
            sf.SoundFile(str(out), "w", f.samplerate, f.channels, subtype=subtype) as w:
        while True:
            x = f.read(FINISH_FRAMES, dtype="float32", always_2d=True)
            if not len(x):
                break
            w.write(np.clip(np.nan_to_num(x * np.float32(gain)), -1.0, 1.0))
    return out


def headroom_gain(peak: float, ceiling: float = 0.99) -> float:
    """The gain ``buffers.headroom`` applies to a whole signal of this peak."""
    return ceiling / peak if peak > ceiling else 1.0
