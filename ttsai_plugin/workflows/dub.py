"""Dub a clip's speech into another language, fitted to the original's length when sane,
with both transcripts kept and optional subtitles."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ttsai_plugin import media
from ttsai_plugin.clips import Placement
from ttsai_plugin.errors import BadRequestError, InputError
from ttsai_plugin.workflows import captions, dub_studio, pipeline
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.results import WorkflowResult
from ttsai_plugin.workflows.source import publish, slug

FIT_RANGE = (0.8, 1.25)  # tempo changes beyond these sound unnatural


def _fit(ctx: Context, dubbed, target: float, work, notes: list[str]):
    """Time-stretch (pitch kept) to ``target`` seconds when the change is natural-sounding."""
    natural = media.duration(dubbed)
    ratio = natural / target if target > 0 else 1.0
    if abs(ratio - 1.0) < 0.005:
        return pipeline.fit_length(dubbed, target, work / "fitted.wav")
    if not FIT_RANGE[0] <= ratio <= FIT_RANGE[1]:
        notes.append(f"Kept the dub's natural length ({natural:.2f} s vs {target:.2f} s): fitting "
                     f"would need ×{ratio:.2f} speed, outside {FIT_RANGE[0]}–{FIT_RANGE[1]}.")
        return dubbed
    with pipeline.busy(ctx, 0.88, 0.92, "Fitting the dub to the original's length"):
        stretched = media.time_stretch(dubbed, work / "stretched.wav", ratio=ratio,
                                       cancel=ctx.cancel)
    notes.append(f"Fitted the dub to the original's {target:.2f} s (×{ratio:.2f} speed).")
    return pipeline.fit_length(stretched, target, work / "fitted.wav")


def dub_clip(ctx: Context, clip: Any, *, target_language: str, voice: str | None = None,
             preserve_voice: bool = False, fit_duration: bool = True,
             subtitles: bool = False) -> WorkflowResult:
    """``<source>.dub-<lang>.wav`` at the clip's position (the original is to be muted);
    with ``subtitles``, ``<source>.dub-<lang>.srt/.vtt`` and caption placements one track up."""
    if not target_language or not str(target_language).strip():
        raise InputError("No target language given.", hint="Pass a code such as es, fr or de.")
    lang = slug(str(target_language), 16)
    options = {"target_language": target_language, "voice": voice,
               "preserve_voice": bool(preserve_voice), "fit_duration": bool(fit_duration)}
    notes: list[str] = []
    with pipeline.workdir(ctx) as work:
        prepared = pipeline.prepare(ctx, clip, "speech_translate", work)

        def translate(part, out):
            try:
                return ctx.client.speech_translate(part, target_language=target_language,
                                                   out=out, voice=voice,
                                                   preserve_voice=preserve_voice)
            except BadRequestError:
                if len(prepared.pieces) == 1:
                    raise
                media.write_audio(np.zeros(int(round(media.duration(part) * 16000)), np.float32),
                                  16000, out)  # a pause between speakers: it stays a pause
                return None

        def produce():
            runs = pipeline.for_each_part(ctx, prepared, work, f"Dubbing into {target_language}",
                                          translate, suffix=".mp3")  # the service's dub format
            answers = [a for _, a in runs if a is not None]
            if not answers:
                raise InputError("No speech was recognised anywhere in the clip.",
                                 hint="Choose a clip with speech in it.")
            with pipeline.busy(ctx, 0.85, 0.88, "Joining the parts"):
                joined = pipeline.stitch([out for out, _ in runs], work / "joined.wav",
                                         overlapping=False)
                dubbed = pipeline.fit_length(joined, media.duration(joined), work / "dub.wav")
            fit_notes: list[str] = []
            if fit_duration:  # fitted before caching: a repeat stretches nothing
                fitted = _fit(ctx, dubbed, prepared.duration, work, fit_notes)
                if fitted != dubbed:
                    os.replace(fitted, dubbed)
            texts = work / "texts.json"
            texts.write_text(json.dumps({
                "original_text": " ".join(a.original_text.strip() for a in answers),
                "translated_text": " ".join(a.translated_text.strip() for a in answers),
                "source_language": answers[0].source_language}, ensure_ascii=False), "utf-8")
            return [dubbed, texts], {"credits": sum(pipeline.charged(ctx, a) for a in answers),
                                     "mock": pipeline.note_mock([a.mock for a in answers]),
                                     "notes": fit_notes}

        files, meta, hit = pipeline.cached(ctx, work, "speech_translate", options,
                                           [prepared], produce)
        texts = json.loads(files["texts.json"].read_text("utf-8"))
        audio = files["dub.wav"]
        notes += meta.get("notes", [])
        path = publish(audio, ctx.out_dir / f"{prepared.base}.dub-{lang}.wav")
        duration = media.duration(path)
        placements = [Placement(path, clip.timeline_start, duration, 0,
                                f"{clip.name} ({target_language} dub)")]
        files_out = [path]
        if subtitles:
            cues = captions.spread_text(texts["translated_text"], duration,
                                        spans=captions.speech_spans_in_file(path,
                                                                            cancel=ctx.cancel))
            srt_path = publish(captions.write_srt(cues, work / "dub.srt"),
                               ctx.out_dir / f"{prepared.base}.dub-{lang}.srt")
            vtt_path = publish(captions.write_vtt(cues, work / "dub.vtt"),
                               ctx.out_dir / f"{prepared.base}.dub-{lang}.vtt")
            placements += [Placement(srt_path, clip.timeline_start + c.start, c.end - c.start, 1,
                                     f"{clip.name} {target_language} caption {i}",
                                     kind="caption", text=c.text)
                           for i, c in enumerate(cues, start=1)]
            files_out += [srt_path, vtt_path]
    ctx.report(1.0, f"Dubbed into {target_language}: {duration:.1f} s")
    return WorkflowResult(placements, credits_used=0.0 if hit else meta["credits"],
                          mock=meta.get("mock"), files=files_out, notes=notes,
                          original_text=texts["original_text"],
                          translated_text=texts["translated_text"], cached=hit)


def dub(ctx: Context, clip: Any, *, target_language: str, voice: str | None = None,
        preserve_voice: bool = False, fit_duration: bool = True, subtitles: bool = False,
        timing: str = "sentence", keep_background: bool | None = None,
        stems_out: Path | None = None, per_sentence_strips: bool = False,
        mix: bool = True) -> WorkflowResult:
    """Dub a clip: per sentence (``timing="sentence"``) or as a whole (``"clip"``), the
    background kept when it has one (``keep_background=None`` detects it). ``mix=True`` (CLI,
    OBS) hands back one file, dub over bed; ``mix=False`` (Blender) the bed as its own
    placement under the dub. See docs/architecture.md."""
    if not target_language or not str(target_language).strip():
        raise InputError("No target language given.", hint="Pass a code such as es, fr or de.")
    if not dub_studio.wants_studio(timing, keep_background, stems_out, per_sentence_strips):
        return dub_clip(ctx, clip, target_language=target_language, voice=voice,
                        preserve_voice=preserve_voice, fit_duration=fit_duration,
                        subtitles=subtitles)
    return dub_studio.studio_dub(
        ctx, clip, target_language=target_language, voice=voice, preserve_voice=preserve_voice,
        fit_duration=fit_duration, subtitles=subtitles, timing=timing,
        keep_background=keep_background, stems_out=stems_out,
        per_sentence_strips=per_sentence_strips, mix=mix, clip_dub=dub_clip)
