"""The one place that knows how the VSE API differs between Blender 4.2 LTS and 5.2.

Every other module of the extension goes through these functions; none checks
``bpy.app.version`` or probes attributes itself. Verified against the real bpy 4.2.23,
5.0.1 and 5.2.3 modules (tests/blender run on all three):

- ``sequence_editor.sequences``/``sequences_all`` became ``strips``/``strips_all``
  (4.4 adds, 5.0 removes the old names);
- 5.1 adds ``left_handle``/``right_handle``/``content_start``/``content_end``/
  ``content_duration`` and deprecates ``frame_final_*``/``frame_start``/``frame_duration``;
- ``new_effect`` takes ``frame_end`` in 4.x and ``length`` in 5.x;
- text strips: ``align_x`` (4.x) became ``alignment_x``/``anchor_x`` (5.x);
- the PyPI ``bpy`` 4.2 module is built without Audaspace: it cannot make sound strips.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import bpy

VERSION: tuple[int, int, int] = tuple(bpy.app.version)  # type: ignore[assignment]


# --- strips collections --------------------------------------------------------------------

def editor(scene: Any, *, create: bool = False) -> Any:
    """The scene's sequence editor (created when ``create``), or None."""
    if create:
        return scene.sequence_editor_create()
    return scene.sequence_editor


def strips(scene: Any) -> Any:
    """The top-level strips collection (``strips`` in 4.4+, ``sequences`` before)."""
    ed = editor(scene, create=True)
    return ed.strips if hasattr(ed, "strips") else ed.sequences


def children(meta: Any) -> Any:
    """The strips directly inside a meta strip (``strips`` in 4.4+, ``sequences`` before)."""
    return meta.strips if hasattr(meta, "strips") else meta.sequences


def container(scene: Any, meta: Any = None) -> Any:
    """Where new strips go: inside ``meta`` when given, else the top level."""
    return strips(scene) if meta is None else children(meta)


def all_strips(scene: Any) -> list[Any]:
    """Every strip in the scene, inside meta strips too."""
    ed = editor(scene)
    if ed is None:
        return []
    return list(ed.strips_all if hasattr(ed, "strips_all") else ed.sequences_all)


def selected_strips(scene: Any) -> list[Any]:
    """Selected strips, by their own flag (works headless, with no sequencer area)."""
    return [s for s in all_strips(scene) if s.select]


def active_strip(scene: Any) -> Any:
    ed = editor(scene)
    return None if ed is None else ed.active_strip


# --- frame ranges --------------------------------------------------------------------------

_STRIP_TYPE = bpy.types.Strip if hasattr(bpy.types, "Strip") else bpy.types.Sequence
_NEW_RANGE = "left_handle" in _STRIP_TYPE.bl_rna.properties   # 5.1+


def visible_range(strip: Any) -> tuple[int, int]:
    """``(first frame, frame after the last)`` of what plays on the timeline."""
    if _NEW_RANGE:
        return int(strip.left_handle), int(strip.right_handle)
    return int(strip.frame_final_start), int(strip.frame_final_end)


def content_start(strip: Any) -> float:
    """The timeline frame where the strip's media frame 0 sits (before trims)."""
    return float(strip.content_start if _NEW_RANGE else strip.frame_start)


def content_length(strip: Any) -> int:
    """Frames of media in the strip, ignoring trims."""
    return int(strip.content_duration if _NEW_RANGE else strip.frame_duration)


def set_visible_range(strip: Any, start: int, end: int) -> None:
    """Trim a strip so ``[start, end)`` plays (handles only; the content does not move)."""
    if _NEW_RANGE:
        strip.right_handle = int(end)
        strip.left_handle = int(start)
    else:
        strip.frame_final_end = int(end)
        strip.frame_final_start = int(start)


def sound_offset(strip: Any) -> float:
    """Seconds skipped at the start of a sound strip's file (``sound_offset``, 0 if absent)."""
    return float(getattr(strip, "sound_offset", 0.0) or 0.0)


#: Options for a FILE_PATH property that accepts ``//`` paths (the flag exists from 5.0 on;
#: 4.2 rejects it, and 5.x warns when a ``//`` path reaches a property without it).
PATH_OPTIONS: set[str] = {"PATH_SUPPORTS_BLEND_RELATIVE"} if VERSION >= (5, 0, 0) else set()


