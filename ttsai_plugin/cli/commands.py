"""The `ttsai` file commands: for each, how its outputs are named, which workflow it calls on
one input, and how the finished result is put where the user asked (format from the suffix)."""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from ttsai_plugin import media, workflows
from ttsai_plugin.cli import dub_flags
from ttsai_plugin.cli import outputs as out_mod
from ttsai_plugin.cli.display import Console
from ttsai_plugin.cli.inputs import (MEDIA_SUFFIXES, TEXT_SUFFIXES, InputFile, check_media,
                                     clip_from, expand, read_text, stdin_text)
from ttsai_plugin.cli.outputs import AUDIO_OUT, TRANSCRIPT_OUT, VIDEO_OUT, Naming
from ttsai_plugin.cli.runner import Job, run_job
from ttsai_plugin.errors import InputError
from ttsai_plugin.workflows.batch import BatchLedger
from ttsai_plugin.workflows.captions import write_text
from ttsai_plugin.workflows.source import slug

ESTIMATE_OPS = {"dub": "dub", "enhance": "enhance", "dereverb": "dereverb",
                "stems": "split_stems", "transcribe": "transcribe", "analyze": "analyze"}


def _media_inputs(args: argparse.Namespace, console: Console) -> list[InputFile]:
    found = expand(args.inputs, recursive=args.recursive, suffixes=MEDIA_SUFFIXES,
                   what="audio or video", note=console.note, exclude=BatchLedger().made())
    if not getattr(args, "estimate", False):  # an estimate names each unreadable file itself
        check_media(found)
    return found


def _audio_deliver(result: Any, clip: Any, plan: out_mod.Outputs, staging: Path):
    """The result's audio at its output (or stdout); its side files (subtitles, a dub's
    transcript) beside it, named after it (with stdout: in the current folder, see
    ``Outputs``); files sent elsewhere (--stems-out) listed as they are."""
    src = result.audio[0].path
    if plan.to_stdout:
        tmp = staging / f"stdout{plan.stdout_suffix}"
        out_mod.deliver(src, tmp, video=clip.media)
        out_mod.to_stdout(tmp)
        written: list[tuple[str, float | None]] = [("stdout", media.duration(tmp))]
    else:
        out, seconds = out_mod.deliver(src, plan.paths[0], video=clip.media)
        written = [(str(out), seconds)]
    anchor = plan.side_anchor
    for f in result.files:
        if f == src:
            continue
        if f.parent.resolve() != staging.resolve():
            if f.exists():
                written.append((str(f), None))
            continue
        tag = f.name[len(src.stem):] if f.name.startswith(src.stem + ".") else "." + f.name
        written.append((str(out_mod.deliver_text(f, out_mod.beside(anchor, tag))), None))
    return written


def _video_precheck(args: argparse.Namespace):
    def check(clip: Any, plan: out_mod.Outputs) -> None:
        for out in plan.paths:
            if out.suffix.lower() not in VIDEO_OUT:
                continue
            if clip.source_in > 0 or clip.source_out is not None:
                raise InputError("A video output keeps the whole picture, so it needs the whole "
                                 "input.", hint="Drop --start/--end, or write audio "
                                                "(.wav, .flac, .mp3 …).")
            if media.probe(clip.media).has_video:
                from ttsai_plugin.media.transform import check_video_output
                check_video_output(clip.media, out)
            elif out.suffix.lower() in VIDEO_OUT:
                raise InputError(f"{out.name} is a video, but {clip.media.name} has no picture "
                                 "to keep.", hint="Write audio instead (.wav, .flac, .mp3 …).")
    return check


def _check_preset(name: str | None, *, stems: bool = False) -> None:
    """Refuse, before anything is paid for, a preset whose result this command cannot write."""
    if not name:
        return
    from ttsai_plugin.presets import get_preset
    preset = get_preset(name)
    if preset.needs_text:
        raise InputError(f"Preset {name} makes speech from text, not from a file.",
                         hint=f'Use `ttsai narrate "your text" --preset {name} -o out.wav`.')
    last = preset.steps[-1].op
    if stems != (last == "split_stems") or last in ("transcribe", "analyze"):
        command = {"split_stems": "stems", "transcribe": "transcribe",
                   "analyze": "analyze"}.get(last, "enhance")
        raise InputError(f"Preset {name} ends with {last}, which this command cannot write.",
                         hint=f"Use `ttsai {command} --preset {name}` instead."
                         if command in ("stems", "enhance") else f"Use `ttsai {command}`.")


