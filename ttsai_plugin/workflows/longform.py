"""Long inputs: split at pauses into parts the service answers well within its timeout, sent in
parallel within the plan's concurrency, joined sample-accurately, and transcripts re-timed to
the source. Progress moves while parts run (a heartbeat at least every second)."""
from __future__ import annotations

import math
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TypeVar

import numpy as np
import soundfile as sf

from ttsai_plugin.api.credit_scope import carry
from ttsai_plugin.api.timeouts import expecting
from ttsai_plugin.api.transfer import watching
from ttsai_plugin.errors import Cancelled
from ttsai_plugin.media.levels import frame_powers
from ttsai_plugin.media.upload import SPLIT_OVERLAP
from ttsai_plugin.progress import PartsMeter
from ttsai_plugin.workflows.context import Context

T = TypeVar("T")

MAX_PART_SECONDS: dict[str, float] = {
    "stt": 300.0, "speech_translate": 120.0, "speech_to_speech": 120.0, "voice_convert": 120.0,
}
"""Longest part per operation whose service time grows with the audio (ASR, translation, voice
models): well inside the service's timeout, and small enough to run several at once. Enhance,
dereverb and stems are not listed: one request while the upload limit allows it."""

BACK_TO_BACK = frozenset({"speech_translate"})
"""Operations whose answers change length (a dub): parts share no overlap, joined end to end."""

MIN_PART_SECONDS = 30.0  # never split finer than this for parallelism: latency would dominate
LOSSLESS_MIN_SECONDS = 30.0  # lossless parts shorter than this under the upload limit: encode instead
FRAME = 0.02
SEARCH_SECONDS = 20.0  # how far from its even target a cut may move to find a pause
_EPS = 1e-6
HEARTBEAT = 1.0  # seconds between progress updates while parts run
UPLOAD_SHARE = 0.3  # of a part's progress, what its upload counts for
MB = 1024 * 1024
_BLOCK = 1 << 16


@dataclass(frozen=True)
class Part:
    """One piece of a long input. ``start``/``end``: where its audio lies in the source (with
    the overlap it shares with its neighbours); ``own_start``/``own_end``: the span it answers
    for (cut to cut), so a caption or segment is kept from exactly one part."""

    index: int
    path: Path
    start: float
    end: float
    own_start: float
    own_end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


def part_seconds(operation: str) -> float | None:
    """The longest part ``operation`` is sent in, or None when only the upload limit splits."""
    return MAX_PART_SECONDS.get(operation)


def longest_part(operation: str, wav: Path) -> float | None:
    """The longest part of ``wav`` to send ``operation``: its time bound, and for a file over
    the upload limit the longest lossless part that fits (None: no split needed, or lossless
    parts would be too short to be worth it: the upload is encoded smaller instead)."""
    from ttsai_plugin.api.paths import endpoint

    longest = part_seconds(operation)
    limit = endpoint(operation).upload_limit
    size = Path(wav).stat().st_size
    if limit is not None and size > limit:
        info = sf.info(str(wav))
        fitting = (limit * 0.97 - 4096) / (size / max(info.duration, 1e-9))
        if fitting >= LOSSLESS_MIN_SECONDS:
            longest = fitting if longest is None else min(longest, fitting)
    return longest


def overlap_for(operation: str) -> float:
    return 0.0 if operation in BACK_TO_BACK else SPLIT_OVERLAP


def part_count(total: float, longest: float, concurrent: int = 1) -> int:
    """How many parts ``total`` seconds go in: as few waves of ``concurrent`` parallel requests
    as parts of at most ``longest`` seconds allow, each wave full (equal parts finish together)."""
    if total <= longest:
        return 1
    needed = math.ceil(total / longest)
    waves = math.ceil(needed / max(1, concurrent))
    return max(needed, min(waves * concurrent, math.ceil(total / MIN_PART_SECONDS)))


def split_at_pauses(wav: str | Path, out_dir: str | Path, *, max_seconds: float,
                    overlap: float = SPLIT_OVERLAP, count: int | None = None,
                    cancel: Any = None) -> list[Part]:
    """Cut a WAV/FLAC file into ``count`` (default: as few as fit) parts of about equal length,
    none over ``max_seconds``, each cut at the quietest moment near its target (a pause wins
    over a gap between words); neighbours share exactly ``round(overlap * rate)`` frames (what
    ``media.stitch`` crossfades). Copied block by block in the source's own sample format:
    bit-exact, and never the whole file in memory. One part (the file itself) when short."""
    wav, folder = Path(wav), Path(out_dir)
    info = sf.info(str(wav))
    sr, frames = info.samplerate, info.frames
    total = frames / sr
    n = max(count or 1, math.ceil(total / max_seconds))
    if n <= 1:
        return [Part(0, wav, 0.0, total, 0.0, total)]
    ov = int(round(overlap * sr))
    cuts = balanced_cuts(wav, total, n, max_seconds - overlap, cancel=cancel)
    edges = [0, *(int(round(c * sr)) for c in cuts), frames]
    folder.mkdir(parents=True, exist_ok=True)
    parts: list[Part] = []
    last = len(edges) - 2
    for i in range(len(edges) - 1):
        a = edges[i] - ov // 2 if i else 0
        b = edges[i + 1] - ov // 2 + ov if i < last else frames
        out = folder / f"{wav.stem}.part{i + 1:03d}.wav"
        _copy_frames(wav, out, a, b, info.subtype, cancel)
        parts.append(Part(i, out, a / sr, b / sr, edges[i] / sr, edges[i + 1] / sr))
    return parts


