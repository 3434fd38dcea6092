"""A streamer sets up the live mic chain from a preset: OBS's own filters, set once."""
from __future__ import annotations

from tests.obs.conftest import SCENE

CHAIN = [("TTS.ai Noise Suppression", "noise_suppress_filter_v2"), ("TTS.ai Gain", "gain_filter"),
         ("TTS.ai Compressor", "compressor_filter"), ("TTS.ai Limiter", "limiter_filter")]


def test_mic_chain_adds_the_four_filters_with_preset_settings_and_twice_changes_nothing(
        script, speech_wav):
    script.call("source_create", id="ffmpeg_source", name="Mic", scene=SCENE,
                settings={"local_file": str(speech_wav), "looping": True})
    script.update(mic_source="Mic", mic_preset="stream-mic-cleanup")

    script.click("mic_chain")

    filters = script.sources()["Mic"]["filters"]
    assert [(f["name"], f["id"]) for f in filters] == CHAIN
    by_name = {f["name"]: f["settings"] for f in filters}
    assert by_name["TTS.ai Noise Suppression"]["method"] == "rnnoise"
    assert by_name["TTS.ai Gain"]["db"] == 3.0
    assert by_name["TTS.ai Compressor"]["ratio"] == 4.0
    assert by_name["TTS.ai Compressor"]["threshold"] == -18.0
    assert by_name["TTS.ai Limiter"]["threshold"] == -6.0
    assert "4 added" in script.status()

    script.click("mic_chain")

    assert script.sources()["Mic"]["filters"] == filters
    assert script.status() == "Mic chain on 'Mic': 4 already set."


def test_mic_chain_restores_a_filter_the_user_changed_and_leaves_others_alone(script, speech_wav):
    script.call("source_create", id="ffmpeg_source", name="Mic", scene=SCENE,
                settings={"local_file": str(speech_wav)})
    script.update(mic_source="Mic", mic_preset="stream-mic-cleanup")
    script.click("mic_chain")
    script.py("import obspython as o, json\n"
              "s = o.obs_get_source_by_name('Mic')\n"
              "f = o.obs_source_get_filter_by_name(s, 'TTS.ai Gain')\n"
              "d = o.obs_data_create_from_json(json.dumps({'db': -10.0}))\n"
              "o.obs_source_update(f, d)\n"
              "o.obs_data_release(d); o.obs_source_release(f); o.obs_source_release(s)")

    script.click("mic_chain")

    filters = {f["name"]: f["settings"] for f in script.sources()["Mic"]["filters"]}
    assert filters["TTS.ai Gain"]["db"] == 3.0
    assert len(filters) == 4
    assert script.status() == "Mic chain on 'Mic': 1 updated, 3 already set."


def test_mic_chain_on_a_missing_source_says_so(script):
    script.update(mic_source="No Such Mic", mic_preset="stream-mic-cleanup")
    script.click("mic_chain")
    assert "There is no audio source called 'No Such Mic'" in script.status()