def _estimator(op: str, preset: str | None, **opts: Any):
    def estimate(ctx, thing):
        if preset:
            return workflows.estimate(ctx, "preset", clip=thing, preset=preset)
        if op == "narrate":
            return workflows.estimate(ctx, "narrate", text=thing, **opts)
        return workflows.estimate(ctx, op, clip=thing, **opts)
    return estimate


def _audio_job(args, name: str, tag: str, run, *, fields=None, options=None,
               estimate_op: str | None = None, side_tags: tuple[str, ...] = (),
               estimate_opts: dict[str, Any] | None = None) -> Job:
    preset = getattr(args, "preset", None)
    return Job(name, Naming(preset or tag, AUDIO_OUT + VIDEO_OUT,
                            fields={"preset": preset, **(fields or {})}, side_tags=side_tags),
               prepare=lambda src: clip_from(args, src),
               run=(lambda ctx, clip: workflows.run_preset(ctx, preset, clip=clip)) if preset
               else run, deliver=_audio_deliver, options={**(options or {}), "preset": preset},
               estimate=_estimator(estimate_op or name, preset, **(estimate_opts or {})),
               precheck=_video_precheck(args), describe=_texts)


def _texts(result: Any) -> tuple[dict[str, Any], list[str]]:
    if getattr(result, "original_text", None) is None:
        return {}, []
    return {"original_text": result.original_text,
            "translated_text": result.translated_text}, []


def cmd_enhance(args, token, console) -> int:
    _check_preset(args.preset)
    opts = {"denoise": args.denoise, "enhance_clarity": args.enhance_clarity,
            "super_resolution": args.super_resolution, "strength": args.strength}
    job = _audio_job(args, "enhance", "clean",
                     lambda ctx, clip: workflows.enhance(ctx, clip, **opts), options=opts)
    return run_job(args, token, job, _media_inputs(args, console), console)


def cmd_dereverb(args, token, console) -> int:
    _check_preset(args.preset)
    opts = {"type": args.type, "intensity": args.intensity}
    job = _audio_job(args, "dereverb", "dereverb",
                     lambda ctx, clip: workflows.dereverb(ctx, clip, **opts), options=opts)
    return run_job(args, token, job, _media_inputs(args, console), console)


def cmd_dub(args, token, console) -> int:
    if not (args.target_language or args.preset):
        raise InputError("No target language.", hint="Pass --to LANG (e.g. --to es) or --preset.")
    _check_preset(args.preset)
    opts: dict[str, Any] = {"target_language": args.target_language, "voice": args.voice,
                            "preserve_voice": args.preserve_voice,
                            "fit_duration": args.fit_duration, "subtitles": args.subtitles}
    studio = dub_flags.studio_options(args)
    opts.update(studio)
    lang = args.target_language or dub_flags.preset_language(args.preset)
    inputs = _media_inputs(args, console)
    stems_dirs = dub_flags.stems_folders(studio.get("stems_out"), inputs, lang or "")
    job = _audio_job(args, "dub", f"dub-{lang}" if lang else "dub",
                     lambda ctx, clip: workflows.dub(ctx, clip, **{
                         **opts, **({"stems_out": stems_dirs[clip.media]} if stems_dirs
                                    else {})}),
                     fields={"lang": lang}, options={k: str(v) for k, v in opts.items()},
                     side_tags=() if args.preset else dub_flags.side_tags(args, studio),
                     estimate_opts={k: v for k, v in studio.items() if k != "stems_out"})
    if stems_dirs:
        job.also_writes = lambda src: dub_flags.stems_files(args, stems_dirs[src.path], src,
                                                            lang or "")
    return run_job(args, token, job, inputs, console)


