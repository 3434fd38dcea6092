"""A studio dub: the background kept under the new voice and each sentence dubbed at its own
time. Separation (``dub_background``) and per-line dubbing (``dub_sentences``) are cached on
their own, so a repeat, or the same clip in another language, asks only for what is new."""
from __future__ import annotations

import json
import math
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

from ttsai_plugin import media
from ttsai_plugin.clips import Clip, Placement
from ttsai_plugin.errors import InputError
from ttsai_plugin.workflows import captions, dub_background, dub_sentences, pipeline
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.dub_sentences import (Line, dub_lines, find_lines_in_file,
                                                  line_pieces)
from ttsai_plugin.workflows.results import Estimate, WorkflowResult
from ttsai_plugin.workflows.source import publish, slug, used_range

TIMINGS = ("sentence", "clip")


def wants_studio(timing: str, keep_background: bool | None, stems_out: Path | None,
                 per_sentence_strips: bool) -> bool:
    """False only for today's whole-clip dub with the background explicitly dropped."""
    if timing not in TIMINGS:
        raise InputError(f"Unknown dub timing {timing!r}.", hint="Use 'sentence' or 'clip'.")
    return not (timing == "clip" and keep_background is False and stems_out is None
                and not per_sentence_strips)


def studio_dub(ctx: Context, clip: Any, *, target_language: str, voice: str | None,
               preserve_voice: bool, fit_duration: bool, subtitles: bool, timing: str,
               keep_background: bool | None, stems_out: Path | None,
               per_sentence_strips: bool, mix: bool, clip_dub: Any) -> WorkflowResult:
    """See ``workflows.dub``; ``clip_dub`` is the whole-clip dub (for ``timing="clip"``)."""
    lang = slug(str(target_language), 16)
    notes: list[str] = []
    credits, mocks, hits = 0.0, [], []
    with pipeline.workdir(ctx) as work:
        base = pipeline.prepare(ctx, clip, "speech_translate", work).base
        duration = _length(clip)
        bed = None
        if keep_background is not False:
            with pipeline.busy(ctx, 0.0, 0.03, "Listening for a background under the speech"):
                check = dub_background.detect(ctx, clip)
            if keep_background or check.has_bed:
                ctx.report(0.03, "Separating the speech from the background")
                bed = dub_background.separate(ctx.sub(0.03, 0.35), clip, work)
                credits += 0.0 if bed.cached else bed.credits
                mocks.append(bed.mock)
                hits.append(bed.cached)
            if bed:
                said = "Background kept" if check.has_bed else "Background separated as asked"
                notes.append(f"{said}: {check.reason}.")
            else:  # not "Background not separated: no background: …"
                notes.append(f"{check.reason[:1].upper()}{check.reason[1:]}; nothing to separate.")
        if timing == "clip" and bed is None and stems_out is None and not per_sentence_strips:
            result = clip_dub(ctx, clip, target_language=target_language, voice=voice,
                              preserve_voice=preserve_voice, fit_duration=fit_duration,
                              subtitles=subtitles)
            result.notes[:0] = notes
            return result
        speech = bed.vocals if bed else None
        dub_ctx = ctx.sub(0.35 if bed else 0.0, 0.9)
        if timing == "clip":
            voice_track, lines, texts, meta, hit = _whole(
                dub_ctx, clip, speech, work, clip_dub, target_language=target_language,
                voice=voice, preserve_voice=preserve_voice, fit_duration=fit_duration)
        else:
            voice_track, lines, texts, meta, hit = _sentences(
                dub_ctx, clip, speech, duration, work, target_language=target_language,
                voice=voice, preserve_voice=preserve_voice, fit_duration=fit_duration)
        credits += 0.0 if hit else meta["credits"]
        mocks.append(meta.get("mock"))
        hits.append(hit)
        notes += meta.get("notes", [])
        with pipeline.busy(ctx, 0.92, 0.96, "Placing the dub"):
            if bed:
                bed = dub_background.give_back_pauses(ctx, bed, _spoken(lines, timing,
                                                                        bed.vocals), work)
                voice_track = _level_matched(voice_track, bed.vocals, work)
            spoken = captions.speech_spans_in_file(voice_track, cancel=ctx.cancel) \
                if subtitles and timing == "clip" else None
        out = _Publisher(ctx.out_dir, f"{base}.dub-{lang}", clip)
        if stems_out is not None:
            out.copies(Path(stems_out), voice_track, bed, stems_out_names(base, lang))
        placements: list[Placement] = []
        separate_voice = bed is None or not mix or per_sentence_strips
        voice_offset = 1 if bed and separate_voice else 0
        if bed and not separate_voice:
            with pipeline.busy(ctx, 0.96, 0.99, "Mixing the dub over the background"):
                mixed = dub_background.mix(voice_track, bed.bed, work / "mixed.wav",
                                           cancel=ctx.cancel)
            placements.append(out.audio(mixed, ".wav", 0, f"({target_language} dub)"))
        else:
            if bed:
                placements.append(out.audio(bed.bed, ".wav", 0, "(background)",
                                            name=f"{base}.bed.wav"))
            if per_sentence_strips:
                placements += _line_strips(out, voice_track, lines, work, voice_offset,
                                           target_language)
            else:
                tag = ".voice.wav" if bed else ".wav"
                placements.append(out.audio(voice_track, tag, voice_offset,
                                            f"({target_language} dub)"))
        out.text(_transcript(lines, texts, target_language), ".transcript.json", work)
        if subtitles:
            placements += _subtitles(out, lines, work, voice_offset + 1, target_language,
                                     whole=spoken)
    said, why = dub_sentences.dubbed_summary(lines, whole=timing == "clip")
    if why:
        notes.append(why)
    ctx.report(1.0, f"Dubbed into {target_language}: {said}")
    return WorkflowResult(placements, credits_used=credits, mock=pipeline.note_mock(mocks),
                          files=out.files, notes=notes, original_text=texts["original_text"],
                          translated_text=texts["translated_text"], cached=all(hits))


