"""The project around the results: one undo step, moving the project, unsaved files,
failures that change nothing, cancelling, and what a job costs the main thread."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import bpy

import vse

MEDIA = Path(os.environ["TTSAI_TEST_MEDIA"])


def test_one_undo_removes_the_whole_dub_and_unmutes_the_original(scene, project):
    vse.need_audio()
    movie, snd = vse.movie_with_sound(scene, MEDIA / "talk.mp4", 1, 1)
    vse.select_only(scene, movie)
    before = vse.names(scene)
    window = bpy.context.window_manager.windows[0]
    with bpy.context.temp_override(window=window):
        bpy.ops.ed.undo_push(message="before dub")
        assert bpy.ops.ttsai.dub(target_language="es", subtitles=True) == {"FINISHED"}
        assert len(vse.names(bpy.context.scene)) > len(before)
        assert bpy.ops.ed.undo() == {"FINISHED"}
    sc = bpy.context.scene
    assert vse.names(sc) == before
    assert not any(s.mute for s in vse.compat.all_strips(sc))


def test_one_undo_removes_every_subtitle_strip_of_a_transcription(scene, project):
    movie = vse.compat.strips(scene).new_movie("m", str(MEDIA / "talk.mp4"), 1, 1)
    vse.select_only(scene, movie)
    before = vse.names(scene)
    with bpy.context.temp_override(window=bpy.context.window_manager.windows[0]):
        bpy.ops.ed.undo_push(message="before transcribe")
        assert bpy.ops.ttsai.transcribe() == {"FINISHED"}
        assert len(vse.names(bpy.context.scene)) > len(before) + 1
        assert bpy.ops.ed.undo() == {"FINISHED"}
    assert vse.names(bpy.context.scene) == before


def test_a_moved_project_folder_still_plays_its_results(scene, project, tmp_path):
    vse.need_audio()
    strip = vse.sound(scene, MEDIA / "reverb.wav", 1, 1)
    vse.select_only(scene, strip)
    before = vse.names(scene)
    assert bpy.ops.ttsai.dereverb() == {"FINISHED"}
    [dry] = vse.new_strips(scene, before)
    name = dry.name
    bpy.ops.wm.save_mainfile()
    moved = tmp_path / "elsewhere" / "project"
    moved.parent.mkdir()
    shutil.move(str(project), str(moved))
    bpy.ops.wm.open_mainfile(filepath=str(moved / "edit.blend"))
    dry = {s.name: s for s in vse.compat.all_strips(bpy.context.scene)}[name]
    path = vse.file_of(dry)
    assert path.is_file() and moved in path.parents


def test_an_unsaved_blend_writes_to_a_temp_folder_and_warns(extension, capfd):
    bpy.ops.wm.read_homefile(use_empty=True)
    assert bpy.data.filepath == ""
    sc = bpy.context.scene
    sc.render.fps, sc.render.fps_base = 25, 1.0
    movie = vse.compat.strips(sc).new_movie("m", str(MEDIA / "talk.mp4"), 1, 1)
    vse.select_only(sc, movie)
    assert bpy.ops.ttsai.transcribe() == {"FINISHED"}
    out = capfd.readouterr()
    assert "not saved" in out.out + out.err
    assert list((Path(os.environ.get("TMPDIR", "/tmp")) / "ttsai-unsaved").glob("*.srt"))


def test_a_rejected_key_cancels_with_a_fix_and_changes_nothing(scene, capfd, extension,
                                                              monkeypatch):
    shutil.rmtree(extension.prefs.user_dir() / "cache", ignore_errors=True)  # must ask the API
    movie, snd = vse.movie_with_sound(scene, MEDIA / "talk2997.mp4", 1, 1)
    vse.select_only(scene, movie)
    before = vse.names(scene)
    monkeypatch.setenv("TTSAI_API_KEY", "sk-tts-wrong-key")
    assert bpy.ops.ttsai.transcribe() == {"CANCELLED"}
    out = capfd.readouterr()
    text = out.out + out.err
    assert "API key" in text and "sk-tts-wrong-key" not in text
    assert vse.names(scene) == before
    assert not any(s.mute for s in vse.compat.all_strips(scene))


def test_nothing_selected_says_what_to_select(scene, capfd):
    assert bpy.ops.ttsai.enhance() == {"CANCELLED"}
    out = capfd.readouterr()
    assert "Select one or more sound or movie strips" in out.out + out.err


def test_cancelling_a_running_job_inserts_nothing(scene, extension):
    movie, _snd = vse.movie_with_sound(scene, MEDIA / "talk.mp4", 1, 1)
    vse.select_only(scene, movie)
    before = vse.names(scene)
    actions, runtime = extension.actions, extension.runtime
    plan = actions.new_plan(bpy.context, "transcribe", "Transcribe", produces_audio=False)
    gate = __import__("threading").Event()

    def slow(ctx):
        gate.wait(5)
        ctx.check_cancelled()
        raise AssertionError("a cancelled job must not get here")
    plan.items.append(actions.Item(None, slow))
    task = actions.start(plan, scene.name)
    assert bpy.ops.ttsai.cancel() == {"FINISHED"}
    gate.set()
    runtime.run_blocking(task, timeout=30)
    assert not task.ok and task.job.state.value == "cancelled"
    assert vse.names(scene) == before


def test_a_job_finishing_after_another_blend_was_opened_inserts_nothing(scene, project,
                                                                         extension):
    movie = vse.compat.strips(scene).new_movie("m", str(MEDIA / "talk.mp4"), 1, 1)
    vse.select_only(scene, movie)
    actions, runtime = extension.actions, extension.runtime
    plan = actions.new_plan(bpy.context, "transcribe", "Transcribe", produces_audio=False)
    gate = __import__("threading").Event()
    from ttsai_plugin import workflows
    src = vse.host.source_of(scene, movie, Path(bpy.app.tempdir))
    plan.items.append(actions.Item(src, lambda ctx: (gate.wait(10), workflows.transcribe(
        ctx, src.clip))[1], above=1))
    task = actions.start(plan, scene.name)
    bpy.ops.wm.read_homefile(use_empty=True)            # the user opens another file
    gate.set()
    runtime.run_blocking(task, timeout=60)
    assert not task.ok and "Another .blend was opened" in task.message
    assert vse.compat.all_strips(bpy.context.scene) == []


def test_a_running_job_leaves_the_main_thread_ticking(extension):
    """The benchmark's probe, run briefly: a pure-Python worker must not stall the main loop."""
    def job(progress=None, cancel=None):
        end = time.monotonic() + float(os.environ.get("TTSAI_PROBE_SECONDS", "2"))
        while time.monotonic() < end:
            sum(i * i for i in range(2000))          # pure-Python work: holds the GIL often
            progress(0.5, "working")
    stats = extension.runtime.measure_main_thread_gaps(job, tick=0.01)
    assert stats["wall"] >= 1.9 and stats["ticks"] >= 20    # three Blenders share 2 cores here
    assert stats["max_gap"] < 0.5, stats