def cmd_convert(args, token, console) -> int:
    if args.emotion and not (args.voice or args.preset):
        raise InputError("--emotion needs --voice.", hint="Pick a voice with `ttsai voices`.")
    _check_preset(args.preset)
    if not (args.voice or args.preset):
        job = Job("convert", Naming("converted", AUDIO_OUT), prepare=lambda s: clip_from(args, s),
                  run=_format_only, deliver=_audio_deliver, options={"format": args.format},
                  estimate=_estimator("convert", None))
        return run_job(args, token, job, _media_inputs(args, console), console)

    def run(ctx, clip):
        if args.emotion:
            return workflows.restyle(ctx, clip, voice=args.voice, emotion=args.emotion)
        return workflows.voice_convert(ctx, clip, target_voice=args.voice)
    job = _audio_job(args, "convert", args.voice or "converted", run,
                     options={"voice": args.voice, "emotion": args.emotion},
                     estimate_op="restyle" if args.emotion else "voice_convert")
    return run_job(args, token, job, _media_inputs(args, console), console)


def _format_only(ctx, clip):
    """No voice: only the format changes (free, local); shaped like a workflow result."""
    from ttsai_plugin.clips import Placement
    from ttsai_plugin.workflows.results import WorkflowResult
    checked = clip.validate()
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    out = ctx.out_dir / "converted.wav"
    media.extract(clip.media, out, start=checked.source_in, end=checked.source_out,
                  stream=clip.audio_stream, cancel=ctx.cancel)
    return WorkflowResult([Placement(out, 0.0, media.duration(out), 0, clip.name)])


def cmd_stems(args, token, console) -> int:
    _check_preset(args.preset, stems=True)
    count = args.stems
    if args.preset:
        from ttsai_plugin.presets import get_preset
        count = int(get_preset(args.preset).steps[-1].options.get("stems", 2))
    naming = Naming(args.preset or "stems", AUDIO_OUT, kind="stems",
                    fields={"preset": args.preset}, stem_names=out_mod.STEM_NAMES.get(count, ()))

    def run(ctx, clip):
        if args.preset:
            return workflows.run_preset(ctx, args.preset, clip=clip)
        return workflows.split_stems(ctx, clip, stems=args.stems, model=args.model)

    def deliver(result, clip, plan, staging):
        return [(str(p), d) for p, d in (out_mod.deliver(a.path, plan.for_stem(a.path.stem))
                                         for a in result.audio)]
    job = Job("stems", naming, prepare=lambda s: clip_from(args, s), run=run, deliver=deliver,
              options={"stems": args.stems, "model": args.model, "preset": args.preset},
              estimate=_estimator("split_stems", args.preset),
              describe=lambda r: ({"stems": [p.path.stem for p in r.audio]}, []))
    return run_job(args, token, job, _media_inputs(args, console), console)


def cmd_transcribe(args, token, console) -> int:
    inputs = _media_inputs(args, console)
    extra = [Path(p) for p in (args.srt, args.vtt) if p]
    if extra and len(inputs) > 1:
        raise InputError("--srt/--vtt name one file, but there are several inputs.",
                         hint="Use -o DIR/ or -o '{stem}.{ext}' with --format srt,vtt.")
    if extra and args.output is None:
        args.output = str(extra.pop(0))
    naming = Naming("", TRANSCRIPT_OUT, kind="transcript")

    def deliver(result, clip, plan, staging):
        made = {f.suffix: f for f in result.files}
        if plan.to_stdout:
            tmp = staging / f"stdout{plan.stdout_suffix}"
            _write_transcript(result, made, tmp)
            out_mod.to_stdout(tmp)
        written = [("stdout", None)] if plan.to_stdout else []
        for t in [*plan.paths, *extra]:
            _write_transcript(result, made, t)
            written.append((str(t), None))
        return written

    def describe(result):
        data = {"transcript": _transcript_json(result.transcript)}
        text = result.transcript.text.strip()
        heard = text or "Note: no speech heard; the transcript and subtitles are empty."
        return data, ([heard] if len(inputs) == 1 else [])
    job = Job("transcribe", naming, prepare=lambda s: clip_from(args, s),
              run=lambda ctx, clip: workflows.transcribe(ctx, clip, language=args.language),
              deliver=deliver, options={"language": args.language,
                                        "extra": [str(p) for p in extra]},
              estimate=_estimator("transcribe", None), describe=describe)
    for target in extra:
        out_mod._check_suffix(target, TRANSCRIPT_OUT)
    return run_job(args, token, job, inputs, console)


