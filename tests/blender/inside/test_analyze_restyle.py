"""Analyze (key, BPM → markers and a sidebar readout), Restyle (emotion, speed) and the
credits a billed job used and left, as an editor meets them."""
from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from types import SimpleNamespace

import bpy

import vse

MEDIA = Path(os.environ["TTSAI_TEST_MEDIA"])
ext = "bl_ext.user_default.ttsai"
panel = importlib.import_module(f"{ext}.panel")
runtime = importlib.import_module(f"{ext}.runtime")


class Layout:
    """Stands in for ``UILayout``: records the labels and buttons a draw function makes."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.buttons: list[str] = []

    def column(self, **_kw):
        return self
    row = box = column

    def label(self, text: str = "", **_kw) -> None:
        self.texts.append(text)

    def operator(self, idname: str, **_kw):
        self.buttons.append(idname)
        return SimpleNamespace()

    def prop(self, *_a, **_kw) -> None:
        pass
    separator = progress = prop


def sidebar() -> Layout:
    layout = Layout()
    bpy.types.SEQUENCER_PT_ttsai.draw(SimpleNamespace(layout=layout), bpy.context)
    return layout


def test_analyze_the_music_marks_every_bar_with_the_key_and_shows_it_in_the_sidebar(scene):
    vse.need_audio()
    music = vse.sound(scene, MEDIA / "music.wav", 1, 11)      # 6 s at 120 BPM, from frame 11
    own = scene.timeline_markers.new("my cue", frame=40)
    vse.select_only(scene, music)
    before = vse.names(scene)
    assert bpy.ops.ttsai.analyze(markers="BARS") == {"FINISHED"}
    assert vse.names(scene) == before and music.mute is False   # nothing placed or muted
    start, end = vse.compat.visible_range(music)
    ours = sorted((m for m in scene.timeline_markers if m != own), key=lambda m: m.frame)
    assert ours and ours[0].frame == start
    assert all(start <= m.frame < end for m in ours)
    key = ours[0].name.rsplit(" ", 1)[0]
    assert re.fullmatch(r"[A-G][#b]? (major|minor)", key, re.IGNORECASE), key
    assert [m.name for m in ours] == [f"{key} {i}" for i in range(1, len(ours) + 1)]
    bar = ours[1].frame - ours[0].frame
    assert 45 <= bar <= 55                   # 4 beats at ~120 BPM, 25 fps: 50 frames
    [line] = panel.analysis_lines(bpy.context)
    assert line.startswith("music: " + key) and "BPM" in line
    drawn = sidebar()
    assert line in drawn.texts and {"ttsai.analyze", "ttsai.restyle"} <= set(drawn.buttons)

    assert bpy.ops.ttsai.analyze(markers="BEATS") == {"FINISHED"}   # again: replaced, not doubled
    beats = [m for m in scene.timeline_markers if m != own]
    assert len(beats) > len(ours) and all(re.search(r" \d+\.\d$", m.name) for m in beats)
    assert own.name == "my cue" and own in list(scene.timeline_markers)


def test_restyle_the_selected_speech_happier_lands_over_it_and_mutes_it(scene, project):
    vse.need_audio()
    movie, snd = vse.movie_with_sound(scene, MEDIA / "talk.mp4", 1, 1)
    vse.select_only(scene, movie)
    before = vse.names(scene)
    assert bpy.ops.ttsai.restyle(emotion="happy") == {"FINISHED"}
    [new] = vse.new_strips(scene, before)
    assert new.type == "SOUND" and new.channel == 3
    start, end = vse.compat.visible_range(new)
    src_start, src_end = vse.compat.visible_range(snd)
    assert start == src_start and abs(end - src_end) <= 2
    assert "happy" in vse.file_of(new).name and project in vse.file_of(new).parents
    assert snd.mute is True and movie.mute is False


def test_restyle_faster_keeps_the_new_natural_length(scene):
    vse.need_audio()
    speech = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    vse.select_only(scene, speech)
    before = vse.names(scene)
    assert bpy.ops.ttsai.restyle(speed=1.5) == {"FINISHED"}
    [new] = vse.new_strips(scene, before)
    src = vse.compat.visible_range(speech)
    length = vse.compat.visible_range(new)[1] - vse.compat.visible_range(new)[0]
    assert length < 0.9 * (src[1] - src[0])


def test_after_a_billed_job_the_sidebar_shows_the_credits_used_and_left(scene, capfd):
    vse.need_audio()
    noisy = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    vse.select_only(scene, noisy)
    assert bpy.ops.ttsai.enhance(estimate_only=True) == {"FINISHED"}
    out = capfd.readouterr()
    estimated = float(re.search(r"Estimated cost: ([\d.]+) credits", out.out + out.err)[1])
    assert bpy.ops.ttsai.enhance() == {"FINISHED"}
    used, left = panel.credits_lines()
    assert used == f"Enhance: {estimated:g} credits used"
    remaining = runtime.last_credits.remaining
    assert remaining is not None and left == f"Credits left: {remaining:g}"
    assert {used, left} <= set(sidebar().texts)

    assert bpy.ops.ttsai.enhance(estimate_only=True) == {"FINISHED"}   # the dialog's line
    out = capfd.readouterr()
    assert f"Estimated cost: {estimated:g} credits ({remaining:g} left)" in out.out + out.err


def test_the_preferences_name_the_engine_the_jobs_go_to(extension):
    layout = Layout()
    prefs = bpy.context.preferences.addons[ext].preferences
    type(prefs).draw(SimpleNamespace(layout=layout), bpy.context)
    assert "Engine: local server at 127.0.0.1" in layout.texts     # TTSAI_BASE_URL, loopback
