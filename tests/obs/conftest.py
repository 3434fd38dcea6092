"""Fixtures for the OBS script tests: a headless OBS with the script loaded, and the engine."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests import media_factory
from tests.obs.obs_harness import ObsHarness, build, missing_requirements

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "host_adapters" / "obs" / "ttsai_obs.py"
SCENE = "Stream"


@pytest.fixture(scope="session")
def harness_binary() -> Path:
    why = missing_requirements()
    if why:
        pytest.skip(f"OBS harness cannot run: {why}")
    return build()


@pytest.fixture
def obs_env(tmp_path) -> dict[str, str]:
    """OBS's environment: no virtualenv leaking in, and user dirs inside the test folder."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "TTSAI_PLUGIN_PATH",
                        "TTSAI_API_KEY", "TTSAI_BASE_URL")}
    # OBS's embedded Python finds its stdlib through the first `python3` on PATH: a venv's
    # bin there would hand Debian's libpython another build's stdlib (seen: pyenv's _ssl).
    env["PATH"] = os.pathsep.join(
        d for d in env.get("PATH", "").split(os.pathsep)
        if d and not (Path(d).parent / "pyvenv.cfg").exists())
    home = tmp_path / "home"
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local/share"), XDG_CACHE_HOME=str(home / ".cache"),
               TTSAI_CONFIG=str(tmp_path / "ttsai-config.toml"))
    return env


@pytest.fixture
def obs(harness_binary, obs_env, tmp_path):
    """A fresh headless OBS with a program scene called 'Stream'. On teardown it quits like
    OBS does, and every reference the script took must have been released."""
    h = ObsHarness(harness_binary, obs_env, tmp_path / "obs.log")
    h.call("scene_create", name=SCENE, program=True)
    yield h
    assert h.close() == 0, h.log_text()[-3000:]
    assert h.leaks() == 0, f"OBS objects were not released; see {h.log}"


@pytest.fixture
def script(obs, tmp_path):
    """The script loaded from the checkout into the 'Stream' scene's OBS."""
    reply = obs.load(SCRIPT, {"target_scene": SCENE, "media_dir": str(tmp_path / "generated")})
    assert reply["loaded"], obs.log_text()[-2000:]
    return obs


@pytest.fixture
def connected(script, engine):
    """The loaded script pointed at the session's engine (tests/conftest.py) on loopback, with
    its key saved as a user would."""
    script.update(base_url=engine.url, api_key=engine.key)
    script.click("save_key")
    assert script.status().startswith("API key saved"), script.status()
    return script


@pytest.fixture
def recording(tmp_path, media_dir) -> Path:
    """A finished OBS-style recording: an .mkv with H.264 video and the speech as AAC."""
    return _recording(tmp_path, media_dir, ".mkv")


@pytest.fixture
def flv_recording(tmp_path, media_dir) -> Path:
    """The same recording as OBS writes it when set to FLV."""
    return _recording(tmp_path, media_dir, ".flv")


def _recording(tmp_path: Path, media_dir: Path, suffix: str) -> Path:
    out = tmp_path / "recordings" / f"2026-11-26 01-00-00{suffix}"
    out.parent.mkdir()
    subprocess.run([media_factory.ffmpeg(), "-y", "-i", str(media_factory.video_with_speech(
        media_dir)), "-c", "copy", str(out)], check=True, capture_output=True)
    return out
