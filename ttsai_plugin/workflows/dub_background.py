"""The background (music and effects) under a dub: decide whether a clip has one, separate it
from the speech, and mix the dubbed voice back over it at the original dialogue level."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import soundfile as sf

from ttsai_plugin import media
from ttsai_plugin.media.files import atomic_output
from ttsai_plugin.media.levels import file_levels, frame_powers
from ttsai_plugin.workflows import pipeline
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.source import used_range

ANALYSIS_RATE = 8000      # Hz: enough to tell pauses from a bed, small for an hour of audio
FRAME = 0.05              # seconds per level frame
BED_SPREAD_DB = 30.0      # a clip whose quiet frames stay this close to its loud ones has a bed
BED_FLOOR_DBFS = -60.0    # ... and only when those quiet frames are actually audible
HEADROOM = 0.98           # the mix is scaled down (never clipped) when it would peak above this
LINE_LEAD = 0.05          # seconds before a spoken line that still count as its speech
LINE_TAIL = 0.10          # ... and after it (a word's decay)
GATE_RAMP = 0.02          # seconds of raised-cosine crossfade between speech and pause


@dataclass(frozen=True)
class BedCheck:
    """Whether a clip's pauses hold sound (music, effects, ambience) worth keeping, and why."""

    has_bed: bool
    floor_db: float
    spread_db: float

    @property
    def reason(self) -> str:
        if self.has_bed:
            return (f"sound under the speech: its quietest moments are {self.floor_db:.0f} dBFS, "
                    f"only {self.spread_db:.0f} dB under the loudest")
        if self.floor_db <= -90:
            return "no background: the pauses between sentences are silent"
        return (f"no background: the pauses fall to {self.floor_db:.0f} dBFS, "
                f"{self.spread_db:.0f} dB under the speech")


def check_levels(levels: np.ndarray) -> BedCheck:
    """A bed is there when the quietest tenth of the ``FRAME`` levels (the pauses between
    sentences) stays within ``BED_SPREAD_DB`` of the loudest twentieth and above
    ``BED_FLOOR_DBFS``: speech alone drops to near silence between sentences, speech over a
    bed does not."""
    if levels.size < 4:
        return BedCheck(False, -200.0, 0.0)
    floor, loud = float(np.percentile(levels, 10)), float(np.percentile(levels, 95))
    spread = loud - floor
    return BedCheck(spread < BED_SPREAD_DB and floor > BED_FLOOR_DBFS, floor, spread)


def detect(ctx: Context, clip: Any) -> BedCheck:
    """``check_levels`` on the clip's used range, streamed at a low rate; memoised per source
    identity (a repeat or the estimate dialog decodes nothing)."""
    start, end = used_range(clip)
    identity = pipeline.source_identity(clip.media, start=start, end=end,
                                        stream=clip.audio_stream, what="bed-check-v1")
    memo = ctx.cache.recall(identity) if ctx.cache is not None else None
    if memo is not None:
        return BedCheck(bool(memo["has_bed"]), float(memo["floor_db"]), float(memo["spread_db"]))
    found = check_levels(file_levels(clip.media, sample_rate=ANALYSIS_RATE, frame=FRAME,
                                     start=start, end=None if clip.source_out is None else end,
                                     stream=clip.audio_stream, cancel=ctx.cancel))
    if ctx.cache is not None:
        ctx.cache.remember(identity, {"has_bed": found.has_bed, "floor_db": found.floor_db,
                                      "spread_db": found.spread_db})
    return found


@dataclass
class Separated:
    """The clip's used range as speech (``vocals``) and background (``bed``), equally long."""

    vocals: Path
    bed: Path
    credits: float
    mock: str | None
    cached: bool


def separate(ctx: Context, clip: Any, work: Path) -> Separated:
    """Two stems of the clip's used range through ``split_stems`` (so a repeat, or the same
    clip dubbed into another language, separates nothing), kept in ``work``."""
    from ttsai_plugin.workflows.stems import split_stems
    result = split_stems(replace(ctx, out_dir=work / "stems"), clip, stems=2)
    paths = {Path(p.path).stem: Path(p.path) for p in result.audio}
    return Separated(paths["vocals"], paths["accompaniment"], result.credits_used, result.mock,
                     result.cached)