# --- time --------------------------------------------------------------------------------

def fps(scene: Any) -> float:
    """Frames per second of the scene, fractional rates included (30 / 1.001 = 29.97)."""
    return scene.render.fps / scene.render.fps_base


def seconds_to_frame(scene: Any, seconds: float) -> int:
    """A timeline time in seconds from the scene's start frame → the nearest frame."""
    return scene.frame_start + int(round(seconds * fps(scene)))


def frame_to_seconds(scene: Any, frame: float) -> float:
    return (frame - scene.frame_start) / fps(scene)


# --- making strips -------------------------------------------------------------------------

def can_add_sound() -> bool:
    """False on builds without Audaspace (the PyPI bpy 4.2 module), where sound strips fail."""
    opts = bpy.app.build_options
    return bool(getattr(opts, "audaspace", True))


def new_sound(scene: Any, name: str, filepath: str, channel: int, frame_start: int,
              meta: Any = None) -> Any:
    return container(scene, meta).new_sound(name, filepath, channel, frame_start)


def new_text(scene: Any, name: str, text: str, channel: int, start: int, end: int,
             meta: Any = None) -> Any:
    """A text (subtitle) strip over ``[start, end)``, centred near the bottom."""
    coll = container(scene, meta)
    length = max(1, int(end) - int(start))
    if VERSION >= (5, 0, 0):
        strip = coll.new_effect(name, "TEXT", channel, int(start), length=length)
    else:
        strip = coll.new_effect(name, "TEXT", channel, int(start), frame_end=int(start) + length)
    strip.text = text
    strip.font_size = max(24, int(scene.render.resolution_y * 0.045))
    strip.wrap_width = 0.9
    strip.location = (0.5, 0.08)
    strip.use_shadow = True
    if hasattr(strip, "alignment_x"):
        strip.alignment_x = "CENTER"
        strip.anchor_x = "CENTER"
    else:
        strip.align_x = "CENTER"
    return strip


def remove_strip(scene: Any, strip: Any) -> None:
    """Remove a strip from wherever it is (the top level or the meta strip holding it)."""
    container(scene, strip.parent_meta()).remove(strip)


# --- animation -----------------------------------------------------------------------------

def fcurves(scene: Any) -> Any:
    """The F-curves animating the scene (where strip keyframes live), or None. 4.4 made
    actions layered ("slotted"); 5.0 removed the old ``Action.fcurves``."""
    ad = scene.animation_data
    if ad is None or ad.action is None:
        return None
    if hasattr(ad.action, "fcurves"):
        return ad.action.fcurves
    from bpy_extras import anim_utils
    bag = anim_utils.action_get_channelbag_for_slot(ad.action, ad.action_slot)
    return None if bag is None else bag.fcurves


def drivers(scene: Any) -> Any:
    """The scene's driver F-curves, or None."""
    ad = scene.animation_data
    return None if ad is None else ad.drivers


def strip_kind(strip: Any) -> str:
    """``"SOUND"``, ``"MOVIE"``, ``"TEXT"`` … (the RNA ``type`` enum is stable 4.2–5.2)."""
    return strip.type


# --- the prefetch race ---------------------------------------------------------------------

@contextlib.contextmanager
def prefetch_off(scene: Any) -> Iterator[None]:
    """Turn the sequencer's prefetch off while strips change, then restore it: changing
    strips while the prefetch thread renders has crashed Blender for other add-ons."""
    ed = editor(scene, create=True)
    was = bool(getattr(ed, "use_prefetch", False))
    if was:
        ed.use_prefetch = False
    try:
        yield
    finally:
        if was:
            ed.use_prefetch = True


# --- selection and file paths ----------------------------------------------------------

def abspath(path: str, library: Any = None) -> str:
    """A Blender path (``//``-relative to the .blend or its library) made absolute."""
    return bpy.path.abspath(path, library=library)


def relpath(path: str) -> str:
    """``//``-relative when the .blend is saved (so a moved project still finds it)."""
    if not bpy.data.filepath:
        return path
    try:
        return bpy.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
