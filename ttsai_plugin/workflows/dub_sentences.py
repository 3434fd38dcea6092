"""Sentence timing for a dub: find the source's spoken lines at its pauses, dub each on its
own, fit each translated line to the span it replaces and place it where the original began,
then join the lines into one click-free track as long as the source."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ttsai_plugin import media
from ttsai_plugin.errors import BadRequestError, InputError
from ttsai_plugin.media.levels import file_levels, frame_levels
from ttsai_plugin.sentences import sentence
from ttsai_plugin.workflows import pipeline
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.longform import Part, run_parts

SEGMENT_RATE = 16000     # Hz the speech is analysed at
FRAME = 0.02             # seconds per level frame
SPEECH_DB = 28.0         # frames within this of the loud speech level are speech
MIN_PAUSE = 0.35         # seconds of quiet that end a line
SUSTAIN = 3              # frames of sound in a row that start or end a line (60 ms)
MIN_LINE = 0.15          # seconds: shorter blips (a click, leaked music) are no line
BLIP = 0.13             # seconds: a burst this short, apart from a line's edge, is no word
BLIP_GAP = 0.06         # ... and this much quiet apart (a stop consonant's closure is shorter)
MAX_LINE = 15.0          # seconds: a longer run of speech is cut at its quietest pause
PAD = 0.12               # seconds of context sent around each line (never past a neighbour)
MIN_PAD = 0.05           # seconds: the least context kept when narrowing saves a billed second
BILL_MARGIN = 0.02       # seconds a narrowed piece stays under the whole second (decoding slack)
TEMPO_RANGE = (0.8, 1.25)  # tempo changes within these sound natural
MAX_TEMPO = 2.0          # beyond this a line is cut at the end of the room it has instead
LINE_GAP = 0.05          # seconds kept free before the next line starts
EDGE_FADE = 0.01         # seconds of fade in and out of every placed line
TRIM_DB = 40.0           # a dubbed line's lead-in/out quieter than its peak by this is silence


@dataclass(frozen=True)
class Span:
    """Seconds where one spoken line is in the source."""

    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass
class Line:
    """One dubbed line: where it was said, where its dub is placed, how it was fitted."""

    index: int
    source_start: float
    source_end: float
    dub_start: float = 0.0
    dub_end: float = 0.0
    tempo: float = 1.0
    original_text: str = ""
    translated_text: str = ""
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "Line":
        return cls(**d)


def find_lines(samples: np.ndarray, sr: int) -> list[Span]:
    """``lines_in`` the levels of ``samples``."""
    return lines_in(frame_levels(samples, sr, FRAME))


def find_lines_in_file(path: Path, *, start: float = 0.0, end: float | None = None,
                       stream: int = 0, cancel: Any = None) -> list[Span]:
    """``lines_in`` a file's audio (``start``..``end`` of stream ``stream``), streamed: an
    hour costs its frame levels, not its samples."""
    return lines_in(file_levels(path, sample_rate=SEGMENT_RATE, frame=FRAME, start=start,
                                end=end, stream=stream, cancel=cancel))


def lines_in(levels: np.ndarray) -> list[Span]:
    """Spoken lines in ``FRAME``-second levels: frames within ``SPEECH_DB`` of the speech's
    loud level, joined across pauses shorter than ``MIN_PAUSE``, blips shorter than
    ``MIN_LINE`` dropped and runs longer than ``MAX_LINE`` cut at their quietest frame."""
    if levels.size == 0:
        return []
    loud = float(np.percentile(levels, 98))
    if loud < -70:
        return []
    active = levels > max(loud - SPEECH_DB, -70.0)
    runs: list[list[int]] = []
    bridge = int(round(MIN_PAUSE / FRAME))
    for i in np.flatnonzero(active):
        if runs and i - runs[-1][1] <= bridge:
            runs[-1][1] = i + 1
        else:
            runs.append([int(i), int(i) + 1])
    runs = [r for r in (_sustained(*_without_edge_blips(a, b, active), active)
                        for a, b in runs) if r is not None]
    pieces = [p for a, b in runs for p in _cap(a, b, levels)]
    return [Span(round(a * FRAME, 3), round(b * FRAME, 3)) for a, b in pieces
            if (b - a) * FRAME >= MIN_LINE]


def _without_edge_blips(a: int, b: int, active: np.ndarray) -> tuple[int, int]:
    """The run without bursts shorter than ``BLIP`` at its ends that ``BLIP_GAP`` of
    quiet separates from the rest: a note's attack left in the speech stem just before or after a line is
    no word, and counted as one it starts the line early (the dub then comes in too soon)."""
    pieces: list[list[int]] = []
    for i in range(a, b):
        if active[i]:
            if pieces and pieces[-1][1] == i:
                pieces[-1][1] = i + 1
            else:
                pieces.append([i, i + 1])
    shortest = BLIP / FRAME
    apart = BLIP_GAP / FRAME
    while len(pieces) > 1 and pieces[0][1] - pieces[0][0] < shortest \
            and pieces[1][0] - pieces[0][1] >= apart:
        pieces.pop(0)
    while len(pieces) > 1 and pieces[-1][1] - pieces[-1][0] < shortest \
            and pieces[-1][0] - pieces[-2][1] >= apart:
        pieces.pop()
    return (pieces[0][0], pieces[-1][1]) if pieces else (a, b)


def _sustained(a: int, b: int, active: np.ndarray) -> tuple[int, int] | None:
    """The run from its first to its last ``SUSTAIN`` consecutive active frames: a lone
    blip before or after a line (a transient, leaked music) does not move where it starts."""
    k = SUSTAIN
    held = [i for i in range(a, b - k + 1) if active[i:i + k].all()]
    return (held[0], held[-1] + k) if held else None


def _cap(a: int, b: int, levels: np.ndarray) -> list[tuple[int, int]]:
    limit = int(MAX_LINE / FRAME)
    if b - a <= limit:
        return [(a, b)]
    lo, hi = a + limit // 3, a + limit
    cut = lo + int(np.argmin(levels[lo:hi]))
    return [(a, cut)] + _cap(cut, b, levels)


def line_pieces(spans: list[Span], duration: float) -> list[tuple[float, float]]:
    """What is sent for each line: its span with ``PAD`` of context, never past the middle
    of the pause to a neighbour nor outside ``[0, duration]``; the context is narrowed (to no
    less than ``MIN_PAD``) when that makes the piece one billed second shorter."""
    out = []
    for i, span in enumerate(spans):
        a = max(0.0, span.start - PAD, (spans[i - 1].end + span.start) / 2 if i else 0.0)
        b = min(duration, span.end + PAD,
                (span.end + spans[i + 1].start) / 2 if i + 1 < len(spans) else duration)
        out.append(_billed_snug(span, a, b))
    return out


def _billed_snug(span: Span, a: float, b: float) -> tuple[float, float]:
    """``(a, b)`` narrowed toward ``span`` to just under a whole second when the span with
    ``MIN_PAD`` each side fits in fewer started seconds than ``b - a`` (billing is per
    started second, so the wider context would cost a second more)."""
    lead, tail = span.start - a, b - span.end
    narrow = span.length + min(lead, MIN_PAD) + min(tail, MIN_PAD)
    whole = max(1, math.ceil(narrow + BILL_MARGIN - 1e-9))
    if math.ceil(b - a - 1e-9) <= whole:
        return a, b
    spare = max(0.0, whole - BILL_MARGIN - narrow)
    extra_lead = min(lead - min(lead, MIN_PAD), spare / 2)
    extra_tail = min(tail - min(tail, MIN_PAD), spare - extra_lead)
    extra_lead = min(lead - min(lead, MIN_PAD), spare - extra_tail)
    return (round(span.start - min(lead, MIN_PAD) - extra_lead, 4),
            round(span.end + min(tail, MIN_PAD) + extra_tail, 4))


@dataclass(frozen=True)
class Fit:
    """How a dubbed line of ``natural`` seconds goes into its source span."""

    tempo: float        # playback speed (1.0 = as delivered; >1 faster)
    length: float       # seconds it lasts once fitted
    note: str = ""      # said when the fit needed more than a natural tempo change


def fit_line(natural: float, span: float, room: float) -> Fit:
    """Fit to the source span with a natural tempo change; else at the fastest natural tempo,
    running into the following pause (``room`` = span + that pause); else the smallest
    speed-up that ends it before the next line (up to ``MAX_TEMPO``, past that it is cut)."""
    lo, hi = TEMPO_RANGE
    if natural <= 0 or span <= 0:
        return Fit(1.0, max(natural, 0.0))
    want = natural / span
    if abs(want - 1.0) < 0.01:
        return Fit(1.0, natural)
    if lo <= want <= hi:
        return Fit(want, span)
    if want < lo:
        return Fit(lo, natural / lo)
    if natural / hi <= room:
        return Fit(hi, natural / hi, "")
    need = natural / room if room > 0 else MAX_TEMPO
    if need <= MAX_TEMPO:
        return Fit(need, room, f"sped up ×{need:.2f} to end before the next line "
                               f"(×{want:.2f} to match the original)")
    return Fit(MAX_TEMPO, room, f"sped up ×{MAX_TEMPO:g} and cut at {room:.2f} s: the "
                                f"translation is {natural:.2f} s for a {span:.2f} s line")


Translate = Callable[[Path, Path], Any]   # (source line audio, out) -> Translation


def _trim_silence(samples: np.ndarray, sr: int) -> np.ndarray:
    """The dubbed line without the lead-in and tail silence speech engines add."""
    levels = frame_levels(samples, sr, 0.01)
    if levels.size == 0:
        return samples
    on = np.flatnonzero(levels > float(levels.max()) - TRIM_DB)
    n = int(0.01 * sr)
    return samples[on[0] * n: (on[-1] + 1) * n]


def _about_the_audio(exc: BadRequestError) -> bool:
    """True when the service refused this line's audio (e.g. no words in it), not the
    request: a wrong language or voice must stop the dub at once."""
    return exc.extra.get("field") in (None, "file") and "language" not in exc.message \
        and "voice" not in exc.message


@dataclass
class Dubbed:
    """Every line's dub joined into one track, the lines' times and texts, and the bill."""

    track: Path
    lines: list[Line]
    answers: list[Any]
    notes: list[str]


def dub_lines(ctx: Context, speech: Path, duration: float, work: Path, translate: Translate,
              *, fit: bool = True, lo: float = 0.4, hi: float = 0.85) -> Dubbed:
    """Dub each line of ``speech`` (a file ``duration`` seconds long) with ``translate``, fit
    it (when ``fit``), place it at its source start and join: ``work/dub.wav``, exactly
    ``duration`` long."""
    with pipeline.busy(ctx, lo * 0.9, lo, "Finding the spoken lines"):
        spans = find_lines_in_file(speech, cancel=ctx.cancel)
    if not spans:
        raise InputError("No speech found to dub: the clip is silent or only music.",
                         hint="Select a clip with someone speaking.")
    pieces = line_pieces(spans, duration)

    def room_of(i: int) -> float:
        """Seconds from line ``i``'s start to just before the next line (or the end)."""
        until = spans[i + 1].start - LINE_GAP if i + 1 < len(spans) else duration
        return until - spans[i].start

    def fitted(i: int, answer: Any) -> _Fitted:
        return _fit_answer(ctx, answer, spans[i], room_of(i), work / f"line-{i:03d}", fit)

    sent = _translate_all(ctx, speech, pieces, work, translate, fitted, lo, hi)
    if all(isinstance(x, BadRequestError) for x in sent):
        raise sent[-1]
    lines, answers, notes, skipped = [], [], [], []
    parts: list[tuple[int, int, Path]] = []   # start sample, length, fitted file
    rate = 0
    for i, span in enumerate(spans):
        done = sent[i]
        if isinstance(done, BadRequestError):
            skipped.append((span, done))
            continue
        ctx.check_cancelled()
        answers.append(done.answer)
        rate = rate or done.rate      # the join brings a line at another rate to this one
        f, room = done.fit, room_of(i)
        start = int(round(span.start * rate))
        length = min(int(round(f.length * rate)), int(round(max(room, 0.0) * rate))
                     if fit else int(round(f.length * rate)))
        length = max(1, min(length, int(round(duration * rate)) - start))
        parts.append((start, length, done.path))
        line = Line(i + 1, span.start, span.end, start / rate, (start + length) / rate,
                    round(f.tempo, 3), done.answer.original_text.strip(),
                    done.answer.translated_text.strip(), f.note)
        if f.note:
            notes.append(f"Line {line.index} at {span.start:.2f} s: {f.note}.")
        lines.append(line)
    for span, exc in skipped:
        notes.append(f"Left the line at {span.start:.2f}–{span.end:.2f} s undubbed: "
                     f"{sentence(exc.message)}")
    with pipeline.busy(ctx, hi, hi + (1.0 - hi) * 0.9, f"Joining {len(parts)} dubbed lines"):
        track = _join(parts, rate, duration, work)
    return Dubbed(track, lines, answers, notes)