def _write_transcript(result: Any, made: dict[str, Path], target: Path) -> None:
    suffix = target.suffix.lower()
    if suffix in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")
        shutil.copyfile(made[suffix], tmp)
        tmp.replace(target)
    else:
        body = (result.transcript.text + "\n" if suffix == ".txt" else json.dumps(
            _transcript_json(result.transcript), ensure_ascii=False, indent=2))
        write_text(target, body)


def _transcript_json(t: Any) -> dict[str, Any]:
    return {"text": t.text, "language": t.language, "duration": t.duration,
            "segments": [{"start": s.start, "end": s.end, "text": s.text} for s in t.segments]}


def cmd_analyze(args, token, console) -> int:
    def describe(result):
        a = result.analysis
        lines = [f"Key: {a.key} {a.scale or ''}".rstrip(), f"BPM: {a.bpm:g}" if a.bpm else
                 "BPM: ?", f"Time signature: {a.time_signature}", f"Camelot: {a.camelot}",
                 f"Compatible keys: {', '.join(a.compatible_keys)}"]
        return {"analysis": a}, lines
    args.output, args.overwrite, args.estimate = None, None, False
    job = Job("analyze", Naming("", ()), prepare=lambda s: clip_from(args, s),
              run=workflows.analyze, deliver=lambda *a: [], describe=describe)
    job.batch_lines = True
    return run_job(args, token, job, _media_inputs(args, console), console)


def cmd_narrate(args, token, console) -> int:
    if args.reference and not Path(args.reference).is_file():
        raise InputError(f"The voice reference {args.reference} does not exist.",
                         hint="Check the --reference recording's path.")
    inputs = _text_inputs(args, console, token)

    def prepare(src: InputFile) -> str:
        text = src.text if src.text is not None else read_text(
            None if src.stdin else src.path, label=src.label)
        if not text.strip():
            raise InputError(f"The text{'' if src.text is not None else ' in ' + src.label} is "
                             "empty.", hint="Give some words to speak.")
        return text

    def run(ctx, text):
        if args.preset:
            return workflows.run_preset(ctx, args.preset, text=text)
        return workflows.narrate(ctx, text, voice=args.voice, model=args.model,
                                 language=args.language, speed=args.speed,
                                 reference=args.reference)
    job = Job("narrate", Naming(args.preset or "", AUDIO_OUT, fields={"preset": args.preset}),
              prepare=prepare, run=run,
              deliver=lambda result, text, plan, staging: _audio_deliver(
                  result, argparse.Namespace(media=None), plan, staging),
              options={"voice": args.voice, "model": args.model, "language": args.language,
                       "speed": args.speed, "reference": args.reference, "preset": args.preset},
              estimate=_estimator("narrate", None, model=args.model, reference=args.reference))
    return run_job(args, token, job, inputs, console)


def _text_inputs(args, console, token) -> list[InputFile]:
    if args.text is not None and args.file:
        raise InputError("Give the text or --file, not both.")
    if args.file:
        found = expand(args.file, recursive=args.recursive, suffixes=TEXT_SUFFIXES,
                       what="text files (.txt, .md)", note=console.note)
        for f in found:
            if f.stdin:
                f.text = stdin_text(token, console.note)
        return found
    if args.text is None:
        raise InputError("No text given.", hint='Pass the text in quotes, or --file script.txt.')
    if args.text == "-":
        return [InputFile(Path("-"), "<stdin>", stdin=True,
                          text=stdin_text(token, console.note))]
    if not args.text.strip():
        raise InputError("The text is empty.", hint="Give some words to speak.")
    return [InputFile(Path(slug(args.text) + ".txt"), "text", text=args.text)]

