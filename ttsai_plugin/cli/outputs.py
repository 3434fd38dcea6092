"""Where each input's results go: -o FILE, -o DIR/, -o TEMPLATE, -o - (stdout) or beside the
input; checked before any work (unknown types, two inputs onto one file, over an input, an
existing file without -y/-n); then finished results moved, transcoded or muxed into place."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from ttsai_plugin import media, naming_template
from ttsai_plugin.cli.inputs import VIDEO_SUFFIXES, InputFile
from ttsai_plugin.errors import InputError, TTSAIError

NAME_MAX = 255  # bytes in one file name on ext4, APFS, NTFS (UTF-16 units there), btrfs

AUDIO_OUT = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a")
VIDEO_OUT = (".mp4", ".m4v", ".mov", ".mkv", ".webm")
TRANSCRIPT_OUT = (".srt", ".vtt", ".txt", ".json")
STEM_NAMES = {2: ("vocals", "accompaniment"), 4: ("vocals", "drums", "bass", "other"),
              5: ("vocals", "drums", "bass", "other", "piano"),
              6: ("vocals", "drums", "bass", "other", "piano", "guitar")}


@dataclass
class Naming:
    """What a command's outputs are called: its tag (``clean``, ``dub-es``), the suffixes it
    can write, its kind (audio, stems, transcript) and extra template fields."""

    tag: str
    allowed: tuple[str, ...]
    kind: str = "audio"
    fields: dict[str, str | None] = field(default_factory=dict)
    stem_names: tuple[str, ...] = ()
    side_tags: tuple[str, ...] = ()  # files written beside the result: ".transcript.json" …

    @property
    def default_template(self) -> str:
        if self.kind == "stems":
            return "{stem}/{stem_name}.{ext}"
        if self.kind == "transcript" or self.tag == "":
            return "{stem}.{ext}"
        return "{stem}.{tag}.{ext}"


@dataclass
class Outputs:
    """One input's outputs: ``paths`` (stems: filled per stem name by ``for_stem``), or stdout;
    ``side``: the files the run also writes beside the first path, named after it. With
    stdout there is no "beside": side files go to the current folder, named after the
    output the input would get there by default (``anchor``)."""

    paths: list[Path]
    stdout_suffix: str | None = None
    for_stem: Callable[[str], Path] | None = None
    side: list[Path] = field(default_factory=list)
    anchor: Path | None = None

    @property
    def to_stdout(self) -> bool:
        return self.stdout_suffix is not None

    @property
    def side_anchor(self) -> Path | None:
        """The path side files are named after: the output, or stdout's stand-in."""
        return self.paths[0] if self.paths else self.anchor


def _suffixes(args: argparse.Namespace, naming: Naming, src: InputFile) -> list[str]:
    fmt = getattr(args, "format", None)
    if fmt:
        found = ["." + f.strip().lower().lstrip(".") for f in fmt.split(",") if f.strip()]
        for s in found:
            if s not in naming.allowed:
                raise InputError(f"--format {s[1:]} is not something this command writes.",
                                 hint=f"Use one of {', '.join(a[1:] for a in naming.allowed)}.")
        if len(found) > 1 and naming.kind != "transcript":
            raise InputError("--format takes one format here.", hint="For example --format flac.")
        return found
    if naming.kind == "transcript":
        return [".srt"]
    suffix = src.path.suffix.lower()
    trimmed = getattr(args, "start", 0) > 0 or getattr(args, "end", None) is not None
    if src.stdin or suffix not in naming.allowed or (suffix in VIDEO_SUFFIXES and trimmed):
        return [".wav"]
    return [suffix]


def template_values(naming: Naming, src: InputFile, index: int, suffix: str) -> dict[str, object]:
    """What an output template's fields hold for ``src``, the ``index``-th input (from 1)."""
    return {"stem": src.stem, "ext": suffix.lstrip("."), "dir": str(src.path.parent),
            "tag": naming.tag, "index": index, "stem_name": None, **naming.fields}


