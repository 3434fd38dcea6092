"""The companion "TTS.ai Local Engine" extension: installed beside TTS.ai, the operators the
main zip's engine lacks (Transcribe, Analyze, …) work offline too, with no key."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import vse

HERE = Path(__file__).resolve().parent


def test_with_the_local_engine_extension_transcribe_and_analyze_work_offline(tmp_path):
    engine_zip = os.environ.get("TTSAI_BLENDER_ENGINE_ZIP")
    if not engine_zip:
        pytest.skip("the companion zip is not built: TTSAI_BLENDER_LOCAL_ENGINE is not 1 "
                    "(the test command sets it; ~105 MB of wheels: pocketsphinx, librosa, ...)")
    vse.need_audio()
    (tmp_path / "home").mkdir()
    (tmp_path / "project").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TTSAI_", "PYTEST"))}
    env.update(HOME=str(tmp_path / "home"), BLENDER_USER_RESOURCES=str(tmp_path / "user"),
               TTSAI_CONFIG=str(tmp_path / "none.toml"))      # a fresh user: no key anywhere
    done = subprocess.run([sys.executable, str(HERE / "_engine_child.py"),
                           os.environ["TTSAI_BLENDER_ZIP"], engine_zip,
                           os.environ["TTSAI_TEST_MEDIA"], str(tmp_path / "project")],
                          capture_output=True, text=True, env=env, timeout=600)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    assert lines, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(lines[-1])
    assert "Transcribe" in report["engine"].split(":", 1)[1].split(".")[0]
    assert report["transcribe"] == ["FINISHED"] and report["transcribe_new"]
    assert set(report["transcribe_new"]) == {"TEXT"}
    assert report["analyze"] == ["FINISHED"] and report["markers"]
    assert "built-in local engine" in done.stdout
