"""The `ttsai` input flags checked in the command's own terms: the input file and its
--start/--end/--stream range as a Clip, the text of narrate/estimate (argument, --file, stdin),
and the -o path."""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from ttsai_plugin.clips import Clip
from ttsai_plugin.errors import InputError


def clip_from(args: argparse.Namespace) -> Clip:
    """The input file's used range, refused before any work when a flag cannot fit the file."""
    path = Path(args.input)
    if not path.is_file():
        raise InputError(f"{path} does not exist.", hint="Check the input file's path.")
    start, end = args.start, args.end
    if not (math.isfinite(start) and start >= 0) or (end is not None and not math.isfinite(end)):
        raise InputError("--start and --end are seconds into the input: 0 or more.",
                         hint="For example --start 12.5 --end 30.")
    if end is not None and end <= start:
        raise InputError(f"--end {end:g} is not after --start {start:g}.",
                         hint="Give an --end later than --start, or leave --end out.")
    if args.stream < 0:
        raise InputError("--stream counts the input's audio tracks from 0.",
                         hint="Use --stream 0 for the first audio track.")
    clip = Clip(path, source_in=start, source_out=end, audio_stream=args.stream)
    _check_range(clip, start, end)
    return clip


def _check_range(clip: Clip, start: float, end: float | None) -> None:
    """Say in the command's own terms (--start/--end) when the range is past the input's end."""
    from ttsai_plugin.media.probe import audio_stream, probe, stream_duration
    audio_stream(probe(clip.media), clip.media, clip.audio_stream)
    length = stream_duration(clip.media, clip.audio_stream)
    if not length:
        return
    if start >= length:
        raise InputError(f"--start {start:g} is past the end of {clip.media.name}, which is "
                         f"{length:.2f} s long.", hint=f"Give a --start below {length:.2f}.")
    if end is not None and end > length + 0.05:
        raise InputError(f"--end {end:g} is past the end of {clip.media.name}, which is "
                         f"{length:.2f} s long.",
                         hint=f"Give an --end of at most {length:.2f}, or leave it out to use "
                              "the input to its end.")


def text_from(args: argparse.Namespace) -> str:
    """The text to speak: the argument, or --file (UTF-8; '-' reads stdin)."""
    if args.text and args.file:
        raise InputError("Give the text or --file, not both.")
    if args.file:
        if args.file == "-":
            return sys.stdin.read()
        path = Path(args.file)
        if not path.is_file():
            raise InputError(f"{path} does not exist.", hint="Check the text file's path.")
        try:
            return path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{path.name} is not UTF-8 text.",
                             hint="Save it as UTF-8 and try again.") from None
    if args.text is None:
        raise InputError("No text given.", hint='Pass the text in quotes, or --file script.txt.')
    return args.text


def check_output(out: Path, allowed: tuple[str, ...], *, inputs: tuple[Path, ...] = ()) -> Path:
    """Refuse, before any work or cost, an output we cannot write or that would overwrite an input."""
    if out.is_dir():
        raise InputError(f"{out} is a folder; -o takes the file to write.",
                         hint=f"Name the file inside it, e.g. -o {out / ('result' + allowed[0])}")
    if out.suffix.lower() not in allowed:
        raise InputError(f"Cannot write {out.name}: unknown output type {out.suffix or '(none)'}.",
                         hint=f"Use one of {', '.join(allowed)}.")
    for src in inputs:
        if src.exists() and out.exists() and src.resolve() == out.resolve():
            raise InputError(f"Refusing to overwrite the input {src.name}.",
                             hint="Choose a different output path.")
    return out
