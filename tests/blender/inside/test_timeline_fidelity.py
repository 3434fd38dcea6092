"""The timeline as Blender plays it: sound offsets, meta strips, the mix (volume, pan, fades,
drivers), crowded channels, unsaved files, strips without audio, preset names, recovered
results whose source is gone, and retimed sources."""
from __future__ import annotations

import os
from pathlib import Path

import bpy
import pytest
import soundfile

import vse

MEDIA = Path(os.environ["TTSAI_TEST_MEDIA"])


def _seconds(path: Path) -> float:
    return soundfile.info(str(path)).duration


def _enhance(scene, strip):
    vse.select_only(scene, strip)
    before = vse.names(scene)
    assert bpy.ops.ttsai.enhance() == {"FINISHED"}
    [clean] = vse.new_strips(scene, before)
    return clean


def _out(capfd) -> str:
    out = capfd.readouterr()
    return out.out + out.err


def test_a_positive_sound_offset_uses_the_part_of_the_file_blender_plays(scene, project):
    vse.need_audio()
    length = _seconds(MEDIA / "noisy.wav")
    strip = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    strip.sound_offset = 1.5          # skips 1.5 s: the strip's last 1.5 s play silence
    left, right = vse.compat.visible_range(strip)
    clip = vse.host.source_of(scene, strip, Path(bpy.app.tempdir)).clip
    assert clip.source_in == pytest.approx(1.5, abs=1e-6)
    assert clip.source_out == pytest.approx(length, abs=0.05)
    clean = _enhance(scene, strip)
    start, end = vse.compat.visible_range(clean)
    assert start == left and abs(end - (left + round((length - 1.5) * 25))) <= 1
    assert _seconds(vse.file_of(clean)) == pytest.approx(length - 1.5, abs=0.05)
    assert strip.mute is True


def test_a_negative_sound_offset_starts_the_result_where_the_sound_starts(scene, project):
    vse.need_audio()
    strip = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    strip.sound_offset = -1.0         # the file starts 1 s (25 frames) after the strip does
    left, right = vse.compat.visible_range(strip)
    clip = vse.host.source_of(scene, strip, Path(bpy.app.tempdir)).clip
    assert clip.source_in == 0.0 and clip.timeline_start == pytest.approx(1.0, abs=1e-6)
    assert clip.source_out == pytest.approx((right - left) / 25 - 1.0, abs=1e-6)
    clean = _enhance(scene, strip)
    assert vse.compat.visible_range(clean) == (left + 25, right)


def test_an_offset_that_leaves_only_silence_is_refused_and_changes_nothing(scene, capfd):
    vse.need_audio()
    strip = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    strip.sound_offset = 60.0
    vse.select_only(scene, strip)
    before = vse.names(scene)
    assert bpy.ops.ttsai.enhance() == {"CANCELLED"}
    assert "plays only silence" in _out(capfd)
    assert vse.names(scene) == before and not strip.mute


def _in_meta(scene, strip, start, end):
    meta = vse.compat.strips(scene).new_meta("scene cut", 5, 1)
    strip.move_to_meta(meta)
    vse.compat.set_visible_range(meta, *vse.compat.visible_range(strip))
    vse.compat.set_visible_range(meta, start, end)       # the meta shows only [start, end)
    return meta


def test_a_strip_inside_a_trimmed_meta_gives_a_result_beside_it_cut_to_what_the_meta_shows(
        scene, project):
    vse.need_audio()
    strip = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    vse.blocker(scene, 2, 1, 400)                  # a top-level channel 2 is no concern inside
    meta = _in_meta(scene, strip, 51, 151)
    clean = _enhance(scene, strip)
    assert clean.parent_meta().name == meta.name and clean.channel == 2
    assert vse.compat.visible_range(clean) == (51, 151)
    assert _seconds(vse.file_of(clean)) == pytest.approx(4.0, abs=0.05)
    assert strip.mute is True and not meta.mute


def test_volume_fade_pan_and_mono_are_carried_to_the_result(scene, project):
    vse.need_audio()
    strip = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    strip.sound.use_mono = True
    strip.pan = -0.6
    strip.volume = 0.9
    strip.keyframe_insert("volume", frame=1)
    strip.volume = 0.0
    strip.keyframe_insert("volume", frame=150)      # a fade-out
    clean = _enhance(scene, strip)
    assert clean.pan == pytest.approx(-0.6) and clean.sound.use_mono is True
    curves = vse.compat.fcurves(scene)
    src = curves.find(strip.path_from_id("volume"))
    dst = curves.find(clean.path_from_id("volume"))
    assert dst is not None
    assert [tuple(k.co) for k in dst.keyframe_points] == [tuple(k.co) for k in src.keyframe_points]
    for frame in (1, 75, 150):
        scene.frame_set(frame)
        assert clean.volume == pytest.approx(strip.volume, abs=1e-4)
    assert strip.mute is True                       # muting the original keeps the fade