@dataclass(frozen=True)
class _Fitted:
    """One line's answer, trimmed and fitted: ``path`` at ``rate`` Hz, as ``fit`` says."""

    answer: Any
    path: Path
    rate: int
    fit: Fit


def _fit_answer(ctx: Context, answer: Any, span: Span, room: float, stem: Path,
                fit: bool) -> _Fitted:
    """A line's dub without its lead-in/out silence, at the tempo that fits it into ``span``
    (``room`` = span + the pause after it) when ``fit``; at its own sample rate."""
    samples, sr = media.decode(answer.path)
    samples = _trim_silence(samples, sr)
    natural = len(samples) / sr
    f = fit_line(natural, span.length, room) if fit else Fit(1.0, natural)
    raw = media.write_wav(samples, sr, stem.with_name(f"{stem.name}.trimmed.wav"))
    path = raw if abs(f.tempo - 1.0) < 1e-3 else media.time_stretch(
        raw, stem.with_name(f"{stem.name}.fitted.wav"), ratio=f.tempo, cancel=ctx.cancel)
    return _Fitted(answer, path, sr, f)


def _translate_all(ctx: Context, speech: Path, pieces: list[tuple[float, float]], work: Path,
                   translate: Translate, fitted: Callable[[int, Any], _Fitted], lo: float,
                   hi: float) -> list[Any]:
    """Every line's translation, ``fitted``, in line order, sent within the plan's
    concurrency by ``longform.run_parts`` (progress by seconds done; the first failure stops
    the rest). A line whose audio the service refused (no words in it) is its
    ``BadRequestError``. Each line is cut, sent and fitted in one worker: an hour's ~650 cuts
    and fits overlap the requests instead of adding minutes before and after them."""
    parts = [Part(i, work / f"line-{i:03d}.wav", a, b, a, b) for i, (a, b) in enumerate(pieces)]

    def one(part: Part) -> Any:
        media.extract(speech, part.path, start=part.start, end=part.end, cancel=ctx.cancel)
        try:
            answer = translate(part.path, work / f"line-{part.index:03d}.dub.wav")
        except BadRequestError as exc:
            if not _about_the_audio(exc):
                raise
            return exc
        return fitted(part.index, answer)
    return run_parts(ctx, parts, one, label="Dubbing lines", lo=lo, hi=hi)


