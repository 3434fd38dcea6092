"""OBS dies after a narration was paid for and downloaded, before it reached the scene: the
next time the script loads it says so, and 'Recover interrupted results' shows the result
in the scene without a single request to the API — or 'Discard them' forgets it, file kept."""
from __future__ import annotations

import socket
from pathlib import Path

from tests.obs.conftest import SCENE, SCRIPT
from tests.obs.obs_harness import ObsHarness

PLAYING, ENDED = 1, 6


def _names(props) -> set[str]:
    return {p["name"] for p in props} | {n for p in props for n in _names(p.get("children", []))}


def _unreachable_url() -> str:
    """A loopback port nobody listens on: any request to it fails."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _narrate_then_crash(binary, env, engine, generated: Path, log: Path) -> None:
    """A first OBS narrates a line and dies the moment the result is to be shown (after the
    worker downloaded and journaled it)."""
    first = ObsHarness(binary, env, log)
    try:
        first.call("scene_create", name=SCENE, program=True)
        assert first.load(SCRIPT, {"target_scene": SCENE, "media_dir": str(generated)})["loaded"]
        first.update(base_url=engine.url, api_key=engine.key)
        first.click("save_key")
        first.py("import os, ttsai_obs\nttsai_obs.scene.land = lambda *a: os._exit(137)")
        first.update(narration_text="We will be right back after this short break.")
        first.click("narrate")
        assert first.wait_exit(90) == 137
    finally:
        first.close()
    assert list((generated / "narration").glob("*.wav")), "the paid narration is on disk"


def test_a_narration_interrupted_by_a_crash_is_shown_on_the_next_start_without_the_api(
        obs, harness_binary, obs_env, engine, tmp_path):
    generated = tmp_path / "generated"
    _narrate_then_crash(harness_binary, obs_env, engine, generated, tmp_path / "crashed.log")
    [paid] = (generated / "narration").glob("*.wav")

    assert obs.load(SCRIPT, {"target_scene": SCENE, "media_dir": str(generated),
                             "base_url": _unreachable_url()})["loaded"]
    assert obs.status().startswith("1 result from an interrupted session"), obs.status()
    assert "TTS.ai Narration" not in obs.sources()

    obs.click("recover")

    status = obs.status()
    assert status.startswith("Recovered without a new request: Narration ready"), status
    narration = obs.sources()["TTS.ai Narration"]
    assert Path(narration["settings"]["local_file"]) == paid
    assert [i["source"] for i in obs.sources()[SCENE]["items"]] == ["TTS.ai Narration"]
    obs.wait_for("the recovered narration to play", lambda: (lambda n: n["media_state"] in (
        PLAYING, ENDED) and n["media_duration"] > 1000)(obs.sources()["TTS.ai Narration"]))
    assert "recover" not in _names(obs.props())
    obs.update(narration_text="A new line would need the API.")
    obs.click("narrate")                                   # the control: the API is unreachable
    assert "Cannot reach 127.0.0.1" in obs.wait_status("Narration failed")


def test_discarding_interrupted_results_keeps_their_files_and_stops_the_offer(
        obs, harness_binary, obs_env, engine, tmp_path):
    generated = tmp_path / "generated"
    _narrate_then_crash(harness_binary, obs_env, engine, generated, tmp_path / "crashed.log")
    [paid] = (generated / "narration").glob("*.wav")
    obs.load(SCRIPT, {"target_scene": SCENE, "media_dir": str(generated)})
    assert "recover" in _names(obs.props())

    obs.click("discard_interrupted")

    assert obs.status() == (f"Discarded 1 result from an interrupted session; the files stay "
                            f"in {paid.parent}.")
    assert paid.is_file() and "TTS.ai Narration" not in obs.sources()
    assert "recover" not in _names(obs.props())
    obs.call("unload")
    obs.load(SCRIPT, {"target_scene": SCENE, "media_dir": str(generated)})
    assert "interrupted" not in obs.status()


def test_a_narration_shown_as_usual_is_journaled_as_placed_and_never_offered(connected,
                                                                               obs_env):
    from ttsai_plugin.journal import Journal
    connected.update(narration_text="Thanks for watching, see you tomorrow.")
    connected.click("narrate")
    connected.wait_status("Narration ready")
    shown = Path(connected.sources()["TTS.ai Narration"]["settings"]["local_file"])

    journal = Journal(Path(obs_env["XDG_DATA_HOME"]) / "ttsai" / "journal.jsonl")
    [entry] = journal.entries()
    assert (entry.operation, entry.paths, entry.meta["host"]) == ("narrate", [shown], "obs")
    assert entry.credits > 0 and journal.pending() == []
    assert "recover" not in _names(connected.props())
