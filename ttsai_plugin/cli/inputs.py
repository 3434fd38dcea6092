"""The `ttsai` inputs in the command's own terms: files, globs, folders (-r) and stdin expanded
into a list, each file's --start/--end/--stream range as a Clip, and the text of narrate."""
from __future__ import annotations

import argparse
import glob
import math
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ttsai_plugin.clips import Clip
from ttsai_plugin.errors import Cancelled, InputError, MediaError
from ttsai_plugin.sentences import clause

AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".aif",
                  ".aiff", ".aifc", ".wma", ".ac3", ".eac3", ".amr", ".caf", ".w64", ".mka",
                  ".alac", ".ape", ".wv", ".au", ".snd"}
VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mxf", ".ts", ".mts",
                  ".m2ts", ".mpg", ".mpeg", ".flv", ".3gp", ".wmv", ".ogv", ".vob", ".dv"}
MEDIA_SUFFIXES = AUDIO_SUFFIXES | VIDEO_SUFFIXES
TEXT_SUFFIXES = {".txt", ".md", ".text"}
_GLOB = set("*?[")


@dataclass
class InputFile:
    """One input: its path, the user's name for it, its sub-folder under a folder argument
    (kept under -o DIR/), and whether it came from stdin."""

    path: Path
    label: str
    rel: Path = Path()
    stdin: bool = False
    text: str | None = None  # narrate's text given on the command line

    @property
    def stem(self) -> str:
        return "stdin" if self.stdin else self.path.stem


def expand(patterns: list[str], *, recursive: bool, suffixes: set[str], what: str,
           note: Callable[[str], None], exclude: set[Path] | None = None) -> list[InputFile]:
    """Files, globs and folders as a de-duplicated list, in the order given (folders sorted).

    Missing files and globs matching nothing are refused before any work; in folders, files
    that are not ``what`` (and, from ``exclude``, results of earlier runs) are skipped with a note.
    """
    found: list[InputFile] = []
    for raw in patterns:
        if raw == "-":
            found.append(InputFile(Path("-"), "<stdin>", stdin=True))
            continue
        path = Path(raw).expanduser()
        if path.is_dir():
            found += _folder(path, recursive, suffixes, what, note, exclude or set())
        elif path.is_file():
            found.append(InputFile(path, raw))
        elif _GLOB & set(raw):
            matches = sorted(glob.glob(os.path.expanduser(raw), recursive=True))
            files = [Path(m) for m in matches if Path(m).is_file()]
            if not files:
                raise InputError(f"No files match {raw}.", hint="Check the pattern and folder.")
            found += [InputFile(f, str(f)) for f in files]
        else:
            raise InputError(f"{raw} does not exist.", hint="Check the input file's path.")
    seen: set[Path] = set()
    unique = []
    for f in found:
        key = f.path if f.stdin else f.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    if sum(f.stdin for f in unique) and len(unique) > 1:
        raise InputError("'-' (stdin) can only be the one input.",
                         hint="Give the files as arguments, or pipe one file.")
    return unique


def _folder(folder: Path, recursive: bool, suffixes: set[str], what: str,
            note: Callable[[str], None], exclude: set[Path]) -> list[InputFile]:
    walker = folder.rglob("*") if recursive else folder.iterdir()
    taken, other, earlier, subdirs = [], [], [], 0
    for p in sorted(walker):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue  # hidden files, and our own work folders
        if p.is_dir():
            subdirs += not recursive
            continue
        if p.suffix.lower() not in suffixes:
            other.append(rel)
        elif p.resolve() in exclude:
            earlier.append(rel)
        else:
            taken.append(InputFile(p, str(p), rel.parent))
    if other:
        note(f"Skipped {len(other)} file(s) in {folder}/ that are not {what}: "
             + _few(other))
    if earlier:
        note(f"Skipped {len(earlier)} result(s) of earlier runs in {folder}/: " + _few(earlier))
    if subdirs:
        note(f"Skipped {subdirs} subfolder(s) of {folder}; add -r to include them.")
    if not taken:
        raise InputError(f"No {what} in {folder}.",
                         hint="Add -r to look in subfolders." if subdirs else
                         "Check the folder, or name the files.")
    return taken


def _few(paths: list[Path]) -> str:
    names = ", ".join(str(p) for p in paths[:3])
    return names + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def check_media(inputs: list[InputFile]) -> None:
    """Refuse, before any work, a named file that is not audio or video (exit 2), e.g. a .txt."""
    from ttsai_plugin import media
    for f in inputs:
        if f.stdin or f.path.suffix.lower() in MEDIA_SUFFIXES:
            continue
        try:
            media.probe(f.path)
        except MediaError:
            raise InputError(f"{f.label} is not an audio or video file.",
                             hint="Give audio or video (wav, mp3, flac, mp4, mov …).") from None


