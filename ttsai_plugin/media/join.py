"""Joining audio: narration chunks with natural pauses, and split results stitched back
seamlessly. Streams part by part, so hours of audio never sit in memory at once, and parts can
be appended in order while later ones are still being made (``OrderedJoin``).
"""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from types import TracebackType
from typing import Iterator, Sequence

import numpy as np
import soundfile as sf

from ttsai_plugin.errors import Cancelled, InputError, MediaError
from ttsai_plugin.media import ffmpeg
from ttsai_plugin.media.audio import codec_args, pcm_chunks
from ttsai_plugin.media.ffmpeg import CancelCheck
from ttsai_plugin.media.files import atomic_output, source
from ttsai_plugin.media.probe import audio_stream, duration, probe
from ttsai_plugin.media.upload import SPLIT_OVERLAP

EDGE_FADE = 0.005
"""Seconds of fade at each join that has no crossfade: enough to hide a click, too short to hear."""
_BLOCK = 1 << 16
_SOUNDFILE_READS = (".wav", ".flac")


def _sf_info(path: Path) -> sf._SoundFileInfo | None:
    """soundfile's view of a WAV/FLAC part (no process spawned), or None for anything else."""
    if path.suffix.lower() not in _SOUNDFILE_READS:
        return None
    try:
        return sf.info(str(path))
    except Exception:  # noqa: BLE001 - not readable by soundfile: ffmpeg decodes it
        return None


def _rate_and_channels(path: Path) -> tuple[int, int]:
    info = _sf_info(path)
    if info is not None:
        return info.samplerate, info.channels
    stream = audio_stream(probe(path), path, 0)
    return stream.sample_rate, stream.channels


def _sf_blocks(path: Path, cancel: CancelCheck | None, dtype: str) -> Iterator[np.ndarray]:
    with sf.SoundFile(str(path)) as f:
        while True:
            if cancel is not None and cancel.cancelled:
                raise Cancelled(f"Cancelled while reading {path.name}.")
            block = f.read(_BLOCK, dtype=dtype, always_2d=True)
            if not len(block):
                return
            yield block


def _open_part(path: Path, rate: int, channels: int, cancel: CancelCheck | None,
               pcm16_out: bool) -> tuple[float, Iterator[np.ndarray]]:
    """(length in output frames, blocks ``(n, channels)``): read in-process when soundfile can
    and no resampling or remixing is needed, else decoded through ffmpeg. Blocks are float32,
    or int16 when a 16-bit part goes to a 16-bit output (copied as is, 4x less CPU)."""
    info = _sf_info(path)
    if info is not None and info.samplerate == rate and info.channels == channels:
        native = pcm16_out and info.subtype == "PCM_16"
        return float(info.frames), _sf_blocks(path, cancel, "int16" if native else "float32")
    return duration(path) * rate, pcm_chunks(path, sample_rate=rate, channels=channels,
                                             cancel=cancel)


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


def _float(frames: np.ndarray) -> np.ndarray:
    """Frames as float32 in [-1, 1) (int16 scaled as soundfile reads it)."""
    return frames.astype(np.float32) / 32768.0 if frames.dtype == np.int16 else frames


def _ramp(n: int) -> np.ndarray:
    return ((np.arange(n, dtype=np.float32) + 0.5) / max(n, 1))[:, None]


def _gaps(gaps: float | Sequence[float] | None, joins: int) -> list[float]:
    if gaps is None:
        out = [0.0] * joins
    elif isinstance(gaps, (int, float)):
        out = [float(gaps)] * joins
    else:
        out = [float(g) for g in gaps]
        if len(out) != joins:
            raise InputError(f"{len(out)} gaps given for {joins} joins between parts.")
    if any(g < 0 for g in out):
        raise InputError("Crossfades and gaps cannot be negative.")
    return out


