"""Inside OBS's window: the current scene, the scene list, and the recording-stopped event.

The harness stands in for OBS's window through libobs-frontend-api itself (see harness.c), so
the script's frontend calls, event callbacks and references go through the real library.
"""
from __future__ import annotations

import pytest

from tests.obs.conftest import SCENE, SCRIPT
from tests.obs.obs_harness import HarnessError
from tests.obs.media_checks import sha256, video_frames_md5


def _in_obs_window(obs, engine, tmp_path):
    try:
        obs.call("frontend")
    except HarnessError as exc:
        pytest.skip(str(exc))
    reply = obs.load(SCRIPT, {"base_url": engine.url, "media_dir": str(tmp_path / "generated"),
                              "cleanup_preset": "stream-mic-cleanup"})
    assert reply["loaded"]
    obs.update(api_key=engine.key)
    obs.click("save_key")
    return obs


def test_narration_goes_to_the_current_scene_when_no_target_is_chosen(obs, engine, tmp_path):
    _in_obs_window(obs, engine, tmp_path)
    scenes = next(p for g in obs.props() for p in g.get("children", [])
                  if p["name"] == "target_scene")["items"]
    assert [(i["name"], i["value"]) for i in scenes] == [(f"Current ({SCENE})", ""),
                                                          (SCENE, SCENE)]

    obs.update(narration_text="Going live in five.")
    obs.click("narrate")

    assert obs.wait_status("Narration ready", "Narration failed").startswith("Narration ready")
    assert [i["source"] for i in obs.sources()[SCENE]["items"]] == ["TTS.ai Narration"]
    assert "No OBS frontend here" not in obs.log_text()


def test_a_long_current_scene_name_is_cut_in_the_list_and_whole_in_its_tooltip(obs, engine,
                                                                              tmp_path):
    _in_obs_window(obs, engine, tmp_path)
    long = "Gameplay with webcam overlay"
    obs.py("import obspython as o; s = o.obs_get_source_by_name('Stream'); "
           f"o.obs_source_set_name(s, {long!r}); o.obs_source_release(s)")

    prop = next(p for g in obs.props() for p in g.get("children", [])
                if p["name"] == "target_scene")
    assert [(i["name"], i["value"]) for i in prop["items"]] == [
        ("Current (Gamepl…)", ""), ("Gameplay with w…", long)]
    assert f"Current: {long}." in " ".join(prop["long_description"].split())


def test_obs_stopping_a_recording_cleans_it_when_auto_cleanup_is_on(obs, engine, recording,
                                                                    tmp_path):
    _in_obs_window(obs, engine, tmp_path)
    obs.update(cleanup_auto=True)
    before = sha256(recording)

    obs.call("recording_stopped", path=str(recording))

    status = obs.wait_status("Cleaned recording", "Cleanup failed", timeout=120)
    assert status.startswith("Cleaned recording"), status
    clean = recording.with_name(f"{recording.stem}.clean{recording.suffix}")
    assert video_frames_md5(clean) == video_frames_md5(recording)
    assert sha256(recording) == before


def test_a_stop_without_auto_cleanup_leaves_the_last_recording_for_the_buttons(obs, engine,
                                                                             recording, tmp_path):
    _in_obs_window(obs, engine, tmp_path)
    obs.call("recording_stopped", path=str(recording))
    obs.call("sleep", ms=300)
    assert sorted(p.name for p in recording.parent.iterdir()) == [recording.name]

    obs.click("dub")

    status = obs.wait_status("Dubbed copy", "Dub failed", timeout=120)
    assert status.startswith("Dubbed copy (es)"), status
    assert recording.with_name(f"{recording.stem}.dub-es{recording.suffix}").is_file()