class StdinFile:
    """Audio piped to stdin, saved to a private temporary file for the job (removed after)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ttsai-stdin-"))
        self.path = self.dir / "stdin"

    def read(self) -> Path:
        if sys.stdin is None or sys.stdin.isatty():
            raise InputError("'-' reads audio from stdin, but nothing is piped in.",
                             hint="Pipe a file in, e.g. `cat talk.wav | ttsai enhance - -o -`.")
        with open(self.path, "wb") as f:
            shutil.copyfileobj(sys.stdin.buffer, f, 1 << 20)
        if self.path.stat().st_size == 0:
            raise InputError("Nothing came in on stdin.", hint="Pipe an audio or video file in.")
        return self.path

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def clip_from(args: argparse.Namespace, src: InputFile) -> Clip:
    """The input's used range, refused before any work when a flag cannot fit the file."""
    path = src.path
    if not path.is_file():
        raise InputError(f"{src.label} does not exist.", hint="Check the input file's path.")
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
    clip = Clip(path, source_in=start, source_out=end, audio_stream=args.stream,
                name=src.stem)
    try:
        _check_range(clip, start, end, src.label if src.stdin else path.name)
    except MediaError as e:
        raise InputError(f"{src.label} is not an audio or video file ({clause(e.message)}).",
                         hint="Give audio or video (wav, mp3, flac, mp4, mov …).") from None
    return clip


def _check_range(clip: Clip, start: float, end: float | None, name: str) -> None:
    """Say in the command's own terms (--start/--end) when the range is past the input's end."""
    from ttsai_plugin.media.probe import audio_stream, probe, stream_duration
    audio_stream(probe(clip.media), clip.media, clip.audio_stream)
    length = stream_duration(clip.media, clip.audio_stream)
    if not length:
        return
    if start >= length:
        raise InputError(f"--start {start:g} is past the end of {name}, which is "
                         f"{length:.2f} s long.", hint=f"Give a --start below {length:.2f}.")
    if end is not None and end > length + 0.05:
        raise InputError(f"--end {end:g} is past the end of {name}, which is "
                         f"{length:.2f} s long.",
                         hint=f"Give an --end of at most {length:.2f}, or leave it out to use "
                              "the input to its end.")


def read_text(path: Path | None, *, label: str) -> str:
    """A text file (UTF-8, BOM allowed), or stdin when ``path`` is None."""
    if path is None:
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{label} is not UTF-8 text.",
                         hint="Save it as UTF-8 and try again.") from None


def wait_for_input(fd: int, token: Any, what: str) -> None:
    """Until ``fd`` has something to read; a cancelled ``token`` (Ctrl-C) ends the wait, which a
    blocking read in the job's thread would outlive."""
    import select
    while not select.select([fd], [], [], 0.2)[0]:
        if getattr(token, "cancelled", False):
            raise Cancelled(f"Cancelled {what}.")


def stdin_text(token: Any = None, note: Callable[[str], None] | None = None) -> str:
    """All of stdin as UTF-8 text. On a terminal it says how to end the text, and Ctrl-C (the
    cancelled ``token``) ends the wait: a bare read in the job's thread outlived the cancel
    line, and ttsai hung until a second Ctrl-C."""
    if sys.stdin is None:
        return ""
    try:
        import select  # noqa: F401 - wait_for_input needs it: without it, a plain read
        fd = sys.stdin.fileno()
        tty = sys.stdin.isatty()
    except (ImportError, AttributeError, OSError, ValueError):
        return sys.stdin.read()
    if tty and note is not None:
        note("ttsai: reading the text from the terminal; end it with Ctrl-D on a line of its own.")
    chunks = []
    while True:
        wait_for_input(fd, token, "while reading stdin")
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("The text on stdin is not UTF-8.", hint="Convert it first, e.g. "
                         "`iconv -t UTF-8 script.txt | ttsai …`.") from None


def text_from(args: argparse.Namespace, token: Any = None) -> str:
    """The one text of estimate: --text, or --file (UTF-8; '-' reads stdin)."""
    text, file = getattr(args, "text", None), getattr(args, "file", None)
    if isinstance(file, list):
        file = file[0] if file else None
    if text and file:
        raise InputError("Give the text or --file, not both.")
    if file:
        if file == "-":
            return stdin_text(token)
        path = Path(file)
        if not path.is_file():
            raise InputError(f"{path} does not exist.", hint="Check the text file's path.")
        return read_text(path, label=path.name)
    if text is None:
        raise InputError("No text given.", hint='Pass the text in quotes, or --file script.txt.')
    return stdin_text(token) if text == "-" else text
