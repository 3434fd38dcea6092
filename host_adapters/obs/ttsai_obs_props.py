"""The script's settings page: defaults and grouped properties (OBS_GROUP_NORMAL).

The API key field is only an input: the script saves what is typed to the user's config
file (owner-only) and erases it from the settings, so it never reaches the scene collection.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import obspython as obs

import ttsai_obs_scene as scene

DEFAULTS = {"voice": "af_bella", "cleanup_preset": "stream-mic-cleanup",
            "mic_preset": "stream-mic-cleanup", "dub_language": "es"}
LANGUAGES = ("es", "fr", "de", "it", "pt", "ja", "zh", "ko", "hi", "ru")
Button = Callable[[Any, Any], bool]


def default_media_dir() -> str:
    """Where generated narration and stems go unless the user picks a folder."""
    import platformdirs
    return str(Path(platformdirs.user_data_dir("ttsai")) / "obs")


def defaults(settings: Any) -> None:
    for key, value in DEFAULTS.items():
        obs.obs_data_set_default_string(settings, key, value)
    obs.obs_data_set_default_int(settings, "stems_count", 2)
    obs.obs_data_set_default_bool(settings, "cleanup_auto", False)


def _group(parent: Any, name: str, title: str) -> Any:
    content = obs.obs_properties_create()
    obs.obs_properties_add_group(parent, name, title, obs.OBS_GROUP_NORMAL, content)
    return content


def _list(p: Any, name: str, title: str, items: list[tuple[str, str]], *,
          editable: bool = False) -> None:
    kind = obs.OBS_COMBO_TYPE_EDITABLE if editable else obs.OBS_COMBO_TYPE_LIST
    prop = obs.obs_properties_add_list(p, name, title, kind, obs.OBS_COMBO_FORMAT_STRING)
    for label, value in items:
        obs.obs_property_list_add_string(prop, label, value)


def _presets() -> dict[str, Any]:
    from ttsai_plugin import presets
    try:
        return presets.load_presets()
    except Exception:  # noqa: BLE001 - a broken user preset must not hide the page
        return {}


def build(core: Any, buttons: dict[str, Button], frontend: bool, interrupted: int = 0) -> Any:
    """The whole page; without the core, only the error and where to point the script.
    ``interrupted`` finished results OBS never showed get a group to recover them."""
    p = obs.obs_properties_create()
    status = obs.obs_properties_add_text(p, "status", "Status", obs.OBS_TEXT_INFO)
    if not core.ok:
        obs.obs_property_text_set_info_type(status, obs.OBS_TEXT_INFO_ERROR)
        err = obs.obs_properties_add_text(p, "core_error", core.message, obs.OBS_TEXT_INFO)
        obs.obs_property_text_set_info_type(err, obs.OBS_TEXT_INFO_ERROR)
        folder = obs.obs_properties_add_path(p, "core_path", "Core and libraries folder",
                                             obs.OBS_PATH_DIRECTORY, None, None)
        obs.obs_property_set_modified_callback(folder, buttons["core_path_changed"])
        obs.obs_properties_add_button(p, "retry_core", "Look again", buttons["retry_core"])
        return p
    obs.obs_properties_add_button(p, "cancel", "Cancel running jobs", buttons["cancel"])
    if interrupted:
        g = _group(p, "interrupted", f"Interrupted results ({interrupted})")
        obs.obs_properties_add_button(g, "recover", "Recover interrupted results",
                                      buttons["recover"])
        obs.obs_properties_add_button(g, "discard_interrupted", "Discard them (files are kept)",
                                      buttons["discard_interrupted"])
    everything = _presets()

    g = _group(p, "connection", "Connection")
    key = obs.obs_properties_add_text(g, "api_key", "API key", obs.OBS_TEXT_PASSWORD)
    obs.obs_property_set_long_description(
        key, "Saved to your user config file (owner-only), never into the scene collection.")
    obs.obs_properties_add_button(g, "save_key", "Save key", buttons["save_key"])
    obs.obs_properties_add_text(g, "base_url", "API base URL (empty: TTS.ai)", obs.OBS_TEXT_DEFAULT)
    obs.obs_properties_add_path(g, "media_dir", "Folder for generated audio",
                                obs.OBS_PATH_DIRECTORY, None, default_media_dir())
    scenes = [("(current scene)", "")] if frontend else []
    _list(g, "target_scene", "Target scene", scenes + [(n, n) for n in scene.scene_names()],
          editable=True)
    obs.obs_properties_add_path(g, "core_path", "Core and libraries folder",
                                obs.OBS_PATH_DIRECTORY, None, None)

    g = _group(p, "narration", "Narration")
    obs.obs_properties_add_text(g, "narration_text", "Text", obs.OBS_TEXT_MULTILINE)
    _list(g, "voice", "Voice", [(v, v) for v in ("af_bella", "am_adam", "bf_emma", "bm_george")],
          editable=True)
    obs.obs_properties_add_button(g, "narrate", "Speak into 'TTS.ai Narration'",
                                  buttons["narrate"])

    g = _group(p, "cleanup", "Recording cleanup")
    audio_presets = [(n, n) for n, pr in sorted(everything.items()) if not pr.needs_text]
    _list(g, "cleanup_preset", "Preset", audio_presets)
    obs.obs_properties_add_bool(g, "cleanup_auto", "Clean every recording when it stops")
    obs.obs_properties_add_path(g, "recording", "Recording (empty: the last one)",
                                obs.OBS_PATH_FILE, "Media (*.mkv *.mp4 *.mov *.flv *.ts)", None)
    obs.obs_properties_add_button(g, "clean", "Clean recording → <name>.clean.<ext>",
                                  buttons["clean"])

    g = _group(p, "dubbing", "Dub recording")
    _list(g, "dub_language", "Target language", [(c, c) for c in LANGUAGES], editable=True)
    obs.obs_properties_add_button(g, "dub", "Dub → <name>.dub-<lang>.<ext>", buttons["dub"])

    g = _group(p, "stem_group", "Stems")
    _list(g, "stems_source", "Media source",
          [("(selected in target scene)", "")] + [(n, n) for n in scene.source_names(
              media_only=True)])
    counts = obs.obs_properties_add_list(g, "stems_count", "Stems", obs.OBS_COMBO_TYPE_LIST,
                                         obs.OBS_COMBO_FORMAT_INT)
    for n, label in ((2, "2: vocals + accompaniment"), (4, "4: vocals, drums, bass, other")):
        obs.obs_property_list_add_int(counts, label, n)
    obs.obs_properties_add_button(g, "stems", "Split into stems", buttons["stems"])

    g = _group(p, "mic", "Live mic chain")
    _list(g, "mic_source", "Mic source", [(n, n) for n in scene.source_names(audio_only=True)],
          editable=True)
    _list(g, "mic_preset", "Preset",
          [(n, n) for n, pr in sorted(everything.items()) if pr.obs_filters])
    obs.obs_properties_add_button(g, "mic_chain", "Apply noise suppression, gain, compressor, "
                                  "limiter", buttons["mic_chain"])
    return p
