"""What a strip plays (trims, sound offset, fps, start frame) and where results may go."""
from __future__ import annotations

import os
from pathlib import Path

import bpy
import pytest

import vse

MEDIA = Path(os.environ["TTSAI_TEST_MEDIA"])


def test_strip_ranges_and_text_strips_read_the_same_on_every_version(scene):
    movie = vse.compat.strips(scene).new_movie("m", str(MEDIA / "talk.mp4"), 2, 11)
    start, end = vse.compat.visible_range(movie)
    assert start == 11 and end == 11 + vse.compat.content_length(movie)
    vse.compat.set_visible_range(movie, 21, end - 5)
    assert vse.compat.visible_range(movie) == (21, end - 5)
    assert vse.compat.content_start(movie) == 11
    text = vse.compat.new_text(scene, "cap", "Hola", 3, 40, 90)
    assert vse.compat.visible_range(text) == (40, 90) and text.text == "Hola"
    assert {s.name for s in vse.compat.all_strips(scene)} == {"m", "cap"}


def test_a_trimmed_movie_without_a_sound_strip_uses_the_movies_own_audio_range(scene):
    movie = vse.compat.strips(scene).new_movie("m", str(MEDIA / "talk.mp4"), 1, 1)
    _s, end = vse.compat.visible_range(movie)
    vse.compat.set_visible_range(movie, 26, end - 25)      # one second off each end (25 fps)
    src = vse.host.source_of(scene, movie, Path(bpy.app.tempdir))
    assert src.mute is None                               # nothing to mute: picture only
    assert src.clip.source_in == pytest.approx(1.0, abs=1e-6)
    assert src.clip.duration == pytest.approx((end - 51) / 25, abs=1e-6)
    assert src.clip.timeline_start == pytest.approx(1.0, abs=1e-6)


def test_trims_sound_offset_and_a_late_scene_start_map_to_source_seconds(scene):
    vse.need_audio()
    scene.frame_start = 101
    strip = vse.sound(scene, MEDIA / "noisy.wav", 1, 151)
    left, right = vse.compat.visible_range(strip)
    vse.compat.set_visible_range(strip, left + 50, right - 25)   # 2 s in, 1 s short
    strip.sound_offset = 0.5
    clip = vse.host.source_of(scene, strip, Path(bpy.app.tempdir)).clip
    assert clip.source_in == pytest.approx(2.5, abs=1e-6)
    assert clip.duration == pytest.approx((right - left - 75) / 25, abs=1e-6)
    assert clip.timeline_start == pytest.approx((151 + 50 - 101) / 25, abs=1e-6)


def test_a_29_97_fps_scene_converts_frames_with_fps_base(scene):
    vse.need_audio()
    scene.render.fps, scene.render.fps_base = 30, 1.001
    strip = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    left, right = vse.compat.visible_range(strip)
    vse.compat.set_visible_range(strip, left + 30, right)
    clip = vse.host.source_of(scene, strip, Path(bpy.app.tempdir)).clip
    assert clip.source_in == pytest.approx(30 * 1.001 / 30, abs=1e-6)
    assert vse.compat.seconds_to_frame(scene, clip.timeline_start) == left + 30


def test_a_movie_finds_its_own_sound_strip_by_file_and_time(scene):
    vse.need_audio()
    movie, snd = vse.movie_with_sound(scene, MEDIA / "talk.mp4", 1, 1)
    other_movie, other_snd = vse.movie_with_sound(scene, MEDIA / "talk.mp4", 1, 400)
    assert vse.host.movie_sound(scene, movie).name == snd.name
    assert vse.host.movie_sound(scene, other_movie).name == other_snd.name
    src = vse.host.source_of(scene, other_movie, Path(bpy.app.tempdir))
    assert src.mute == other_snd.name


def test_a_free_channel_is_one_where_the_whole_result_fits(scene):
    from ttsai_plugin.clips import Placement
    vse.blocker(scene, 2, 1, 60)        # overlaps the start of the result
    vse.blocker(scene, 3, 200, 300)     # outside the result's range: channel 3 is free
    one = [Placement(Path("x.wav"), 0.0, 4.0, 0, "a")]       # frames 1..101
    assert vse.host.choose_channels(scene, one, above=1) == [3]
    two = [Placement(Path("a.wav"), 0.0, 9.0, 0, "a"),        # frames 1..226: hits channel 3
           Placement(Path("b.wav"), 0.0, 9.0, 1, "b")]
    assert vse.host.choose_channels(scene, two, above=1) == [4, 5]


def test_prefetch_is_off_while_strips_are_added_and_restored_after(scene):
    from ttsai_plugin.clips import Placement
    ed = scene.sequence_editor
    ed.use_prefetch = True
    seen = []
    real = vse.compat.new_text

    def spy(*args, **kwargs):
        seen.append(ed.use_prefetch)
        return real(*args, **kwargs)
    vse.compat.new_text = spy
    try:
        vse.host.insert(scene, [Placement(Path("c.srt"), 0.0, 2.0, 0, "c", kind="caption",
                                          text="Hi")], above=0)
    finally:
        vse.compat.new_text = real
    assert seen == [False] and ed.use_prefetch is True
