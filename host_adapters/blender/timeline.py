"""What the timeline really plays of a strip: the meta strips around it, what kind of strip it
is, and whether Blender plays its audio at its own speed.

Kept apart from ``host`` (strip ↔ Clip, placement) so each stays one job: this module only
reads the timeline and refuses, with a line saying what to select instead, what it cannot
read faithfully.
"""
from __future__ import annotations

from typing import Any

from ttsai_plugin.errors import InputError

from . import compat

_EFFECTS = {"CROSS", "ADD", "SUBTRACT", "ALPHA_OVER", "ALPHA_UNDER", "GAMMA_CROSS", "MULTIPLY",
            "OVER_DROP", "WIPE", "GLOW", "TRANSFORM", "SPEED", "MULTICAM", "GAUSSIAN_BLUR",
            "COLORMIX", "ADJUSTMENT", "COLOR"}


def metas_of(strip: Any) -> list[Any]:
    """The meta strips around ``strip``, innermost first (empty at the top level)."""
    out = []
    meta = strip.parent_meta()
    while meta is not None:
        out.append(meta)
        meta = meta.parent_meta()
    return out


def window(strip: Any) -> tuple[int, int]:
    """The frames of ``strip`` that play: its visible range cut by every meta around it
    (a meta hides what lies outside its own handles)."""
    start, end = compat.visible_range(strip)
    for meta in metas_of(strip):
        m_start, m_end = compat.visible_range(meta)
        start, end = max(start, m_start), min(end, m_end)
    return start, end


def hidden_by_meta(strip: Any) -> InputError:
    meta = metas_of(strip)[0].name
    return InputError(f"{strip.name!r} lies wholly outside what its meta strip {meta!r} shows, "
                      "so nothing of it plays.",
                      hint=f"Widen {meta!r} (drag its handles) or select a strip it shows.")


def not_audio(strip: Any) -> InputError:
    """The refusal for a selected strip without audio: what it is and what to select."""
    kind = compat.strip_kind(strip)
    name = strip.name
    if kind == "SCENE":
        scene = getattr(strip, "scene", None)
        where = f"scene {scene.name!r}" if scene is not None else "its scene"
        return InputError(f"{name!r} is a scene strip: it plays another scene's timeline, not an "
                          "audio file.", hint=f"Open {where} and select its sound or movie "
                          "strips, or render its audio (Render → Render Audio) and add that "
                          "file as a sound strip.")
    if kind == "META":
        return InputError(f"{name!r} is a meta strip: it groups other strips.",
                          hint="Open it (Tab) and select the sound or movie strips inside.")
    if kind == "IMAGE":
        return InputError(f"{name!r} is an image strip: pictures have no sound.",
                          hint="Select a sound or movie strip.")
    if kind == "TEXT":
        return InputError(f"{name!r} is a text strip: it has no sound.",
                          hint="Select a sound or movie strip, or use Narrate to speak the text "
                               "strips.")
    if kind in _EFFECTS:
        inputs = [s.name for s in (getattr(strip, "input_1", None),
                                   getattr(strip, "input_2", None)) if s is not None]
        on = f" on {', '.join(map(repr, inputs))}" if inputs else ""
        return InputError(f"{name!r} is a {kind.lower().replace('_', ' ')} effect strip{on}: "
                          "effects change pictures and carry no sound.",
                          hint="Select the sound or movie strip whose audio you want.")
    return InputError(f"{name!r} is a {kind.lower().replace('_', ' ')} strip: it carries no "
                      "sound.", hint="Select a sound or movie strip.")


def speed_effect_over(scene: Any, strip: Any) -> Any:
    """A Speed effect strip that takes ``strip`` as its input, or None."""
    for s in compat.all_strips(scene):
        if compat.strip_kind(s) == "SPEED" and getattr(s, "input_1", None) is not None \
                and s.input_1.name == strip.name:
            return s
    return None


def check_speed(scene: Any, movie: Any, sound: Any) -> None:
    """Refuse a movie under a Speed effect: the effect retimes the picture, never the sound
    strip, so what is heard and what is seen disagree and no single reading is right."""
    effect = speed_effect_over(scene, movie)
    if effect is None:
        return
    also = f" or select its sound strip {sound.name!r} to use the audio as it plays" \
        if sound is not None else ""
    raise InputError(f"Movie {movie.name!r} is under the Speed effect {effect.name!r}: its "
                     "picture plays at another speed than its audio, which Blender never "
                     "retimes.", hint=f"Remove the Speed effect{also}.")


def check_retiming(scene: Any, strip: Any, media_seconds: Any) -> None:
    """Refuse a strip whose retiming keys change its speed (Blender then plays its audio
    faster or slower than the file). ``media_seconds()`` is the file's length; it is only
    asked for when the strip has retiming keys at all."""
    keys = getattr(strip, "retiming_keys", None)
    if keys is None or len(keys) == 0:
        return
    frames = [int(k.timeline_frame) for k in keys]
    natural = media_seconds() * compat.fps(scene)
    start = compat.content_start(strip)
    identity = len(frames) == 2 and frames[0] == round(start) \
        and abs(frames[1] - (start + natural)) <= 1.0
    if not identity:
        raise InputError(f"{strip.name!r} is retimed (retiming keys at frames "
                         f"{', '.join(map(str, frames))}): Blender plays it at another speed "
                         "than its file, and TTS.ai works on the file's own timing.",
                         hint="Reset its retiming (Strip → Retiming → Reset Retiming), or render "
                              "the audio as it plays (Render → Render Audio) and add that file.")
