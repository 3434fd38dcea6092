"""The `ttsai` subcommands: turn arguments into a workflow call and its result into files at
the paths the user asked for (format from the suffix), written only when complete."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

from ttsai_plugin import media, workflows
from ttsai_plugin.cli_inputs import check_output, clip_from, text_from
from ttsai_plugin.cli_output import Progress, emit, result_lines
from ttsai_plugin.clips import Clip
from ttsai_plugin.errors import InputError
from ttsai_plugin.workflows import Context
from ttsai_plugin.workflows.captions import write_text

AUDIO_OUT = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a")
VIDEO_OUT = (".mp4", ".m4v", ".mov", ".mkv", ".webm")
TRANSCRIPT_OUT = (".srt", ".vtt", ".txt", ".json")


def _client(args: argparse.Namespace):
    from ttsai_plugin.api import TTSAIClient
    return TTSAIClient(api_key=args.api_key, base_url=args.base_url, plan=args.plan)


@contextlib.contextmanager
def _session(args: argparse.Namespace, token: Any, near: Path) -> Iterator[Context]:
    """A Context whose results go to a hidden folder beside the output, removed afterwards,
    with any folders -o made for it when nothing was written there (failed or cancelled)."""
    from ttsai_plugin.cache import ResultCache
    staging = near.parent / f".ttsai-{uuid.uuid4().hex[:10]}"
    made = [d for d in (near.parent, *near.parent.parents) if not d.exists()]
    progress = Progress(enabled=not args.quiet)
    client = _client(args)
    try:
        yield Context(client, staging, None if args.no_cache else ResultCache(), progress, token)
    finally:
        progress.close()
        client.close()
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made:  # deepest first; one that holds a result stays
            try:
                folder.rmdir()
            except OSError:
                break


def _deliver(src: Path, out: Path, *, video: Path | None = None) -> tuple[Path, float]:
    """Put a finished result at ``out``: renamed, transcoded, or muxed under ``video``'s picture."""
    out.parent.mkdir(parents=True, exist_ok=True)
    suffix = out.suffix.lower()
    if suffix in VIDEO_OUT:
        if video is None or not media.probe(video).has_video:
            raise InputError(f"{out.name} is a video, but the input has no picture to keep.",
                             hint="Write audio instead (.wav, .flac, .mp3 …).")
        media.mux_audio(video, [src], out)
    elif suffix == src.suffix.lower():
        os.replace(src, out)
    else:
        media.extract(src, out)
    return out, media.duration(out)


def _report(args: argparse.Namespace, result: Any, written: list[tuple[Path, float | None]],
            extra: dict[str, Any] | None = None, lines: list[str] | None = None) -> int:
    data = {"command": args.command,
            "outputs": [{"path": str(p), "duration": d} for p, d in written],
            "credits_used": result.credits_used, "mock": result.mock, "notes": result.notes,
            "cached": result.cached, **(extra or {})}
    emit(data, (lines or []) + result_lines(result, written), as_json=args.json)
    return 0


# --- commands ----------------------------------------------------------------------------

def cmd_narrate(args, token) -> int:
    text = text_from(args)
    if args.reference and not Path(args.reference).is_file():
        raise InputError(f"The voice reference {args.reference} does not exist.",
                         hint="Check the --reference recording's path.")
    out = check_output(Path(args.output), AUDIO_OUT)
    with _session(args, token, out) as ctx:
        if args.preset:
            result = workflows.run_preset(ctx, args.preset, text=text)
        else:
            result = workflows.narrate(ctx, text, voice=args.voice, model=args.model,
                                       language=args.language, speed=args.speed,
                                       reference=args.reference)
        written = [_deliver(result.audio[0].path, out)]
    return _report(args, result, written, {"characters": len(text)})


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