def energy(wav: Path, *, start: float = 0.0, end: float | None = None, frame: float = FRAME,
           cancel: Any = None) -> np.ndarray:
    """Mean square per ``frame`` seconds (channels mixed) of ``[start, end)``, read in blocks:
    no ffmpeg, no copy of the file."""
    with sf.SoundFile(str(wav)) as f:
        hop = max(1, int(round(frame * f.samplerate)))
        first = int(round(start / frame)) * hop
        left = (f.frames if end is None else min(f.frames, int(round(end / frame)) * hop)) - first
        f.seek(min(first, f.frames))

        def blocks() -> Iterator[np.ndarray]:
            remaining = left
            while remaining > 0:
                if cancel is not None and getattr(cancel, "cancelled", False):
                    raise Cancelled(f"Cancelled while reading {wav.name}.")
                block = f.read(min(hop * 512, remaining), dtype="float32", always_2d=True)
                if not len(block):
                    return
                remaining -= len(block)
                yield block
        return frame_powers(blocks(), hop)


def balanced_cuts(wav: Path, total: float, n: int, longest: float, *, frame: float = FRAME,
                  smooth: float = 0.1, search: float = SEARCH_SECONDS,
                  cancel: Any = None) -> list[float]:
    """``n - 1`` cut times splitting ``total`` seconds evenly, each moved to the quietest
    moment within ``search`` seconds (at most a quarter part) of its target, the one nearest
    the target among equally quiet ones, never leaving a part over ``longest``. Only those
    windows are read."""
    width = max(1, int(smooth / frame))
    cuts: list[float] = []
    at = 0.0
    for k in range(n - 1):
        nominal = (total - at) / (n - k)
        target = at + nominal
        reach = min(search, nominal / 4)
        lo = max(at + 1.0, target - reach)
        hi = min(at + longest, target + reach, total - 1.0)
        e = energy(wav, start=lo, end=hi, frame=frame, cancel=cancel) if hi > lo else []
        if len(e) == 0:
            cut = min(target, at + longest)
        else:
            window = np.convolve(e, np.ones(width) / width, mode="same")
            quiet = np.flatnonzero(window <= window.min() * 1.5 + 1e-10)
            first = int(round(lo / frame))
            best = int(quiet[np.argmin(np.abs(quiet + first - target / frame))]) + first
            cut = (best + 0.5) * frame
        cuts.append(cut)
        at = cut
    return cuts


def _copy_frames(src: Path, out: Path, a: int, b: int, subtype: str, cancel: Any) -> None:
    with sf.SoundFile(str(src)) as f, sf.SoundFile(str(out), "w", f.samplerate, f.channels,
                                                   subtype=subtype, format="WAV") as o:
        f.seek(a)
        left = b - a
        dtype = "int16" if subtype == "PCM_16" else ("int32" if subtype in ("PCM_24", "PCM_32")
                                                      else "float32")
        while left > 0:
            if cancel is not None and getattr(cancel, "cancelled", False):
                raise Cancelled(f"Cancelled while splitting {src.name}.")
            block = f.read(min(_BLOCK, left), dtype=dtype, always_2d=True)
            if not len(block):
                break
            o.write(block)
            left -= len(block)


def parts_of(paths: Sequence[Path], durations: Sequence[float], overlap: float) -> list[Part]:
    """``Part``s for upload files laid end to end, each sharing ``overlap`` with the next."""
    parts, t, own_start = [], 0.0, 0.0
    n = len(paths)
    for i, (p, d) in enumerate(zip(paths, durations)):
        own_end = t + d - overlap / 2 if i < n - 1 else t + d
        parts.append(Part(i, Path(p), t, t + d, own_start, own_end))
        t, own_start = t + d - overlap, own_end
    return parts


def workers_for(ctx: Context, count: int) -> int:
    """Parts in flight at once: the plan's concurrency (the client's limiter enforces it too)."""
    plan = getattr(ctx.client, "plan", None)
    return max(1, min(count, int(getattr(plan, "concurrent", 1) or 1)))


