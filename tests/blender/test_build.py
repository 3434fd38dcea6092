"""The extension zips a user installs: what `python -m host_adapters.blender.build` puts in them."""
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
MB = 1_000_000


def _manifest(zf: zipfile.ZipFile) -> dict:
    return tomllib.loads(zf.read("blender_manifest.toml").decode())


def _wheels(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return [Path(w).name for w in _manifest(zf)["wheels"]]


def test_the_zip_holds_the_adapter_the_core_and_every_wheel_it_lists(blender_zip):
    with zipfile.ZipFile(blender_zip) as zf:
        names = set(zf.namelist())
        manifest = _manifest(zf)
        listed = {w[2:] for w in manifest["wheels"]}
        assert listed == {n for n in names if n.startswith("wheels/")}
        assert {"__init__.py", "compat.py", "host.py", "operators.py", "lazy.py",
                "ops_analyze.py", "ops_restyle.py"} <= names
        assert not any(n.endswith(("build.py", ".pyc")) for n in names)
        core = next(n for n in listed if n.startswith("wheels/ttsai_plugin-"))
        with zipfile.ZipFile(zf.open(core)) as wheel:
            inner = wheel.namelist()
    assert manifest["id"] == "ttsai"
    assert set(manifest["permissions"]) == {"network", "files"}
    assert manifest["platforms"] == ["linux-x64"]
    assert "ttsai_plugin/workflows/dub.py" in inner and "ttsai_plugin/local/app.py" in inner
    shipped = {p.name for p in (ROOT / "presets").glob("*.json")}
    assert shipped <= {Path(n).name for n in inner if "presets" in n and n.endswith(".json")}


def test_each_blender_python_gets_its_own_zip_and_blender_versions(blender_zips):
    """4.2–5.0 run Python 3.11 and 5.1+ Python 3.13: each zip carries one Python's compiled
    wheels, and its manifest keeps the other Blenders from installing it."""
    with zipfile.ZipFile(blender_zips["3.11"]) as zf:
        old = _manifest(zf)
    with zipfile.ZipFile(blender_zips["3.13"]) as zf:
        new = _manifest(zf)
    assert (old["blender_version_min"], old["blender_version_max"]) == ("4.2.0", "5.1.0")
    assert new["blender_version_min"] == "5.1.0" and "blender_version_max" not in new
    for py, tag in (("3.11", "cp311"), ("3.13", "cp313")):
        wheels = _wheels(blender_zips[py])
        compiled = {w.split("-")[2] for w in wheels if w.split("-")[2].startswith("cp")}
        assert compiled == {tag}, (py, compiled)
        assert blender_zips[py].name.endswith(f"-linux-x64-py{tag[2:]}.zip")
    assert [build.target_for(v).python for v in ("4.2", "5.0.1", "5.1", "5.2")] == \
        ["3.11", "3.11", "3.13", "3.13"]
    with pytest.raises(build.BuildError, match="4.2 or later"):
        build.target_for("4.1")


def test_the_zip_carries_the_local_engine_but_nothing_blender_has_or_the_extension_never_uses(
        blender_zips):
    for zip_path in blender_zips.values():
        wheels = _wheels(zip_path)
        for package in ("httpx", "soundfile", "imageio_ffmpeg", "pyloudnorm", "platformdirs",
                        "srt", "werkzeug", "scipy", "pyrnnoise", "nara_wpe", "threadpoolctl"):
            assert any(w.startswith(package + "-") for w in wheels), package
        for package in ("numpy", "pydub", "tqdm", "audiolab", "av", "matplotlib", "librosa",
                        "numba", "llvmlite", "pocketsphinx", "torch", "setuptools"):
            assert not any(w.startswith(package + "-") for w in wheels), package


def test_one_platforms_zip_is_at_most_80_mb(blender_zips):
    sizes = {py: p.stat().st_size for py, p in blender_zips.items()}
    assert all(size <= 80 * MB for size in sizes.values()), sizes


def test_a_second_build_reuses_the_wheel_cache_without_asking_pypi(tmp_path, blender_zip):
    offline = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(tmp_path / "none"),
               "PIP_EXTRA_INDEX_URL": ""}                 # any pip run would now fail
    done = subprocess.run([sys.executable, "-m", "host_adapters.blender.build", "--out",
                           str(tmp_path), "--platform", "linux-x64", "--python", "3.11"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, env=offline)
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


def test_the_companion_local_engine_manifest_is_its_own_extension_for_the_same_blenders():
    text = build.manifest_text(["pocketsphinx-5.1.1-cp313-cp313-win_amd64.whl"], "windows-x64",
                               build.TARGETS["3.13"], engine=True)
    data = tomllib.loads(text)
    assert data["id"] == build.ENGINE_ID != "ttsai" and data["name"] == "TTS.ai Local Engine"
    assert data["blender_version_min"] == "5.1.0" and data["platforms"] == ["windows-x64"]
    assert data["wheels"] == ["./wheels/pocketsphinx-5.1.1-cp313-cp313-win_amd64.whl"]
    assert "permissions" not in data                       # it only carries packages
    assert len(data["tagline"]) <= 64