def plan(args: argparse.Namespace, naming: Naming, inputs: list[InputFile], *,
         check: bool = True) -> list[Outputs]:
    """Every input's outputs, refused before any work when they cannot be written (unless
    ``check`` is False: only the names)."""
    out = args.output
    allowed_fields = {k for k in naming_template.FIELDS
                      if k not in ("lang", "preset", "stem_name")} | {
        k for k, v in naming.fields.items() if v is not None}
    if naming.kind == "stems":
        allowed_fields.add("stem_name")
    if out == "-":
        if len(inputs) > 1:
            raise InputError("-o - writes one result to stdout, but there are "
                             f"{len(inputs)} inputs.", hint="Use -o DIR/ or a template instead.")
        if naming.kind == "stems":
            raise InputError("Stems are several files; stdout holds one.",
                             hint="Use -o DIR/ for the stems.")
        suffixes = _suffixes(args, naming, inputs[0])
        if len(suffixes) > 1:
            raise InputError("stdout holds one format.", hint="Give one --format.")
        if suffixes[0] not in TRANSCRIPT_OUT and _stdout_is_terminal():
            raise InputError(f"-o - would write {suffixes[0][1:].upper()} audio into your "
                             "terminal.", hint="Redirect it (> out.wav), pipe it on "
                                               "(| ffplay -), or name a file with -o.")
        src = inputs[0]
        anchor = Path(f"{src.stem}.{naming.tag}{suffixes[0]}" if naming.tag
                      else f"{src.stem}{suffixes[0]}")
        plans = [Outputs([], stdout_suffix=suffixes[0], anchor=anchor,
                         side=[beside(anchor, t) for t in naming.side_tags])]
        check_targets(inputs, plans)
        return plans
    if out is None and inputs and inputs[0].stdin:
        if _stdout_is_terminal():
            raise InputError("Audio from stdin needs somewhere to go.",
                             hint="Add -o FILE, or -o - to write to stdout (pipe it on).")
        return plan(_with(args, output="-"), naming, inputs)
    single_folder = naming.kind == "stems" and len(inputs) == 1 and out is not None \
        and not naming_template.is_template(out)
    if single_folder and Path(out).suffix.lower() in AUDIO_OUT:
        raise InputError(f"{out} looks like a file; stems need a folder.",
                         hint="Pass a folder, e.g. -o stems/")
    if out is None:
        template, base = naming.default_template, None
    elif single_folder:
        template, base = "{stem_name}.{ext}", Path(out)
    elif naming_template.is_template(out):
        template, base = out, None
    elif naming.kind == "stems" or out.endswith(("/", os.sep)) or _is_dir(Path(out)):
        template, base = naming.default_template, Path(out)
    else:
        if len(inputs) > 1:
            raise InputError(f"-o {out} names one file, but there are {len(inputs)} inputs.",
                             hint="Use a folder (-o out/) or a template, e.g. "
                                  f"-o '{{stem}}.{naming.tag or 'out'}.{{ext}}'.")
        template, base = None, None
    parsed = naming_template.parse(template, allowed_fields) if template else None
    formatted = bool(getattr(args, "format", None))
    plans = []
    for index, src in enumerate(inputs, start=1):
        if parsed is None:
            targets = [_formatted(Path(out), s, naming.allowed)
                       for s in _suffixes(args, naming, src)] if formatted else [Path(out)]
            for target in targets:
                _check_suffix(target, naming.allowed)
            plans.append(Outputs(targets, side=[beside(targets[0], t)
                                                for t in naming.side_tags]))
            continue
        where = base / src.rel if base is not None else (
            src.path.parent if out is None else Path())

        def make(suffix: str, stem_name: str | None = None, *, src=src, index=index,
                 where=where) -> Path:
            values = template_values(naming, src, index, suffix)
            values["stem_name"] = stem_name
            path = where / parsed.render(values)
            return _formatted(path, suffix, naming.allowed) if formatted else path
        if naming.kind == "stems":
            suffix = _suffixes(args, naming, src)[0]
            paths = [make(suffix, n) for n in naming.stem_names]
            plans.append(Outputs(paths, for_stem=lambda n, make=make, s=suffix: make(s, n)))
            continue
        paths = [make(s) for s in _suffixes(args, naming, src)]
        for p in paths:
            _check_suffix(p, naming.allowed)
        plans.append(Outputs(paths, side=[beside(paths[0], t) for t in naming.side_tags]))
    if check:
        check_targets(inputs, plans)
    return plans


def _formatted(path: Path, suffix: str, allowed: tuple[str, ...]) -> Path:
    """What --format makes of an output name: the format's suffix added to a name without a
    type of its own (``-o take``, ``-o 'out/{stem}'``), or a refusal when the name says another."""
    own = path.suffix.lower()
    if own == suffix:
        return path
    if own in allowed:
        raise InputError(f"{path.name} is a {own[1:]} file, but --format asks for {suffix[1:]}.",
                         hint=f"Drop --format, or name the output {path.stem}{suffix}.")
    return path.with_name(path.name + suffix)


def _stdout_is_terminal() -> bool:
    try:
        return sys.stdout is not None and sys.stdout.isatty()
    except ValueError:  # closed
        return False


def drop_earlier_results(args: argparse.Namespace, naming: Naming, inputs: list[InputFile],
                         made: set[Path], note: Callable[[str], None]) -> list[InputFile]:
    """Inputs that an earlier run of this very batch wrote are left out, with a note: run
    `ttsai enhance *.wav` again and the shell's glob also names a.clean.wav, which the run
    refused as 'overwriting the input' instead of resuming."""
    if len(inputs) < 2 or not made:
        return inputs
    try:
        targets = {p.resolve() for outputs in plan(args, naming, inputs, check=False)
                   for p in outputs.paths + outputs.side}
    except (InputError, OSError):
        return inputs
    earlier = [f for f in inputs if not f.stdin and f.path.resolve() in made & targets]
    if earlier:
        names = ", ".join(f.label for f in earlier[:3])
        more = f" and {len(earlier) - 3} more" if len(earlier) > 3 else ""
        note(f"Skipped {len(earlier)} result(s) of earlier runs of this batch: {names}{more}.")
    return [f for f in inputs if f not in earlier]


