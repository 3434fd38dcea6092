"""The `ttsai` command as a user runs it: a real subprocess, the embedded engine (no key),
files where -o says, one-line errors and the documented exit codes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import srt

from ttsai_plugin import media

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """No key, no config file, a private cache: the embedded engine, as on a fresh machine."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("TTSAI_")}
    e.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"),
             XDG_CACHE_HOME=str(tmp_path / "cache"), TTSAI_CACHE_DIR=str(tmp_path / "results"))
    return e


def ttsai(env, *args, cwd=None, check_ok=True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "ttsai_plugin.cli", *map(str, args)], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=240)
    if check_ok:
        assert proc.returncode == 0, proc.stderr
    return proc


def one_line_error(proc) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("ttsai: error:")]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_the_five_everyday_commands_on_the_embedded_engine(env, tmp_path, talk_mp4, noisy_wav,
                                                           music_wav):
    out = tmp_path / "work"
    out.mkdir()
    video = out / "some_video.mp4"
    video.write_bytes(talk_mp4.read_bytes())
    dub = ttsai(env, "dub", video, "--to", "es", "-o", out / "dubbed.wav", "--json")
    info = json.loads(dub.stdout)
    assert media.duration(out / "dubbed.wav") == pytest.approx(media.duration(talk_mp4), abs=0.05)
    assert info["mock"] and info["original_text"] and info["translated_text"]

    ttsai(env, "enhance", noisy_wav, "-o", out / "clean.wav", "--preset", "stream-mic-cleanup")
    assert media.loudness(out / "clean.wav") == pytest.approx(-16, abs=0.5)
    assert media.duration(out / "clean.wav") == pytest.approx(media.duration(noisy_wav), abs=1e-3)

    ttsai(env, "stems", music_wav, "--stems", "2", "-o", out / "stems")
    stems = sorted(p.name for p in (out / "stems").iterdir())
    assert stems == ["accompaniment.wav", "vocals.wav"]

    ttsai(env, "transcribe", video, "--srt", out / "talk.srt")
    subs = list(srt.parse((out / "talk.srt").read_text("utf-8")))
    assert subs and subs[-1].end.total_seconds() <= media.duration(talk_mp4) + 1e-3

    script = out / "script.txt"
    script.write_text("First paragraph of the script.\n\nSecond paragraph, spoken after a pause.",
                      "utf-8")
    ttsai(env, "narrate", "--file", script, "-o", out / "vo.wav")
    said = ttsai(env, "narrate", "Hello from the terminal.", "-o", out / "out.mp3")
    seconds = media.duration(out / "out.mp3")
    assert f"({seconds:.2f} s)" in said.stdout or f"{seconds:.1f}" in said.stdout
    assert media.probe(out / "out.mp3").audio_streams[0].codec == "mp3"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no work files left


def test_a_range_and_a_video_output_keep_the_picture(env, tmp_path, talk_mp4):
    ttsai(env, "enhance", talk_mp4, "--start", "1", "--end", "3.5", "-o", tmp_path / "part.flac")
    assert media.duration(tmp_path / "part.flac") == pytest.approx(2.5, abs=1e-3)
    out = tmp_path / "clean.mp4"
    ttsai(env, "enhance", talk_mp4, "-o", out)
    info = media.probe(out)
    assert info.has_video and info.duration == pytest.approx(media.probe(talk_mp4).duration, abs=0.1)
    refused = ttsai(env, "enhance", talk_mp4, "--end", "2", "-o", tmp_path / "cut.mp4",
                    check_ok=False)
    assert refused.returncode == 2 and "whole input" in one_line_error(refused)


