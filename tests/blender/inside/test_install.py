"""Installing the extension the way a user does, its preferences, and Blender's online switch."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import addon_utils
import bpy

import vse

OPERATORS = ("narrate", "dub", "enhance", "dereverb", "split_stems", "transcribe",
             "voice_convert", "restyle", "analyze", "apply_preset", "cancel")


def test_the_built_zip_passes_blenders_own_validator():
    """With Blender's tag list, as `blender --command extension validate` and
    extensions.blender.org check it (run standalone, the validator skips tags)."""
    scripts = Path(addon_utils.__file__).parents[1]
    validator = scripts / "addons_core/bl_pkg/cli/blender_ext.py"
    tags = scripts / "modules/_bpy_internal/extensions/tags.py"
    done = subprocess.run([sys.executable, str(validator), "validate",
                           os.environ["TTSAI_BLENDER_ZIP"], "--valid-tags", str(tags)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success" in done.stdout


def test_install_from_disk_enables_every_operator_and_the_panel(extension):
    assert "bl_ext.user_default.ttsai" in {a.module for a in bpy.context.preferences.addons}
    for op in OPERATORS:
        assert hasattr(bpy.ops.ttsai, op), op
        assert getattr(bpy.ops.ttsai, op).get_rna_type().identifier
    assert hasattr(bpy.types, "SEQUENCER_PT_ttsai")
    assert bpy.app.timers.is_registered(extension.runtime._tick)
    import ttsai_plugin  # the core arrived as a wheel in Blender's extension site-packages
    assert ".local" in ttsai_plugin.__file__
    assert "numpy" not in Path(ttsai_plugin.__file__).parent.parent.name


def test_the_api_key_stays_in_the_preferences_and_never_reaches_the_blend(project, extension):
    prefs = bpy.context.preferences.addons["bl_ext.user_default.ttsai"].preferences
    prefs.api_key = "sk-tts-never-in-a-blend-7731"
    try:
        assert prefs.bl_rna.properties["api_key"].subtype == "PASSWORD"
        bpy.ops.wm.save_mainfile()
        assert b"never-in-a-blend-7731" not in (project / "edit.blend").read_bytes()
        assert "sk-tts" not in repr(extension.prefs.settings())
    finally:
        prefs.api_key = ""


def test_with_online_access_off_a_remote_api_is_refused_with_how_to_allow_it(scene, capfd,
                                                                             monkeypatch):
    assert bpy.app.online_access is False
    movie, _snd = vse.movie_with_sound(scene, vse_media("talk.mp4"), 1, 1)
    vse.select_only(scene, movie)
    before = vse.names(scene)
    monkeypatch.setenv("TTSAI_BASE_URL", "https://api.tts.ai/v1/")
    assert bpy.ops.ttsai.transcribe() == {"CANCELLED"}
    out = capfd.readouterr()
    text = out.out + out.err
    assert "online access is off" in text and "Allow Online Access" in text
    assert vse.names(scene) == before


def test_a_loopback_engine_works_with_online_access_off(scene):
    movie, _snd = vse.movie_with_sound(scene, vse_media("talk.mp4"), 1, 1)
    vse.select_only(scene, movie)
    assert "127.0.0.1" in os.environ["TTSAI_BASE_URL"]
    assert bpy.ops.ttsai.transcribe() == {"FINISHED"}


def _without_engine_env():
    saved = {k: os.environ.pop(k) for k in ("TTSAI_API_KEY", "TTSAI_BASE_URL")}
    return saved


def test_a_key_in_the_ttsai_config_file_is_still_refused_while_offline(scene, capfd, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('api_key = "sk-tts-from-config-file"\n')
    config.chmod(0o600)
    movie, _snd = vse.movie_with_sound(scene, vse_media("talk.mp4"), 1, 1)
    vse.select_only(scene, movie)
    saved = _without_engine_env()
    os.environ["TTSAI_CONFIG"] = str(config)
    try:
        assert bpy.ops.ttsai.transcribe() == {"CANCELLED"}
    finally:
        os.environ.pop("TTSAI_CONFIG")
        os.environ.update(saved)
    out = capfd.readouterr()
    assert "online access is off" in out.out + out.err
    assert "sk-tts-from-config-file" not in out.out + out.err


def vse_media(name: str) -> Path:
    return Path(os.environ["TTSAI_TEST_MEDIA"]) / name


def test_every_ttsai_button_and_field_reads_like_blenders_own(extension):
    """Blender's UI conventions: Title Case labels and property names, one-line tooltips
    with no final period."""
    small = {"a", "an", "and", "or", "of", "the", "to", "in", "on", "for", "with", "by"}

    def title_case(text: str) -> bool:
        words = [w for w in text.replace("+", " ").split() if w[0].isalpha()]
        return all(w[0].isupper() or (w in small and i) for i, w in enumerate(words))

    prefs = bpy.context.preferences.addons["bl_ext.user_default.ttsai"].preferences
    structs = [getattr(bpy.ops.ttsai, op).get_rna_type() for op in OPERATORS + ("recover",)]
    wrong = []
    for rna in structs + [prefs.bl_rna]:
        if rna is not prefs.bl_rna:
            if not title_case(rna.name):
                wrong.append(f"{rna.identifier} label {rna.name!r}")
            if "\n" in rna.description or rna.description.rstrip().endswith("."):
                wrong.append(f"{rna.identifier} tooltip {rna.description!r}")
        for prop in rna.properties:
            if prop.identifier in ("rna_type", "bl_idname"):
                continue
            labels = [prop.name] + [i.name for i in getattr(prop, "enum_items", ())]
            wrong += [f"{rna.identifier}.{prop.identifier} name {n!r}"
                      for n in labels if not title_case(n)]
            if prop.description.rstrip().endswith("."):
                wrong.append(f"{rna.identifier}.{prop.identifier} tooltip {prop.description!r}")
    assert not wrong, "\n".join(wrong)