def beside(out: Path, tag: str) -> Path:
    """A side file named after the result: ``out/es.wav`` + ``.transcript.json``."""
    return out.with_name(out.stem + tag)


def _with(args: argparse.Namespace, **changes: object) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), **changes})


def _check_suffix(out: Path, allowed: tuple[str, ...]) -> None:
    if out.suffix.lower() in allowed:
        return
    if not out.suffix:  # `-o clean`: most often a folder meant without its '/'
        raise InputError(f"Cannot write {out.name}: the name has no type.",
                         hint=f"Name a file ({out.name}{allowed[0]}), a folder ending in / "
                              f"({out.name}/), or add --format {allowed[0][1:]}.")
    raise InputError(f"Cannot write {out.name}: unknown output type {out.suffix}.",
                     hint=f"Use one of {', '.join(allowed)}, or --format with a folder.")


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long to look up is no folder; check_targets says why
        return False


def _check_name_length(path: Path) -> None:
    """A file name the file system cannot hold is bad input, found before any work is paid."""
    for part in path.parts:
        if len(os.fsencode(part)) > NAME_MAX:
            raise InputError(f"Cannot write {part[:40]}…{path.suffix}: the name is "
                             f"{len(os.fsencode(part))} bytes, more than the {NAME_MAX} a "
                             "file system allows.",
                             hint="Choose a shorter name with -o (a file, a folder/, or a "
                                  "template such as '{index:03d}.{ext}').")


def _check_folder(path: Path) -> None:
    """An output whose folder would have to be made inside a file is bad input, named before
    any work (it failed at delivery as 'Unexpected NotADirectoryError … please report it')."""
    for folder in path.parents:
        try:
            if folder.is_dir():
                return
            if folder.exists() or folder.is_symlink():
                raise InputError(f"Cannot write {path}: {folder} is a file, not a folder.",
                                 hint="Choose another output path (-o), or move that file.")
        except OSError:
            return  # unreadable here: the write itself will say why


def check_targets(inputs: list[InputFile], plans: list[Outputs]) -> None:
    """Two inputs onto one file, an output over an input, or a name too long for a file
    system, are refused before any work."""
    sources = {f.path.resolve(): f for f in inputs if not f.stdin}
    owner: dict[Path, InputFile] = {}
    for src, outputs in zip(inputs, plans):
        for p in outputs.paths + outputs.side:
            _check_name_length(p)
            _check_folder(p)
            key = p.resolve()
            if key in sources:
                raise InputError(f"Refusing to overwrite the input {sources[key].label}.",
                                 hint="Choose a different output path or template.")
            if key in owner and owner[key] is not src:
                raise InputError(f"{owner[key].label} and {src.label} would both be written to "
                                 f"{p}.", hint="Add {index} or {dir} to the template, or use "
                                              "-o DIR/ to keep subfolders apart.")
            owner[key] = src


def existing(outputs: Outputs) -> list[Path]:
    return [p for p in outputs.paths + outputs.side if p.exists() or p.is_symlink()]


# --- delivery ---------------------------------------------------------------------------

@contextlib.contextmanager
def user_paths(staging: Path, target: Path) -> Iterator[None]:
    """Errors name the user's output, never our hidden work folder beside it."""
    hidden = str(staging)
    try:
        yield
    except OSError as e:
        names = [getattr(e, "filename", None), getattr(e, "filename2", None)]
        if any(n is not None and hidden in str(n) for n in names) and e.errno is not None:
            raise OSError(e.errno, e.strerror, str(target)) from None
        raise
    except TTSAIError as e:
        if hidden in e.message or hidden in (e.hint or ""):
            e.message = e.message.replace(hidden, str(target.parent))
            e.hint = (e.hint or "").replace(hidden, str(target.parent)) or None
        raise


def deliver(src: Path, out: Path, *, video: Path | None = None) -> tuple[Path, float]:
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


def deliver_text(src: Path, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, out)
    return out


def to_stdout(path: Path) -> None:
    """Copy a finished file to stdout (the only thing written there), every byte or an error:
    unbuffered stdout (PYTHONUNBUFFERED, ``-u``) is a raw file whose write may take only part
    of a chunk, e.g. when the reader goes away, and the rest would be lost without a word."""
    import select
    sys.stdout.flush()
    out = sys.stdout.buffer
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            view = memoryview(chunk)
            while view:
                n = out.write(view)
                if not n:  # a non-blocking stdout that is full: wait until it drains
                    select.select([], [out.fileno()], [])
                    continue
                view = view[n:]
    out.flush()