def _file_command(args, token, run: Callable[[Context, Clip], Any], allowed=AUDIO_OUT) -> int:
    _check_preset(getattr(args, "preset", None))
    clip = clip_from(args)
    out = check_output(Path(args.output), allowed, inputs=(clip.media,))
    if out.suffix.lower() in VIDEO_OUT and (clip.source_in > 0 or clip.source_out is not None):
        raise InputError("A video output keeps the whole picture, so it needs the whole input.",
                         hint="Drop --start/--end, or write audio (.wav, .flac, .mp3 …).")
    if out.suffix.lower() in VIDEO_OUT and media.probe(clip.media).has_video:
        from ttsai_plugin.media.transform import check_video_output
        check_video_output(clip.media, out)
    with _session(args, token, out) as ctx:
        result = run(ctx, clip)
        written = [_deliver(result.audio[0].path, out, video=clip.media)]
        for f in result.files:
            if f.suffix in (".srt", ".vtt"):
                written.append((_deliver_text(f, out.with_suffix(f.suffix)), None))
    return _report(args, result, written, _texts(result))


def _deliver_text(src: Path, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, out)
    return out


def _texts(result: Any) -> dict[str, Any]:
    extra = {}
    if result.original_text is not None:
        extra["original_text"] = result.original_text
        extra["translated_text"] = result.translated_text
    return extra


def cmd_dub(args, token) -> int:
    if not (args.target_language or args.preset):
        raise InputError("No target language.", hint="Pass --to LANG (e.g. --to es) or --preset.")

    def run(ctx, clip):
        if args.preset:
            return workflows.run_preset(ctx, args.preset, clip=clip)
        return workflows.dub(ctx, clip, target_language=args.target_language, voice=args.voice,
                             preserve_voice=args.preserve_voice, fit_duration=args.fit_duration,
                             subtitles=args.subtitles)
    return _file_command(args, token, run, AUDIO_OUT + VIDEO_OUT)


def cmd_enhance(args, token) -> int:
    def run(ctx, clip):
        if args.preset:
            return workflows.run_preset(ctx, args.preset, clip=clip)
        return workflows.enhance(ctx, clip, denoise=args.denoise,
                                 enhance_clarity=args.enhance_clarity,
                                 super_resolution=args.super_resolution, strength=args.strength)
    return _file_command(args, token, run, AUDIO_OUT + VIDEO_OUT)


def cmd_dereverb(args, token) -> int:
    def run(ctx, clip):
        if args.preset:
            return workflows.run_preset(ctx, args.preset, clip=clip)
        return workflows.dereverb(ctx, clip, type=args.type, intensity=args.intensity)
    return _file_command(args, token, run, AUDIO_OUT + VIDEO_OUT)


def cmd_convert(args, token) -> int:
    clip = clip_from(args)
    if not (args.voice or args.preset):
        if args.emotion:
            raise InputError("--emotion needs --voice.", hint="Pick a voice with `ttsai voices`.")
        out = check_output(Path(args.output), AUDIO_OUT, inputs=(clip.media,))
        checked = clip.validate()
        media.extract(clip.media, out, start=checked.source_in, end=checked.source_out,
                      stream=clip.audio_stream)
        seconds = media.duration(out)
        emit({"command": "convert", "outputs": [{"path": str(out), "duration": seconds}],
              "credits_used": 0.0}, [f"Wrote {out} ({seconds:.2f} s)"], as_json=args.json)
        return 0

    def run(ctx, c):
        if args.preset:
            return workflows.run_preset(ctx, args.preset, clip=c)
        if args.emotion:
            return workflows.restyle(ctx, c, voice=args.voice, emotion=args.emotion)
        return workflows.voice_convert(ctx, c, target_voice=args.voice)
    return _file_command(args, token, run, AUDIO_OUT + VIDEO_OUT)


def cmd_stems(args, token) -> int:
    clip = clip_from(args)
    folder = Path(args.output)
    if folder.suffix.lower() in AUDIO_OUT:
        raise InputError(f"{folder} looks like a file; stems need a folder.",
                         hint="Pass a folder, e.g. -o stems/")
    _check_preset(args.preset, stems=True)
    with _session(args, token, folder / "x") as ctx:
        if args.preset:
            result = workflows.run_preset(ctx, args.preset, clip=clip)
        else:
            result = workflows.split_stems(ctx, clip, stems=args.stems, model=args.model)
        written = [_deliver(p.path, folder / p.path.name) for p in result.audio]
    return _report(args, result, written, {"stems": [p.path.stem for p in result.audio]})


