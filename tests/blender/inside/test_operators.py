"""Every operator, the way an editor uses it: select strips, run, look at the timeline."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import bpy
import pytest

import vse

MEDIA = Path(os.environ["TTSAI_TEST_MEDIA"])


def _assert_relative_file_in(project: Path, strip) -> Path:
    assert strip.sound.filepath.startswith("//"), strip.sound.filepath
    path = vse.file_of(strip)
    assert path.is_file() and path.stat().st_size > 1000
    assert project in path.parents
    return path


def test_dub_the_selected_movie_into_spanish(scene, project):
    vse.need_audio()
    movie, snd = vse.movie_with_sound(scene, MEDIA / "talk.mp4", 1, 1)
    vse.blocker(scene, 3, 1, 50)                       # channel 3 is taken where the dub goes
    vse.select_only(scene, movie)
    before = vse.names(scene)
    assert bpy.ops.ttsai.dub(target_language="es") == {"FINISHED"}
    [dub] = vse.new_strips(scene, before)
    assert dub.type == "SOUND" and dub.channel == 4
    start, end = vse.compat.visible_range(dub)
    src_start, src_end = vse.compat.visible_range(snd)
    assert start == src_start
    assert abs(end - src_end) <= 2                    # fitted to the original's length
    path = _assert_relative_file_in(project, dub)
    assert "es" in path.name
    assert snd.mute is True and movie.mute is False   # the original voice is muted, not the picture


def test_dub_with_subtitles_adds_text_strips_over_the_dub(scene, project):
    vse.need_audio()
    movie, snd = vse.movie_with_sound(scene, MEDIA / "talk.mp4", 1, 1)
    vse.select_only(scene, movie)
    before = vse.names(scene)
    assert bpy.ops.ttsai.dub(target_language="es", subtitles=True) == {"FINISHED"}
    added = vse.new_strips(scene, before)
    sounds = [s for s in added if s.type == "SOUND"]
    texts = [s for s in added if s.type == "TEXT"]
    assert len(sounds) == 1 and texts
    assert all(t.channel == sounds[0].channel + 1 for t in texts)
    src_start, src_end = vse.compat.visible_range(snd)
    assert all(src_start <= vse.compat.visible_range(t)[0] < src_end for t in texts)


def test_enhance_a_trimmed_noisy_clip_lands_exactly_over_its_visible_range(scene, project):
    vse.need_audio()
    strip = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    left, right = vse.compat.visible_range(strip)
    vse.compat.set_visible_range(strip, left + 25, right - 50)
    vse.select_only(scene, strip)
    before = vse.names(scene)
    assert bpy.ops.ttsai.enhance() == {"FINISHED"}
    [clean] = vse.new_strips(scene, before)
    assert clean.channel == 2
    assert vse.compat.visible_range(clean) == (left + 25, right - 50)
    path = _assert_relative_file_in(project, clean)
    import soundfile
    info = soundfile.info(str(path))
    assert info.duration == pytest.approx((right - left - 75) / 25, abs=0.05)
    assert strip.mute is True


def test_remove_echo_from_an_interview_clip(scene, project):
    vse.need_audio()
    strip = vse.sound(scene, MEDIA / "reverb.wav", 2, 20)
    vse.select_only(scene, strip)
    before = vse.names(scene)
    assert bpy.ops.ttsai.dereverb(kind="reverb", intensity=4) == {"FINISHED"}
    [dry] = vse.new_strips(scene, before)
    assert dry.channel == 3 and vse.compat.visible_range(dry) == vse.compat.visible_range(strip)
    _assert_relative_file_in(project, dry)
    assert strip.mute is True


def test_split_a_music_bed_into_two_stems_on_consecutive_free_channels(scene, project):
    vse.need_audio()
    music = vse.sound(scene, MEDIA / "music.wav", 1, 1)
    vse.blocker(scene, 3, 30, 60)                      # channel 2 free, 3 busy: stems go to 4, 5
    vse.select_only(scene, music)
    before = vse.names(scene)
    assert bpy.ops.ttsai.split_stems(stems="2") == {"FINISHED"}
    stems = vse.new_strips(scene, before)
    assert [s.channel for s in stems] == [4, 5]
    assert all(vse.compat.visible_range(s) == vse.compat.visible_range(music) for s in stems)
    files = {_assert_relative_file_in(project, s).stem for s in stems}
    assert files == {"vocals", "accompaniment"}
    assert music.mute is True


def test_transcribe_a_movie_into_subtitle_strips_and_an_srt_beside_the_blend(scene, project):
    movie, snd = vse.movie_with_sound(scene, MEDIA / "talk.mp4", 1, 1)
    vse.select_only(scene, movie)
    before = vse.names(scene)
    assert bpy.ops.ttsai.transcribe() == {"FINISHED"}
    texts = vse.new_strips(scene, before)
    assert texts and all(t.type == "TEXT" for t in texts)
    start, end = vse.compat.visible_range(movie)
    assert all(start <= vse.compat.visible_range(t)[0] < end for t in texts)
    words = " ".join(t.text for t in texts).lower()
    assert words.strip()
    srt = list(project.glob("*.srt"))
    assert len(srt) == 1 and "-->" in srt[0].read_text()
    assert not movie.mute and (snd is None or not snd.mute)   # transcripts mute nothing


def test_narrate_typed_text_at_the_playhead(scene, project):
    vse.need_audio()
    scene.frame_current = 50
    vse.blocker(scene, 1, 1, 400)
    before = vse.names(scene)
    assert bpy.ops.ttsai.narrate(text="Welcome back to the channel.") == {"FINISHED"}
    [voice] = vse.new_strips(scene, before)
    assert voice.channel == 2 and vse.compat.visible_range(voice)[0] == 50
    _assert_relative_file_in(project, voice)


def test_narrate_the_selected_text_strips_each_at_its_own_start(scene, project):
    vse.need_audio()
    a = vse.compat.new_text(scene, "line1", "First line.", 5, 10, 60)
    b = vse.compat.new_text(scene, "line2", "Second line.", 5, 200, 260)
    vse.select_only(scene, a, b)
    before = vse.names(scene)
    assert bpy.ops.ttsai.narrate() == {"FINISHED"}
    voices = vse.new_strips(scene, before)
    assert sorted(vse.compat.visible_range(v)[0] for v in voices) == [10, 200]
    assert all(v.channel == 6 for v in voices)              # just above the text strips
    assert all(v.type == "SOUND" for v in voices)


def test_convert_the_voice_of_a_clip(scene, project):
    vse.need_audio()
    strip = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    vse.select_only(scene, strip)
    before = vse.names(scene)
    assert bpy.ops.ttsai.voice_convert(target_voice="af_bella") == {"FINISHED"}
    [conv] = vse.new_strips(scene, before)
    assert vse.compat.visible_range(conv)[0] == vse.compat.visible_range(strip)[0]
    _assert_relative_file_in(project, conv)


def test_apply_the_interview_dereverb_preset(scene, project):
    vse.need_audio()
    strip = vse.sound(scene, MEDIA / "reverb.wav", 1, 1)
    vse.select_only(scene, strip)
    before = vse.names(scene)
    assert bpy.ops.ttsai.apply_preset(preset="interview-dereverb") == {"FINISHED"}
    added = vse.new_strips(scene, before)
    assert added and all(s.type == "SOUND" for s in added)
    assert vse.compat.visible_range(added[0])[0] == vse.compat.visible_range(strip)[0]
    assert strip.mute is True


def test_on_a_build_without_audio_dub_refuses_before_any_work_and_changes_nothing(scene, capfd):
    if vse.has_audio():
        pytest.skip("this build has Audaspace: the refusal only applies to builds without it")
    movie = vse.compat.strips(scene).new_movie("m", str(MEDIA / "talk.mp4"), 1, 1)
    vse.select_only(scene, movie)
    before = vse.names(scene)
    assert bpy.ops.ttsai.dub(target_language="es") == {"CANCELLED"}
    out = capfd.readouterr()
    assert "Audaspace" in out.out + out.err
    assert vse.names(scene) == before


def test_enhance_in_a_29_97_fps_scene_lands_on_the_sources_exact_frames(scene, project):
    vse.need_audio()
    scene.render.fps, scene.render.fps_base = 30, 1.001
    movie, snd = vse.movie_with_sound(scene, MEDIA / "talk.mp4", 1, 31)
    left, right = vse.compat.visible_range(snd)
    vse.compat.set_visible_range(snd, left + 15, right - 15)
    vse.select_only(scene, snd)
    before = vse.names(scene)
    assert bpy.ops.ttsai.enhance() == {"FINISHED"}
    [clean] = vse.new_strips(scene, before)
    assert vse.compat.visible_range(clean) == (left + 15, right - 15)


def test_the_credit_estimate_for_a_dub_counts_only_the_used_seconds(scene, project, capfd):
    vse.need_audio()
    movie, snd = vse.movie_with_sound(scene, MEDIA / "talk.mp4", 1, 1)
    left, right = vse.compat.visible_range(snd)
    vse.compat.set_visible_range(snd, left, left + 100)     # 4 s used → 4 × 5 credits
    vse.compat.set_visible_range(movie, left, left + 100)
    vse.select_only(scene, movie)
    before = vse.names(scene)
    # the same estimate the UI shows in the operator's dialog before anything is sent
    assert bpy.ops.ttsai.dub(target_language="es", timing="CLIP",  # one call: no per-line rounding
                             estimate_only=True) == {"FINISHED"}
    out = capfd.readouterr()
    assert "Dub: Estimated cost: 20 credits" in out.out + out.err
    assert vse.names(scene) == before and not snd.mute


def test_a_packed_sound_is_read_from_the_blend_itself(scene, project, tmp_path):
    vse.need_audio()
    loose = tmp_path / "gone.wav"
    shutil.copyfile(MEDIA / "noisy.wav", loose)
    strip = vse.sound(scene, loose, 1, 1)
    strip.sound.pack()
    loose.unlink()                                           # only the packed copy is left
    vse.select_only(scene, strip)
    before = vse.names(scene)
    assert bpy.ops.ttsai.enhance() == {"FINISHED"}
    [clean] = vse.new_strips(scene, before)
    assert vse.compat.visible_range(clean) == vse.compat.visible_range(strip)
    assert strip.mute is True


def test_narrate_a_script_file_and_the_journal_marks_it_placed(scene, project, extension):
    vse.need_audio()
    script = project / "script.txt"
    script.write_text("This line comes from a file.\n", encoding="utf-8")
    scene.frame_current = 30
    before = vse.names(scene)
    assert bpy.ops.ttsai.narrate(text_file="//script.txt") == {"FINISHED"}
    [voice] = vse.new_strips(scene, before)
    assert vse.compat.visible_range(voice)[0] == 30
    from ttsai_plugin.journal import Journal
    journal = Journal(extension.prefs.user_dir() / "journal.jsonl")
    assert journal.entries() and journal.pending() == []     # nothing paid-for left unplaced


def test_an_enhance_whose_operator_has_ended_still_runs_with_the_options_it_was_given(
        scene, project, extension, monkeypatch):
    """An operator ends (Esc, a file load, a finished modal) while its job still runs on a
    worker: the worker must work from values read on the main thread, never from the
    operator's properties, which Blender has freed by then."""
    import importlib
    import threading
    vse.need_audio()
    actions = importlib.import_module(f"{extension.__name__}.actions")
    runtime = importlib.import_module(f"{extension.__name__}.runtime")
    strip = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    vse.select_only(scene, strip)
    before = vse.names(scene)
    operator_ended = threading.Event()
    real_context, real_blocking, started = actions.context_for, runtime.run_blocking, []

    def after_the_operator(plan, progress=None, cancel=None):
        if threading.current_thread() is not threading.main_thread():
            operator_ended.wait(30)
        return real_context(plan, progress, cancel)
    monkeypatch.setattr(actions, "context_for", after_the_operator)
    monkeypatch.setattr(runtime, "run_blocking", lambda task, timeout=None: started.append(task))
    bpy.ops.ttsai.enhance(denoise=True, enhance_clarity=False, strength=3)
    operator_ended.set()
    [task] = started
    real_blocking(task, timeout=120)

    assert task.ok, task.message
    [clean] = vse.new_strips(scene, before)
    assert vse.compat.visible_range(clean) == vse.compat.visible_range(strip)
    assert strip.mute is True
