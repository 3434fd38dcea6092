"""OBS objects the script touches: target scene, media sources, muting, source lists.

Main thread only. Every reference taken here is released here, so callers only see names,
paths and plain values. No ``obs_scene_sceneitem_from_source`` (removed in OBS 32).
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import obspython as obs

MEDIA_SOURCE = "ffmpeg_source"


class SceneError(Exception):
    """A scene or source the user named cannot be used; the message says what to do."""


def frontend_available() -> bool:
    """True inside OBS's UI; False in a bare libobs (tests, headless tools).

    The profile config exists from OBS's start, before any scene is loaded; without a
    frontend this (plain SWIG) call answers None. Some scripting-host wrappers, such as
    ``obs_frontend_get_current_scene_collection``, crash on a missing frontend instead.
    """
    getter = getattr(obs, "obs_frontend_get_profile_config", None)
    try:
        return bool(getter is not None and getter())
    except Exception:  # noqa: BLE001 - an OBS build without the frontend API
        return False


@contextmanager
def data(values: dict[str, Any] | None = None) -> Iterator[Any]:
    """An ``obs_data_t`` made from a dict, released on exit."""
    d = obs.obs_data_create_from_json(json.dumps(values or {}))
    try:
        yield d
    finally:
        obs.obs_data_release(d)


@contextmanager
def source(name: str) -> Iterator[Any]:
    """The source called ``name`` (or None), released on exit."""
    src = obs.obs_get_source_by_name(name) if name else None
    try:
        yield src
    finally:
        if src is not None:
            obs.obs_source_release(src)


def settings_of(src: Any) -> dict[str, Any]:
    """A source's settings as a plain dict."""
    s = obs.obs_source_get_settings(src)
    try:
        return json.loads(obs.obs_data_get_json(s) or "{}")
    finally:
        obs.obs_data_release(s)


@contextmanager
def target_scene(name: str) -> Iterator[tuple[Any, str]]:
    """The scene named ``name``, else the frontend's current scene: ``(obs_scene_t, name)``."""
    if name:
        src = obs.obs_get_source_by_name(name)
        if src is None:
            raise SceneError(f"There is no scene called '{name}'. Pick one in 'Target scene'.")
    elif frontend_available():
        src = obs.obs_frontend_get_current_scene()
    else:
        raise SceneError("No target scene: choose one in 'Target scene' (there is no OBS "
                         "frontend to ask for the current scene).")
    try:
        scene = obs.obs_scene_from_source(src) if src is not None else None
        if scene is None:
            raise SceneError(f"'{name}' is not a scene. Pick a scene in 'Target scene'.")
        yield scene, obs.obs_source_get_name(src)
    finally:
        if src is not None:
            obs.obs_source_release(src)


def media_settings(path: str) -> dict[str, Any]:
    """A Media Source playing ``path`` once from the start, not looping."""
    return {"is_local_file": True, "local_file": path, "looping": False,
            "restart_on_activate": True, "close_when_inactive": False}


def show_media(scene_name: str, source_name: str, path: str, *, play: bool = True) -> bool:
    """Create or update the Media Source ``source_name`` in the target scene to play ``path``.

    Returns True when the source was created, False when an existing one was updated.
    """
    with target_scene(scene_name) as (scene, _), data(media_settings(path)) as settings:
        src = obs.obs_get_source_by_name(source_name)
        created = src is None
        try:
            if created:
                src = obs.obs_source_create(MEDIA_SOURCE, source_name, settings, None)
            elif obs.obs_source_get_unversioned_id(src) != MEDIA_SOURCE:
                raise SceneError(f"A source called '{source_name}' exists and is not a Media "
                                 "Source; rename it so the result can be shown.")
            else:
                obs.obs_source_update(src, settings)
            if obs.obs_scene_find_source(scene, source_name) is None:
                obs.obs_scene_add(scene, src)
            if play:
                obs.obs_source_media_restart(src)
        finally:
            if src is not None:
                obs.obs_source_release(src)
    return created


def set_muted(source_name: str, muted: bool = True) -> None:
    with source(source_name) as src:
        if src is None:
            raise SceneError(f"The source '{source_name}' is gone.")
        obs.obs_source_set_muted(src, muted)


def source_names(*, media_only: bool = False, audio_only: bool = False) -> list[str]:
    """Names of the inputs, optionally only Media Sources or only sources with audio."""
    names: list[str] = []
    sources = obs.obs_enum_sources()
    try:
        for src in sources or []:
            if media_only and obs.obs_source_get_unversioned_id(src) != MEDIA_SOURCE:
                continue
            if audio_only and not obs.obs_source_get_output_flags(src) & obs.OBS_SOURCE_AUDIO:
                continue
            names.append(obs.obs_source_get_name(src))
    finally:
        obs.source_list_release(sources)
    return sorted(names, key=str.lower)


