"""Caption cues: clip them to a range, spread text evenly over audio, write SRT and WebVTT.

SRT goes through the ``srt`` package (which validates and normalises it); WebVTT is the same
cues with the ``WEBVTT`` header and dotted milliseconds. Files are written atomically.
"""
from __future__ import annotations

import functools
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import srt

from ttsai_plugin.media.ffmpeg import CancelCheck
from ttsai_plugin.media.levels import file_levels, frame_levels

MIN_CUE = 0.2  # seconds: shorter cues are unreadable and dropped
_SENTENCE = re.compile(r"[^.!?…。！？؟۔]+(?:[.!?…。！？؟۔]+[\"'”’»)\]]*|$)")


@dataclass(frozen=True)
class Cue:
    """One caption: seconds from the start of the audio it belongs to, and its text."""

    start: float
    end: float
    text: str


def clip_cues(cues: Iterable[Cue], duration: float) -> list[Cue]:
    """Cues ordered, kept inside ``[0, duration]``, non-overlapping, empty ones dropped."""
    out: list[Cue] = []
    for cue in sorted(cues, key=lambda c: (c.start, c.end)):
        text = " ".join(cue.text.split())
        start = max(0.0, cue.start, out[-1].end if out else 0.0)
        end = min(cue.end, duration)
        if text and end - start >= MIN_CUE:
            out.append(Cue(round(start, 3), round(end, 3), text))
    return out


def cues_from_segments(segments: Sequence[object], duration: float) -> list[Cue]:
    """Cues from a transcript's segments (objects or dicts with start, end, text)."""
    def get(seg: object, key: str):
        return seg[key] if isinstance(seg, dict) else getattr(seg, key)
    return clip_cues((Cue(float(get(s, "start")), float(get(s, "end")), str(get(s, "text")))
                      for s in segments), duration)


def spread_text(text: str, duration: float, *, max_chars: int = 84,
                spans: Sequence[tuple[float, float]] | None = None) -> list[Cue]:
    """Cues for text with no timing: sentences laid over the speech in proportion to their
    length; ``spans`` (seconds where there is speech) keep captions off the silences."""
    pieces: list[str] = []
    for sentence in (m.group(0).strip() for m in _SENTENCE.finditer(" ".join(text.split()))):
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            pieces.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        if sentence:
            pieces.append(sentence)
    total = sum(len(p) for p in pieces)
    spans = [(max(0.0, a), min(b, duration)) for a, b in (spans or [(0.0, duration)]) if b > a]
    talk = sum(b - a for a, b in spans)
    if not total or talk <= 0:
        return []

    def at(t: float) -> float:  # seconds of speech -> seconds of audio
        for a, b in spans:
            if t <= b - a:
                return a + t
            t -= b - a
        return spans[-1][1]

    cues, t = [], 0.0
    for piece in pieces:
        span = talk * len(piece) / total
        cues.append(Cue(at(t), at(t + span), piece))
        t += span
    return clip_cues(cues, duration)


SPAN_RATE = 8000   # Hz: where there is sound needs no more, and an hour stays small
SPAN_FRAME = 0.02  # seconds per level frame


def speech_spans(samples: np.ndarray, sr: int, *, frame: float = SPAN_FRAME,
                 floor_db: float = -45.0, bridge: float = 0.35) -> list[tuple[float, float]]:
    """``spans_in`` the levels of ``samples``."""
    return spans_in(frame_levels(samples, sr, frame), frame, floor_db=floor_db, bridge=bridge)


def speech_spans_in_file(path: Path, *, cancel: CancelCheck | None = None
                         ) -> list[tuple[float, float]]:
    """``spans_in`` a file's audio, streamed at ``SPAN_RATE``."""
    return spans_in(file_levels(path, sample_rate=SPAN_RATE, frame=SPAN_FRAME, cancel=cancel),
                    SPAN_FRAME)


def spans_in(db: np.ndarray, frame: float, *, floor_db: float = -45.0,
             bridge: float = 0.35) -> list[tuple[float, float]]:
    """Where there is sound in ``frame``-second levels ``db``: frames within 35 dB of the
    loudest (and above ``floor_db``), with gaps shorter than ``bridge`` seconds closed."""
    if db.size == 0:
        return []
    loud = db > max(floor_db, float(db.max()) - 35.0)
    spans: list[list[float]] = []
    for i in np.flatnonzero(loud):
        start, end = float(i * frame), float((i + 1) * frame)
        if spans and start - spans[-1][1] <= bridge:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return [(a, b) for a, b in spans]


@functools.cache
def _new_file_mode() -> int:
    """The mode ``open()`` would give a new file (0666 less the umask), read once."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text atomically (temp file beside it, then rename), with the permissions
    of any new file: mkstemp's private 0600 would hide subtitles from a shared project."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, _new_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def to_srt(cues: Sequence[Cue]) -> str:
    subs = [srt.Subtitle(i, timedelta(seconds=c.start), timedelta(seconds=c.end), c.text)
            for i, c in enumerate(cues, start=1)]
    return srt.compose(subs, reindex=True)


def _vtt_time(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def to_vtt(cues: Sequence[Cue]) -> str:
    blocks = ["WEBVTT", ""]
    for i, c in enumerate(cues, start=1):
        text = c.text.replace("-->", "→")
        blocks += [str(i), f"{_vtt_time(c.start)} --> {_vtt_time(c.end)}", text, ""]
    return "\n".join(blocks)


def write_srt(cues: Sequence[Cue], path: Path) -> Path:
    return write_text(Path(path), to_srt(cues))


def write_vtt(cues: Sequence[Cue], path: Path) -> Path:
    return write_text(Path(path), to_vtt(cues))