def _length(clip: Any) -> float:
    start, end = used_range(clip)
    return end - start


def _spoken(lines: list[Line], timing: str, speech: Path) -> list[tuple[float, float]]:
    """Where the source speaks: the dubbed lines' spans, or for a whole-clip dub (one line
    over the clip) the lines found on the separated speech."""
    if timing != "clip":
        return [(x.source_start, x.source_end) for x in lines]
    return [(x.start, x.end) for x in find_lines_in_file(speech)]


def _whole(ctx: Context, clip: Any, speech: Path | None, work: Path, clip_dub: Any, **opts):
    """Today's whole-clip dub, of the separated speech when there is a bed."""
    source = clip if speech is None else Clip(speech, name=clip.name)
    result = clip_dub(replace(ctx, out_dir=work / "whole"), source, subtitles=False, **opts)
    track = result.audio[0].path
    length = media.duration(track)
    line = Line(1, 0.0, _length(clip), 0.0, length, 1.0, result.original_text or "",
                result.translated_text or "", " ".join(result.notes))
    texts = {"original_text": line.original_text, "translated_text": line.translated_text}
    meta = {"credits": result.credits_used, "mock": result.mock, "notes": result.notes}
    return track, [line], texts, meta, result.cached


def _sentences(ctx: Context, clip: Any, speech: Path | None, duration: float, work: Path, *,
               target_language: str, voice: str | None, preserve_voice: bool,
               fit_duration: bool):
    """Every line dubbed on its own and placed at its source time (cached as a whole)."""
    prepared = pipeline.prepare(ctx, clip, "speech_translate", work)
    options = {"target_language": target_language, "voice": voice,
               "preserve_voice": bool(preserve_voice), "fit_duration": bool(fit_duration),
               "timing": "sentence", "from": "vocals" if speech else "mix"}

    def translate(piece: Path, out: Path):
        return ctx.client.speech_translate(piece, target_language=target_language, out=out,
                                           voice=voice, preserve_voice=preserve_voice)

    def produce():
        source = speech if speech is not None else prepared.wav
        dubbed = dub_lines(ctx, source, duration, work, translate, fit=fit_duration)
        lines_path = work / "lines.json"
        lines_path.write_text(json.dumps({
            "lines": [x.to_json() for x in dubbed.lines],
            "source_language": dubbed.answers[0].source_language}, ensure_ascii=False), "utf-8")
        return [dubbed.track, lines_path], {
            "credits": sum(pipeline.charged(ctx, a) for a in dubbed.answers),
            "mock": pipeline.note_mock([a.mock for a in dubbed.answers]), "notes": dubbed.notes}

    files, meta, hit = pipeline.cached(ctx, work, "dub_sentences", options,
                                       [speech if speech is not None else prepared], produce)
    saved = json.loads(files["lines.json"].read_text("utf-8"))
    lines = [Line.from_json(x) for x in saved["lines"]]
    texts = {"original_text": " ".join(x.original_text for x in lines if x.original_text),
             "translated_text": " ".join(x.translated_text for x in lines if x.translated_text),
             "source_language": saved.get("source_language")}
    return files["dub.wav"], lines, texts, meta, hit


