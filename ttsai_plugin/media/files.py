"""Atomic outputs and input checks: partial results never look finished, inputs stay untouched."""
from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Iterator

import soundfile as sf

from ttsai_plugin.errors import InputError, write_error


def source(path: str | os.PathLike[str]) -> Path:
    """A readable, non-empty input file, or an InputError that says what is wrong."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p} does not exist.", hint="Check the path, or relink the media.")
    if not p.is_file():
        raise InputError(f"{p} is not a file.")
    if p.stat().st_size == 0:
        raise InputError(f"{p.name} is empty (0 bytes).",
                         hint="The file was not written completely; re-export it.")
    return p


def temp_path(out: Path) -> Path:
    """A hidden temporary name beside ``out`` with the same suffix (ffmpeg picks muxers by it)."""
    return out.with_name(f".{out.stem}.part-{uuid.uuid4().hex[:8]}{out.suffix}")


@contextlib.contextmanager
def atomic_output(out: str | os.PathLike[str], *inputs: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temp path beside ``out``; rename it to ``out`` only when the block succeeds.

    Refuses to write over any of ``inputs`` (originals are never modified). Write failures
    (a full disk, a read-only folder) become a MediaError; the temp file is always removed.
    """
    target = Path(out)
    for src in inputs:
        if Path(src).exists() and target.exists() and Path(src).resolve() == target.resolve():
            raise InputError(f"Refusing to overwrite the input {target.name}.",
                             hint="Choose a different output path.")
    tmp = temp_path(target)
    try:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            yield tmp
            if not tmp.exists():
                raise FileNotFoundError(f"nothing was written to {tmp}")
            os.replace(tmp, target)
        except (OSError, sf.SoundFileError) as exc:
            raise write_error(target, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
