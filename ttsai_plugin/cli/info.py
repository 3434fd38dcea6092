"""The `ttsai` commands that answer without processing files: voices, models, presets,
estimate, config (show or save) and shell completion."""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from ttsai_plugin import workflows
from ttsai_plugin.cli.display import Console
from ttsai_plugin.cli.estimates import estimate_each
from ttsai_plugin.cli.inputs import MEDIA_SUFFIXES, clip_from, expand, text_from
from ttsai_plugin.cli.runner import make_client
from ttsai_plugin.errors import InputError
from ttsai_plugin.workflows import Context


def cmd_voices(args, token, console: Console) -> int:
    with contextlib.closing(make_client(args)) as client:
        voices = client.voices(model=args.model, language=args.language, gender=args.gender)
    rows = [(v.id, v.name, v.model or "", v.language or "", v.gender or "") for v in voices]
    if not rows and not args.json:
        asked = " ".join(f"--{k} {v}" for k, v in (("model", args.model), ("language",
                         args.language), ("gender", args.gender)) if v)
        console.note(f"No voices match {asked or 'at all'}. Drop a filter, or list every voice "
                     "with `ttsai voices`.")
    console.emit({"voices": voices.voices, "total": voices.total}, table(rows))
    return 0


def cmd_models(args, token, console: Console) -> int:
    with contextlib.closing(make_client(args)) as client:
        models = client.models()
    console.emit({"models": models}, table(
        [(m.id, m.type or "", m.tier or "", "" if m.credits_per_1k_chars is None
          else f"{m.credits_per_1k_chars:g} credits/1k chars") for m in models]))
    return 0


