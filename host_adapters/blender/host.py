"""VSE strips ↔ the core's Clip and Placement: what a strip plays, and where results go.

Strips are remembered by name (unique per scene), never by Python reference: a job may
finish after an undo or a file reload, which invalidates every ``bpy`` struct.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Generator, Iterable, Sequence, TypeVar

import bpy

from ttsai_plugin.clips import Clip, Placement
from ttsai_plugin.errors import InputError

from . import channels, compat, mix, timeline

AUDIO_KINDS = ("SOUND", "MOVIE")


@dataclass
class Source:
    """One selected strip as the core sees it, plus what to mute and where it sits."""

    clip: Clip
    strip: str
    channel: int
    mute: str | None  # the sound strip carrying the audio (None: a movie with no sound strip)
    meta: str | None = None     # the meta strip holding it: results go in there, beside it
    mix: mix.Mix | None = None  # its volume/pan (and their animation) for the results


@dataclass
class Inserted:
    """What one insertion changed, so it can be reported or rolled back."""

    strips: list[str] = field(default_factory=list)
    muted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


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


def _media_seconds(path: Path) -> float:
    from ttsai_plugin.media import probe
    return float(probe(path).duration)


def _sound_clip(scene: Any, strip: Any, scratch: Path) -> Clip:
    """The seconds of the file Blender plays: the strip's frames as its meta strips show them,
    shifted by ``sound_offset`` (positive skips into the file, negative starts it late), cut
    to where the file has sound — the rest of the strip plays silence."""
    fps = compat.fps(scene)
    media = _sound_file(strip, scratch)
    timeline.check_retiming(scene, strip, lambda: _media_seconds(media))
    left, right = timeline.window(strip)
    if right <= left:
        raise timeline.hidden_by_meta(strip)
    origin = compat.content_start(strip)
    offset = compat.sound_offset(strip)
    source_in = (left - origin) / fps + offset
    source_out = (right - origin) / fps + offset
    file_end = compat.content_length(strip) / fps
    start = compat.frame_to_seconds(scene, left)
    if source_in < 0:   # a negative offset: the file starts this much after the left edge
        start -= source_in
        source_in = 0.0
    source_out = min(source_out, file_end)
    if source_out <= source_in:
        raise InputError(f"{strip.name!r} plays only silence: with its sound offset of "
                         f"{offset:g}s its visible frames lie outside {media.name}.",
                         hint="Change the strip's Sound Offset or its handles so it plays "
                              "some of the file.")
    return Clip(media=media, source_in=source_in, source_out=source_out,
                timeline_start=start, track=strip.channel, name=strip.name)


def _movie_clip(scene: Any, strip: Any) -> Clip:
    """A movie with no sound strip: its own file, the range its picture shows."""
    media = _movie_file(strip)
    timeline.check_retiming(scene, strip, lambda: _media_seconds(media))
    scene_fps = compat.fps(scene)
    movie_fps = float(getattr(strip, "fps", 0.0) or 0.0) or scene_fps
    left, right = timeline.window(strip)
    if right <= left:
        raise timeline.hidden_by_meta(strip)
    source_in = (left - compat.content_start(strip)) / movie_fps
    return Clip(media=media, source_in=max(0.0, source_in),
                source_out=max(0.0, source_in) + (right - left) / movie_fps,
                timeline_start=compat.frame_to_seconds(scene, left), track=strip.channel,
                name=strip.name, audio_stream=0)


def _meta_name(strip: Any) -> str | None:
    meta = strip.parent_meta()
    return None if meta is None else meta.name


def source_of(scene: Any, strip: Any, scratch: Path) -> Source:
    """Map one sound or movie strip to the range of audio Blender plays of it."""
    kind = compat.strip_kind(strip)
    if kind == "SOUND":
        return Source(_sound_clip(scene, strip, scratch), strip.name, strip.channel, strip.name,
                      _meta_name(strip), mix.capture(scene, strip))
    if kind == "MOVIE":
        sound = movie_sound(scene, strip)
        timeline.check_speed(scene, strip, sound)
        if sound is not None:
            clip = _sound_clip(scene, sound, scratch)
            clip.name = strip.name
            return Source(clip, strip.name, max(strip.channel, sound.channel), sound.name,
                          _meta_name(sound), mix.capture(scene, sound))
        return Source(_movie_clip(scene, strip), strip.name, strip.channel, None,
                      _meta_name(strip))
    raise timeline.not_audio(strip)


def selected_sources(scene: Any, scratch: Path) -> list[Source]:
    """Every selected sound/movie strip as a Source; a movie and its own sound strip both
    selected count once. Raises InputError when nothing usable is selected, naming what is."""
    selected = compat.selected_strips(scene)
    chosen = [s for s in selected if compat.strip_kind(s) in AUDIO_KINDS]
    if not chosen:
        if selected:
            raise timeline.not_audio(selected[0])
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

frame_span = channels.frame_span


def choose_channels(scene: Any, placements: Sequence[Placement], above: int) -> list[int]:
    """Top-level free channels for ``placements``, above ``above`` first, then below."""
    return channels.choose(scene, placements, above)


def name_after_preset(placements: Sequence[Placement], source: str, preset: str) -> None:
    """Name a preset's audio results after it (``noisy (stream-mic-cleanup)``; stems
    ``music vocals (music-stems-4)``) instead of Blender's ``noisy.001``."""
    audio = [p for p in placements if p.kind == "audio"]
    for p in audio:
        p.name = f"{source} ({preset})" if len(audio) == 1 else \
            f"{source} {p.path.stem} ({preset})"


