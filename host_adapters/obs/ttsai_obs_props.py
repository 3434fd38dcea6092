"""The script's settings page: defaults and grouped properties (OBS_GROUP_NORMAL).

Written for OBS's default Scripts window (775×492): one- or two-word labels, the detail in
tooltips (``obs_property_set_long_description``), and every field that may be left empty
showing what will be used then (the current scene, the real folder, the default mic).
Names in the lists are cut to the combo box's room (``ttsai_obs_fit``) so a long source or
scene name cannot widen the page past the window; the stored values stay whole.
The API key field is only an input: the script saves what is typed to the user's config
file (owner-only) and erases it from the settings, so it never reaches the scene collection.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import obspython as obs

import ttsai_obs_scene as scene
from ttsai_obs_fit import ROOM_SCENE, fit, fit_inside, tip_lines

DEFAULTS = {"voice": "af_bella", "cleanup_preset": "stream-mic-cleanup",
            "mic_preset": "stream-mic-cleanup", "dub_language": "es"}
LANGUAGES = ("es", "fr", "de", "it", "pt", "ja", "zh", "ko", "hi", "ru")
STATUS_CHARS = 34
"""One line of the status field in the default Scripts window (775×492: ~230 px)."""
STATUS_TIP = ("The latest of what the script did. OBS redraws this page when you press a "
              "button or 'Refresh'; Tools → Scripts → Script Log shows every change as it "
              "happens.")
Button = Callable[[Any, Any], bool]
SHOW_DEFAULT_WHEN_EMPTY = ("media_dir", "recording")


@dataclass(frozen=True)
class View:
    """What the page shows besides the settings: the full status, and what empty fields mean."""

    status: str = ""
    core_folder: str = ""
    last_recording: str = ""


def default_media_dir() -> str:
    """Where generated narration and stems go unless the user picks a folder."""
    import platformdirs
    return str(Path(platformdirs.user_data_dir("ttsai")) / "obs")


def key_in_use() -> str:
    """What an empty 'API key' field means (OBS cannot show a hint inside a password field):
    the key set for OBS's environment, the one saved in the user's config, or none."""
    from ttsai_plugin.api.config import config_path, load_config_file
    if os.environ.get("TTSAI_API_KEY", "").strip():
        return "the key in TTSAI_API_KEY (set for OBS) is used"
    try:
        saved = load_config_file().get("api_key", "")
    except Exception as exc:  # noqa: BLE001 - a broken config must not hide the page
        return f"no key can be read: {exc}"
    if saved:
        return f"the key saved in {config_path()} (…{saved[-4:]}) is used"
    return "no key is saved, so the built-in local engine is used"


def short_status(text: str, limit: int = STATUS_CHARS) -> str:
    """One line for the status field: the first sentence, cut at a word if still too long."""
    line = " ".join(text.split())
    for end in (". ", "; "):
        head = line.split(end, 1)[0]
        if len(head) < len(line) and len(head) + 1 <= limit:
            return head + ("." if end == ". " else "") + " …"
    if len(line) <= limit:
        return line
    return line[:limit - 1].rsplit(" ", 1)[0].rstrip(",:;") + "…"


def defaults(settings: Any, core_ok: bool) -> None:
    """Values used until the user sets one; the folder needs the core's libraries."""
    for key, value in DEFAULTS.items():
        obs.obs_data_set_default_string(settings, key, value)
    if core_ok:
        obs.obs_data_set_default_string(settings, "media_dir", default_media_dir())
    obs.obs_data_set_default_int(settings, "stems_count", 2)
    obs.obs_data_set_default_bool(settings, "cleanup_auto", False)


def _tip(prop: Any, text: str) -> Any:
    obs.obs_property_set_long_description(prop, tip_lines(text))
    return prop


def _group(parent: Any, name: str, title: str) -> Any:
    content = obs.obs_properties_create()
    obs.obs_properties_add_group(parent, name, title, obs.OBS_GROUP_NORMAL, content)
    return content


def _list(p: Any, name: str, title: str, items: list[tuple[str, str]], *,
          editable: bool = False) -> Any:
    kind = obs.OBS_COMBO_TYPE_EDITABLE if editable else obs.OBS_COMBO_TYPE_LIST
    return _fill(obs.obs_properties_add_list(p, name, title, kind,
                                             obs.OBS_COMBO_FORMAT_STRING), items)


def _fill(prop: Any, items: list[tuple[str, str]]) -> Any:
    obs.obs_property_list_clear(prop)
    for label, value in items:
        obs.obs_property_list_add_string(prop, label, value)
    return prop


def _presets() -> tuple[dict[str, Any], str]:
    """Every preset, and what to tell the user when none could be read."""
    from ttsai_plugin import presets
    try:
        found = presets.load_presets()
    except Exception as exc:  # noqa: BLE001 - a broken user preset must not hide the page
        return {}, f"A preset file is broken: {exc}"
    if found:
        return found, ""
    return {}, ("No presets found. Reinstall the core in 'Core folder' (pip install -U "
                f"ttsai-plugin) or put preset .json files in {presets.user_dir()}.")


