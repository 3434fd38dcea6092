"""The service's own shapes: 202 + polling on any endpoint, every spelling of done, a POST
redirected on the API origin, voice lists in pages, FastAPI-style 422s and fitting 404 hints."""
from __future__ import annotations

import pytest

from ttsai_plugin.errors import NotFoundError, TaskFailedError, UnprocessableError
from tests.api.fake_api import AUDIO, Reply
from tests.hostile import hostile


def _queued(api, task: str) -> Reply:
    return Reply(202, {"task_id": task, "status": "queued",
                       "result_url": f"{api.url}v1/results/{task}"})


def test_a_202_from_tts_is_polled_to_its_audio(client, api, tmp_path):
    api.script("tts/", _queued(api, "t1"))
    api.script("results/t1", Reply(202, {"status": "processing"}),
               Reply(200, {"status": "completed", "audio_url": api.cdn_url("t1.wav", AUDIO),
                           "credits_used": 2, "credits_remaining": 96}))
    result = client.tts("Hello there.", voice="af_bella", out=tmp_path / "a.wav")
    assert result.path.read_bytes() == AUDIO
    assert client.credits.remaining == 96


@pytest.mark.parametrize("status", ["completed", "success", "done"])
def test_every_success_spelling_ends_polling(client, api, tmp_path, status):
    api.script("audio/separate/", _queued(api, "s1"))
    stems = {"vocals": api.cdn_url("v.wav", AUDIO), "accompaniment": api.cdn_url("a.wav", AUDIO)}
    api.script("results/s1", Reply(200, {"status": status, "stems": stems}))
    clip = tmp_path / "clip.wav"
    clip.write_bytes(hostile.tone_bytes())
    result = client.separate(clip, out_dir=tmp_path / "stems", poll_interval=0.01, timeout=5)
    assert set(result.paths) == {"vocals", "accompaniment"}


@pytest.mark.parametrize("status", ["failed", "error"])
def test_every_failure_spelling_ends_polling(client, api, tmp_path, status):
    api.script("audio/separate/", _queued(api, "s2"))
    api.script("results/s2", Reply(200, {"status": status, "error": "out of memory"}))
    clip = tmp_path / "clip.wav"
    clip.write_bytes(hostile.tone_bytes())
    with pytest.raises(TaskFailedError, match="out of memory"):
        client.separate(clip, out_dir=tmp_path / "stems", poll_interval=0.01, timeout=5)


@pytest.mark.parametrize("code", [301, 302])
def test_a_post_moved_on_the_api_origin_is_sent_again_there(client, api, tmp_path, code):
    api.script("tts/", Reply(code, b"", {"Location": f"{api.url}v1/tts/v2/"}))
    api.script("tts/v2/", Reply(200, AUDIO, {"Content-Type": "audio/wav"}))
    client.tts("Hello there.", voice="af_bella", out=tmp_path / "a.wav")
    moved = [s for s in api.rec.seen if s.path == "/v1/tts/v2/"]
    assert moved and moved[0].method == "POST" and moved[0].json["text"] == "Hello there."


def test_voice_lists_are_read_page_by_page_through_total(client, api):
    voices = [{"id": f"v{i}", "name": f"Voice {i}"} for i in range(5)]
    api.script("voices/", Reply(200, {"voices": voices[:2], "total": 5}),
               Reply(200, {"voices": voices[2:4], "total": 5}),
               Reply(200, {"voices": voices[4:], "total": 5}))
    listed = client.voices()
    assert [v.id for v in listed] == [f"v{i}" for i in range(5)]
    offsets = [s for s in api.rec.seen if s.path == "/v1/voices/"]
    assert len(offsets) == 3


def test_a_422_with_detail_is_a_clear_typed_error(client, api, tmp_path):
    api.script("tts/", hostile.unprocessable())
    with pytest.raises(UnprocessableError, match="speed: ensure this value is less than 2"):
        client.tts("Hello.", voice="af_bella", out=tmp_path / "a.wav")


def test_a_404_for_a_task_says_the_task_expired(client, api):
    api.script("results/gone", Reply(404, {"error": {"code": "not_found", "message": "no task"}}))
    with pytest.raises(NotFoundError, match="unknown or expired"):
        client.result("gone")