def _level_matched(track: Path, original_speech: Path, work: Path) -> Path:
    """The dub at the original speech's level, so it sits over the bed as the original did."""
    gain = dub_background.level_gain(track, original_speech)
    if abs(gain - 1.0) < 0.01:
        return track
    return dub_background.write_sum(track, work / "dub-levelled.wav", gain=gain)


def stems_out_names(base: str, language: str) -> tuple[str, str, str]:
    """The files ``stems_out`` gets for a dub of ``base`` (``source.base_name``) into
    ``language``: the dubbed voice, the background and the original speech."""
    return (f"{base}.dub-{slug(str(language), 16)}.voice.wav", f"{base}.bed.wav",
            f"{base}.vocals.wav")


class _Publisher:
    """Moves finished files next to the results as ``<base>.dub-<lang><tag>`` and makes the
    placements for them at the clip's position."""

    def __init__(self, out_dir: Path, stem: str, clip: Any) -> None:
        self.out_dir, self.stem, self.clip = out_dir, stem, clip
        self.files: list[Path] = []

    def put(self, path: Path, tag: str, name: str | None = None) -> Path:
        done = publish(path, self.out_dir / (name or f"{self.stem}{tag}"))
        self.files.append(done)
        return done

    def audio(self, path: Path, tag: str, offset: int, label: str, *, at: float = 0.0,
              name: str | None = None) -> Placement:
        done = self.put(path, tag, name)
        return Placement(done, self.clip.timeline_start + at, media.duration(done), offset,
                         f"{self.clip.name} {label}")

    def text(self, content: str, tag: str, work: Path) -> Path:
        return self.put(captions.write_text(work / f"text{tag}", content), tag)

    def copies(self, folder: Path, voice_track: Path, bed: Any,
               names: tuple[str, str, str]) -> None:
        """The dubbed voice and, with a bed, the background and the original speech, under
        ``names`` (see ``stems_out_names``)."""
        folder.mkdir(parents=True, exist_ok=True)
        voice, background, vocals = names
        wanted = [(voice_track, voice)]
        if bed:
            wanted += [(bed.bed, background), (bed.vocals, vocals)]
        for src, name in wanted:
            tmp = folder / f".{name}.part"
            shutil.copyfile(src, tmp)
            self.files.append(publish(tmp, folder / name))


def _line_strips(out: _Publisher, track: Path, lines: list[Line], work: Path, offset: int,
                 language: str) -> list[Placement]:
    """One file and placement per dubbed line, cut from the joined track at its place."""
    strips = []
    for line in lines:
        piece = media.extract(track, work / f"strip-{line.index:03d}.wav",
                              start=line.dub_start, end=line.dub_end)
        strips.append(out.audio(piece, f".line-{line.index:03d}.wav", offset,
                                f"({language} line {line.index})", at=line.dub_start))
    return strips


