"""A new user with no API key: everything runs on the built-in local engine the extension
carries, installed in one step with Blender's own installer."""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import bpy
import pytest

import vse

MEDIA = Path(os.environ["TTSAI_TEST_MEDIA"])
ext_prefs = importlib.import_module("bl_ext.user_default.ttsai.prefs")
runtime = importlib.import_module("bl_ext.user_default.ttsai.runtime")


@pytest.fixture
def no_key(monkeypatch, tmp_path):
    """No key and no Base URL anywhere: not in the environment, the preferences or a config
    file (the home folder is a fresh one)."""
    for name in ("TTSAI_API_KEY", "TTSAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TTSAI_CONFIG", str(tmp_path / "no-config.toml"))
    prefs = ext_prefs.preferences()
    assert prefs.api_key == "" and prefs.base_url == ""
    monkeypatch.setattr(ext_prefs, "_notice_given", False)


def test_the_preferences_say_which_engine_is_in_use(no_key, monkeypatch):
    used = ext_prefs.engine(ext_prefs.settings())
    assert used.kind == "local" and "built-in local engine" in used.title
    assert "Narrate" in used.detail and "Enhance" in used.detail and "Offline" in used.detail
    monkeypatch.setenv("TTSAI_BASE_URL", "http://127.0.0.1:8765/v1/")
    assert ext_prefs.engine(ext_prefs.settings()).kind == "server"
    monkeypatch.setenv("TTSAI_BASE_URL", "https://api.tts.ai/v1/")
    monkeypatch.setenv("TTSAI_API_KEY", "sk-tts-a-real-key-0001")
    used = ext_prefs.engine(ext_prefs.settings())
    assert used.kind == "cloud" and "api.tts.ai" in used.title and "billed" in used.detail
    assert "sk-tts" not in used.title + used.detail


def test_narrate_with_no_key_lands_a_strip_and_the_first_job_says_it_ran_locally(
        no_key, scene, project, capfd):
    vse.need_audio()
    scene.frame_current = 26
    before = vse.names(scene)
    assert bpy.ops.ttsai.narrate(text="Hello from the offline engine.") == {"FINISHED"}
    [strip] = vse.new_strips(scene, before)
    assert strip.type == "SOUND" and vse.compat.visible_range(strip)[0] == 26
    path = vse.file_of(strip)
    assert path.is_file() and project in path.parents
    out = capfd.readouterr()
    assert "built-in local engine" in out.out + out.err
    assert "offline" in out.out + out.err

    assert bpy.ops.ttsai.narrate(text="A second line.") == {"FINISHED"}
    out = capfd.readouterr()
    assert "built-in local engine" not in out.out + out.err   # said once, not at every job


def test_enhance_with_no_key_lands_over_the_noisy_clip_and_mutes_it(no_key, scene, project):
    vse.need_audio()
    noisy = vse.sound(scene, MEDIA / "noisy.wav", 1, 1)
    vse.select_only(scene, noisy)
    before = vse.names(scene)
    billed_before = runtime.last_credits
    assert bpy.ops.ttsai.enhance() == {"FINISHED"}
    [clean] = vse.new_strips(scene, before)
    assert clean.type == "SOUND" and clean.channel == 2
    assert vse.compat.visible_range(clean) == vse.compat.visible_range(noisy)
    assert noisy.mute is True
    assert vse.file_of(clean).is_file() and vse.file_of(clean) != MEDIA / "noisy.wav"
    assert runtime.last_credits is billed_before          # nothing billed: sidebar unchanged


@pytest.mark.parametrize("op, kwargs, label", [
    ("transcribe", {}, "Transcribe"),
    ("apply_preset", {"preset": "dub-spanish"}, "Dub"),   # a preset's step, refused up front
])
def test_a_job_the_bundled_engine_cannot_run_says_what_to_do_and_changes_nothing(
        no_key, scene, capfd, op, kwargs, label):
    if all(ext_prefs._installed(m) for m in ext_prefs.NEEDS["transcribe"]):
        pytest.skip("this Blender's Python has pocketsphinx itself")
    movie, _snd = vse.movie_with_sound(scene, MEDIA / "talk.mp4", 1, 1)
    vse.select_only(scene, movie)
    before = vse.names(scene)
    assert getattr(bpy.ops.ttsai, op)(**kwargs) == {"CANCELLED"}
    out = capfd.readouterr()
    text = out.out + out.err
    assert f"{label} is not part of the built-in local engine" in text
    assert "TTS.ai Local Engine" in text and "API key" in text and "ttsai serve" in text
    assert vse.names(scene) == before


def test_enabling_loads_neither_the_network_stack_nor_soundfile(extension):
    """A fresh Blender with the installed extension: enabling it leaves httpx, ssl and
    soundfile for the first job."""
    child = Path(__file__).resolve().parents[3] / "bench" / "_blender_enable_child.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run([sys.executable, str(child), "enable", "-"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["enabled"] is True and report["already"] is False
    assert not {"httpx", "ssl", "soundfile", "ttsai_plugin.workflows"} & set(report["loaded"])


def test_narrate_offline_without_espeak_ng_says_how_to_get_it_and_changes_nothing(
        no_key, scene, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("PATH", str(tmp_path))          # no espeak-ng (nor anything else) here
    before = vse.names(scene)
    assert bpy.ops.ttsai.narrate(text="Nobody will hear this.") == {"CANCELLED"}
    out = capfd.readouterr()
    text = out.out + out.err
    assert "needs espeak-ng" in text and "apt-get install espeak-ng" in text
    assert vse.names(scene) == before
    missing = ext_prefs.engine(ext_prefs.settings()).detail.split(". ", 1)[1]
    assert "Narrate" in missing and "espeak-ng" in missing