def dubbed_summary(lines: list[Line], *, whole: bool = False) -> tuple[str, str | None]:
    """What was dubbed, truthfully: lines placed and, when the recognised text holds more
    sentences than that, a note saying why they were dubbed together."""
    from ttsai_plugin.workflows.textsplit import _sentences
    count = sum(max(1, len(_sentences(line.original_text))) for line in lines)
    said = f"{len(lines)} line{'' if len(lines) == 1 else 's'}"
    if count <= len(lines):
        return said, None
    why = ("the clip is dubbed in one piece (clip timing)" if whole else
           f"sentences less than {MIN_PAUSE:g} s apart are dubbed together as one line")
    return (f"{count} sentences in {said}",
            f"Dubbed {count} sentences as {said}: {why}.")


def _faded(samples: np.ndarray, rate: int) -> np.ndarray:
    """A line with ``EDGE_FADE`` raised-cosine fades at both ends: a cut inside a word (a
    trimmed or shortened line) starts and stops without a click."""
    n = min(int(EDGE_FADE * rate), len(samples) // 2)
    if n < 2:
        return samples
    ramp = (np.sin(np.linspace(0.0, np.pi / 2, n)) ** 2).astype(np.float32)
    if samples.ndim == 2:
        ramp = ramp[:, None]
    out = samples.copy()
    out[:n] *= ramp
    out[-n:] *= ramp[::-1]
    return out


def _join(parts: list[tuple[int, int, Path]], rate: int, duration: float, work: Path) -> Path:
    """The fitted lines at their start samples with silence between (the join fades every
    edge, so nothing clicks), one silent sample at each end so the track lasts ``duration``."""
    total = int(round(duration * rate))
    tick = media.write_wav(np.zeros(1, np.float32), rate, work / "tick.wav")
    files, gaps, at = [tick], [], 1
    for start, length, path in parts:
        cut = work / f"{path.stem}.placed.wav"
        samples, _ = media.decode(path, sample_rate=rate)
        samples = samples[:length]
        if len(samples) < length:
            samples = np.concatenate([samples, np.zeros((length - len(samples),) +
                                                        samples.shape[1:], np.float32)])
        media.write_wav(_faded(samples, rate), rate, cut)
        start = max(start, at)
        gaps.append((start - at) / rate)
        files.append(cut)
        at = start + length
    gaps.append(max(0, total - 1 - at) / rate)
    files.append(tick)
    return media.concat(files, work / "dub.wav", gaps=gaps)