def _transcript(lines: list[Line], texts: dict, language: str) -> str:
    """Both languages with their times, one entry per line (kept beside the dub)."""
    return json.dumps({"source_language": texts.get("source_language"),
                       "target_language": language,
                       "original_text": texts["original_text"],
                       "translated_text": texts["translated_text"],
                       "lines": [x.to_json() for x in lines]}, ensure_ascii=False, indent=1)


def _subtitles(out: _Publisher, lines: list[Line], work: Path, offset: int, language: str,
               whole: list[tuple[float, float]] | None = None) -> list[Placement]:
    """Dub subtitles at the dubbed lines' times (SRT + WebVTT) and the original's at the
    source times (SRT), each line's text spread over its own span; a whole-clip dub has
    one line, spread over the spans of its track that have speech (``whole``)."""
    def cues(text_of, start_of, end_of, spans=None):
        out_cues = []
        for line in lines:
            a, b = start_of(line), end_of(line)
            out_cues += [captions.Cue(a + c.start, a + c.end, c.text)
                         for c in captions.spread_text(text_of(line), b - a, spans=spans)]
        return captions.clip_cues(out_cues, max((end_of(x) for x in lines), default=0.0))
    dub_cues = cues(lambda x: x.translated_text, lambda x: x.dub_start, lambda x: x.dub_end,
                    whole)
    src_cues = cues(lambda x: x.original_text, lambda x: x.source_start, lambda x: x.source_end)
    srt_path = out.put(captions.write_srt(dub_cues, work / "dub.srt"), ".srt")
    out.put(captions.write_vtt(dub_cues, work / "dub.vtt"), ".vtt")
    out.put(captions.write_srt(src_cues, work / "original.srt"), ".original.srt")
    clip = out.clip
    return [Placement(srt_path, clip.timeline_start + c.start, c.end - c.start, offset,
                      f"{clip.name} {language} caption {i}", kind="caption", text=c.text)
            for i, c in enumerate(dub_cues, start=1)]


def estimate_dub(ctx: Context, clip: Any, *, rate: float, separation_rate: float,
                 timing: str = "sentence", keep_background: bool | None = None,
                 **_: Any) -> Estimate:
    """Credits of a dub: the separation when a bed is kept, and the speech translation as
    the calls will be made (each billed per started second: one call per line)."""
    seconds = _length(clip)
    parts, total, upper = [], 0.0, False
    bed = keep_background is True or (
        keep_background is None and dub_background.detect(ctx, clip).has_bed)
    if bed:
        sep = separation_rate * max(1, math.ceil(seconds - 1e-9))
        total += sep
        upper = True
        parts.append(f"separation {sep:g} (≤{separation_rate:g}/s)")
    if timing == "clip":
        calls = [seconds]
    elif bed:  # lines are found on the separated speech: the mix has no pauses to see
        calls = [seconds] + [1.0] * max(1, math.ceil(seconds / 4.0))
        upper = True
    else:
        start, _end = used_range(clip)
        spans = find_lines_in_file(clip.media, start=start, stream=clip.audio_stream,
                                   end=None if clip.source_out is None else _end)
        calls = [b - a for a, b in line_pieces(spans, seconds)] or [seconds]
    billed = sum(max(1, math.ceil(c - 1e-9)) for c in calls)
    total += rate * billed
    how = (f"{len(calls)} line(s)" if timing == "sentence" and not bed
           else "≈1 call per 4 s of speech, a started second each" if timing == "sentence"
           else "one call")
    parts.append(f"speech translation {rate * billed:g} ({billed} s billed, {how}, "
                 f"{rate:g}/s)")
    return Estimate(total, "; ".join(parts), upper_bound=upper)