def test_a_driven_pan_is_carried_to_the_result(scene, project):
    vse.need_audio()
    strip = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    driver = strip.driver_add("pan").driver
    driver.type = "SCRIPTED"
    var = driver.variables.new()
    var.name, var.type = "f", "SINGLE_PROP"
    var.targets[0].id_type = "SCENE"
    var.targets[0].id = scene
    var.targets[0].data_path = "frame_current"
    driver.expression = "min(1.0, f / 100)"
    clean = _enhance(scene, strip)
    copied = vse.compat.drivers(scene).find(clean.path_from_id("pan")).driver
    assert copied.expression == "min(1.0, f / 100)"
    [v] = copied.variables
    assert v.targets[0].id == scene and v.targets[0].data_path == "frame_current"


def test_a_source_on_channel_126_with_127_and_128_busy_gets_its_result_just_below(scene,
                                                                                project):
    vse.need_audio()
    strip = vse.sound(scene, MEDIA / "noisy.wav", 126, 1)
    vse.blocker(scene, 127, 1, 400)
    vse.blocker(scene, 128, 1, 400)
    clean = _enhance(scene, strip)
    assert clean.channel == 125
    assert vse.compat.visible_range(clean) == vse.compat.visible_range(strip)


def test_when_no_channel_has_room_the_message_names_the_busy_channels(scene):
    from ttsai_plugin.clips import Placement
    from ttsai_plugin.errors import InputError
    for ch in range(1, 129):
        if ch != 40:
            vse.blocker(scene, ch, 1, 30)
    vse.blocker(scene, 40, 20, 30)                  # 40 is free only before frame 20
    one = [Placement(Path("x.wav"), 0.0, 1.0, 0, "a")]  # frames 1..26
    with pytest.raises(InputError) as err:
        vse.host.choose_channels(scene, one, above=64)
    assert "channels 1–128 have strips in that range" in str(err.value)
    assert vse.host.choose_channels(scene, [Placement(Path("x.wav"), 0.0, 0.5, 0, "a")],
                                    above=64) == [40]


def test_results_of_an_unsaved_blend_move_beside_it_on_the_first_save(extension, tmp_path):
    vse.need_audio()
    bpy.ops.wm.read_homefile(use_empty=True)
    sc = bpy.context.scene
    sc.render.fps, sc.render.fps_base = 25, 1.0
    strip = vse.sound(sc, MEDIA / "reverb.wav", 1, 1)
    vse.select_only(sc, strip)
    before = vse.names(sc)
    assert bpy.ops.ttsai.dereverb() == {"FINISHED"}
    [dry] = vse.new_strips(sc, before)
    temp = vse.file_of(dry)
    assert extension.host.unsaved_dir() in temp.parents
    name = dry.name
    folder = tmp_path / "first"
    folder.mkdir()
    assert bpy.ops.wm.save_as_mainfile(filepath=str(folder / "cut.blend")) == {"FINISHED"}
    dry = {s.name: s for s in vse.compat.all_strips(bpy.context.scene)}[name]
    assert dry.sound.filepath.startswith("//ttsai_media"), dry.sound.filepath
    assert vse.file_of(dry).is_file() and folder in vse.file_of(dry).parents
    assert not temp.exists()                                     # nothing left in temp
    bpy.ops.wm.open_mainfile(filepath=str(folder / "cut.blend"))  # as saved on disk
    dry = {s.name: s for s in vse.compat.all_strips(bpy.context.scene)}[name]
    assert dry.sound.filepath.startswith("//ttsai_media") and vse.file_of(dry).is_file()


def _image(tmp_path: Path) -> Path:
    img = bpy.data.images.new("still", 8, 8)
    path = tmp_path / "still.png"
    img.filepath_raw = str(path)
    img.file_format = "PNG"
    img.save()
    return path


