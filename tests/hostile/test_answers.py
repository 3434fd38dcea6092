"""A 200 answer is not yet a result: audio that does not decode, is cut short, does not fit
the request, or is far too large never becomes an output file or a cache entry."""
from __future__ import annotations

import pytest

from ttsai_plugin import media
from ttsai_plugin.api import transfer
from ttsai_plugin.errors import APIError, BadAudioError, ResponseTooLargeError
from tests.api.fake_api import Reply, tone
from tests.hostile import hostile


def _clip(tmp_path, seconds: float = 2.0):
    path = tmp_path / "clip.wav"
    path.write_bytes(tone(seconds))
    return path


@pytest.mark.parametrize("bad", [hostile.truncated_wav(100), hostile.truncated_wav(40_000),
                                 hostile.html_page(), Reply(200, b"", {"Content-Type": "audio/wav"})],
                         ids=["100-bytes", "half", "html", "empty"])
def test_a_bad_audio_answer_is_retried_and_never_kept(client, api, tmp_path, bad):
    good = Reply(200, hostile.WAV_4S, {"Content-Type": "audio/wav"})
    api.script("audio/enhance/", bad, bad, good)
    result = client.enhance(_clip(tmp_path, 4.94), out=tmp_path / "out.wav")
    assert result.path.read_bytes() == hostile.WAV_4S
    assert len([s for s in api.rec.seen if s.path.endswith("enhance/")]) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.wav", "out.wav"]


def test_when_every_answer_is_bad_the_error_is_typed_and_nothing_is_left(client, api, tmp_path):
    api.script("audio/enhance/", *[hostile.truncated_wav(100)] * 5)
    with pytest.raises(BadAudioError, match="cut short") as info:
        client.enhance(_clip(tmp_path), out=tmp_path / "out.wav")
    assert info.value.attempts == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.wav"]


def test_an_answer_of_the_wrong_length_is_refused(client, api, tmp_path):
    api.script("audio/enhance/", *[Reply(200, tone(1.0), {"Content-Type": "audio/wav"})] * 5)
    with pytest.raises(BadAudioError, match="where 4.00 s were sent"):
        client.enhance(_clip(tmp_path, 4.0), out=tmp_path / "out.wav")


def test_mp3_sent_where_wav_was_asked_becomes_a_real_wav(client, api, tmp_path):
    api.script("tts/", hostile.mp3_for_wav())
    out = client.tts("Hello there.", voice="af_bella", out=tmp_path / "hello.wav").path
    assert out.read_bytes()[:4] == b"RIFF"
    assert abs(media.duration(out) - 1.0) < 0.1


def test_a_json_answer_past_the_cap_stops_reading(client, api):
    api.script("models/", hostile.huge_json(400))
    client.max_json_bytes = 4 << 20
    with pytest.raises(ResponseTooLargeError, match="at most 4 MB"):
        client.models()


def test_deeply_nested_json_is_a_clear_error(client, api):
    api.script("models/", hostile.deep_json())
    with pytest.raises(APIError, match="not JSON"):
        client.models()


def test_a_download_past_the_cap_is_refused_by_its_length(client, api, tmp_path):
    big = Reply(200, b"", {"Content-Type": "audio/wav"}, content_length=transfer.MAX_DOWNLOAD + 1)
    url = api.cdn_url("huge.wav", big)
    with pytest.raises(ResponseTooLargeError):
        client.download(url, tmp_path / "huge.wav")
    assert list(tmp_path.iterdir()) == []


def test_a_streamed_download_past_the_cap_stops_and_leaves_nothing(client, api, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setattr(transfer, "MAX_DOWNLOAD", 3 << 20)
    monkeypatch.setattr(transfer.stream_to_file, "__kwdefaults__", {"limit": 3 << 20})
    api.script("tts/", Reply(200, hostile.endless(total=64 << 20), {"Content-Type": "audio/wav"}))
    with pytest.raises(ResponseTooLargeError):
        client.tts("Hi", voice="af_bella", out=tmp_path / "endless.wav")
    assert list(tmp_path.iterdir()) == []
