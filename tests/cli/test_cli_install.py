"""A user who installed ``ttsai-plugin`` without the ``engine`` extra and has no key yet: every
command says in one line what to do (set a key, or install the extra), exit 3, and nothing is
written. The missing package is made missing for real: a ``werkzeug`` on the path that cannot
be imported, as when pip never installed it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import media_factory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bare_env(tmp_path) -> dict[str, str]:
    shadow = tmp_path / "shadow" / "werkzeug"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'werkzeug'\", name='werkzeug')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TTSAI_")}
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_CACHE_HOME=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(tmp_path / "shadow"), str(ROOT)]))
    return env


def ttsai(env, *args):
    return subprocess.run([sys.executable, "-m", "ttsai_plugin.cli", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", [["narrate", "Hello there."], ["enhance", "{wav}"],
                                     ["transcribe", "{wav}"]])
def test_without_the_engine_extra_and_without_a_key_each_command_says_what_to_do(
        bare_env, tmp_path, command):
    wav = media_factory.speech(tmp_path, "take.wav", text="Hello there.")
    args = [a.format(wav=wav) for a in command] + ["-o", tmp_path / "out" / "result.wav"
                                                   if command[0] != "transcribe"
                                                   else tmp_path / "out" / "take.srt"]
    proc = ttsai(bare_env, *args)
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("ttsai: error:")]
    assert proc.returncode == 3, proc.stderr
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "local engine is not installed (missing werkzeug)" in errors[0]
    assert "pip install 'ttsai-plugin[engine]'" in proc.stderr
    assert "TTSAI_API_KEY" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_with_a_key_the_same_install_works_without_the_engine(bare_env, tmp_path):
    """The extra is only for offline use: with a key the job goes to the service (here the
    engine on loopback, run by this test process, which has the extra)."""
    from ttsai_plugin.local import EngineConfig, serve
    key = "sk-tts-bare-install-0001"
    server = serve(EngineConfig(keys={key: "pro"}, credits={key: 10_000}))
    try:
        bare_env.update(TTSAI_API_KEY=key, TTSAI_BASE_URL=server.url)
        proc = ttsai(bare_env, "narrate", "Hello there.", "-o", tmp_path / "n.wav")
    finally:
        server.close()
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "n.wav").stat().st_size > 10_000


def test_without_espeak_ng_english_is_still_spoken_offline_and_spanish_says_what_to_install(
        tmp_path):
    """espeak-ng is a system program pip cannot install: with the neural extra, English needs
    it not; another language gets one line naming the package."""
    pytest.importorskip("piper")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    import shutil
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool):
            (bin_dir / tool).symlink_to(shutil.which(tool))
    env = {"HOME": str(tmp_path / "home"), "PATH": str(bin_dir), "PYTHONPATH": str(ROOT),
           "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    english = ttsai(env, "narrate", "Hello there.", "-o", tmp_path / "en.wav")
    assert english.returncode == 0, english.stderr
    assert (tmp_path / "en.wav").stat().st_size > 10_000
    spanish = ttsai(env, "narrate", "Hola amigos.", "--language", "es", "-o", tmp_path / "es.wav")
    errors = [ln for ln in spanish.stderr.splitlines() if ln.startswith("ttsai: error:")]
    assert spanish.returncode == 1 and len(errors) == 1, spanish.stderr
    assert "espeak-ng is not installed" in errors[0] and "apt-get install espeak-ng" in errors[0]
    assert not (tmp_path / "es.wav").exists()