@pytest.mark.parametrize("kind", ["scene", "effect", "image"])
def test_a_strip_without_audio_gets_a_message_naming_it_and_what_to_select(scene, capfd,
                                                                          tmp_path, kind):
    coll = vse.compat.strips(scene)
    if kind == "scene":
        other = bpy.data.scenes.new("Intro")
        strip = coll.new_scene("intro", other, 1, 1)
        expect = ["'intro' is a scene strip", "Open scene 'Intro'"]
    elif kind == "effect":
        strip = coll.new_effect("backdrop", "COLOR", 2, 1,
                                **({"length": 50} if vse.compat.VERSION >= (5, 0, 0)
                                   else {"frame_end": 51}))
        expect = ["'backdrop' is a color effect strip", "Select the sound or movie strip"]
    else:
        strip = coll.new_image("still", str(_image(tmp_path)), 2, 1)
        expect = ["'still' is an image strip", "Select a sound or movie strip"]
    vse.select_only(scene, strip)
    before = vse.names(scene)
    assert bpy.ops.ttsai.enhance() == {"CANCELLED"}
    text = _out(capfd)
    assert all(e in text for e in expect), text
    assert vse.names(scene) == before


def test_a_preset_result_is_named_after_the_preset(scene, project):
    vse.need_audio()
    strip = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    vse.select_only(scene, strip)
    before = vse.names(scene)
    assert bpy.ops.ttsai.apply_preset(preset="stream-mic-cleanup") == {"FINISHED"}
    [result] = vse.new_strips(scene, before)
    assert result.name == "noisy (stream-mic-cleanup)"


def test_recovering_a_result_whose_source_is_gone_says_so_and_places_it_where_it_was(
        scene, project, extension, capfd):
    vse.need_audio()
    from test_recovery import _crash_after_download, api_unreachable
    noisy = vse.sound(scene, MEDIA / "noisy.wav", 3, 11)
    noisy.volume = 0.5
    span = vse.compat.visible_range(noisy)
    bpy.ops.wm.save_mainfile()
    _crash_after_download(extension, scene, [noisy], "enhance")
    vse.compat.remove_strip(scene, noisy)               # the editor deleted the source
    bpy.ops.wm.save_mainfile()
    with api_unreachable():
        bpy.ops.wm.open_mainfile(filepath=str(project / "edit.blend"))
        capfd.readouterr()
        sc = bpy.context.scene
        assert bpy.ops.ttsai.recover(action="PLACE") == {"FINISHED"}
    text = _out(capfd)
    assert "The source strip 'noisy' is gone" in text, text
    [clean] = vse.new_strips(sc, set())
    assert clean.channel == 3 and vse.compat.visible_range(clean) == span
    assert clean.volume == pytest.approx(0.5)            # the mix captured when the job began


def test_a_movie_under_a_speed_effect_is_refused_with_what_to_do(scene, capfd):
    vse.need_audio()
    movie, snd = vse.movie_with_sound(scene, MEDIA / "talk.mp4", 1, 1)
    start, end = vse.compat.visible_range(movie)
    kwargs = {"length": end - start, "input1": movie} if vse.compat.VERSION >= (5, 0, 0) \
        else {"frame_end": end, "seq1": movie}
    vse.compat.strips(scene).new_effect("fast", "SPEED", 3, start, **kwargs)
    vse.select_only(scene, movie)
    before = vse.names(scene)
    assert bpy.ops.ttsai.dub(target_language="es") == {"CANCELLED"}
    text = _out(capfd)
    assert "under the Speed effect 'fast'" in text and f"{snd.name!r}" in text, text
    assert vse.names(scene) == before and not snd.mute
    # its sound strip plays at its own speed: that is used as Blender plays it
    clip = vse.host.source_of(scene, snd, Path(bpy.app.tempdir)).clip
    assert clip.source_in == 0.0


def test_retiming_keys_that_change_the_speed_are_refused(scene):
    """bpy cannot add retiming keys headless (``retiming_keys.add`` on a strip that has none
    crashes 5.0, the operators need a sequencer region), so the check reads a strip-shaped
    record of what the RNA exposes: key frames, the content start, the name."""
    from types import SimpleNamespace

    from ttsai_plugin.errors import InputError
    timeline = __import__(f"{vse.compat.__name__.rsplit('.', 1)[0]}.timeline",
                          fromlist=["check_retiming"])

    def strip(*frames):
        return SimpleNamespace(name="talk", frame_start=1.0, content_start=1.0,
                               retiming_keys=[SimpleNamespace(timeline_frame=f) for f in frames])
    timeline.check_retiming(scene, strip(), lambda: 4.0)            # no keys: plays as is
    timeline.check_retiming(scene, strip(1, 101), lambda: 4.0)      # keys at 1× speed
    for retimed in (strip(1, 51), strip(1, 40, 120)):
        with pytest.raises(InputError, match="is retimed"):
            timeline.check_retiming(scene, retimed, lambda: 4.0)
