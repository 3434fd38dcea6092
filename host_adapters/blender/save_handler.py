"""Results made in a never-saved .blend wait in a temporary folder; the first save moves them
beside the new .blend (its media folder, ``.srt`` files next to it) and points their sound
strips there, so the saved file refers to them by ``//`` relative paths.

Runs in ``save_pre``, which receives the path being written, while ``bpy.data.filepath`` is
still empty: Blender's save then stores every path relative to the new file (an unsaved
document's paths are all made relative), and ``save_post`` makes sure of it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import bpy
from bpy.app.handlers import persistent

from . import compat, host, prefs

_pending: set[Path] = set()      # result files of this unsaved session
_moved: list[str] = []           # names of the sounds repointed by the last first-save


def remember(paths: list[Path]) -> None:
    """Note result files placed while the .blend is unsaved (moved on its first save)."""
    root = host.unsaved_dir()
    _pending.update(Path(p) for p in paths if root in Path(p).parents)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _media_root(blend: Path) -> Path:
    try:
        folder = prefs.settings(bpy.context).media_folder or "//ttsai_media"
    except Exception:  # noqa: BLE001 - preferences unreadable: use the default folder
        folder = "//ttsai_media"
    if folder.startswith("//"):
        return blend.parent / folder[2:]
    return Path(folder)


def _move(src: Path, dest: Path) -> Path:
    from ttsai_plugin.workflows.source import publish
    return publish(src, dest) if src.exists() else dest


def adopt(blend: Path) -> dict[Path, Path]:
    """Move this session's unsaved results beside ``blend`` and repoint the sounds that play
    them; returns old path → new path."""
    root = host.unsaved_dir()
    media = _media_root(blend)
    sounds = [s for s in bpy.data.sounds if s.packed_file is None
              and _inside(Path(compat.abspath(s.filepath)), root)]
    files = set(_pending) | {Path(compat.abspath(s.filepath)) for s in sounds}
    moved: dict[Path, Path] = {}
    for f in sorted(files):
        if f.suffix == ".srt":
            dest = blend.parent / f.name
        else:
            dest = media / f.resolve().relative_to(root.resolve())
        if f.exists():
            moved[f] = _move(f, dest)
    _moved.clear()
    for s in sounds:
        new = moved.get(Path(compat.abspath(s.filepath)))
        if new is not None:
            s.filepath = str(new)
            _moved.append(s.name)
    _pending.clear()
    return moved


@persistent
def _before_save(filepath: str = "", *_args: Any) -> None:
    """The first save of an unsaved file: bring its results along."""
    if bpy.data.filepath or not filepath:
        return
    adopt(Path(filepath))


@persistent
def _after_save(*_args: Any) -> None:
    for name in _moved:
        sound = bpy.data.sounds.get(name)
        if sound is not None and not sound.filepath.startswith("//"):
            sound.filepath = compat.relpath(sound.filepath)
    _moved.clear()


@persistent
def _on_load(*_args: Any) -> None:
    """Another file opened: what this unsaved session made stays where it is."""
    _pending.clear()


_HANDLERS = (("save_pre", _before_save), ("save_post", _after_save), ("load_post", _on_load))


def register() -> None:
    for name, fn in _HANDLERS:
        handlers = getattr(bpy.app.handlers, name)
        if fn not in handlers:
            handlers.append(fn)


def unregister() -> None:
    for name, fn in _HANDLERS:
        handlers = getattr(bpy.app.handlers, name)
        if fn in handlers:
            handlers.remove(fn)
    _pending.clear()
