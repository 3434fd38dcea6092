"""Start a task of ``ttsai_obs_tasks`` on a worker; when it ends, put its result in OBS.

The worker journals the finished files with where they go before the main thread shows
them, so a result OBS never showed (it closed, or its scene is gone) stays under
'Interrupted results'. The status line says what started, failed, was cancelled or is ready.
"""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Callable

import ttsai_obs_props as props
import ttsai_obs_scene as scene
from ttsai_obs_session import Session


def connection(session: Session) -> Any:
    """Where the API is and where generated audio goes, from the script's settings."""
    from ttsai_obs_tasks import Connection
    folder = session.get("media_dir") or props.default_media_dir()
    return Connection(base_url=session.get("base_url"), media_dir=Path(folder))


def submit(session: Session, label: str, task: str, *args: Any,
           land: Callable[[Any], Any] | None = None) -> bool:
    """Run ``ttsai_obs_tasks.<task>(connection, *args)`` on a worker and journal its files with
    where they go (``land(outcome)``, a Landing); the main thread then puts them in OBS."""
    if not session.core.ok or session.runner is None:
        session.set_status(session.core.message)
        return True
    import ttsai_obs_tasks
    from ttsai_plugin.jobs import JobState
    job_id = f"obs-{uuid.uuid4().hex[:12]}"

    def finished(job: Any) -> None:
        session.running.discard(job_id)
        if job.state is JobState.CANCELLED:
            session.set_status(f"{label} cancelled; nothing was written.")
            return
        if job.error is not None:
            reason = ttsai_obs_tasks.in_obs_terms(job.error)  # unexpected ones name the job
            session.set_status(reason if reason.startswith(f"{label} failed")
                               else f"{label} failed: {reason}")
            return
        landing = job.result.landing
        try:
            scene.land(landing.scene, landing.shown, landing.mute)
        except scene.SceneError as exc:
            session.set_status(f"{label}: {exc} The result is kept under 'Interrupted results'.")
            return
        ttsai_obs_tasks.journal().mark_placed(job_id)
        session.set_status(job.result.message)

    work = ttsai_obs_tasks.journaled(getattr(ttsai_obs_tasks, task), job_id, task, land)
    session.running.add(job_id)
    session.runner.submit(work, connection(session), *args, label=label, on_done=finished)
    session.set_status(f"{label}: started")
    return True