@pytest.mark.parametrize("args, code, needle", [
    (["enhance", "nowhere.wav", "-o", "x.wav"], 2, "does not exist"),
    (["narrate", "", "-o", "x.wav"], 2, "empty"),
    (["narrate", "hi", "-o", "x.xyz"], 2, "unknown output type"),
    (["enhance", "{noisy}", "-o", "x.wav", "--preset", "nope"], 2, "no preset named"),
    (["stems", "{noisy}", "--stems", "3", "-o", "d"], 2, "invalid choice"),
])
def test_usage_and_input_errors_exit_2_with_one_clear_line(env, tmp_path, noisy_wav, args,
                                                          code, needle):
    args = [a.replace("{noisy}", str(noisy_wav)) for a in args]
    proc = ttsai(env, *args, cwd=tmp_path, check_ok=False)
    assert proc.returncode == code
    assert needle in proc.stderr
    if "invalid choice" not in needle:
        one_line_error(proc)
    assert not (tmp_path / "x.wav").exists()


def test_a_wrong_key_exits_3_and_never_prints_the_key(env, tmp_path, engine, speech_wav):
    secret = "sk-tts-definitely-wrong-1234567890"
    proc = ttsai(env, "enhance", speech_wav, "-o", tmp_path / "x.wav", "--api-key", secret,
                 "--base-url", engine.url, check_ok=False)
    assert proc.returncode == 3
    assert "API key" in one_line_error(proc)
    assert secret not in proc.stderr + proc.stdout


def test_no_credits_is_an_api_error_exit_1(env, tmp_path, speech_wav):
    from ttsai_plugin.local import EngineConfig, serve
    key = "sk-tts-broke-0000000000"
    server = serve(EngineConfig(keys={key: "pro"}, credits={key: 0}))
    try:
        proc = ttsai(env, "enhance", speech_wav, "-o", tmp_path / "x.wav", "--api-key", key,
                     "--base-url", server.url, check_ok=False)
    finally:
        server.close()
    assert proc.returncode == 1
    assert "credits" in one_line_error(proc).lower()
    assert not (tmp_path / "x.wav").exists()


def test_ctrl_c_cancels_with_130_and_leaves_nothing(env, tmp_path):
    from ttsai_plugin.local import DEV_KEY, EngineConfig, serve
    server = serve(EngineConfig(keys={DEV_KEY: "pro"}, latency=3.0))
    out = tmp_path / "o"
    out.mkdir()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "ttsai_plugin.cli", "narrate",
                                 "A sentence that takes a while. " * 20, "-o", str(out / "vo.wav"),
                                 "--base-url", server.url], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        for line in proc.stderr:  # wait until the job is really under way
            if "Narrating" in line:
                break
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        server.close()
    assert proc.returncode == 130, err
    assert list(out.rglob("*")) == [], err


def test_estimate_presets_and_models_answer_without_processing(env, tmp_path, speech_wav):
    est = json.loads(ttsai(env, "estimate", "dereverb", speech_wav, "--end", "3",
                           "--json").stdout)
    assert est["credits"] == 9 and not est["upper_bound"]   # 3 started seconds × 3
    listing = ttsai(env, "presets").stdout
    assert "stream-mic-cleanup" in listing and "music-stems-4" in listing
    shown = json.loads(ttsai(env, "presets", "stream-mic-cleanup", "--json").stdout)
    assert shown["obs_filters"][0]["settings"]["method"] == "rnnoise"
    models = json.loads(ttsai(env, "models", "--json").stdout)["models"]
    assert any(m["id"] == "kokoro" for m in models)


@pytest.mark.parametrize("command, preset, hint", [
    ("enhance", "music-stems-4", "ttsai stems --preset music-stems-4"),
    ("stems", "podcast-voice", "ttsai enhance --preset podcast-voice"),
    ("dereverb", "youtube-narration", "ttsai narrate"),
])
def test_a_preset_the_command_cannot_write_is_refused_before_any_work(env, tmp_path, music_wav,
                                                                      command, preset, hint):
    out = tmp_path / ("x.wav" if command != "stems" else "stems")
    proc = ttsai(env, command, music_wav, "-o", out, "--preset", preset, check_ok=False)
    assert proc.returncode == 2 and hint in one_line_error(proc)
    assert not out.exists() and not list(tmp_path.glob(".ttsai-*"))