def run_parts(ctx: Context, parts: Sequence[Part], call: Callable[[Part], T], *, label: str,
              lo: float = 0.1, hi: float = 0.85, workers: int | None = None) -> list[T]:
    """``call(part)`` for every part, ``workers`` at a time, results in part order. Progress
    goes from ``lo`` to ``hi`` by media seconds done, with running parts estimated from the
    pace so far; the message changes every ``HEARTBEAT`` s (elapsed time, parts done, ETA).
    The first failure (or a cancel) stops parts not yet started and is raised."""
    parts = list(parts)
    if not parts:
        return []
    pool_size = workers or workers_for(ctx, len(parts))
    beat = _Beat(ctx, parts, label, lo, hi)

    def one(part: Part) -> T:
        if ctx.cancelled:
            raise Cancelled("Cancelled.", hint="Nothing was left half-written.")
        beat.started(part)
        with expecting(part.seconds), watching(lambda *moved: beat.moved(part, *moved)):
            result = call(part)
        beat.finished(part)
        return result

    pool = ThreadPoolExecutor(max_workers=pool_size, thread_name_prefix="ttsai-part")
    futures: list[Future] = [pool.submit(carry(one), p) for p in parts]
    try:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=HEARTBEAT, return_when=FIRST_COMPLETED)
            for f in done:
                if f.exception() is not None:
                    raise f.exception()  # type: ignore[misc]
            ctx.check_cancelled()
            beat.tick()
    except BaseException:  # running parts end before the caller removes their work folder
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [f.result() for f in futures]


class _Beat:
    """Progress of parts in flight, weighted by their media seconds (``PartsMeter``), with the
    elapsed time, parts done and an ETA from the pace so far in the message."""

    def __init__(self, ctx: Context, parts: list[Part], label: str, lo: float, hi: float) -> None:
        self.ctx, self.label, self.lo, self.hi = ctx, label, lo, hi
        self.meter = PartsMeter([p.seconds for p in parts])
        self.bytes: dict[int, tuple[str, int, int | None]] = {}  # latest transfer per part

    def moved(self, part: Part, direction: str, done: int, total: int | None) -> None:
        self.bytes[part.index] = (direction, done, total)
        if direction == "upload" and total:
            self.meter.at_least(part.index, UPLOAD_SHARE * done / total)

    def started(self, part: Part) -> None:
        self.meter.started(part.index)

    def finished(self, part: Part) -> None:
        self.meter.finished(part.index)
        self.bytes.pop(part.index, None)

    def transfers(self) -> str:
        """``uploading 12/80 MB`` over the parts in flight (bytes both ways, as they move)."""
        said = []
        for direction in ("upload", "download"):
            moving = [(d, t) for k, d, t in list(self.bytes.values()) if k == direction]
            if moving and (direction == "download" or any(d < (t or 0) for d, t in moving)):
                done = sum(d for d, _ in moving) / MB
                total = sum(t or 0 for _, t in moving) / MB
                said.append(f"{direction}ing {done:.1f}" + (f"/{total:.1f}" if total else "")
                            + " MB")
        return ", ".join(said)

    def tick(self) -> None:
        now = self.meter.reading()
        done, count = self.meter.done, self.meter.count
        local = getattr(self.ctx.client, "is_local", False)
        where = (f"on {'the built-in engine' if local else 'the service'}" if count == 1
                 else f"{done}/{count} parts")
        moving = self.transfers()
        where += f", {moving}" if moving else ""
        self.ctx.report(self.lo + (self.hi - self.lo) * now.share,
                        f"{self.label} ({where}) {now.elapsed:.0f} s")


def retime(parts: Sequence[Part], segment_lists: Sequence[Sequence[Any]]) -> list[dict]:
    """Segments of each part's transcript moved to source time; a segment is kept by the part
    whose own span holds its middle and clamped to that span, so the overlap two parts share
    never repeats a line (one heard by both, right at the cut, is kept once)."""
    out: list[dict] = []
    for part, segments in zip(parts, segment_lists):
        for s in segments:
            a, b = s.start + part.start, s.end + part.start
            if not part.own_start - _EPS <= (a + b) / 2 <= part.own_end + _EPS:
                continue
            if out and out[-1]["text"] == s.text and abs(out[-1]["start"] - a) <= 2 * SPLIT_OVERLAP:
                continue
            a, b = max(a, part.own_start), min(b, part.own_end)
            words = [{"start": max(a, w.start + part.start), "end": min(b, w.end + part.start),
                      "word": w.word} for w in getattr(s, "words", []) or []]
            seg = {"start": a, "end": max(a, b), "text": s.text, "speaker": s.speaker}
            if words:
                seg["words"] = words
            out.append(seg)
    return out


def fit_wav(src: Path, seconds: float, out: Path) -> Path:
    """``src`` as a WAV lasting exactly ``seconds`` (trimmed or padded with silence), copied
    block by block: an hour of audio never sits in memory."""
    with sf.SoundFile(str(src)) as f:
        sr, ch = f.samplerate, f.channels
        subtype = f.subtype if f.subtype in ("PCM_16", "PCM_24", "PCM_32", "FLOAT") else "PCM_16"
        dtype = "int16" if subtype == "PCM_16" else "float32"  # 16-bit copied as is: exact, fast
        want = int(round(seconds * sr))
        tmp = out.with_name(f".{out.name}.fit")
        with sf.SoundFile(str(tmp), "w", sr, ch, subtype=subtype, format="WAV") as o:
            left = want
            while left > 0:
                block = f.read(min(_BLOCK, left), dtype=dtype, always_2d=True)
                if not len(block):
                    break
                o.write(block)
                left -= len(block)
            while left > 0:
                n = min(_BLOCK, left)
                o.write(np.zeros((n, ch), dtype))
                left -= n
    tmp.replace(out)
    return out
