"""Helpers the stories use to build timelines and look at them (through the add-on's compat)."""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import bpy

compat = importlib.import_module("bl_ext.user_default.ttsai.compat")
host = importlib.import_module("bl_ext.user_default.ttsai.host")


def has_audio() -> bool:
    return compat.can_add_sound()


def need_audio() -> None:
    import pytest
    if not has_audio():
        pytest.skip("this bpy build has no Audaspace (the PyPI bpy 4.2 module): sound strips "
                    "cannot exist, so audio results cannot be placed")


def sound(scene: Any, path: Path, channel: int, frame: int, name: str | None = None) -> Any:
    return compat.new_sound(scene, name or path.stem, str(path), channel, frame)


def movie_with_sound(scene: Any, path: Path, channel: int, frame: int) -> tuple[Any, Any]:
    """A movie strip and, when the build has audio, its sound strip just above — as
    ``movie_strip_add(sound=True)`` makes them."""
    movie = compat.strips(scene).new_movie(path.stem, str(path), channel, frame)
    snd = sound(scene, path, channel + 1, frame, name=path.stem + ".audio") if has_audio() else None
    return movie, snd


def blocker(scene: Any, channel: int, start: int, end: int, text: str = "busy") -> Any:
    return compat.new_text(scene, f"blocker{channel}", text, channel, start, end)


def select_only(scene: Any, *strips: Any) -> None:
    for s in compat.all_strips(scene):
        s.select = False
    for s in strips:
        s.select = True


def names(scene: Any) -> set[str]:
    return {s.name for s in compat.all_strips(scene)}


def new_strips(scene: Any, before: set[str]) -> list[Any]:
    return sorted((s for s in compat.all_strips(scene) if s.name not in before),
                  key=lambda s: (s.channel, compat.visible_range(s)[0]))


def file_of(strip: Any) -> Path:
    return Path(bpy.path.abspath(strip.sound.filepath))


def seconds(scene: Any, frames: int) -> float:
    return frames / compat.fps(scene)
