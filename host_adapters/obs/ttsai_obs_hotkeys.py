"""Hotkeys for the script's buttons (Settings → Hotkeys, "TTS.ai: …"), so a streamer can
narrate, clean, dub, split or set up the mic mid-stream without opening Tools → Scripts; the
same names are what obs-websocket's TriggerHotkeyByName presses.

OBS may call a hotkey off the main loop, so a press only queues the button's function; the
script's timer runs it like a click. Bindings live in the script's settings (script_save).
"""
from __future__ import annotations

from typing import Any, Callable

import obspython as obs

ACTIONS = {"narrate": "Speak narration", "clean": "Clean last recording",
           "dub": "Dub last recording", "stems": "Split stems", "mic_chain": "Apply mic filters"}
PREFIX = "ttsai."

_ids: dict[str, int] = {}


def register(settings: Any, run: Callable[[str], None]) -> None:
    """Register one frontend hotkey per action, with the bindings saved in ``settings``."""
    for action, title in ACTIONS.items():
        def pressed(down: bool, action: str = action) -> None:
            if down:
                run(action)
        hotkey = obs.obs_hotkey_register_frontend(PREFIX + action, f"TTS.ai: {title}", pressed)
        _ids[action] = hotkey
        saved = obs.obs_data_get_array(settings, f"hotkey_{action}")
        try:
            obs.obs_hotkey_load(hotkey, saved)
        finally:
            obs.obs_data_array_release(saved)


def save(settings: Any) -> None:
    """Write each hotkey's bindings into the script's settings."""
    for action, hotkey in _ids.items():
        bindings = obs.obs_hotkey_save(hotkey)
        try:
            obs.obs_data_set_array(settings, f"hotkey_{action}", bindings)
        finally:
            obs.obs_data_array_release(bindings)


def forget() -> None:
    """The script is unloading: OBS drops its hotkeys with it."""
    _ids.clear()