def give_back_pauses(ctx: Context, sep: Separated, lines: list[tuple[float, float]],
                     work: Path) -> Separated:
    """``sep`` with what the separation took for voice outside the spoken ``lines``
    (seconds) moved back to the bed: between the lines it is music (a hit REPET did not see
    repeat, a quiet bed's residue), and left in the speech stem it would be dropped with the
    original voice, a hole in the music under the dub. The two still sum to the source."""
    with sf.SoundFile(str(sep.bed)) as f:
        rate, channels, subtype = f.samplerate, f.channels, f.subtype
    bed_out, voice_out = work / "bed-with-pauses.wav", work / "vocals-lines.wav"
    at = 0
    with atomic_output(bed_out, sep.bed) as tmp_bed, atomic_output(voice_out, sep.vocals) as \
            tmp_voice, sf.SoundFile(str(tmp_bed), "w", samplerate=rate, channels=channels,
                                    format="WAV", subtype=subtype) as wb, \
            sf.SoundFile(str(tmp_voice), "w", samplerate=rate, channels=channels, format="WAV",
                         subtype=subtype) as wv:
        for bed, voice in _pairs(sep.bed, sep.vocals):
            ctx.check_cancelled()
            keep = speech_gate(at, len(bed), rate, lines)[:, None]
            wb.write(np.clip(bed + voice * (1.0 - keep), -1.0, 1.0))
            wv.write(voice * keep)
            at += len(bed)
    from ttsai_plugin.workflows.dub_leak import cap_leak
    cap_leak(ctx, bed_out, voice_out, lines)
    return replace(sep, vocals=voice_out, bed=bed_out)


def speech_gate(first: int, count: int, rate: int,
                lines: list[tuple[float, float]]) -> np.ndarray:
    """1.0 on samples ``first..first+count`` inside a line (widened by ``LINE_LEAD`` and
    ``LINE_TAIL``), 0.0 in the pauses, with ``GATE_RAMP`` raised-cosine edges outside."""
    gate = np.zeros(count, np.float32)
    if count == 0:
        return gate
    t = (first + np.arange(count)) / rate
    for start, end in lines:
        a, b = start - LINE_LEAD, end + LINE_TAIL
        if b + GATE_RAMP < t[0] or a - GATE_RAMP > t[-1]:
            continue
        inside = np.clip(np.minimum(t - (a - GATE_RAMP), (b + GATE_RAMP) - t) / GATE_RAMP,
                         0.0, 1.0)
        gate = np.maximum(gate, (np.sin(inside * np.pi / 2) ** 2).astype(np.float32))
    return gate


BLOCK = 1 << 18           # frames per block when streaming a track (hours never sit in memory)


def _blocks(path: Path) -> Iterator[np.ndarray]:
    """``path``'s samples as ``(frames, channels)`` float32 blocks."""
    with sf.SoundFile(str(path)) as f:
        while True:
            block = f.read(BLOCK, dtype="float32", always_2d=True)
            if not len(block):
                return
            yield block


def speech_rms(path: Path) -> float:
    """RMS over the 50 ms frames where there is speech (within 20 dB of the loudest),
    streamed."""
    with sf.SoundFile(str(path)) as f:
        n = max(1, int(FRAME * f.samplerate))
    power = frame_powers(_blocks(path), n)
    if power.size == 0 or power.max() <= 0:
        return 0.0
    active = power > power.max() / 100.0
    return float(np.sqrt(power[active].mean()))


def level_gain(dub: Path, original_speech: Path) -> float:
    """Gain that brings the dub's speech to the original speech's level (1.0 when either is
    silent), so the dub sits over the bed where the original voice did."""
    have, want = speech_rms(dub), speech_rms(original_speech)
    return want / have if have > 1e-6 and want > 1e-6 else 1.0


def _pairs(path: Path, plus: Path | None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Blocks of ``path`` with the matching blocks of ``plus`` (same rate and channels;
    zeros when there is none or it has ended)."""
    other = _blocks(plus) if plus is not None else iter(())
    for a in _blocks(path):
        b = next(other, None)
        if b is None:
            b = np.zeros_like(a)
        elif len(b) < len(a):
            b = np.concatenate([b, np.zeros((len(a) - len(b), b.shape[1]), np.float32)])
        yield a, b[:len(a)]


def write_sum(path: Path, out: Path, *, gain: float = 1.0, plus: Path | None = None,
              plus_gain: float = 1.0) -> Path:
    """``path`` × ``gain`` + ``plus`` × ``plus_gain`` as a 16-bit WAV, as long as ``path``,
    block by block; scaled down as a whole (never clipped) if it would peak above
    ``HEADROOM``."""
    top = max((float(np.abs(a * gain + b * plus_gain).max(initial=0.0))
               for a, b in _pairs(path, plus)), default=0.0)
    scale = HEADROOM / top if top > HEADROOM else 1.0
    with sf.SoundFile(str(path)) as f:
        rate, channels = f.samplerate, f.channels
    with atomic_output(out, path) as tmp, sf.SoundFile(
            str(tmp), "w", samplerate=rate, channels=channels, format="WAV",
            subtype="PCM_16") as w:
        for a, b in _pairs(path, plus):
            w.write(np.clip((a * gain + b * plus_gain) * scale, -1.0, 1.0))
    return out


def mix(voice: Path, bed: Path, out: Path, *, cancel: Any = None) -> Path:
    """``bed`` plus ``voice`` at the bed's rate and channels, as long as the bed."""
    with sf.SoundFile(str(bed)) as f:
        rate, channels = f.samplerate, f.channels
    matched = media.extract(voice, out.with_name(f".{out.stem}.voice.wav"), sample_rate=rate,
                            channels=channels, cancel=cancel)
    try:
        return write_sum(bed, out, plus=matched)
    finally:
        matched.unlink(missing_ok=True)
