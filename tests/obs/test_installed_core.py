"""A streamer installs the core as the README says (a venv from OBS's Python, ``pip install``)
and points the script at it: the presets come with the package, cleanup works."""
from __future__ import annotations

import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.obs.conftest import SCENE, script_alone
from tests.obs.installed_core import clean_env
from tests.obs.media_checks import track_loudness

pytestmark = pytest.mark.slow


def test_the_wheel_and_the_sdist_carry_every_shipped_preset(installed_core):
    repo_presets = sorted(p.name for p in (Path(__file__).parents[2] / "presets").glob("*.json"))
    dist = installed_core.parent / "dist"
    wheel = zipfile.ZipFile(next(dist.glob("*.whl"))).namelist()
    assert sorted(Path(n).name for n in wheel
                  if n.startswith("ttsai_plugin/_presets/") and n.endswith(".json")) == repo_presets
    sdist = tarfile.open(next(dist.glob("*.tar.gz"))).getnames()
    assert sorted(Path(n).name for n in sdist if "/presets/" in n and n.endswith(".json")) == \
        repo_presets
    listed = subprocess.run(
        [str(installed_core / "bin" / "python"), "-c",
         "from ttsai_plugin import presets; print(presets.shipped_dir()); "
         "print(' '.join(sorted(presets.load_presets())))"],
        cwd=installed_core, env=clean_env(), capture_output=True, text=True, check=True).stdout.split("\n")
    assert Path(listed[0]).is_relative_to(installed_core / "lib")
    assert listed[1].split() == [Path(n).stem for n in repo_presets]


def test_an_installed_core_lists_presets_and_cleans_a_recording(obs, installed_core, engine,
                                                                recording, tmp_path):
    reply = obs.load(script_alone(tmp_path), {"target_scene": SCENE,
                                              "core_path": str(installed_core)})
    assert "Not ready" not in reply["description"], reply["description"]
    core = obs.py("import ttsai_plugin; reply = ttsai_plugin.__file__")
    assert Path(core).is_relative_to(installed_core)
    items = {p["name"]: [i.get("value") for i in p.get("items", [])]
             for g in obs.props() for p in g.get("children", [])}
    assert "stream-mic-cleanup" in items["cleanup_preset"]
    assert "stream-mic-cleanup" in items["mic_preset"]

    obs.update(base_url=engine.url, api_key=engine.key, recording=str(recording),
               cleanup_preset="stream-mic-cleanup")
    obs.click("save_key")
    obs.click("clean")

    status = obs.wait_status("Cleaned", "Cleanup failed", timeout=180)
    assert status.startswith("Cleaned"), status
    clean = recording.with_name(f"{recording.stem}.clean{recording.suffix}")
    assert abs(track_loudness(clean, 0, tmp_path) - -16.0) < 1.0