def table(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows as aligned columns."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def _known_ops() -> set[str]:
    from ttsai_plugin.workflows.estimate import FREE_OPS, PER_SECOND
    return {"narrate", "voice_chat", "preset", *FREE_OPS, *PER_SECOND}


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


def cmd_estimate(args, token, console: Console) -> int:
    """Credits for one text, or for every file of a batch and their total."""
    from ttsai_plugin.presets import load_presets
    from ttsai_plugin.workflows.estimate import ALIASES
    op = {"convert": "voice_convert", "stems": "split_stems"}.get(args.operation, args.operation)
    presets = load_presets()
    needs = _estimate_needs(op, presets)
    if needs == "text" and not (args.text or args.file):
        raise InputError(f"An estimate for {args.operation} needs the text it would speak.",
                         hint=f'Add --text "your words" or --file script.txt, e.g. '
                              f'`ttsai estimate {args.operation} --file script.txt`.')
    if needs == "input" and not args.inputs:
        raise InputError(f"An estimate for {args.operation} needs the input file.",
                         hint=f"Add it after the operation, e.g. "
                              f"`ttsai estimate {args.operation} talk.mp4`.")
    text = text_from(args, token) if (args.text or args.file) else None
    files = expand(args.inputs, recursive=args.recursive, suffixes=MEDIA_SUFFIXES,
                   what="audio or video", note=console.note) if args.inputs else []
    if any(f.stdin for f in files):
        raise InputError("An estimate needs the file itself, not stdin.",
                         hint="Name the file: `ttsai estimate enhance talk.wav`.")
    with contextlib.closing(make_client(args)) as client:
        ctx = Context(client, Path.cwd())

        def one(src):
            clip = clip_from(args, src) if src is not None else None
            if ALIASES.get(op, op) not in _known_ops():
                return workflows.estimate(ctx, "preset", clip=clip, text=text, preset=op)
            opts = {"model": args.model, "reference": args.reference} if op == "narrate" else {}
            return workflows.estimate(ctx, op, clip=clip, text=text, **opts)
        return estimate_each(console, args.operation, files or [None], one)


def cmd_presets(args, token, console: Console) -> int:
    from ttsai_plugin.presets import get_preset, load_presets
    if args.name:
        p = get_preset(args.name)
        lines = [f"{p.name}: {p.description}", f"  from {p.source}"]
        lines += [f"  {i}. {s.op} " + " ".join(f"{k}={v}" for k, v in s.options.items())
                  for i, s in enumerate(p.steps, start=1)]
        lines += [f"  OBS filter: {f.name} ({f.kind})" for f in p.obs_filters]
        console.emit(_preset_json(p), lines)
        return 0
    presets = load_presets()
    console.emit({"presets": [_preset_json(p) for p in presets.values()]},
                 [f"{p.name:<22} {p.description}" for p in presets.values()])
    return 0


def _preset_json(p: Any) -> dict[str, Any]:
    return {"name": p.name, "description": p.description, "source": str(p.source),
            "steps": [{"op": s.op, "options": dict(s.options)} for s in p.steps],
            "obs_filters": [{"kind": f.kind, "name": f.name, "settings": dict(f.settings)}
                            for f in p.obs_filters]}


def cmd_config(args, token, console: Console) -> int:
    """With flags: save them. Without: the effective settings and where each comes from."""
    from ttsai_plugin.api import save_config
    key = args.api_key
    if key == "-":
        key = sys.stdin.readline().strip()
        if not key:
            raise InputError("No API key came in on stdin.",
                             hint="Pipe it in: `printf %s \"$KEY\" | ttsai config --api-key -`.")
    if key or args.base_url or args.plan:
        path = save_config(api_key=key or None, base_url=args.base_url, plan=args.plan)
        console.emit({"config": str(path)}, [f"Saved to {path}"])
        return 0
    settings = effective_settings()
    lines = settings_table(settings, shutil.get_terminal_size().columns)
    console.emit({"settings": {s["name"]: {"value": s["value"], "source": s["source"]}
                               for s in settings}}, lines)
    return 0


def settings_table(settings: list[dict[str, str]], width: int) -> list[str]:
    """Name, value and source in aligned columns, the value column as wide as the terminal lets
    the most rows fit; a row whose value is longer has its source on the next line."""
    names = max(len(s["name"]) for s in settings)

    def fit(column: int, s: dict[str, str]) -> bool:
        return len(s["value"]) <= column and names + column + len(s["source"]) + 4 <= width
    column = max(sorted({len(s["value"]) for s in settings}),
                 key=lambda c: sum(fit(c, s) for s in settings))
    lines = []
    for s in settings:
        if fit(column, s):
            lines.append(f"{s['name']:<{names}} {s['value']:<{column}} ({s['source']})")
        else:
            lines += [f"{s['name']:<{names}} {s['value']}", f"{'':<{names}} ({s['source']})"]
    return lines


def effective_settings() -> list[dict[str, str]]:
    """Each setting's effective value and its source; the key only as set / not set."""
    from ttsai_plugin.api.config import (DEFAULT_BASE_URL, DEFAULT_PLAN, config_path,
                                         load_config_file)
    from ttsai_plugin.api.limiter import plan_limits
    path = config_path()
    saved = load_config_file(path)

    def pick(env: str, key: str, default: str | None) -> tuple[str | None, str]:
        if os.environ.get(env):
            return os.environ[env], f"environment {env}"
        if key in saved:
            return saved[key], f"config file {path}"
        return default, "default"
    key, key_from = pick("TTSAI_API_KEY", "api_key", None)
    base, base_from = pick("TTSAI_BASE_URL", "base_url", DEFAULT_BASE_URL)
    plan, plan_from = pick("TTSAI_PLAN", "plan", DEFAULT_PLAN)
    try:
        limits = plan_limits(str(plan))
        plan_text = f"{plan} ({limits.requests_per_minute}/min, {limits.concurrent} at once)"
    except Exception:  # noqa: BLE001 - an unknown plan name is shown as it is
        plan_text = str(plan)
    engine = ("the TTS.ai API" if key else
              "the built-in local engine (no key)" if base_from == "default" else
              "a local server with the development key")
    from ttsai_plugin.cache import ResultCache
    from ttsai_plugin.presets import user_dir
    from ttsai_plugin.workflows.batch import BatchLedger
    cache_from = "environment TTSAI_CACHE_DIR" if os.environ.get("TTSAI_CACHE_DIR") else "default"
    return [
        {"name": "api_key", "value": "set" if key else "not set",
         "source": key_from if key else "nowhere: the local engine is used"},
        {"name": "base_url", "value": str(base), "source": base_from},
        {"name": "plan", "value": plan_text, "source": plan_from},
        {"name": "engine", "value": engine, "source": "from the key and base URL"},
        {"name": "config", "value": str(path),
         "source": "exists" if path.exists() else "not written yet"},
        {"name": "cache", "value": str(ResultCache().root), "source": cache_from},
        {"name": "presets", "value": str(user_dir()), "source": "your own presets"},
        {"name": "ledger", "value": str(BatchLedger().path), "source": "finished batch items"},
    ]


def cmd_completion(args, token, console: Console) -> int:
    """The shell's completion script (argcomplete), to eval or save."""
    import argcomplete
    sys.stdout.write(argcomplete.shellcode(["ttsai"], shell=args.shell))
    return 0