def require_sound() -> None:
    """Raise when this Blender cannot make sound strips at all."""
    if not compat.can_add_sound():
        raise InputError("This Blender build cannot create sound strips (it was built without "
                         "Audaspace, like the PyPI bpy 4.2 module).",
                         hint="Use Blender from blender.org to place audio results.")


SLICE_SECONDS = 0.02
SLICE_STRIPS = 100
"""One main-thread slice of an insertion adds at most this many strips, or stops once past
this time: Blender's ``new_effect`` costs more the more strips a scene has (1,024 captions
took 94 ms, 3,000 took 0.85 s), so placing them in one go stalls the interface."""

T = TypeVar("T")
Steps = Generator[None, None, T]
"""An insertion in slices: each ``next()`` runs one on the main thread; the return value
comes with ``StopIteration``. The host may run other events between slices."""


def drive(steps: Steps[T]) -> T:
    """Run every slice now (scripts, recovery): the result of the whole insertion."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


def insert(scene: Any, placements: Sequence[Placement], **kwargs: Any) -> Inserted:
    """``insert_steps`` all at once."""
    return drive(insert_steps(lambda: scene, placements, **kwargs))


def insert_steps(scene_of: Callable[[], Any], placements: Sequence[Placement], *, above: int,
                 mute: Iterable[str] = (), source: str | None = None, meta: str | None = None,
                 mix_from: str | None = None, mix_saved: mix.Mix | None = None
                 ) -> Steps[Inserted]:
    """Add the placements as sound/text strips on free channels next to ``above`` (inside the
    meta strip ``meta`` when it still exists), give audio results the source's mix, and mute
    the named strips — all or nothing: a failure removes what was added and unmutes.

    Runs in slices (``SLICE_STRIPS``/``SLICE_SECONDS``); ``scene_of()`` gives the scene again
    after each pause, where bpy references may have gone stale. When the strips added so far
    are gone at a pause (an undo), the rest is not added and the part is removed.

    When the ``source`` strip is gone (a recovered result), it is said in ``notes`` and the
    result may take the source's own channel: it lands where the source was."""
    done = Inserted()
    if not placements:
        return done
    scene = scene_of()
    if any(p.kind == "audio" for p in placements):
        require_sound()
    container = _by_name(scene, meta) if meta else None
    if meta and container is None:
        done.notes.append(f"Meta strip {meta!r} is gone: the result was placed at the top level.")
    gone = bool(source) and _by_name(scene, source) is None
    live = _by_name(scene, mix_from) if mix_from else None
    the_mix = mix.capture(scene, live) if live is not None else mix_saved
    chosen = channels.choose(scene, placements, above, meta=container, own_channel_free=gone,
                             label=f"source {source!r} (channel {above})" if source else "")
    if gone:
        start, _end = channels.frame_span(scene, placements[0])
        done.notes.append(f"The source strip {source!r} is gone: its result was placed where "
                          f"it was (from frame {start}, channel {chosen[0]}).")
    todo = list(zip(placements, chosen))
    try:
        while True:
            with compat.prefetch_off(scene):
                todo = _add_slice(scene, container, todo, the_mix, done)
                if not todo:
                    _mute(scene, mute, done)
                    return done
            yield
            scene = scene_of()
            container = _by_name(scene, meta) if meta and container is not None else None
            if _by_name(scene, done.strips[-1]) is None:
                raise InputError("The timeline changed while the results were being placed "
                                 "(an undo?): the part already placed was removed.")
    except BaseException:
        with contextlib.suppress(Exception):   # a scene gone with a reloaded file: nothing to undo
            rollback(scene, done)
        raise


def _add_slice(scene: Any, container: Any, todo: list[tuple[Placement, int]],
               the_mix: mix.Mix | None, done: Inserted) -> list[tuple[Placement, int]]:
    """Add strips from ``todo`` for one slice; the ones left for the next."""
    deadline = time.perf_counter() + SLICE_SECONDS
    n = 0
    while n < min(SLICE_STRIPS, len(todo)) and (n == 0 or time.perf_counter() < deadline):
        p, channel = todo[n]
        n += 1
        start, end = channels.frame_span(scene, p)
        if p.kind == "caption":
            strip = compat.new_text(scene, p.name, p.text or "", channel, start, end,
                                    meta=container)
        else:
            strip = compat.new_sound(scene, p.name, str(p.path), channel, start, meta=container)
            strip.sound.filepath = compat.relpath(str(p.path))
            left, right = compat.visible_range(strip)
            if end < right:
                compat.set_visible_range(strip, left, end)
        strip.select = False
        done.strips.append(strip.name)
        if p.kind == "audio":
            mix.apply(scene, strip, the_mix)
    return todo[n:]


def _mute(scene: Any, names: Iterable[str], done: Inserted) -> None:
    for name in names:
        strip = _by_name(scene, name)
        if strip is not None and not strip.mute:
            strip.mute = True
            done.muted.append(name)


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
                if compat.strip_kind(s) == "SOUND":
                    mix.remove(scene, s)
                compat.remove_strip(scene, s)


# --- where files go ------------------------------------------------------------------------

def media_dir(folder: str) -> tuple[Path, bool]:
    """The results folder: ``folder`` (``//``-relative to the .blend) when the .blend is
    saved, else a temporary folder. Returns ``(path, saved)``."""
    if bpy.data.filepath:
        return Path(compat.abspath(folder or "//ttsai_media")), True
    return unsaved_dir(), False


def unsaved_dir() -> Path:
    """Where an unsaved .blend's results wait until its first save moves them beside it."""
    return Path(tempfile.gettempdir()) / "ttsai-unsaved"


def blend_dir() -> Path | None:
    return Path(bpy.data.filepath).parent if bpy.data.filepath else None