def scene_names() -> list[str]:
    """The frontend's scenes (none without a frontend: the name is then typed in)."""
    if not frontend_available():
        return []
    scenes = obs.obs_frontend_get_scenes()
    try:
        return [obs.obs_source_get_name(s) for s in scenes or []]
    finally:
        obs.source_list_release(scenes)


def current_scene_name() -> str:
    """The frontend's current scene ("" without a frontend)."""
    if not frontend_available():
        return ""
    src = obs.obs_frontend_get_current_scene()
    try:
        return obs.obs_source_get_name(src) if src is not None else ""
    finally:
        if src is not None:
            obs.obs_source_release(src)


MIC_CHANNEL = 3
"""OBS's first Mic/Auxiliary Audio device (Settings → Audio) sits on output channel 3."""


def default_mic() -> str:
    """The name of OBS's default mic source ("" when none is set up)."""
    src = obs.obs_get_output_source(MIC_CHANNEL)
    try:
        return obs.obs_source_get_name(src) if src is not None else ""
    finally:
        if src is not None:
            obs.obs_source_release(src)


def last_recording() -> str:
    """The file OBS's recording output wrote last ("" without a frontend or a recording).

    Read from the recording output's settings; ``obs_frontend_get_last_recording`` (29+) is
    only the fallback because OBS's Python binding never frees the string it returns.
    """
    if not frontend_available():
        return ""
    output = obs.obs_frontend_get_recording_output()
    path = ""
    if output is not None:
        s = obs.obs_output_get_settings(output)
        try:
            path = obs.obs_data_get_string(s, "path") or obs.obs_data_get_string(s, "url")
        finally:
            obs.obs_data_release(s)
            obs.obs_output_release(output)
    if not path and hasattr(obs, "obs_frontend_get_last_recording"):
        path = obs.obs_frontend_get_last_recording() or ""
    return path


@dataclass(frozen=True)
class MediaFile:
    """A Media Source and the local file it plays."""

    source: str
    path: str


def media_file(source_name: str) -> MediaFile:
    """The local file a Media Source plays, or a clear error."""
    with source(source_name) as src:
        if src is None:
            raise SceneError(f"There is no source called '{source_name}'.")
        if obs.obs_source_get_unversioned_id(src) != MEDIA_SOURCE:
            raise SceneError(f"'{source_name}' is not a Media Source.")
        values = settings_of(src)
    if not values.get("is_local_file", True) or not values.get("local_file"):
        raise SceneError(f"The Media Source '{source_name}' plays no local file.")
    return MediaFile(source_name, values["local_file"])


def selected_media(scene_name: str) -> MediaFile:
    """The first selected Media Source in the target scene."""
    with target_scene(scene_name) as (scene, shown):
        items = obs.obs_scene_enum_items(scene)
        try:
            name = next((obs.obs_source_get_name(obs.obs_sceneitem_get_source(i))
                         for i in items or []
                         if obs.obs_sceneitem_selected(i) and obs.obs_source_get_unversioned_id(
                             obs.obs_sceneitem_get_source(i)) == MEDIA_SOURCE), None)
        finally:
            obs.sceneitem_list_release(items)
    if name is None:
        raise SceneError(f"No Media Source is selected in '{shown}': select one, or choose it "
                         "in 'Media source'.")
    return media_file(name)


def _check_landing(scene_name: str, shown: list[tuple[str, str, bool]],
                   mute: list[str]) -> None:
    """Raise SceneError for anything that would stop ``land`` half-way, before it changes
    anything: a missing scene, a result name taken by another kind of source, a gone source."""
    if shown:
        with target_scene(scene_name):
            pass
    for source_name, _path, _play in shown:
        with source(source_name) as src:
            if src is not None and obs.obs_source_get_unversioned_id(src) != MEDIA_SOURCE:
                raise SceneError(f"A source called '{source_name}' exists and is not a Media "
                                 "Source; rename it so the result can be shown.")
    for name in mute:
        with source(name) as src:
            if src is None:
                raise SceneError(f"The source '{name}' is gone.")


def land(scene_name: str, shown: list[tuple[str, str, bool]], mute: list[str]) -> None:
    """Put a finished result in OBS: show every ``(source, file, play)`` in the target scene,
    then mute the sources it replaces — checked first, so a result is never half-shown."""
    _check_landing(scene_name, shown, mute)
    for source_name, path, play in shown:
        show_media(scene_name, source_name, path, play=play)
    for name in mute:
        set_muted(name, True)