def cmd_transcribe(args, token) -> int:
    clip = clip_from(args)
    targets = [Path(p) for p in (args.srt, args.vtt, args.output) if p]
    for t in targets:
        check_output(t, TRANSCRIPT_OUT, inputs=(clip.media,))
    with _session(args, token, targets[0] if targets else Path.cwd() / "x") as ctx:
        result = workflows.transcribe(ctx, clip, language=args.language)
        made = {f.suffix: f for f in result.files}
        written = []
        for t in targets:
            suffix = t.suffix.lower()
            if suffix in made:
                t.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(made[suffix], t)
            else:
                body = (result.transcript.text + "\n" if suffix == ".txt" else json.dumps(
                    _transcript_json(result.transcript), ensure_ascii=False, indent=2))
                write_text(t, body)
            written.append((t, None))
    t = result.transcript
    lines = [t.text]
    return _report(args, result, written, {"transcript": _transcript_json(t)}, lines)


def _transcript_json(t: Any) -> dict[str, Any]:
    return {"text": t.text, "language": t.language, "duration": t.duration,
            "segments": [{"start": s.start, "end": s.end, "text": s.text} for s in t.segments]}


def cmd_analyze(args, token) -> int:
    clip = clip_from(args)
    with _session(args, token, Path.cwd() / "x") as ctx:
        result = workflows.analyze(ctx, clip)
    a = result.analysis
    lines = [f"Key: {a.key} {a.scale or ''}".rstrip(), f"BPM: {a.bpm:g}" if a.bpm else "BPM: ?",
             f"Time signature: {a.time_signature}", f"Camelot: {a.camelot}",
             f"Compatible keys: {', '.join(a.compatible_keys)}"]
    return _report(args, result, [], {"analysis": a}, lines)


def cmd_voices(args, token) -> int:
    with contextlib.closing(_client(args)) as client:
        voices = client.voices(model=args.model, language=args.language, gender=args.gender)
    rows = [(v.id, v.name, v.model or "", v.language or "", v.gender or "") for v in voices]
    lines = _table(rows)
    if not rows and not args.json:
        asked = " ".join(f"--{k} {v}" for k, v in (("model", args.model), ("language",
                         args.language), ("gender", args.gender)) if v)
        print(f"No voices match {asked or 'at all'}. Drop a filter, or list every voice with "
              "`ttsai voices`.", file=sys.stderr)
    emit({"voices": voices.voices, "total": voices.total}, lines, as_json=args.json)
    return 0


def cmd_models(args, token) -> int:
    with contextlib.closing(_client(args)) as client:
        models = client.models()
    lines = _table([(m.id, m.type or "", m.tier or "", "" if m.credits_per_1k_chars is None
                     else f"{m.credits_per_1k_chars:g} credits/1k chars") for m in models])
    emit({"models": models}, lines, as_json=args.json)
    return 0


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows as aligned columns."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def _estimate_needs(op: str, presets: dict[str, Any]) -> str:
    """What an estimate of ``op`` needs ("text", "input" or "") in the command's terms; an
    operation or preset that does not exist is refused with the names that do."""
    from ttsai_plugin.workflows.estimate import ALIASES, FREE_OPS
    name = ALIASES.get(op, op)
    if name == "preset" or (name not in _known_ops() and op not in presets):
        raise InputError(f"Cannot estimate {op!r}: it is neither an operation nor a preset.",
                         hint="Use one of narrate, dub, enhance, dereverb, stems, transcribe, "
                              f"convert, restyle, analyze, or a preset: {', '.join(presets)}.")
    if name not in _known_ops():
        return "text" if presets[op].needs_text else "input"
    if name == "narrate":
        return "text"
    return "" if name in FREE_OPS or name == "voice_chat" else "input"


