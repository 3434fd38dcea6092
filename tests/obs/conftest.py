"""Fixtures for the OBS script tests: a headless OBS with the script loaded, and the engine."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import media_factory
from tests.obs.installed_core import SYSTEM_PYTHON, build_and_install
from tests.obs.obs_harness import ObsHarness, build, missing_requirements

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "host_adapters" / "obs" / "ttsai_obs.py"
SCENE = "Stream"
INSTALLED = os.environ.get("TTSAI_OBS_CORE") == "installed"
"""``TTSAI_OBS_CORE=installed``: every script test runs against a pip-installed core."""


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


@pytest.fixture(scope="session")
def installed_core(tmp_path_factory) -> Path:
    """A virtualenv from the system's Python 3.11 with the wheel built from this checkout
    installed (README §1); the script is pointed at it with 'Core and libraries folder'."""
    if not SYSTEM_PYTHON.exists():
        pytest.skip(f"{SYSTEM_PYTHON} (the Python Debian's OBS runs) is not installed")
    venv, _wheel, _sdist = build_and_install(REPO, tmp_path_factory.mktemp("install"))
    return venv


def script_alone(tmp_path: Path) -> Path:
    """The script files alone in a folder, as a user who copied only them would have."""
    lonely = tmp_path / "scripts"
    lonely.mkdir(exist_ok=True)
    for f in SCRIPT.parent.glob("ttsai_obs*.py"):
        shutil.copy(f, lonely)
    return lonely / SCRIPT.name


@pytest.fixture
def script(obs, tmp_path, request):
    """The script loaded into the 'Stream' scene's OBS: from the checkout, or with
    ``TTSAI_OBS_CORE=installed`` alone in a folder with the installed core as its setting."""
    settings = {"target_scene": SCENE, "media_dir": str(tmp_path / "generated")}
    path = SCRIPT
    if INSTALLED:
        path = script_alone(tmp_path)
        settings["core_path"] = str(request.getfixturevalue("installed_core"))
    reply = obs.load(path, settings)
    assert reply["loaded"], obs.log_text()[-2000:]
    assert "Not ready" not in reply["description"], reply["description"]
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
