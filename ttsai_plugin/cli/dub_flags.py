"""The dub command's studio flags: --timing, --keep-background and --stems-out checked, the
side files a dub writes, and each input's --stems-out folder and files (named as the dub
names them, so clashes are refused before any work)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ttsai_plugin.cli import outputs as out_mod
from ttsai_plugin.cli.inputs import InputFile, clip_from
from ttsai_plugin.cli.outputs import Naming
from ttsai_plugin.errors import InputError, TTSAIError
from ttsai_plugin.workflows.source import slug


def stems_folders(given: Path | None, inputs: list[InputFile], lang: str) -> dict[Path, Path]:
    """Each input's --stems-out folder, by the rules of the main outputs: a folder keeps the
    inputs' subfolders (as -o DIR/ does), a template ({stem}, {dir}, {index}, {lang}) is
    rendered per input with the values -o's templates get."""
    if given is None:
        return {}
    from ttsai_plugin import naming_template
    text = str(given)
    if not naming_template.is_template(text):
        return {src.path: given / src.rel for src in inputs}
    parsed = naming_template.parse(text, {"stem", "dir", "index", "lang", "tag"})
    naming = Naming(f"dub-{lang}", (), fields={"lang": lang})
    return {src.path: Path(parsed.render(out_mod.template_values(naming, src, i, ".wav")))
            for i, src in enumerate(inputs, start=1)}


def stems_files(args: argparse.Namespace, folder: Path, src: InputFile,
                lang: str) -> list[Path]:
    """The files a dub's --stems-out writes for ``src`` (named for the used range when
    --start/--end trim it), so two inputs onto one name, or an existing file, are refused
    before any work."""
    from ttsai_plugin.workflows.dub_studio import stems_out_names
    from ttsai_plugin.workflows.source import base_name
    base = slug(src.stem, 60)
    if args.start or args.end is not None:
        try:
            base = base_name(clip_from(args, src))
        except TTSAIError:  # the file's own error is reported in its turn in the batch
            pass
    return [folder / name for name in stems_out_names(base, lang)]


def studio_options(args: argparse.Namespace) -> dict[str, Any]:
    """--timing, --keep-background and --stems-out as given (older dub() lacks them), checked."""
    given = {k: getattr(args, k, None) for k in ("timing", "keep_background", "stems_out")}
    given = {k: v for k, v in given.items() if v is not None}
    flags = {"timing": "--timing", "keep_background": "--keep-background",
             "stems_out": "--stems-out"}
    if given and args.preset:
        raise InputError(f"{', '.join(flags[k] for k in given)} cannot be used with --preset: "
                         "the preset sets how it dubs.",
                         hint=f"Drop --preset and pass --to LANG, or drop {flags[next(iter(given))]}.")
    if "stems_out" in given:
        folder = Path(given["stems_out"])
        if folder.exists() and not folder.is_dir():
            raise InputError(f"--stems-out {folder} is a file; the stems need a folder.",
                             hint="Pass a folder, e.g. --stems-out stems/")
        given["stems_out"] = folder
    return given


def side_tags(args: argparse.Namespace, studio: dict[str, Any]) -> tuple[str, ...]:
    """The files a dub may write beside its audio: the transcript (studio dub), subtitles."""
    from ttsai_plugin.workflows.dub_studio import wants_studio
    full = wants_studio(studio.get("timing", "sentence"), studio.get("keep_background"),
                        studio.get("stems_out"), False)
    tags = (".transcript.json",) if full else ()
    if args.subtitles:
        tags += (".srt", ".vtt") + ((".original.srt",) if full else ())
    return tags


def preset_language(name: str | None) -> str | None:
    if not name:
        return None
    from ttsai_plugin.presets import get_preset
    for step in get_preset(name).steps:
        if step.op == "dub" and step.options.get("target_language"):
            return str(step.options["target_language"])
    return None