def cmd_estimate(args, token) -> int:
    from ttsai_plugin.presets import load_presets
    from ttsai_plugin.workflows.estimate import ALIASES
    op = {"convert": "voice_convert", "stems": "split_stems"}.get(args.operation, args.operation)
    presets = load_presets()
    needs = _estimate_needs(op, presets)
    if needs == "text" and not (args.text or args.file):
        raise InputError(f"An estimate for {args.operation} needs the text it would speak.",
                         hint=f'Add --text "your words" or --file script.txt, e.g. '
                              f'`ttsai estimate {args.operation} --file script.txt`.')
    if needs == "input" and not args.input:
        raise InputError(f"An estimate for {args.operation} needs the input file.",
                         hint=f"Add it after the operation, e.g. "
                              f"`ttsai estimate {args.operation} talk.mp4`.")
    text = text_from(args) if (args.text or args.file) else None
    clip = clip_from(args) if args.input else None
    with contextlib.closing(_client(args)) as client:
        ctx = Context(client, Path.cwd())
        if ALIASES.get(op, op) not in _known_ops():
            est = workflows.estimate(ctx, "preset", clip=clip, text=text, preset=op)
        else:
            opts = {"model": args.model, "reference": args.reference} if op == "narrate" else {}
            est = workflows.estimate(ctx, op, clip=clip, text=text, **opts)
    prefix = "up to " if est.upper_bound else ""
    emit({"operation": args.operation, "credits": est.credits, "detail": est.detail,
          "upper_bound": est.upper_bound}, [f"{prefix}{est.credits:g} credits: {est.detail}"],
         as_json=args.json)
    return 0


def _known_ops() -> set[str]:
    from ttsai_plugin.workflows.estimate import FREE_OPS, PER_SECOND
    return {"narrate", "voice_chat", "preset", *FREE_OPS, *PER_SECOND}


def cmd_presets(args, token) -> int:
    from ttsai_plugin.presets import get_preset, load_presets
    if args.name:
        p = get_preset(args.name)
        lines = [f"{p.name}: {p.description}", f"  from {p.source}"]
        lines += [f"  {i}. {s.op} " + " ".join(f"{k}={v}" for k, v in s.options.items())
                  for i, s in enumerate(p.steps, start=1)]
        lines += [f"  OBS filter: {f.name} ({f.kind})" for f in p.obs_filters]
        emit(_preset_json(p), lines, as_json=args.json)
        return 0
    presets = load_presets()
    emit({"presets": [_preset_json(p) for p in presets.values()]},
         [f"{p.name:<22} {p.description}" for p in presets.values()], as_json=args.json)
    return 0


def _preset_json(p: Any) -> dict[str, Any]:
    return {"name": p.name, "description": p.description, "source": str(p.source),
            "steps": [{"op": s.op, "options": dict(s.options)} for s in p.steps],
            "obs_filters": [{"kind": f.kind, "name": f.name, "settings": dict(f.settings)}
                            for f in p.obs_filters]}


def cmd_config(args, token) -> int:
    from ttsai_plugin.api import save_config
    key = args.api_key
    if key == "-":
        key = sys.stdin.readline().strip()
    if not (key or args.base_url or args.plan):
        raise InputError("Nothing to save.", hint="Pass --api-key (or '-' to read it from "
                                                  "stdin), --base-url or --plan.")
    path = save_config(api_key=key or None, base_url=args.base_url, plan=args.plan)
    emit({"config": str(path)}, [f"Saved to {path}"], as_json=args.json)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Any], int]] = {
    "narrate": cmd_narrate, "dub": cmd_dub, "enhance": cmd_enhance, "dereverb": cmd_dereverb,
    "stems": cmd_stems, "transcribe": cmd_transcribe, "convert": cmd_convert,
    "analyze": cmd_analyze, "voices": cmd_voices, "models": cmd_models,
    "estimate": cmd_estimate, "presets": cmd_presets, "config": cmd_config,
}


def run(args: argparse.Namespace, token: Any) -> int:
    return COMMANDS[args.command](args, token)
