"""Run the in-Blender stories once per Blender version and hand each result to pytest.

One Blender process per version (4.2 LTS, 5.0, 5.2 — the PyPI ``bpy`` modules installed by
``tools/bootstrap.sh``) runs pytest on ``tests/blender/inside/`` against the session's
local engine on loopback; the three run in parallel. Each inside test becomes one outer
test ``test_in_blender[<file>:<story>-<version>]``; a Blender runs only the stories selected
for it (``-k``), or none.
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import media_factory

ROOT = Path(__file__).resolve().parents[2]
INSIDE = Path(__file__).resolve().parent / "inside"
VERSIONS = ("4.2", "5.0", "5.2")
collect_ignore = ["inside"]
RUN_TIMEOUT = 420


def venv_python(version: str) -> Path:
    return ROOT / f".venv-blender-{version}" / "bin" / "python"


@dataclass
class BlenderRun:
    version: str
    proc: subprocess.Popen | None
    results_file: Path
    log_file: Path
    missing: str = ""
    _results: dict | None = None

    def results(self) -> dict:
        if self._results is None:
            try:
                self.proc.wait(timeout=RUN_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            if self.results_file.exists():
                self._results = json.loads(self.results_file.read_text())
            else:
                log = self.log_file.read_text(errors="replace")[-4000:]
                self._results = {"__crash__": f"Blender {self.version} exited "
                                              f"{self.proc.returncode} without results:\n{log}"}
        return self._results


@pytest.fixture(scope="session")
def blender_zips(tmp_path_factory) -> dict[str, Path]:
    """One linux-x64 zip per Blender Python (3.11: Blender 4.2–5.0; 3.13: 5.1+)."""
    from host_adapters.blender.build import TARGETS, build
    out = tmp_path_factory.mktemp("blender-ext")
    return {py: build(out, "linux-x64", py) for py in TARGETS}


@pytest.fixture(scope="session")
def blender_engine_zips(blender_zips) -> dict[str, Path]:
    """The companion TTS.ai Local Engine zips, only with ``TTSAI_BLENDER_LOCAL_ENGINE=1``
    (~105 MB of wheels per Python)."""
    if os.environ.get("TTSAI_BLENDER_LOCAL_ENGINE") != "1":
        return {}
    from host_adapters.blender.build import TARGETS, build_engine
    out = next(iter(blender_zips.values())).parent
    return {py: build_engine(out, "linux-x64", py) for py in TARGETS}


@pytest.fixture(scope="session")
def blender_zip(blender_zips) -> Path:
    return blender_zips["3.11"]


@pytest.fixture(scope="session")
def blender_media(tmp_path_factory) -> Path:
    """The stories' media: a talking movie, speech, music, noisy and echoey speech, and a
    29.97 fps movie."""
    d = tmp_path_factory.mktemp("blender-media")
    media_factory.video_with_speech(d)
    media_factory.video_with_speech(d, name="talk2997.mp4", fps="30000/1001")
    media_factory.music_mix(d, seconds=6.0)
    media_factory.noisy_speech(d)
    media_factory.reverberant_speech(d)
    _talk, _bed, spans = media_factory.talk_over_music(d)        # + talk_music.bed.wav
    (d / "talk_music.spans.json").write_text(json.dumps(spans))  # the sentences' true times
    return d


def selected_stories(items: list[pytest.Item]) -> dict[str, list[str]]:
    """Per Blender version, the inside stories (``test_x::test_y``) this session runs: a
    ``-k`` or node-id selection of ``test_in_blender`` then runs only those in Blender."""
    chosen: dict[str, list[str]] = {}
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if item.originalname == "test_in_blender" and {"story", "version"} <= params.keys():
            chosen.setdefault(params["version"], []).append(params["story"])
    return chosen


@pytest.fixture(scope="session")
def blender_runs(request, engine, blender_zips, blender_engine_zips, blender_media,
                 tmp_path_factory) -> dict[str, BlenderRun]:
    """Start every selected Blender version at once, each with the zip built for its Python,
    running only the stories selected for it; results are awaited on first use."""
    from host_adapters.blender.build import target_for
    runs: dict[str, BlenderRun] = {}
    stories = selected_stories(request.session.items)
    for version in VERSIONS:
        work = tmp_path_factory.mktemp(f"blender-{version}")
        py = venv_python(version)
        run = BlenderRun(version, None, work / "results.json", work / "log.txt")
        wanted = os.environ.get("TTSAI_BLENDER_VERSIONS")
        if wanted and version not in wanted.split(","):
            run.missing = f"Blender {version} not in TTSAI_BLENDER_VERSIONS={wanted}"
            runs[version] = run
            continue
        if version not in stories:
            run.missing = f"no story selected for Blender {version}"
            runs[version] = run
            continue
        if not py.exists():
            run.missing = (f"Blender {version} is not installed here ({py.parent.parent.name} "
                           "missing): run `bash tools/bootstrap.sh setup`")
            runs[version] = run
            continue
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TTSAI_", "PYTEST_")) and k != "PYTHONPATH"}  # the zip only
        env.update(TTSAI_BASE_URL=engine.url, TTSAI_API_KEY=engine.key,
                   TTSAI_BLENDER_ZIP=str(blender_zips[target_for(version).python]),
                   TTSAI_TEST_MEDIA=str(blender_media),
                   TTSAI_RESULTS=str(run.results_file), TTSAI_PRESETS_DIR=str(work / "presets"),
                   BLENDER_USER_RESOURCES=str(work / "user"), HOME=str(work / "home"),
                   TMPDIR=str(work), PYTHONDONTWRITEBYTECODE="1")
        companion = blender_engine_zips.get(target_for(version).python)
        if companion is not None:
            env["TTSAI_BLENDER_ENGINE_ZIP"] = str(companion)
        nodes = [str(INSIDE / f"{story.replace('::', '.py::', 1)}") for story in stories[version]]
        cmd = [str(py), "-m", "pytest", *nodes, "-q", "-p", "no:cacheprovider",
               "--rootdir", str(INSIDE), "-c", str(INSIDE / "pytest.ini"),
               "--confcutdir", str(INSIDE), "--basetemp", str(work / "t")]
        run.proc = subprocess.Popen(cmd, cwd=str(work), env=env, stdout=run.log_file.open("w"),
                                    stderr=subprocess.STDOUT)
        runs[version] = run
    yield runs
    for run in runs.values():
        if run.proc is not None and run.proc.poll() is None:
            run.proc.kill()