class OrderedJoin:
    """Join ``count`` parts into ``out`` as they arrive, in any order, from any thread.

    ``add(i, path)`` hands in part ``i``; every part whose predecessors are all in is appended
    at once (by the thread that completed the run; others never wait on it), so only the last
    part's join is left when the last part arrives. Used as a context manager: a clean exit
    finishes the file and renames it into place; an error leaves nothing behind.
    ``gaps`` (seconds, one value or one per join) inserts silence between parts; where a join
    has no gap, ``crossfade`` seconds overlap with an equal-power fade; other joins get a tiny
    fade-out/in so they never click. A fade never takes more than half of either part. The
    result has ``sample_rate`` and ``channels``, else the first part's (at most two channels).
    Parts must not be changed or removed until they have been appended.
    """

    def __init__(self, out: str | os.PathLike[str], count: int, *, crossfade: float = 0.0,
                 gaps: float | Sequence[float] | None = None, sample_rate: int | None = None,
                 channels: int | None = None, cancel: CancelCheck | None = None) -> None:
        if count < 1:
            raise InputError("Nothing to join: no parts given.")
        if crossfade < 0:
            raise InputError("Crossfades and gaps cannot be negative.")
        self.out = Path(out)
        self.count = count
        self.crossfade = crossfade
        self.gaps = _gaps(gaps, count - 1)
        self.rate = sample_rate
        self.channels = channels
        self.cancel = cancel
        self._direct = self.out.suffix.lower() in _SOUNDFILE_READS
        if not self._direct:
            codec_args(self.out)  # an unknown output format fails before any work
        self._lock = threading.Lock()
        self._ready: dict[int, Path] = {}
        self._busy = False
        self._failed: BaseException | None = None
        self._next = 0
        self._tail = np.zeros((0, 1), np.float32)
        self._prev_len = 0.0
        self._stack = contextlib.ExitStack()
        self._tmp: Path | None = None
        self._file: sf.SoundFile | None = None

    def __enter__(self) -> "OrderedJoin":
        self._tmp = self._stack.enter_context(atomic_output(self.out))
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> bool | None:
        if kind is not None:
            self._close()
            return self._stack.__exit__(kind, error, trace)
        with self._stack:  # renames the finished file into place, or removes it on error
            try:
                self._finish()
            finally:
                self._close()
        return None

    def add(self, index: int, path: str | os.PathLike[str]) -> None:
        """Hand in part ``index``; append it (and any parts waiting on it) if it is next."""
        p = source(path)
        if self._tmp is None:
            raise RuntimeError("OrderedJoin.add outside its with-block")
        if p.resolve() == self.out.resolve():
            raise InputError(f"Refusing to overwrite the input {p.name}.",
                             hint="Choose a different output path.")
        if not 0 <= index < self.count:
            raise InputError(f"Part {index} is outside 0..{self.count - 1}.")
        with self._lock:
            if self._failed is not None:  # the same error the append met, not a vaguer one
                raise self._failed
            self._ready[index] = p
            if self._busy:
                return
            self._busy = True
        try:
            while True:
                with self._lock:
                    part = self._ready.pop(self._next, None)
                    if part is None:
                        self._busy = False
                        return
                self._append(part)
                self._next += 1
        except BaseException as exc:
            with self._lock:
                self._failed, self._busy = exc, False
            raise

    def _start(self, first: Path) -> None:
        rate, channels = _rate_and_channels(first)
        self.rate = self.rate or rate or 48000
        self.channels = self.channels or min(max(channels, 1), 2)
        self._tail = np.zeros((0, self.channels), np.float32)
        assert self._tmp is not None
        target = self._tmp if self._direct else self._tmp.with_suffix(".wav")
        if not self._direct:
            self._stack.callback(target.unlink, missing_ok=True)
        self._file = sf.SoundFile(str(target), "w", samplerate=self.rate, channels=self.channels,
                                  subtype="PCM_16" if self._direct else "FLOAT")

    def _write(self, frames: np.ndarray) -> None:
        if len(frames):
            assert self._file is not None
            self._file.write(frames if frames.dtype == np.int16 else np.clip(frames, -1.0, 1.0))

    def _append(self, path: Path) -> None:
        i = self._next
        if i == 0:
            self._start(path)
        rate, channels = int(self.rate or 0), int(self.channels or 1)
        length, chunks = _open_part(path, rate, channels, self.cancel, self._direct)
        tail = self._tail
        cross, n_in = False, 0
        if i:
            gap = self.gaps[i - 1]
            cross = self.crossfade > 0 and gap == 0
            n_in = self._fade(cross, min(self._prev_len, length))
            self._write(tail[: len(tail) - n_in])
            tail = tail[len(tail) - n_in:]
        head, rest = _head_and_rest(chunks, n_in, channels)
        head, tail = _float(head), _float(tail)  # the faded frames; the rest is copied as read
        if cross:
            n = min(len(tail), len(head))
            self._write(tail[: len(tail) - n])
            t = _ramp(n) * (np.pi / 2)
            self._write(tail[len(tail) - n:] * np.cos(t) + head[:n] * np.sin(t))
            self._write(head[n:])
        else:
            if i:
                self._write(tail * (1.0 - _ramp(len(tail))))
                self._write(np.zeros((int(round(self.gaps[i - 1] * rate)), channels), np.float32))
            self._write(head * _ramp(len(head)))
        keep = 0
        if i < self.count - 1:  # the most the next join can fade, held back until it comes
            next_cross = self.crossfade > 0 and self.gaps[i] == 0
            keep = self._fade(next_cross, length)
        pending = np.zeros((0, channels), np.float32)
        for chunk in rest:
            pending = np.concatenate([pending, chunk]) if len(pending) else chunk
            if len(pending) > keep:
                self._write(pending[: len(pending) - keep])
                pending = pending[len(pending) - keep:]
        self._tail, self._prev_len = pending, length

    def _fade(self, cross: bool, shorter: float) -> int:
        """Frames of fade at a join whose shorter side lasts ``shorter`` output frames."""
        rate = int(self.rate or 0)
        wanted = round((self.crossfade if cross else EDGE_FADE) * rate)
        room = int(shorter / 2 - 0.01 * rate)  # 10 ms: duration rounding
        return max(0, min(wanted, room))

    def _finish(self) -> None:
        if self._next != self.count or self._busy:
            missing = sorted(set(range(self._next, self.count)) - set(self._ready))
            raise MediaError(f"Joining stopped: part(s) {missing[:5]} of {self.count} never "
                             "arrived, so nothing was written.")
        self._write(self._tail)
        self._close()
        if not self._direct:
            assert self._tmp is not None
            ffmpeg.run(["-i", self._tmp.with_suffix(".wav"), *codec_args(self.out), self._tmp],
                       what=f"encode {self.out.name}")

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def concat(parts: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
           crossfade: float = 0.0, gaps: float | Sequence[float] | None = None,
           sample_rate: int | None = None, cancel: CancelCheck | None = None) -> Path:
    """Join ``parts`` in order into ``out`` (see ``OrderedJoin`` for pauses and fades).

    The result has the first part's sample rate (or ``sample_rate``) and the most channels of
    any part, at most two.
    """
    paths = [source(p) for p in parts]
    if not paths:
        raise InputError("Nothing to join: no parts given.")
    _gaps(gaps, len(paths) - 1)
    formats = [_rate_and_channels(p) for p in paths]
    channels = max(min(max(c, 1), 2) for _, c in formats)
    with OrderedJoin(out, len(paths), crossfade=crossfade, gaps=gaps, channels=channels,
                     sample_rate=sample_rate or formats[0][0] or 48000, cancel=cancel) as join:
        for i, p in enumerate(paths):
            join.add(i, p)
    return Path(out)


def stitch(parts: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str], *,
           overlap: float = SPLIT_OVERLAP, sample_rate: int | None = None,
           cancel: CancelCheck | None = None) -> Path:
    """Rejoin processed parts of a split upload: each cut crossfades over the ``overlap`` the
    parts share, so the result has the original duration and no seam."""
    return concat(parts, out, crossfade=overlap, sample_rate=sample_rate, cancel=cancel)
