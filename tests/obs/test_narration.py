"""A streamer types a line and gets it spoken on stream through a Media Source."""
from __future__ import annotations

import re
from pathlib import Path

from tests.obs.conftest import SCENE

PLAYING, ENDED = 1, 6


def _narration(obs) -> dict:
    return obs.sources()["TTS.ai Narration"]


def test_narration_creates_a_media_source_that_plays_then_updates_it(connected, tmp_path):
    connected.update(narration_text="Welcome back to the stream, everyone.", voice="af_bella")

    connected.click("narrate")

    status = connected.wait_status("Narration ready", "Narration failed")
    assert status.startswith("Narration ready"), status
    assert re.search(r" — [\d.,]+ credits used, [\d,]+ left$", status), status  # the API's count
    first = _narration(connected)
    assert first["id"] == "ffmpeg_source"
    path = Path(first["settings"]["local_file"])
    assert path.is_file() and path.is_relative_to(tmp_path / "generated")
    assert first["settings"]["is_local_file"] is True
    assert [i["source"] for i in connected.sources()[SCENE]["items"]] == ["TTS.ai Narration"]
    def playing() -> bool:
        n = _narration(connected)
        return n["media_state"] in (PLAYING, ENDED) and n["media_duration"] > 1000  # ms
    assert connected.wait_for("the narration to play a real sentence", playing)

    connected.update(narration_text="Thanks for the follow!")
    connected.click("narrate")
    connected.wait_for("the second narration", lambda: _narration(connected)["settings"][
        "local_file"] != str(path), timeout=90)

    second = Path(_narration(connected)["settings"]["local_file"])
    assert second.is_file() and second != path
    assert [i["source"] for i in connected.sources()[SCENE]["items"]] == ["TTS.ai Narration"]
    assert "from cache" not in connected.wait_status("Narration ready")


def test_saying_the_same_line_again_costs_nothing(connected):
    connected.update(narration_text="Be right back.", voice="af_bella")
    connected.click("narrate")
    first = connected.wait_status("Narration ready", "Narration failed")
    connected.update(narration_text="Something else first.")
    connected.click("narrate")
    connected.wait_for("the other line", lambda: connected.status() != first and
                       connected.status().startswith("Narration ready"))

    connected.update(narration_text="Be right back.")
    connected.click("narrate")

    again = connected.wait_status(first.split(" — ")[0] + " — from cache")
    assert again.endswith("from cache, no credits used")
    assert Path(_narration(connected)["settings"]["local_file"]).is_file()


def test_empty_narration_text_is_a_clear_message_and_no_source(connected):
    connected.update(narration_text="   ")
    connected.click("narrate")
    status = connected.wait_status("Narration failed")
    assert "text is empty" in status
    assert "TTS.ai Narration" not in connected.sources()