def _error(p: Any, name: str, text: str) -> None:
    prop = obs.obs_properties_add_text(p, name, text, obs.OBS_TEXT_INFO)
    obs.obs_property_text_set_info_type(prop, obs.OBS_TEXT_INFO_ERROR)


def _core_folder(p: Any, buttons: dict[str, Button], found: str = "") -> None:
    folder = obs.obs_properties_add_path(p, "core_path", "Core folder",
                                         obs.OBS_PATH_DIRECTORY, None, found or None)
    _core_tip(folder, found)
    obs.obs_property_set_modified_callback(folder, buttons["core_path_changed"])


def _core_tip(folder: Any, found: str) -> None:
    _tip(folder, "The virtualenv (or folder) where ttsai-plugin is installed for OBS's Python"
         + (f". Empty: found in {found}" if found else "") + ". See the script's README.")


def build(core: Any, buttons: dict[str, Button], frontend: bool, interrupted: int = 0,
          view: View = View()) -> Any:
    """The whole page; without the core, only the error and where to point the script.
    ``interrupted`` finished results OBS never showed get a group to recover them."""
    p = obs.obs_properties_create()
    status = _status_tip(obs.obs_properties_add_text(p, "status", "Status", obs.OBS_TEXT_INFO),
                         view)
    if not core.ok:
        obs.obs_property_text_set_info_type(status, obs.OBS_TEXT_INFO_ERROR)
        _error(p, "core_error", core.message)
        _core_folder(p, buttons)
        obs.obs_properties_add_button(p, "retry_core", "Look again", buttons["retry_core"])
        return p
    complete(p, buttons, frontend, interrupted, view)
    return p


def complete(p: Any, buttons: dict[str, Button], frontend: bool, interrupted: int,
             view: View) -> None:
    """Everything the page has once the core is there, added to ``p``.

    Also turns the page without the core into the whole page in place once the core is found
    ('Look again', a new Core folder): OBS 29 redraws from the properties it has, so they must
    change. The error and 'Look again' are hidden; the Core folder stays where it was."""
    found_late = obs.obs_properties_get(p, "core_error") is not None
    if found_late:
        for name in ("core_error", "retry_core"):
            obs.obs_property_set_visible(obs.obs_properties_get(p, name), False)
        obs.obs_property_text_set_info_type(obs.obs_properties_get(p, "status"),
                                            obs.OBS_TEXT_INFO_NORMAL)
    _tip(obs.obs_properties_add_button(p, "refresh", "Refresh", buttons["refresh"]),
         "Show the latest status and the current scenes and sources.")
    obs.obs_properties_add_button(p, "cancel", "Cancel jobs", buttons["cancel"])
    if interrupted:
        g = _group(p, "interrupted", f"Interrupted results ({interrupted})")
        _tip(obs.obs_properties_add_button(g, "recover", "Recover", buttons["recover"]),
             "Show results finished before OBS closed, as their job would have: no new "
             "request, no credits.")
        _tip(obs.obs_properties_add_button(g, "discard_interrupted", "Discard",
                                           buttons["discard_interrupted"]),
             "Stop offering them; the files are kept.")
    everything, presets_problem = _presets()

    g = _group(p, "connection", "Connection")
    obs.obs_properties_add_text(g, "api_key", "API key", obs.OBS_TEXT_PASSWORD)
    obs.obs_properties_add_button(g, "save_key", "Save key", buttons["save_key"])
    _tip(obs.obs_properties_add_text(g, "base_url", "API URL", obs.OBS_TEXT_DEFAULT),
         "Empty: TTS.ai. For a local 'ttsai serve': http://127.0.0.1:PORT/v1/")
    _tip(obs.obs_properties_add_path(g, "media_dir", "Audio folder", obs.OBS_PATH_DIRECTORY,
                                     None, default_media_dir()),
         "Where narration and stems are written. Cleaned and dubbed copies go beside the "
         "recording.")
    _list(g, "target_scene", "Scene", [], editable=not frontend)
    if not found_late:
        _core_folder(g, buttons, view.core_folder)

    if presets_problem:
        _error(p, "presets_error", presets_problem)
    g = _group(p, "narration", "Narration")
    obs.obs_properties_add_text(g, "narration_text", "Text", obs.OBS_TEXT_MULTILINE)
    _list(g, "voice", "Voice", [(v, v) for v in ("af_bella", "am_adam", "bf_emma", "bm_george")],
          editable=True)
    _tip(obs.obs_properties_add_button(g, "narrate", "Speak", buttons["narrate"]),
         "Speak the text into the Media Source 'TTS.ai Narration' in the scene (made the "
         "first time, then updated and restarted).")

    g = _group(p, "cleanup", "Recording cleanup")
    _tip(_list(g, "cleanup_preset", "Preset", []),
         "stream-mic-cleanup: de-echo, denoise, level to −16 LUFS.")
    _tip(obs.obs_properties_add_bool(g, "cleanup_auto", "Clean on stop"),
         "Make a cleaned copy each time a recording stops.")
    obs.obs_properties_add_path(g, "recording", "Recording", obs.OBS_PATH_FILE,
                                "Media (*.mkv *.mp4 *.mov *.flv *.ts)", view.last_recording or None)
    _tip(obs.obs_properties_add_button(g, "clean", "Clean copy", buttons["clean"]),
         "Writes <name>.clean.<ext> beside the recording: the video copied bit for bit, the "
         "cleaned audio as its track. The recording is never changed.")

    g = _group(p, "dubbing", "Dub recording")
    _list(g, "dub_language", "Language", [(c, c) for c in LANGUAGES], editable=True)
    _tip(obs.obs_properties_add_button(g, "dub", "Dub copy", buttons["dub"]),
         "Writes <name>.dub-<lang>.<ext> beside the recording: first audio track the dub, "
         "second the original.")

    g = _group(p, "stem_group", "Stems")
    _tip(_list(g, "stems_source", "Source", []),
         "The Media Source to split. Each stem is added to the scene; the original is muted.")
    counts = _tip(obs.obs_properties_add_list(g, "stems_count", "Stems", obs.OBS_COMBO_TYPE_LIST,
                                              obs.OBS_COMBO_FORMAT_INT),
                  "2: vocals and music. 4: vocals, drums, bass and the other instruments.")
    for n, label in ((2, "2: vocals, music"), (4, "4: + drums, bass")):
        obs.obs_property_list_add_int(counts, label, n)
    obs.obs_properties_add_button(g, "stems", "Split", buttons["stems"])

    g = _group(p, "mic", "Live mic chain")
    _list(g, "mic_source", "Mic", [])
    _list(g, "mic_preset", "Preset", [])
    _tip(obs.obs_properties_add_button(g, "mic_chain", "Apply filters", buttons["mic_chain"]),
         "Adds OBS's own Noise Suppression, Gain, Compressor and Limiter filters (from the "
         "preset) to the mic. Pressing it again changes nothing, or puts back values you "
         "changed.")
    renew(p, frontend, view, everything)


