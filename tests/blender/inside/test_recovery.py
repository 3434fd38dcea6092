"""Blender dies after a paid result was downloaded but before it reached the timeline: the
next time the .blend opens, the TTS.ai panel offers it, and it lands exactly where the job
would have put it — without a single request to the API."""
from __future__ import annotations

import os
import shutil
import socket
from contextlib import contextmanager
from pathlib import Path

import bpy

import vse

MEDIA = Path(os.environ["TTSAI_TEST_MEDIA"])


def _crash_after_download(extension, scene, strips, call) -> str:
    """What an interrupted job leaves behind: the runtime's own worker step ran (engine
    called, files written, journal entry fsynced) but Blender died before inserting."""
    from ttsai_plugin import workflows
    actions = extension.actions
    vse.select_only(scene, *strips)
    plan = actions.clip_items(bpy.context, actions.new_plan(bpy.context, call, call.title()),
                              lambda ctx, clip: getattr(workflows, call)(ctx, clip))
    plan.scene = scene.name
    actions.work(plan)()
    return plan.job_id


@contextmanager
def api_unreachable():
    """From here on the API is a loopback port nobody listens on: any request would fail."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = os.environ["TTSAI_BASE_URL"]
    os.environ["TTSAI_BASE_URL"] = f"http://127.0.0.1:{port}"
    try:
        yield
    finally:
        os.environ["TTSAI_BASE_URL"] = url


def _strip(name: str):
    return {s.name: s for s in vse.compat.all_strips(bpy.context.scene)}[name]


def test_an_enhance_interrupted_by_a_crash_is_placed_on_reopen_without_asking_the_api(
        scene, project, extension, capfd):
    vse.need_audio()
    noisy = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    vse.blocker(scene, 2, 1, 400)                            # channel 2 is taken over it
    bpy.ops.wm.save_mainfile()
    job_id = _crash_after_download(extension, scene, [noisy], "enhance")
    shutil.rmtree(extension.prefs.user_dir() / "cache", ignore_errors=True)  # no replay
    recovery = extension.recovery

    with api_unreachable():
        bpy.ops.wm.open_mainfile(filepath=str(project / "edit.blend"))   # Blender again
        out = capfd.readouterr()
        assert "1 result from an interrupted session" in out.out + out.err
        assert [e.job_id for e in recovery.offered()] == [job_id]
        before = vse.names(bpy.context.scene)
        with bpy.context.temp_override(window=bpy.context.window_manager.windows[0]):
            bpy.ops.ed.undo_push(message="before recovery")
            assert bpy.ops.ttsai.recover(action="PLACE") == {"FINISHED"}
            [clean] = vse.new_strips(bpy.context.scene, before)
            assert clean.type == "SOUND" and clean.channel == 3     # past the blocker
            assert vse.compat.visible_range(clean) == vse.compat.visible_range(_strip("noisy"))
            assert _strip("noisy").mute is True
            assert vse.file_of(clean).is_file() and project in vse.file_of(clean).parents
            assert recovery.offered() == []
            assert job_id not in [e.job_id for e in recovery.journal().pending()]
            assert bpy.ops.ttsai.recover(action="PLACE") == {"CANCELLED"}   # exactly once
            assert bpy.ops.ed.undo() == {"FINISHED"}                       # one undo step
    assert vse.names(bpy.context.scene) == before
    assert not any(s.mute for s in vse.compat.all_strips(bpy.context.scene))


def test_interrupted_results_belong_to_their_blend_and_discarding_keeps_their_files(
        scene, project, extension):
    movie = vse.compat.strips(scene).new_movie("m", str(MEDIA / "talk.mp4"), 1, 1)
    bpy.ops.wm.save_mainfile()
    job_id = _crash_after_download(extension, scene, [movie], "transcribe")
    recovery = extension.recovery
    [entry] = [e for e in recovery.journal().recover() if e.job_id == job_id]

    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.wm.save_as_mainfile(filepath=str(project / "other.blend"))
    assert recovery.offered() == []                              # not this file's results
    assert bpy.ops.ttsai.recover(action="DISCARD") == {"CANCELLED"}

    bpy.ops.wm.open_mainfile(filepath=str(project / "edit.blend"))
    assert [e.job_id for e in recovery.offered()] == [job_id]
    before = vse.names(bpy.context.scene)
    assert bpy.ops.ttsai.recover(action="DISCARD") == {"FINISHED"}

    assert recovery.offered() == [] and vse.names(bpy.context.scene) == before
    assert entry.files_exist and entry.paths                   # nothing the user paid is deleted
    assert recovery.journal().finished(job_id=job_id) == entry
