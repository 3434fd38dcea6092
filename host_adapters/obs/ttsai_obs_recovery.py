"""Results the script finished (and paid for) but OBS never showed, because it closed or
crashed first. Offered when the script loads; "Recover interrupted results" shows them as
their job would have, from the journal alone (no request to the API); "Discard" stops
offering them and keeps their files.

Main thread only (it touches OBS sources).
"""
from __future__ import annotations

from typing import Collection

import ttsai_obs_scene as scene
from ttsai_obs_tasks import Landing, interrupted, journal


def _count(n: int) -> str:
    return f"{n} result{'s' if n != 1 else ''} from an interrupted session"


def offer(running: Collection[str]) -> str:
    """The status line saying what is waiting ("" when nothing is)."""
    n = len(interrupted(frozenset(running)))
    if not n:
        return ""
    return f"{_count(n)}: press 'Recover interrupted results' (or 'Discard them')."


def recover(running: Collection[str]) -> str:
    """Show every waiting result where its job would have, oldest first, each marked placed
    as soon as it is in OBS. A scene or source that is gone stops here with the rest kept."""
    entries = interrupted(frozenset(running))
    if not entries:
        return "No interrupted results to recover."
    j = journal()
    done = []
    for e in entries:
        landing = Landing.from_json(e.meta["landing"])
        scene.land(landing.scene, landing.shown, landing.mute)
        j.mark_placed(e.job_id)
        done.append(str(e.meta.get("message") or ", ".join(p.name for p in e.paths)))
    return f"Recovered without a new request: {'; '.join(done)}"


def discard(running: Collection[str]) -> str:
    """Stop offering the waiting results; their files stay where they are."""
    entries = interrupted(frozenset(running))
    if not entries:
        return "No interrupted results to discard."
    j = journal()
    for e in entries:
        j.dismiss(e.job_id)
    folders = sorted({str(p.parent) for e in entries for p in e.paths})
    return f"Discarded {_count(len(entries))}; the files stay in {', '.join(folders)}."
