"""The extension zip a user installs: what `python -m host_adapters.blender.build` puts in it."""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from host_adapters.blender import build

ROOT = Path(__file__).resolve().parents[2]


def _manifest(zf: zipfile.ZipFile) -> dict:
    return tomllib.loads(zf.read("blender_manifest.toml").decode())


def test_the_zip_holds_the_adapter_the_core_and_every_wheel_it_lists(blender_zip):
    with zipfile.ZipFile(blender_zip) as zf:
        names = set(zf.namelist())
        manifest = _manifest(zf)
        listed = {w[2:] for w in manifest["wheels"]}
        assert listed == {n for n in names if n.startswith("wheels/")}
        assert {"__init__.py", "compat.py", "host.py", "operators.py"} <= names
        assert not any(n.endswith(("build.py", ".pyc")) for n in names)
        core = next(n for n in listed if n.startswith("wheels/ttsai_plugin-"))
        with zipfile.ZipFile(zf.open(core)) as wheel:
            inner = wheel.namelist()
    assert manifest["id"] == "ttsai" and manifest["blender_version_min"] == "4.2.0"
    assert set(manifest["permissions"]) == {"network", "files"}
    assert manifest["platforms"] == ["linux-x64"]
    assert "ttsai_plugin/workflows/dub.py" in inner
    shipped = {p.name for p in (ROOT / "presets").glob("*.json")}
    assert {Path(n).name for n in inner if n.startswith("ttsai_plugin/_presets/")} == shipped


def test_compiled_dependencies_come_for_both_blender_pythons_and_numpy_is_left_to_blender(
        blender_zip):
    with zipfile.ZipFile(blender_zip) as zf:
        wheels = [Path(w).name for w in _manifest(zf)["wheels"]]
    assert not [w for w in wheels if w.startswith("numpy-")]
    for package in ("scipy", "cffi"):
        tags = {w.split("-")[2] for w in wheels if w.startswith(package + "-")}
        assert tags == {"cp311", "cp313"}, (package, tags)
    for package in ("httpx", "soundfile", "imageio_ffmpeg", "pyloudnorm", "platformdirs", "srt"):
        assert any(w.startswith(package + "-") for w in wheels), package


def test_a_second_build_reuses_the_wheel_cache_without_asking_pypi(tmp_path, blender_zip):
    offline = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path / "none"),
               "PIP_EXTRA_INDEX_URL": ""}                 # any pip run would now fail
    done = subprocess.run([sys.executable, "-m", "host_adapters.blender.build", "--out",
                           str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env=offline)
    assert done.returncode == 0, done.stderr
    built = Path(done.stdout.strip())
    assert built.parent == tmp_path and built.stat().st_size == blender_zip.stat().st_size


def test_a_manifest_blender_would_reject_stops_the_build():
    data = tomllib.loads((ROOT / "host_adapters/blender/blender_manifest.toml").read_text())
    data["tagline"] = "x" * 65
    with pytest.raises(build.BuildError, match="64 characters"):
        build.check_manifest(data)
    del data["permissions"]["network"]
    with pytest.raises(build.BuildError, match="network and files"):
        build.check_manifest(data)

