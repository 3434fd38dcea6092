"""Where a workflow's input comes from and where its results go: the clip's used range, result
names made from the source and the operation, and moving finished files into place."""
from __future__ import annotations

import filecmp
import os
import re
import shutil
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r"[^\w]+", re.UNICODE)


def used_range(clip: Any) -> tuple[float, float]:
    """``(start, end)`` seconds of the clip's media actually used, checked against the media."""
    checked = clip.validate()
    return float(checked.source_in), float(checked.source_out)


def slug(text: str, limit: int = 40) -> str:
    """A file-name-safe short form of ``text``: words of any script joined by '-', cut
    between words."""
    words = _UNSAFE.sub("-", " ".join(text.split()[:8])).strip("-_").lower()
    if len(words) > limit:
        cut = words.rfind("-", 0, limit + 1)
        words = words[:cut if cut > limit // 2 else limit]
    return words.strip("-_") or "audio"


def base_name(clip: Any) -> str:
    """``talk`` for the whole of talk.mp4, ``talk@12.5-30s`` for a trimmed range of it."""
    stem = slug(Path(clip.media).stem, 60)
    start = float(clip.source_in)
    end = clip.source_out
    trimmed = start > 0 or (end is not None and abs(end - clip.media_duration) > 0.05)
    if not trimmed:
        return stem
    end_s = clip.media_duration if end is None else float(end)
    return f"{stem}@{start:g}-{end_s:g}s"


def _same(a: Path, b: Path) -> bool:
    """Same bytes (files), or the same names with the same bytes (folders)."""
    if a.is_dir() and b.is_dir():
        names = sorted(p.name for p in a.iterdir())
        return names == sorted(p.name for p in b.iterdir()) and all(
            _same(a / name, b / name) for name in names)
    return a.is_file() and b.is_file() and filecmp.cmp(a, b, shallow=False)


def publish(done: Path, target: Path) -> Path:
    """Move a finished file or folder to ``target``; never overwrite a different existing result
    (a host may have it on its timeline): pick ``name-2``, ``name-3`` … instead."""
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = "".join(target.suffixes[-1:]) if done.is_file() else ""
    stem = target.name[: len(target.name) - len(suffix)] if suffix else target.name
    n = 1
    candidate = target
    while candidate.exists() or candidate.is_symlink():
        if _same(done, candidate):
            _remove(done)
            return candidate
        n += 1
        candidate = target.with_name(f"{stem}-{n}{suffix}")
    os.replace(done, candidate)
    return candidate


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
