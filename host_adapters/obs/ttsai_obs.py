"""TTS.ai for OBS Studio (Tools → Scripts): narration, recording cleanup, dubbing, stems and a
live mic filter chain, without freezing OBS.

Thin by design: OBS objects in, ``ttsai_plugin`` core calls on worker threads, results applied
on OBS's main thread by a timer that drains a queue. The README says how OBS's Python finds
the core and its dependencies.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import obspython as obs

SCRIPT_DIR = Path(__file__).resolve().parent
if str(SCRIPT_DIR) not in sys.path:
    sys.path.insert(0, str(SCRIPT_DIR))

import ttsai_obs_hotkeys as hotkeys  # noqa: E402
from ttsai_obs_jobs import submit  # noqa: E402
import ttsai_obs_props as props  # noqa: E402
import ttsai_obs_scene as scene  # noqa: E402
from ttsai_obs_session import Session  # noqa: E402

NARRATION_SOURCE = "TTS.ai Narration"
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
    _offer_interrupted()
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
    return props.build(_state.core, _buttons(), _state.frontend, _interrupted(), _view())


def _view() -> Any:
    last = _state.last_recording  # not scene.last_recording(): OBS's binding leaks its string
    if _state.settings is not None:
        obs.obs_data_set_default_string(_state.settings, "recording", last)
    return props.View(_state.status, _state.core.location, last)


def _buttons() -> dict[str, Callable[..., bool]]:
    """Each button (and the Core folder's change) renews the page it redraws."""
    pressed = {"save_key": _on_save_key, "narrate": _on_narrate, "clean": _on_clean,
               "dub": _on_dub, "stems": _on_stems, "mic_chain": _on_mic_chain,
               "cancel": _on_cancel, "retry_core": _on_retry_core, "refresh": _on_refresh,
               "core_path_changed": _on_core_path_changed,
               "recover": _on_interrupted("recover"),
               "discard_interrupted": _on_interrupted("discard")}
    return {name: _renewing(fn) for name, fn in pressed.items()}


def _renewing(fn: Callable[..., bool]) -> Callable[..., bool]:
    """``fn``, then, when it asks OBS to redraw, the page's lists and tooltips renewed (the
    whole page added once the core is found): OBS redraws from the properties it has (a
    hotkey passes none)."""
    def pressed(page: Any, *args: Any) -> bool:
        redraw = fn(page, *args)
        if not redraw or page is None:
            return redraw
        if _state.core.ok and obs.obs_properties_get(page, "api_key") is None:
            props.complete(page, _buttons(), _state.frontend, _interrupted(), _view())
        else:
            props.renew(page, _state.frontend, _view())
        return redraw
    return pressed


def _press(action: str) -> None:
    """A hotkey: run its button on the main loop, as a click would."""
    _state.inbox.put(lambda: _buttons()[action](None, None))


# --- main-thread plumbing -----------------------------------------------------------------

def _drain() -> None:
    """Timer on OBS's main loop: apply finished results, then show the running jobs' progress."""
    _state.drain()


def _guarded(fn: Callable[[], bool]) -> bool:
    """Run a button's main-thread part; a user-facing error becomes the status line."""
    try:
        return fn()
    except scene.SceneError as exc:
        _state.set_status(str(exc))
    except Exception as exc:  # noqa: BLE001 - core errors carry their own hint
        _state.set_status(f"Error: {exc}")
    return True


# --- buttons ------------------------------------------------------------------------------

def _on_save_key(_props: Any, _prop: Any) -> bool:
    key = obs.obs_data_get_string(_state.settings, "api_key").strip()
    obs.obs_data_erase(_state.settings, "api_key")
    if not key:
        _state.set_status("Type the API key first, then press 'Save key'.")
        return True
    if not _state.core.ok:
        _state.set_status(_state.core.message)
        return True

    def save() -> bool:
        from ttsai_plugin.api import save_config
        where = save_config(api_key=key)
        _state.set_status(f"API key saved to {where} (readable only by you).")
        return True
    return _guarded(save)


def _on_narrate(_props: Any, _prop: Any) -> bool:
    target = _state.get("target_scene")

    def show(outcome: Any) -> Any:
        from ttsai_obs_tasks import Landing
        return Landing(target, [(NARRATION_SOURCE, str(outcome.files[0]), True)])

    def start() -> bool:
        with scene.target_scene(target):
            pass
        return submit(_state, "Narration", "narrate",
                      obs.obs_data_get_string(_state.settings, "narration_text"),
                      _state.get("voice"), land=show)
    return _guarded(start)


def _recording_path() -> str:
    """The file the user chose in 'Recording', else the last recording (shown as its default)."""
    chosen = _state.get("recording") if obs.obs_data_has_user_value(_state.settings, "recording") \
        else ""
    return chosen or _state.last_recording or scene.last_recording()


def _on_clean(_props: Any, _prop: Any) -> bool:
    return submit(_state, "Cleanup", "clean_recording", _recording_path(),
                  _state.get("cleanup_preset"))


def _on_dub(_props: Any, _prop: Any) -> bool:
    return submit(_state, "Dub", "dub_recording", _recording_path(),
                  _state.get("dub_language"))


def _on_stems(_props: Any, _prop: Any) -> bool:
    target = _state.get("target_scene")

    def start() -> bool:
        chosen = _state.get("stems_source")
        media = scene.media_file(chosen) if chosen else scene.selected_media(target)

        def add(outcome: Any) -> Any:
            from ttsai_obs_tasks import Landing
            return Landing(target, [(f"{media.source} ({name})", str(path), False)
                                    for name, path in zip(outcome.names, outcome.files)],
                           [media.source])
        stems = int(obs.obs_data_get_int(_state.settings, "stems_count"))
        return submit(_state, "Stems", "split_stems", media.path, stems, land=add)
    return _guarded(start)


def _on_mic_chain(_props: Any, _prop: Any) -> bool:
    def apply() -> bool:
        from ttsai_obs_filters import apply_chain
        from ttsai_obs_tasks import preset as find_preset
        preset = find_preset(_state.get("mic_preset"))
        if not preset.obs_filters:
            _state.set_status(f"The preset '{preset.name}' has no live filters (obs_filters).")
            return True
        source_name = _state.get("mic_source") or scene.default_mic()
        if not source_name:
            raise scene.SceneError("No mic: pick one in 'Mic', or set a Mic/Auxiliary Audio "
                                   "device in Settings → Audio.")
        _state.set_status(apply_chain(source_name, preset.obs_filters).summary(source_name))
        return True
    if not _state.core.ok:
        _state.set_status(_state.core.message)
        return True
    return _guarded(apply)


def _interrupted() -> int:
    """How many finished results OBS never showed (0 without the core or a readable journal)."""
    if not _state.core.ok:
        return 0
    try:
        from ttsai_obs_tasks import interrupted
        return len(interrupted(frozenset(_state.running)))
    except Exception:  # noqa: BLE001 - a damaged journal must not hide the settings page
        return 0


def _offer_interrupted() -> None:
    if _interrupted():
        import ttsai_obs_recovery
        _state.set_status(ttsai_obs_recovery.offer(_state.running))


def _on_interrupted(action: str) -> Callable[[Any, Any], bool]:
    """The 'recover' or 'discard' button of the interrupted results; True redraws the page."""
    def click(_props: Any, _prop: Any) -> bool:
        def run() -> bool:
            import ttsai_obs_recovery
            _state.set_status(getattr(ttsai_obs_recovery, action)(_state.running))
            return True
        return _guarded(run)
    return click


def _on_cancel(_props: Any, _prop: Any) -> bool:
    if _state.runner is not None and _state.runner.active():
        _state.runner.cancel_all()
        _state.set_status("Cancelling…")
    return True


def _on_refresh(_props: Any, _prop: Any) -> bool:
    """Nothing more to do: the page is renewed, and True makes OBS redraw it."""
    return True


def _on_retry_core(_props: Any, _prop: Any) -> bool:
    _state.core_setting = None
    _state.ensure_core(_state.settings)
    _state.set_status(_state.core.message)
    return True


def _on_core_path_changed(_props: Any, _prop: Any, settings: Any) -> bool:
    """Look for the core as soon as a folder is chosen; True redraws the page."""
    if _state.ensure_core(settings):
        _state.set_status(_state.core.message)
        return True
    return False


# --- recordings ---------------------------------------------------------------------------

def _on_frontend_event(event: int) -> None:
    if event == obs.OBS_FRONTEND_EVENT_RECORDING_STOPPED:
        handle_recording_stopped(scene.last_recording())
    elif event == obs.OBS_FRONTEND_EVENT_SCRIPTING_SHUTDOWN:
        script_unload()


def handle_recording_stopped(path: str) -> None:
    """A recording ended (OBS's event, or a test): remember it; clean it if asked to.

    OBS also sends the event when recording failed, so a missing or empty file only
    updates the status line.
    """
    if _state.settings is None or _state.stopping.is_set():
        return
    file = Path(path) if path else None
    if file is None or not file.is_file() or file.stat().st_size == 0:
        _state.inbox.put(lambda: _state.set_status("Recording stopped, but no recording file was "
                                             "written."))
        return
    _state.last_recording = str(file)
    obs.obs_data_set_default_string(_state.settings, "recording", str(file))
    if obs.obs_data_get_bool(_state.settings, "cleanup_auto"):
        submit(_state, "Cleanup", "clean_recording", str(file), _state.get("cleanup_preset"))
