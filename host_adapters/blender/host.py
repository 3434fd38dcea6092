"""VSE strips ↔ the core's Clip and Placement: what a strip plays, and where results go.

Strips are remembered by name (unique per scene), never by Python reference: a job may
finish after an undo or a file reload, which invalidates every ``bpy`` struct.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import bpy

from ttsai_plugin.clips import Clip, Placement
from ttsai_plugin.errors import InputError

from . import compat

AUDIO_KINDS = ("SOUND", "MOVIE")


@dataclass
class Source:
    """One selected strip as the core sees it, plus what to mute and where it sits."""

    clip: Clip
    strip: str
    channel: int
    mute: str | None  # the sound strip carrying the audio (None: a movie with no sound strip)


@dataclass
class Inserted:
    """What one insertion changed, so it can be reported or rolled back."""

    strips: list[str] = field(default_factory=list)
    muted: list[str] = field(default_factory=list)


# --- strip → Clip --------------------------------------------------------------------------

def _sound_file(strip: Any, scratch: Path) -> Path:
    """The sound's file on disk; a packed sound is written once into ``scratch``."""
    sound = strip.sound
    if sound is None:
        raise InputError(f"Sound strip {strip.name!r} has no sound data.",
                         hint="Re-add the audio file to the timeline.")
    packed = sound.packed_file
    if packed is not None:
        data = bytes(packed.data)
        suffix = Path(sound.filepath).suffix or ".wav"
        out = scratch / f"packed-{hashlib.sha256(data).hexdigest()[:16]}{suffix}"
        if not out.exists():
            scratch.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(out.suffix + ".part")
            tmp.write_bytes(data)
            os.replace(tmp, out)
        return out
    path = Path(compat.abspath(sound.filepath, sound.library))
    if not path.is_file():
        raise InputError(f"The audio of {strip.name!r} is missing: {path}",
                         hint="Relink it (Sequencer → Strip → Movie Strip → Relink) and retry.")
    return path


def _movie_file(strip: Any) -> Path:
    path = Path(compat.abspath(strip.filepath))
    if not path.is_file():
        raise InputError(f"The movie of {strip.name!r} is missing: {path}",
                         hint="Relink it and retry.")
    return path


