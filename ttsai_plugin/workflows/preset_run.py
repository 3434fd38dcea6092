"""Run a preset: its steps in order, each on the previous step's audio, one result at the end."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

from ttsai_plugin import media
from ttsai_plugin.clips import Clip, Placement
from ttsai_plugin.errors import InputError
from ttsai_plugin.presets import Preset, get_preset
from ttsai_plugin.workflows import pipeline
from ttsai_plugin.workflows.context import Context
from ttsai_plugin.workflows.results import WorkflowResult
from ttsai_plugin.workflows.source import base_name, publish, slug


def _loudness(ctx: Context, clip: Clip, *, target_lufs: float) -> WorkflowResult:
    """Local step: normalise integrated loudness (no request, no credits)."""
    ctx.report(0.1, f"Normalising to {target_lufs:g} LUFS")
    out = ctx.out_dir / f"{clip.media.stem}.loudness.wav"
    media.normalize(clip.media, out, target_lufs=target_lufs)
    return WorkflowResult([Placement(out, clip.timeline_start, media.duration(out), 0, clip.name)],
                          files=[out])


def _steps() -> dict[str, Callable[..., WorkflowResult]]:
    from ttsai_plugin import workflows as w
    return {"dub": w.dub, "enhance": w.enhance, "dereverb": w.dereverb,
            "split_stems": w.split_stems, "transcribe": w.transcribe,
            "voice_convert": w.voice_convert, "restyle": w.restyle, "analyze": w.analyze,
            "loudness": _loudness}


def run_preset(ctx: Context, preset: Preset | str | Path, clip: Any = None,
               text: str | None = None) -> WorkflowResult:
    """The preset's result, named ``<source>.<preset>.wav`` (stems: ``<source>.<preset>/``)."""
    p = preset if isinstance(preset, Preset) else get_preset(preset)
    if p.needs_text and not (text and text.strip()):
        raise InputError(f"Preset {p.name} starts by narrating text, but no text was given.",
                         hint="Pass the script text (or --file).")
    if not p.needs_text and clip is None:
        raise InputError(f"Preset {p.name} works on a clip, but none was given.",
                         hint="Select a clip or pass an audio/video file.")
    steps = _steps()
    start = clip.timeline_start if clip is not None else 0.0
    keeps_source = p.needs_text or p.steps[-1].op in ("transcribe", "analyze")
    total = WorkflowResult([], mute_source=not keeps_source)
    current: Clip | None = clip
    last: WorkflowResult | None = None
    kept: list[tuple[Path, str]] = []
    with pipeline.workdir(ctx) as work:
        for i, step in enumerate(p.steps):
            n = len(p.steps)
            sub = dataclasses.replace(ctx.sub(i / n, (i + 1) / n), out_dir=work / f"step-{i}")
            sub.report(0.0, f"{p.name}: {step.op} ({i + 1}/{n})")
            if step.op == "narrate":
                r = _narrate(sub, text or "", dict(step.options), start)
            else:
                r = steps[step.op](sub, current, **dict(step.options))
            total.credits_used += r.credits_used
            total.mock = pipeline.note_mock([total.mock, r.mock])
            total.notes += r.notes
            total.transcript = r.transcript or total.transcript
            total.analysis = r.analysis or total.analysis
            total.original_text = r.original_text or total.original_text
            total.translated_text = r.translated_text or total.translated_text
            total.placements += r.captions
            kept += side_files(r)
            if r.audio:
                last = r
                if step.op != "split_stems":
                    name = clip.name if clip is not None else "Narration"
                    current = Clip(r.audio[0].path, timeline_start=start, name=name)
        base = base_name(clip) if clip is not None else slug(text or "")
        _publish(ctx, p, base, last, total, start, dict((tag, f) for f, tag in kept))
    ctx.report(1.0, f"{p.name}: done")
    return total


def side_files(r: WorkflowResult) -> list[tuple[Path, str]]:
    """A step's files other than its audio (subtitles, transcripts .txt/.json …), each with its
    tag: its name after the step's audio name (``.original.srt``), else its suffix."""
    audio = {a.path for a in r.audio}
    stem = r.audio[0].path.stem if r.audio else None
    found = []
    for f in r.files:
        if f in audio or f.is_dir():
            continue
        tag = f.name[len(stem):] if stem and f.name.startswith(stem + ".") else f.suffix
        found.append((f, tag))
    return found


def _narrate(ctx: Context, text: str, options: dict[str, Any], start: float) -> WorkflowResult:
    from ttsai_plugin.workflows.narrate import narrate
    return narrate(ctx, text, start=start, **options)


def _publish(ctx: Context, p: Preset, base: str, last: WorkflowResult | None,
             total: WorkflowResult, start: float, side: dict[str, Path]) -> None:
    """Move the final audio (or stems folder) and every step's side files (by tag, a later
    step's over an earlier one's) out of the work folder."""
    moved: dict[Path, Path] = {}
    for tag, f in side.items():
        moved[f] = publish(f, ctx.out_dir / f"{base}.{p.name}{tag}")
    total.files = list(moved.values())
    total.placements = [dataclasses.replace(c, path=moved.get(c.path, c.path))
                        for c in total.placements]
    if last is None:
        return
    audio = last.audio
    if len(audio) > 1:  # stems: one folder
        folder = publish(audio[0].path.parent, ctx.out_dir / f"{base}.{p.name}")
        placed = [dataclasses.replace(a, path=folder / a.path.name, start=start) for a in audio]
    else:
        path = publish(audio[0].path, ctx.out_dir / f"{base}.{p.name}.wav")
        placed = [dataclasses.replace(audio[0], path=path, start=start,
                                      duration=media.duration(path))]
    total.placements = placed + total.placements
    total.files = [a.path for a in placed] + total.files
