"""Inside OBS's window: an empty target scene means the scene the streamer is looking at."""
from __future__ import annotations

from tests.obs.conftest import SCENE, SCRIPT

# The harness has no OBS window; these stand in for the frontend's answers, handing out real
# references exactly as OBS does, so the leak check at teardown sees any the script keeps.
FRONTEND = f"""
import obspython as o
o.obs_frontend_get_profile_config = lambda: True
o.obs_frontend_get_current_scene = lambda: o.obs_get_source_by_name({SCENE!r})
o.obs_frontend_get_scenes = lambda: [o.obs_get_source_by_name({SCENE!r})]
"""


def test_narration_goes_to_the_current_scene_when_no_target_is_chosen(obs, engine, tmp_path):
    obs.py(FRONTEND)
    obs.load(SCRIPT, {"base_url": engine.url, "media_dir": str(tmp_path / "generated")})
    obs.update(api_key=engine.key)
    obs.click("save_key")
    scenes = next(p for g in obs.props() for p in g.get("children", [])
                  if p["name"] == "target_scene")["items"]
    assert [(i["name"], i["value"]) for i in scenes] == [("(current scene)", ""), (SCENE, SCENE)]

    obs.update(narration_text="Going live in five.")
    obs.click("narrate")

    assert obs.wait_status("Narration ready", "Narration failed").startswith("Narration ready")
    assert [i["source"] for i in obs.sources()[SCENE]["items"]] == ["TTS.ai Narration"]
    assert "No OBS frontend here" not in obs.log_text()