def _same_file(a: str, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def movie_sound(scene: Any, movie: Any) -> Any:
    """The sound strip that carries a movie strip's audio: same file, overlapping in time
    (``movie_strip_add(sound=True)`` makes it a separate strip). Prefer one whose media starts
    on the same frame."""
    path = _movie_file(movie)
    start, end = compat.visible_range(movie)
    best, best_score = None, None
    for s in compat.all_strips(scene):
        if s.type != "SOUND" or s.sound is None or s.sound.packed_file is not None:
            continue
        if not _same_file(compat.abspath(s.sound.filepath, s.sound.library), path):
            continue
        s_start, s_end = compat.visible_range(s)
        if s_end <= start or s_start >= end:
            continue
        score = abs(compat.content_start(s) - compat.content_start(movie))
        if best_score is None or score < best_score:
            best, best_score = s, score
    return best


def _sound_clip(scene: Any, strip: Any, scratch: Path) -> Clip:
    fps = compat.fps(scene)
    left, right = compat.visible_range(strip)
    source_in = (left - compat.content_start(strip)) / fps + compat.sound_offset(strip)
    return Clip(media=_sound_file(strip, scratch), source_in=max(0.0, source_in),
                source_out=max(0.0, source_in) + (right - left) / fps,
                timeline_start=compat.frame_to_seconds(scene, left), track=strip.channel,
                name=strip.name)


def _movie_clip(scene: Any, strip: Any) -> Clip:
    """A movie with no sound strip: its own file, the range its picture shows."""
    scene_fps = compat.fps(scene)
    movie_fps = float(getattr(strip, "fps", 0.0) or 0.0) or scene_fps
    left, right = compat.visible_range(strip)
    source_in = (left - compat.content_start(strip)) / movie_fps
    return Clip(media=_movie_file(strip), source_in=max(0.0, source_in),
                source_out=max(0.0, source_in) + (right - left) / movie_fps,
                timeline_start=compat.frame_to_seconds(scene, left), track=strip.channel,
                name=strip.name, audio_stream=0)


def source_of(scene: Any, strip: Any, scratch: Path) -> Source:
    """Map one sound or movie strip to the range of audio it plays."""
    kind = compat.strip_kind(strip)
    if kind == "SOUND":
        return Source(_sound_clip(scene, strip, scratch), strip.name, strip.channel, strip.name)
    if kind == "MOVIE":
        sound = movie_sound(scene, strip)
        if sound is not None:
            clip = _sound_clip(scene, sound, scratch)
            clip.name = strip.name
            return Source(clip, strip.name, max(strip.channel, sound.channel), sound.name)
        return Source(_movie_clip(scene, strip), strip.name, strip.channel, None)
    raise InputError(f"{strip.name!r} is a {kind.lower()} strip; select sound or movie strips.")


def selected_sources(scene: Any, scratch: Path) -> list[Source]:
    """Every selected sound/movie strip as a Source; a movie and its own sound strip both
    selected count once. Raises InputError when nothing usable is selected."""
    chosen = [s for s in compat.selected_strips(scene) if compat.strip_kind(s) in AUDIO_KINDS]
    if not chosen:
        raise InputError("Select one or more sound or movie strips in the Sequencer first.")
    sources: list[Source] = []
    taken: set[str] = set()
    for strip in sorted(chosen, key=lambda s: (s.type != "MOVIE", compat.visible_range(s)[0])):
        if strip.name in taken:
            continue
        src = source_of(scene, strip, scratch)
        taken.update({strip.name, src.mute or ""})
        sources.append(src)
    return sources


def selected_text_strips(scene: Any) -> list[Any]:
    return sorted((s for s in compat.selected_strips(scene) if s.type == "TEXT"),
                  key=lambda s: compat.visible_range(s)[0])


# --- Placement → strips --------------------------------------------------------------------

def _occupied(scene: Any) -> dict[int, list[tuple[int, int]]]:
    used: dict[int, list[tuple[int, int]]] = {}
    for s in compat.all_strips(scene):
        used.setdefault(s.channel, []).append(compat.visible_range(s))
    return used


def _free(used: dict[int, list[tuple[int, int]]], channel: int, span: tuple[int, int]) -> bool:
    return all(e <= span[0] or s >= span[1] for s, e in used.get(channel, ()))


def frame_span(scene: Any, placement: Placement) -> tuple[int, int]:
    start = compat.seconds_to_frame(scene, placement.start)
    end = compat.seconds_to_frame(scene, placement.end)
    return start, max(start + 1, end)


def choose_channels(scene: Any, placements: Sequence[Placement], above: int) -> list[int]:
    """One channel per placement: the lowest base channel > ``above`` such that every
    placement fits on ``base + (track_offset - lowest offset)`` without overlapping anything
    (so stems land on consecutive channels, captions one above their audio)."""
    used = _occupied(scene)
    spans = [frame_span(scene, p) for p in placements]
    low = min(p.track_offset for p in placements)
    offsets = [p.track_offset - low + 1 for p in placements]
    top = 128 - max(offsets)
    for base in range(max(1, above + 1), top + 1):
        trial = {k: list(v) for k, v in used.items()}
        ok = True
        for off, span in zip(offsets, spans):
            ch = base + off - 1
            if not _free(trial, ch, span):
                ok = False
                break
            trial.setdefault(ch, []).append(span)
        if ok:
            return [base + off - 1 for off in offsets]
    raise InputError("No free channel is left for the result (all 128 are in use there).",
                     hint="Move some strips or make room above the source.")


def require_sound() -> None:
    """Raise when this Blender cannot make sound strips at all."""
    if not compat.can_add_sound():
        raise InputError("This Blender build cannot create sound strips (it was built without "
                         "Audaspace, like the PyPI bpy 4.2 module).",
                         hint="Use Blender from blender.org to place audio results.")


def insert(scene: Any, placements: Sequence[Placement], *, above: int,
           mute: Iterable[str] = ()) -> Inserted:
    """Add the placements as sound/text strips on free channels above ``above`` and mute the
    named strips — all or nothing: a failure removes what was added and unmutes."""
    done = Inserted()
    if not placements:
        return done
    if any(p.kind == "audio" for p in placements):
        require_sound()
    channels = choose_channels(scene, placements, above)
    with compat.prefetch_off(scene):
        try:
            for p, channel in zip(placements, channels):
                start, end = frame_span(scene, p)
                if p.kind == "caption":
                    strip = compat.new_text(scene, p.name, p.text or "", channel, start, end)
                else:
                    strip = compat.new_sound(scene, p.name, str(p.path), channel, start)
                    strip.sound.filepath = compat.relpath(str(p.path))
                    left, right = compat.visible_range(strip)
                    if end < right:
                        compat.set_visible_range(strip, left, end)
                strip.select = False
                done.strips.append(strip.name)
            for name in mute:
                strip = _by_name(scene, name)
                if strip is not None and not strip.mute:
                    strip.mute = True
                    done.muted.append(name)
        except Exception:
            rollback(scene, done)
            raise
    return done


def _by_name(scene: Any, name: str) -> Any:
    for s in compat.all_strips(scene):
        if s.name == name:
            return s
    return None


def rollback(scene: Any, done: Inserted) -> None:
    """Undo one insertion by hand (used when it fails half-way)."""
    with compat.prefetch_off(scene):
        for name in done.muted:
            s = _by_name(scene, name)
            if s is not None:
                s.mute = False
        for name in reversed(done.strips):
            s = _by_name(scene, name)
            if s is not None:
                compat.remove_strip(scene, s)


# --- where files go ------------------------------------------------------------------------

def media_dir(folder: str) -> tuple[Path, bool]:
    """The results folder: ``folder`` (``//``-relative to the .blend) when the .blend is
    saved, else a temporary folder. Returns ``(path, saved)``."""
    if bpy.data.filepath:
        return Path(compat.abspath(folder or "//ttsai_media")), True
    return Path(tempfile.gettempdir()) / "ttsai-unsaved", False


def blend_dir() -> Path | None:
    return Path(bpy.data.filepath).parent if bpy.data.filepath else None
