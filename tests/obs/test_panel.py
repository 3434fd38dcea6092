"""A streamer reads the script's page in OBS's default Scripts window (775×492): short labels
with the detail in tooltips, empty fields that say what they will use, a one-line status."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.obs.conftest import SCENE, SCRIPT
from tests.obs.obs_harness import ObsHarness

sys.path.insert(0, str(SCRIPT.parent))
from ttsai_obs_fit import ROOM, ROOM_SCENE, TIP_CHARS, fit, fit_inside, text_em  # noqa: E402

OBS_PROPERTY_BUTTON, OBS_PROPERTY_GROUP = 6, 12


def _walk(props):
    for p in props:
        yield p
        yield from _walk(p.get("children", []))


def _prop(obs, name):
    return next(p for p in _walk(obs.props()) if p["name"] == name)


def _tip(obs, name):
    """A tooltip as one reads it: its words, whatever lines it is broken into."""
    return " ".join(_prop(obs, name)["long_description"].split())


def test_labels_are_short_and_the_detail_is_in_tooltips(script):
    props = [p for p in _walk(script.props()) if p["type"] != OBS_PROPERTY_GROUP]
    for p in props:
        if p["name"] in ("status", "narration_text"):
            continue
        assert len(p["description"]) <= 14, p["description"]
    tips = {p["name"] for p in props if p["long_description"]}
    assert {"status", "api_key", "base_url", "media_dir", "target_scene", "core_path",
            "narrate", "cleanup_preset", "cleanup_auto", "recording", "clean", "dub",
            "stems_source", "mic_source", "mic_chain"} <= tips
    assert "Save key" in _tip(script, "api_key")


def test_empty_fields_show_what_will_be_used(script, tmp_path):
    script.update(media_dir="")
    shown = script.py("import ttsai_obs, obspython as o; "
                      "reply = o.obs_data_get_string(ttsai_obs._state.settings, 'media_dir')")
    assert shown == str(tmp_path / "home/.local/share/ttsai/obs")  # the real folder, not blank
    mics = _prop(script, "mic_source")["items"]
    assert mics[0]["value"] == "" and mics[0]["name"].startswith("Default mic")
    assert "found in" in _tip(script, "core_path")


def test_the_empty_key_field_says_which_key_is_used(script, engine, obs_env):
    # The key is erased from the settings once saved, so the field is always empty: its
    # tooltip must say whether the saved key or the local engine is used.
    assert "local engine is used" in _tip(script, "api_key")

    script.update(api_key=engine.key)
    script.click("save_key")

    tip = _tip(script, "api_key")
    assert f"the key saved in {obs_env['TTSAI_CONFIG']} (…{engine.key[-4:]}) is used" in tip
    assert engine.key not in tip
    assert script.saved_settings().get("api_key") in (None, "")


def test_the_status_is_one_short_line_with_the_whole_message_in_its_tooltip(script):
    script.update(cleanup_preset="no-such-preset", recording=str(SCRIPT))
    script.click("clean")
    full = script.wait_status("Cleanup failed")

    line = script.status_line()
    assert len(line) <= 34 and "\n" not in line, line
    assert full.startswith(line.rstrip("…").rstrip(" .…")), (line, full)
    assert _tip(script, "status").startswith(" ".join(full.split()))


def test_refresh_renews_the_open_page_with_the_latest_status_sources_and_key(script, engine):
    # OBS 29 redraws the page after a button from the properties it built when the Scripts
    # window opened: without renewing them, Refresh showed the new status line beside the
    # old message in its tooltip, and lists without the sources added since.
    page = script.page_open()
    named = lambda props, name: next(p for p in _walk(props) if p["name"] == name)  # noqa
    assert "Music (vocals)" not in [i["value"] for i in named(page, "stems_source")["items"]]
    script.call("source_create", id="ffmpeg_source", name="Music (vocals)", scene=SCENE,
                settings={"local_file": "/nonexistent.wav"})
    script.update(cleanup_preset="no-such-preset", recording=str(SCRIPT), api_key=engine.key)
    script.click("save_key")
    script.click("clean")
    full = script.wait_status("Cleanup failed")

    page = script.page_click("refresh")

    tip = " ".join(named(page, "status")["long_description"].split())
    assert tip.startswith(" ".join(full.split())), tip
    for name in ("stems_source", "mic_source"):
        assert "Music (vocals)" in [i["value"] for i in named(page, name)["items"]], name
    assert "the key saved in" in " ".join(named(page, "api_key")["long_description"].split())


def test_tooltips_come_in_lines_so_the_whole_message_stays_on_screen(script):
    # Qt 5 never wraps a plain tooltip: in the real window the status's tooltip was one line
    # wider than the screen, and its start, the message itself, was off the left edge.
    script.update(cleanup_preset="no-such-preset", recording=str(SCRIPT))
    script.click("clean")
    full = script.wait_status("Cleanup failed")

    status = _prop(script, "status")["long_description"]
    assert len(full) > TIP_CHARS and status.count("\n") >= 3, status
    for p in _walk(script.props()):
        for line in p["long_description"].splitlines():
            assert len(line) <= TIP_CHARS or " " not in line, (p["name"], line)


def test_an_unknown_preset_says_what_to_pick_in_obs(script, recording):
    script.update(cleanup_preset="no-such-preset", recording=str(recording))
    script.click("clean")
    status = script.wait_status("Cleanup failed")
    assert "There is no preset called 'no-such-preset'" in status
    assert "Pick one in the Preset list (" in status and "stream-mic-cleanup" in status
    assert "ttsai presets" not in status


def test_a_hotkey_applies_the_mic_chain_like_its_button(script, speech_wav):
    script.call("source_create", id="ffmpeg_source", name="Mic", scene=SCENE,
                settings={"local_file": str(speech_wav)})
    script.update(mic_source="Mic", mic_preset="stream-mic-cleanup")

    script.py("import obspython as o, ttsai_obs_hotkeys as h; "
              "o.obs_hotkey_enable_callback_rerouting(True); "
              "o.obs_hotkey_trigger_routed_callback(h._ids['mic_chain'], True)")

    assert script.wait_status("Mic chain on 'Mic'") == "Mic chain on 'Mic': 4 added."
    assert len(script.sources()["Mic"]["filters"]) == 4
    assert {"hotkey_narrate", "hotkey_mic_chain"} <= set(script.saved_settings())


def test_obs_started_from_an_active_virtualenv_says_so_instead_of_failing_later(
        harness_binary, obs_env, tmp_path):
    venv_bin = Path(os.environ.get("VIRTUAL_ENV") or Path(os.sys.executable).parent.parent) / "bin"
    if Path(os.__file__).resolve().is_relative_to("/usr/lib"):
        import pytest
        pytest.skip("the test's Python is the system's: no other build's stdlib to leak")
    obs_env["PATH"] = f"{venv_bin}{os.pathsep}{obs_env['PATH']}"
    h = ObsHarness(harness_binary, obs_env, tmp_path / "obs.log")
    try:
        reply = h.load(SCRIPT, {"target_scene": SCENE})
        assert "Not ready" in reply["description"]
        assert "first on PATH" in h.status() and "deactivate" in h.status(), h.status()
        assert "undefined symbol" not in h.log_text()
    finally:
        h.close()


def test_every_list_entry_fits_its_field_so_the_page_keeps_to_the_window(script):
    # OBS sizes a list to its longest entry and, once the page is rebuilt (Refresh), lets the
    # page grow past the default window's right edge: 'Show' and 'Browse' were cut off by
    # '4: vocals, drums, bass, other', and the script's own stem 'Music (accompaniment)'
    # squeezed the Stems group's labels away.
    names = ["Music (accompaniment)", "Elgato HD60 S+ Game Capture", "Music (vocals)"]
    for name in names:
        script.call("source_create", id="ffmpeg_source", name=name, scene=SCENE,
                    settings={"local_file": "/nonexistent.wav"})

    lists = [p for p in _walk(script.props()) if "items" in p]
    assert {"stems_source", "stems_count", "mic_source", "cleanup_preset"} <= \
        {p["name"] for p in lists}
    for prop in lists:
        room = ROOM_SCENE if prop["name"] == "target_scene" else ROOM
        for item in prop["items"]:
            assert text_em(item["name"]) <= room, (prop["name"], item)
    stems = {i["value"]: i["name"] for i in _prop(script, "stems_source")["items"]}
    assert stems["Music (accompaniment)"] == "Music (accompani…"  # the value stays whole
    assert stems["Music (vocals)"] == "Music (vocals)"  # what fits stays as it is
    mics = {i["value"]: i["name"] for i in _prop(script, "mic_source")["items"]}
    assert mics["Elgato HD60 S+ Game Capture"].endswith("…")
    assert "4: vocals, drums, bass" in _tip(script, "stems_count")


def test_what_fits_is_what_the_real_window_showed():
    # Measured in OBS 29's Scripts window at 775×492 (tools/obs_window_check.py): 'Selected
    # in the scene' fits the Stems list, 'Music (accompaniment)' did not.
    assert text_em("Selected in the scene") <= ROOM < text_em("Music (accompaniment)")
    assert fit("Music (vocals)") == "Music (vocals)"
    assert fit("ゲーム画面キャプチャ音声") == "ゲーム画面キャプチ…"  # CJK is as wide as an M
    assert fit_inside("Current", "Gameplay with webcam overlay", ROOM_SCENE) \
        == "Current (Gamepl…)"
    assert text_em(fit_inside("Default mic", "Mic/Aux")) <= ROOM
