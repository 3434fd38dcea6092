"""A streamer adds the script in Tools → Scripts: it explains itself, keeps the key private."""
from __future__ import annotations

import os
import stat

from tests.obs.conftest import REPO, SCENE, SCRIPT, script_alone
from tests.obs.obs_harness import ObsHarness

OBS_TEXT_INFO_ERROR = 2
OBS_PROPERTY_GROUP = 12


def _walk(props):
    for p in props:
        yield p
        yield from _walk(p.get("children", []))


def test_loads_from_the_checkout_and_shows_grouped_settings(obs):
    reply = obs.load(SCRIPT, {"target_scene": SCENE})

    assert reply["loaded"]
    assert "Not ready" not in reply["description"]
    props = obs.props()
    groups = {p["name"] for p in props if p["type"] == OBS_PROPERTY_GROUP}
    assert groups == {"connection", "narration", "cleanup", "dubbing", "stem_group", "mic"}
    names = {p["name"] for p in _walk(props)}
    assert {"status", "api_key", "base_url", "narrate", "clean", "dub", "stems",
            "mic_chain"} <= names
    presets = next(p for p in _walk(props) if p["name"] == "mic_preset")["items"]
    assert "stream-mic-cleanup" in [i["value"] for i in presets]


_lonely_copy = script_alone


def test_finds_the_core_through_TTSAI_PLUGIN_PATH(harness_binary, obs_env, tmp_path):
    obs_env["TTSAI_PLUGIN_PATH"] = f"/nonexistent{os.pathsep}{REPO}"
    h = ObsHarness(harness_binary, obs_env, tmp_path / "obs.log")
    try:
        reply = h.load(_lonely_copy(tmp_path))
        assert reply["loaded"] and "Not ready" not in reply["description"]
        assert h.status() == "TTS.ai core loaded."
    finally:
        h.close()


def test_without_the_core_it_says_what_to_do_instead_of_failing(obs, tmp_path):
    reply = obs.load(_lonely_copy(tmp_path))

    assert reply["loaded"]
    assert "Not ready" in reply["description"]
    assert "TTSAI_PLUGIN_PATH" in reply["description"]
    props = obs.props()
    errors = [p for p in props if p.get("info_type") == OBS_TEXT_INFO_ERROR]
    assert any("ttsai_plugin" in p["description"] for p in errors)
    assert "narrate" not in {p["name"] for p in _walk(props)}

    obs.update(core_path=str(REPO))
    assert "narrate" in {p["name"] for p in _walk(obs.props())}
    assert obs.status() == "TTS.ai core loaded."


def test_look_again_finds_the_core_once_it_is_installed(obs, tmp_path):
    obs.load(_lonely_copy(tmp_path))
    assert "narrate" not in {p["name"] for p in _walk(obs.props())}
    obs.py(f"import os; os.environ['TTSAI_PLUGIN_PATH'] = {str(REPO)!r}")

    obs.click("retry_core")

    assert obs.status() == "TTS.ai core loaded."
    assert "narrate" in {p["name"] for p in _walk(obs.props())}


def test_look_again_turns_the_open_page_into_the_whole_page(obs, tmp_path):
    # OBS 29 redraws from the properties it built when the Scripts window opened: the page
    # must grow in place, or it keeps saying only where the core was not found.
    obs.load(_lonely_copy(tmp_path))
    page = obs.page_open()
    assert "narrate" not in {p["name"] for p in _walk(page)}
    obs.py(f"import os; os.environ['TTSAI_PLUGIN_PATH'] = {str(REPO)!r}")

    page = obs.page_click("retry_core")

    shown = {p["name"] for p in _walk(page) if p["visible"]}
    assert {"narrate", "api_key", "stems_source", "mic_chain", "core_path"} <= shown
    assert not {"core_error", "retry_core"} & shown
    status = next(p for p in page if p["name"] == "status")
    assert status["info_type"] != OBS_TEXT_INFO_ERROR
    assert [p["name"] for p in _walk(page)].count("core_path") == 1


def test_api_key_goes_to_an_owner_only_file_never_into_the_scene_collection(obs, tmp_path):
    key = "sk-tts-my-very-secret-key-123"
    obs.load(SCRIPT, {"target_scene": SCENE})

    obs.update(api_key=key)
    obs.click("save_key")

    config = tmp_path / "ttsai-config.toml"
    assert key in config.read_text()
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    saved = obs.saved_settings()
    assert key not in str(saved)
    assert "api_key" not in saved
    assert key not in obs.status() and key not in obs.log_text()


def test_without_obs_frontend_or_target_scene_narration_asks_for_a_scene(obs):
    obs.load(SCRIPT, {})
    assert "No OBS frontend here" in obs.log_text()

    obs.update(narration_text="Hello chat.")
    obs.click("narrate")

    assert obs.status().startswith("No target scene: choose one in 'Target scene'")
    assert set(obs.sources()) == {SCENE}


def test_reload_scripts_keeps_working_and_releases_everything(script, speech_wav):
    script.call("source_create", id="ffmpeg_source", name="Mic", scene=SCENE,
                settings={"local_file": str(speech_wav)})
    script.update(mic_source="Mic", mic_preset="stream-mic-cleanup")
    script.click("mic_chain")

    script.call("reload")
    script.click("mic_chain")

    assert script.status() == "Mic chain on 'Mic': 4 already set."
    assert len(script.sources()["Mic"]["filters"]) == 4
    assert script.py("import ttsai_obs; reply = ttsai_obs._state.runner is not None") == "True"
