"""Stems of a clip in the scene, and a script that stops its work when it is removed."""
from __future__ import annotations

import re
import time
from pathlib import Path

from tests.obs.conftest import SCENE


def test_stems_of_the_selected_media_source_become_sources_and_the_original_is_muted(
        connected, music_wav):
    connected.call("source_create", id="ffmpeg_source", name="Song", scene=SCENE, selected=True,
                   settings={"local_file": str(music_wav), "is_local_file": True})
    connected.update(stems_source="", stems_count=2)

    connected.click("stems")

    status = connected.wait_status("2 stems of", "Stems failed", timeout=120)
    assert status.startswith("2 stems of music.wav"), status
    sources = connected.sources()
    stems = {n: s for n, s in sources.items() if n.startswith("Song (")}
    assert set(stems) == {"Song (vocals)", "Song (accompaniment)"}
    for s in stems.values():
        assert s["id"] == "ffmpeg_source" and Path(s["settings"]["local_file"]).is_file()
        assert not s["muted"]
    assert sources["Song"]["muted"]
    items = [i["source"] for i in sources[SCENE]["items"]]
    assert sorted(items) == ["Song", "Song (accompaniment)", "Song (vocals)"]


def test_stems_that_cannot_all_be_shown_add_nothing_and_leave_the_original_playing(
        connected, music_wav):
    connected.call("source_create", id="ffmpeg_source", name="Song", scene=SCENE, selected=True,
                   settings={"local_file": str(music_wav), "is_local_file": True})
    connected.call("scene_create", name="Song (accompaniment)")   # the 2nd stem's name is taken
    connected.update(stems_source="", stems_count=2)

    connected.click("stems")

    status = connected.wait_for("the stems to finish", lambda: (lambda s: s if not re.match(
        r"Stems: (started|\d+%)", s) else None)(connected.status()), timeout=120)
    assert "Song (accompaniment)" in status and "rename it" in status, status
    sources = connected.sources()
    assert "Song (vocals)" not in sources                    # no half-shown result
    assert [i["source"] for i in sources[SCENE]["items"]] == ["Song"]
    assert not sources["Song"]["muted"]


def test_stems_without_a_selection_say_what_to_select(connected):
    connected.click("stems")
    assert "No Media Source is selected in 'Stream'" in connected.status()


def _workers(obs) -> int:
    return int(obs.py("import threading\n"
                      "reply = sum(t.name.startswith('ttsai-job') and t.is_alive() "
                      "for t in threading.enumerate())"))


def test_unloading_cancels_running_work_and_applies_nothing_afterwards(connected, recording):
    connected.update(recording=str(recording), cleanup_preset="stream-mic-cleanup")
    connected.click("clean")
    connected.wait_for("the cleanup to start", lambda: _workers(connected) > 0, timeout=10)

    started = time.monotonic()
    connected.call("unload")

    assert time.monotonic() - started < 5
    connected.wait_for("worker threads to end", lambda: _workers(connected) == 0, timeout=10)
    time.sleep(1.0)
    assert not recording.with_name(f"{recording.stem}.clean{recording.suffix}").exists()


def test_cancel_stops_a_running_cleanup_and_writes_nothing(connected, recording):
    connected.update(recording=str(recording), cleanup_preset="stream-mic-cleanup")
    connected.click("clean")
    progress = connected.wait_for("progress in the status line", lambda: re.fullmatch(
        r"Cleanup: \d+% .+", connected.status()), timeout=30)
    assert progress

    connected.click("cancel")

    assert connected.wait_status("Cleanup cancelled", "Cleaned recording", timeout=60) == (
        "Cleanup cancelled; nothing was written.")
    assert not recording.with_name(f"{recording.stem}.clean{recording.suffix}").exists()
    assert [p.name for p in recording.parent.iterdir()] == [recording.name]
