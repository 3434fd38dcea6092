"""Joining audio: narration chunks with natural pauses, and split results stitched back
seamlessly. Streams part by part, so hours of audio never sit in memory at once.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import soundfile as sf

from ttsai_plugin.errors import InputError
from ttsai_plugin.media import ffmpeg
from ttsai_plugin.media.audio import codec_args, pcm_chunks
from ttsai_plugin.media.ffmpeg import CancelCheck
from ttsai_plugin.media.files import atomic_output, source
from ttsai_plugin.media.probe import audio_stream, duration, probe
from ttsai_plugin.media.upload import SPLIT_OVERLAP

EDGE_FADE = 0.005
"""Seconds of fade at each join that has no crossfade: enough to hide a click, too short to hear."""


class _Writer:
    def __init__(self, f: sf.SoundFile) -> None:
        self.f = f

    def write(self, frames: np.ndarray) -> None:
        if len(frames):
            self.f.write(np.clip(frames, -1.0, 1.0))


def _head_and_rest(chunks: Iterator[np.ndarray], n: int, channels: int
                   ) -> tuple[np.ndarray, Iterator[np.ndarray]]:
    """The first ``n`` frames, and an iterator over the rest."""
    got: list[np.ndarray] = []
    have = 0
    for chunk in chunks:
        got.append(chunk)
        have += len(chunk)
        if have >= n:
            break
    data = np.concatenate(got) if got else np.zeros((0, channels), np.float32)

    def rest() -> Iterator[np.ndarray]:
        if len(data) > n:
            yield data[n:]
        yield from chunks
    return data[:n], rest()


def _ramp(n: int) -> np.ndarray:
    return ((np.arange(n, dtype=np.float32) + 0.5) / max(n, 1))[:, None]


def _gaps(gaps: float | Sequence[float] | None, joins: int) -> list[float]:
    if gaps is None:
        return [0.0] * joins
    if isinstance(gaps, (int, float)):
        return [float(gaps)] * joins
    out = [float(g) for g in gaps]
    if len(out) != joins:
        raise InputError(f"{len(out)} gaps given for {joins} joins between parts.")
    return out


def concat(parts: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
           crossfade: float = 0.0, gaps: float | Sequence[float] | None = None,
           sample_rate: int | None = None, cancel: CancelCheck | None = None) -> Path:
    """Join ``parts`` in order into ``out``.

    ``gaps`` (seconds, one value or one per join) inserts silence between parts; where a join
    has no gap, ``crossfade`` seconds overlap with an equal-power fade. Joins without a
    crossfade get a tiny fade-out/in so they never click. The result has the first part's
    sample rate (or ``sample_rate``) and the most channels of any part, at most two.
    """
    paths = [source(p) for p in parts]
    if not paths:
        raise InputError("Nothing to join: no parts given.")
    if crossfade < 0 or any(g < 0 for g in _gaps(gaps, len(paths) - 1)):
        raise InputError("Crossfades and gaps cannot be negative.")
    gap_list = _gaps(gaps, len(paths) - 1)
    infos = [audio_stream(probe(p), p, 0) for p in paths]
    rate = sample_rate or infos[0].sample_rate or 48000
    channels = max(min(i.channels, 2) for i in infos)
    fades = _join_fades(paths, rate, crossfade, gap_list)
    out_p = Path(out)
    direct = out_p.suffix.lower() in (".wav", ".flac")
    with atomic_output(out_p, *paths) as tmp:
        target = tmp if direct else tmp.with_suffix(".wav")
        try:
            with sf.SoundFile(str(target), "w", samplerate=rate, channels=channels,
                              subtype="PCM_16" if direct else "FLOAT") as f:
                _stream_parts(_Writer(f), paths, rate, channels, fades, gap_list, cancel)
            if not direct:
                ffmpeg.run(["-i", target, *codec_args(out_p), tmp], what=f"encode {out_p.name}")
        finally:
            if not direct:
                target.unlink(missing_ok=True)
    return out_p


def _join_fades(paths: list[Path], rate: int, crossfade: float,
                gap_list: list[float]) -> list[tuple[bool, int]]:
    """Per join: (crossfade?, frames). A fade never takes more than half of either part."""
    lengths = [duration(p) * rate for p in paths]
    fades = []
    for j, gap in enumerate(gap_list):
        cross = crossfade > 0 and gap == 0
        wanted = round((crossfade if cross else EDGE_FADE) * rate)
        room = int(min(lengths[j], lengths[j + 1]) / 2 - 0.01 * rate)  # 10 ms: probe rounding
        fades.append((cross, max(0, min(wanted, room))))
    return fades


def _stream_parts(w: _Writer, paths: list[Path], rate: int, channels: int,
                  fades: list[tuple[bool, int]], gap_list: list[float],
                  cancel: CancelCheck | None) -> None:
    tail = np.zeros((0, channels), np.float32)
    for i, path in enumerate(paths):
        cross_in, n_in = fades[i - 1] if i else (False, 0)
        chunks = pcm_chunks(path, sample_rate=rate, channels=channels, cancel=cancel)
        head, rest = _head_and_rest(chunks, n_in, channels)
        if cross_in:
            n = min(len(tail), len(head))
            w.write(tail[: len(tail) - n])
            t = _ramp(n) * (np.pi / 2)
            w.write(tail[len(tail) - n:] * np.cos(t) + head[:n] * np.sin(t))
            w.write(head[n:])
        else:
            if i:
                w.write(tail * (1.0 - _ramp(len(tail))))
                w.write(np.zeros((int(round(gap_list[i - 1] * rate)), channels), np.float32))
            w.write(head * _ramp(len(head)))
        keep = fades[i][1] if i < len(paths) - 1 else 0
        pending = np.zeros((0, channels), np.float32)
        for chunk in rest:
            pending = np.concatenate([pending, chunk]) if len(pending) else chunk
            if len(pending) > keep:
                w.write(pending[: len(pending) - keep])
                pending = pending[len(pending) - keep:]
        tail = pending
    w.write(tail)


def stitch(parts: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
           overlap: float = SPLIT_OVERLAP, sample_rate: int | None = None,
           cancel: CancelCheck | None = None) -> Path:
    """Rejoin processed parts of a split upload: each cut crossfades over the ``overlap`` the
    parts share, so the result has the original duration and no seam."""
    return concat(parts, out, crossfade=overlap, sample_rate=sample_rate, cancel=cancel)