def _status_tip(status: Any, view: View) -> Any:
    return _tip(status, (view.status + "\n\n" if view.status else "") + STATUS_TIP)


def renew(p: Any, frontend: bool, view: View, everything: dict[str, Any] | None = None) -> None:
    """Put what changes while the page is open into ``p``: the status's whole message, which
    key is used, the scenes, sources, presets and default mic, the last recording.

    OBS 29 redraws the page after a button or a changed field from the same properties
    (``RefreshProperties``) without asking the script again, so whatever returns True to
    redraw must renew them first, or 'Refresh' shows the lists and tooltips of when the
    Scripts window was opened."""
    get = lambda name: obs.obs_properties_get(p, name)  # noqa: E731 - also finds group members
    _status_tip(get("status"), view)
    if get("api_key") is None:  # the page without the core: only the status changes
        return
    if everything is None:
        everything = _presets()[0]
    _tip(get("api_key"), f"Empty: {key_in_use()}. To set one, type it and press 'Save key': it "
         "goes to your user config file (readable only by you), never into the scene "
         "collection.")
    current = scene.current_scene_name() if frontend else ""
    here = fit_inside("Current", current, ROOM_SCENE) if current else "Current scene"
    _tip(_fill(get("target_scene"), ([(here, "")] if frontend else [])
               + [(fit(n, ROOM_SCENE), n) for n in scene.scene_names()]),
         "Where narration and stems are added as Media Sources"
         + (f". Current: {current}." if current else "."))
    _core_tip(get("core_path"), view.core_folder)
    _fill(get("cleanup_preset"),
          [(fit(n), n) for n, pr in sorted(everything.items()) if not pr.needs_text])
    last = view.last_recording
    _tip(get("recording"), "The file Clean and Dub use. Empty: the last recording"
         + (f" ({last})." if last else " (none yet)."))
    _fill(get("stems_source"), [("Selected in the scene", "")]
          + [(fit(n), n) for n in scene.source_names(media_only=True)])
    mic = scene.default_mic()
    default = fit_inside("Default mic", mic) if mic else "Default mic"
    _tip(_fill(get("mic_source"), [(default, "")]
               + [(fit(n), n) for n in scene.source_names(audio_only=True)]),
         "The audio source that gets the filters. Default mic: Settings → Audio → Mic/Auxiliary "
         "Audio" + (f" ({mic})." if mic else "."))
    _fill(get("mic_preset"), [(fit(n), n) for n, pr in sorted(everything.items())
                              if pr.obs_filters])
