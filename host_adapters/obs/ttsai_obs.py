"""TTS.ai for OBS Studio (Tools → Scripts): narration, recording cleanup, dubbing, stems and a
live mic filter chain, without freezing OBS.

Thin by design: OBS objects in, ``ttsai_plugin`` core calls on worker threads, results applied
on OBS's main thread by a timer that drains a queue. The README says how OBS's Python finds
the core and its dependencies.

This file holds what OBS looks up in the script it loads: the ``script_*`` functions, and the
timer and frontend callbacks, module-level because OBS finds a callback to remove by the
function object. The ``ttsai_obs_*`` modules beside it do the rest: ``session`` (the state
between callbacks), ``actions`` (buttons, hotkeys, a stopped recording), ``jobs`` (work on
workers), ``tasks`` (the work itself), ``props`` (the page), ``scene`` and ``filters`` (OBS
objects), ``recovery``, ``hotkeys``, ``log``, ``core`` (finding the core).
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import obspython as obs

SCRIPT_DIR = Path(__file__).resolve().parent
if str(SCRIPT_DIR) not in sys.path:
    sys.path.insert(0, str(SCRIPT_DIR))

import ttsai_obs_actions as actions  # noqa: E402
import ttsai_obs_hotkeys as hotkeys  # noqa: E402
import ttsai_obs_props as props  # noqa: E402
import ttsai_obs_scene as scene  # noqa: E402
from ttsai_obs_session import Session  # noqa: E402

DRAIN_MS = 100

_state = Session(SCRIPT_DIR)
"""Made anew each time OBS loads or reloads this file; the modules beside it are not reloaded."""


# --- OBS script API -----------------------------------------------------------------------

def script_description() -> str:
    intro = ("<b>TTS.ai</b>: narration, cleaned and dubbed recordings, stems, mic filters. "
             "Hover <b>?</b> for details.")
    if _state.core.ok:
        return intro
    return f"{intro}<br><br><b style='color:#e55'>Not ready:</b> {_state.core.message}"


def script_defaults(settings: Any) -> None:
    props.defaults(settings, _state.ensure_core(settings))


def script_load(settings: Any) -> None:
    _state.settings = settings
    _state.stopping.clear()
    obs.obs_data_erase(settings, "api_key")
    _state.ensure_core(settings)
    obs.timer_add(_drain, DRAIN_MS)
    hotkeys.register(settings, _press)
    _state.frontend = scene.frontend_available()
    if _state.frontend:
        obs.obs_frontend_add_event_callback(_on_frontend_event)
    else:
        _state.log.write("No OBS frontend here: choose a target scene by name; automatic "
                         "cleanup on recording stop needs OBS's main window.")
    _state.set_status(_state.core.message)
    actions.offer_interrupted(_state)
    _state.log.ticking = True


def script_update(settings: Any) -> None:
    _state.settings = settings
    for key in props.SHOW_DEFAULT_WHEN_EMPTY:  # a cleared field shows what will be used
        if obs.obs_data_has_user_value(settings, key) and not _state.get(key):
            obs.obs_data_unset_user_value(settings, key)
    if not _state.core.ok and _state.ensure_core(settings):
        _state.set_status(_state.core.message)


def script_save(settings: Any) -> None:
    obs.obs_data_erase(settings, "api_key")
    hotkeys.save(settings)


def script_unload() -> None:
    _state.stopping.set()
    obs.timer_remove(_drain)
    _state.log.ticking = False
    _state.log.flush()
    hotkeys.forget()
    if _state.frontend:
        obs.obs_frontend_remove_event_callback(_on_frontend_event)
    _state.stop_jobs()
    _state.settings = None


def script_properties() -> Any:
    return actions.page(_state)


# --- callbacks ----------------------------------------------------------------------------

def _drain() -> None:
    """Timer on OBS's main loop: apply finished results, then show the running jobs' progress."""
    _state.drain()


def _press(action: str) -> None:
    """A hotkey: run its button on the main loop, as a click would."""
    actions.press(_state, action)


def _on_frontend_event(event: int) -> None:
    if event == obs.OBS_FRONTEND_EVENT_RECORDING_STOPPED:
        handle_recording_stopped(scene.last_recording())
    elif event == obs.OBS_FRONTEND_EVENT_SCRIPTING_SHUTDOWN:
        script_unload()


def handle_recording_stopped(path: str) -> None:
    """A recording ended (OBS's event, or a test): remember it; clean it if asked to."""
    actions.recording_stopped(_state, path)
