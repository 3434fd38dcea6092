"""What the script does when asked, on OBS's main thread: each button of its page (a hotkey
presses the same one), and a recording that stopped.

A button starts its work (``ttsai_obs_jobs.submit``) or changes OBS objects, says what it did
on the status line, and returns True so that OBS redraws the page, renewed here first.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import obspython as obs

import ttsai_obs_props as props
import ttsai_obs_scene as scene
from ttsai_obs_jobs import submit
from ttsai_obs_session import Session

NARRATION_SOURCE = "TTS.ai Narration"
Action = Callable[..., bool]


# --- the page -----------------------------------------------------------------------------

def page(session: Session) -> Any:
    """The script's settings page (only the core's error and folder until the core is found)."""
    return props.build(session.core, _buttons(session), session.frontend, _interrupted(session),
                       _view(session))


def _view(session: Session) -> props.View:
    """What the page shows besides the settings."""
    last = session.last_recording  # not scene.last_recording(): OBS's binding leaks its string
    if session.settings is not None:
        obs.obs_data_set_default_string(session.settings, "recording", last)
    return props.View(session.status, session.core.location, last)


def _buttons(session: Session) -> dict[str, Action]:
    """Each button (and the Core folder's change) renews the page it redraws."""
    pressed = {"save_key": _on_save_key, "narrate": _on_narrate, "clean": _on_clean,
               "dub": _on_dub, "stems": _on_stems, "mic_chain": _on_mic_chain,
               "cancel": _on_cancel, "retry_core": _on_retry_core, "refresh": _on_refresh,
               "core_path_changed": _on_core_path_changed,
               "recover": _on_interrupted("recover"),
               "discard_interrupted": _on_interrupted("discard")}
    return {name: _renewing(session, fn) for name, fn in pressed.items()}


def _renewing(session: Session, fn: Action) -> Action:
    """``fn``, then, when it asks OBS to redraw, the page's lists and tooltips renewed (the
    whole page added once the core is found): OBS redraws from the properties it has (a
    hotkey passes none)."""
    def pressed(page: Any, *args: Any) -> bool:
        redraw = fn(session, page, *args)
        if not redraw or page is None:
            return redraw
        if session.core.ok and obs.obs_properties_get(page, "api_key") is None:
            props.complete(page, _buttons(session), session.frontend, _interrupted(session),
                           _view(session))
        else:
            props.renew(page, session.frontend, _view(session))
        return redraw
    return pressed


def press(session: Session, action: str) -> None:
    """A hotkey: run its button on the main loop, as a click would."""
    session.inbox.put(lambda: _buttons(session)[action](None, None))


def _guarded(session: Session, fn: Callable[[], bool]) -> bool:
    """Run a button's main-thread part; a user-facing error becomes the status line."""
    try:
        return fn()
    except scene.SceneError as exc:
        session.set_status(str(exc))
    except Exception as exc:  # noqa: BLE001 - core errors carry their own hint
        session.set_status(f"Error: {exc}")
    return True


# --- buttons ------------------------------------------------------------------------------

def _on_save_key(session: Session, _props: Any, _prop: Any) -> bool:
    key = obs.obs_data_get_string(session.settings, "api_key").strip()
    obs.obs_data_erase(session.settings, "api_key")
    if not key:
        session.set_status("Type the API key first, then press 'Save key'.")
        return True
    if not session.core.ok:
        session.set_status(session.core.message)
        return True

    def save() -> bool:
        from ttsai_plugin.api import save_config
        where = save_config(api_key=key)
        session.set_status(f"API key saved to {where} (readable only by you).")
        return True
    return _guarded(session, save)


def _on_narrate(session: Session, _props: Any, _prop: Any) -> bool:
    target = session.get("target_scene")

    def show(outcome: Any) -> Any:
        from ttsai_obs_tasks import Landing
        return Landing(target, [(NARRATION_SOURCE, str(outcome.files[0]), True)])

    def start() -> bool:
        with scene.target_scene(target):
            pass
        return submit(session, "Narration", "narrate",
                      obs.obs_data_get_string(session.settings, "narration_text"),
                      session.get("voice"), land=show)
    return _guarded(session, start)


def _recording_path(session: Session) -> str:
    """The file the user chose in 'Recording', else the last recording (shown as its default)."""
    chosen = session.get("recording") \
        if obs.obs_data_has_user_value(session.settings, "recording") else ""
    return chosen or session.last_recording or scene.last_recording()


def _on_clean(session: Session, _props: Any, _prop: Any) -> bool:
    return submit(session, "Cleanup", "clean_recording", _recording_path(session),
                  session.get("cleanup_preset"))


def _on_dub(session: Session, _props: Any, _prop: Any) -> bool:
    return submit(session, "Dub", "dub_recording", _recording_path(session),
                  session.get("dub_language"))


def _on_stems(session: Session, _props: Any, _prop: Any) -> bool:
    target = session.get("target_scene")

    def start() -> bool:
        chosen = session.get("stems_source")
        media = scene.media_file(chosen) if chosen else scene.selected_media(target)

        def add(outcome: Any) -> Any:
            from ttsai_obs_tasks import Landing
            return Landing(target, [(f"{media.source} ({name})", str(path), False)
                                    for name, path in zip(outcome.names, outcome.files)],
                           [media.source])
        stems = int(obs.obs_data_get_int(session.settings, "stems_count"))
        return submit(session, "Stems", "split_stems", media.path, stems, land=add)
    return _guarded(session, start)


def _on_mic_chain(session: Session, _props: Any, _prop: Any) -> bool:
    def apply() -> bool:
        from ttsai_obs_filters import apply_chain
        from ttsai_obs_tasks import preset as find_preset
        preset = find_preset(session.get("mic_preset"))
        if not preset.obs_filters:
            session.set_status(f"The preset '{preset.name}' has no live filters (obs_filters).")
            return True
        source_name = session.get("mic_source") or scene.default_mic()
        if not source_name:
            raise scene.SceneError("No mic: pick one in 'Mic', or set a Mic/Auxiliary Audio "
                                   "device in Settings → Audio.")
        session.set_status(apply_chain(source_name, preset.obs_filters).summary(source_name))
        return True
    if not session.core.ok:
        session.set_status(session.core.message)
        return True
    return _guarded(session, apply)


def _interrupted(session: Session) -> int:
    """How many finished results OBS never showed (0 without the core or a readable journal)."""
    if not session.core.ok:
        return 0
    try:
        from ttsai_obs_tasks import interrupted
        return len(interrupted(frozenset(session.running)))
    except Exception:  # noqa: BLE001 - a damaged journal must not hide the settings page
        return 0


def offer_interrupted(session: Session) -> None:
    """Say on the status line when results from an interrupted session are waiting."""
    if _interrupted(session):
        import ttsai_obs_recovery
        session.set_status(ttsai_obs_recovery.offer(session.running))


def _on_interrupted(action: str) -> Action:
    """The 'recover' or 'discard' button of the interrupted results; True redraws the page."""
    def click(session: Session, _props: Any, _prop: Any) -> bool:
        def run() -> bool:
            import ttsai_obs_recovery
            session.set_status(getattr(ttsai_obs_recovery, action)(session.running))
            return True
        return _guarded(session, run)
    return click


def _on_cancel(session: Session, _props: Any, _prop: Any) -> bool:
    if session.runner is not None and session.runner.active():
        session.runner.cancel_all()
        session.set_status("Cancelling…")
    return True


def _on_refresh(session: Session, _props: Any, _prop: Any) -> bool:
    """Nothing more to do: the page is renewed, and True makes OBS redraw it."""
    return True


def _on_retry_core(session: Session, _props: Any, _prop: Any) -> bool:
    session.core_setting = None
    session.ensure_core(session.settings)
    session.set_status(session.core.message)
    return True


def _on_core_path_changed(session: Session, _props: Any, _prop: Any, settings: Any) -> bool:
    """Look for the core as soon as a folder is chosen; True redraws the page."""
    if session.ensure_core(settings):
        session.set_status(session.core.message)
        return True
    return False


# --- recordings ---------------------------------------------------------------------------

def recording_stopped(session: Session, path: str) -> None:
    """A recording ended (OBS's event, or a test): remember it; clean it if asked to.

    OBS also sends the event when recording failed, so a missing or empty file only
    updates the status line.
    """
    if session.settings is None or session.stopping.is_set():
        return
    file = Path(path) if path else None
    if file is None or not file.is_file() or file.stat().st_size == 0:
        session.inbox.put(lambda: session.set_status("Recording stopped, but no recording file "
                                                     "was written."))
        return
    session.last_recording = str(file)
    obs.obs_data_set_default_string(session.settings, "recording", str(file))
    if obs.obs_data_get_bool(session.settings, "cleanup_auto"):
        submit(session, "Cleanup", "clean_recording", str(file), session.get("cleanup_preset"))
