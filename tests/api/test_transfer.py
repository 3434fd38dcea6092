"""Uploads stream from disk; downloads appear at ``out`` only when complete."""
from __future__ import annotations

import threading
import time
import tracemalloc

import psutil
import pytest

from ttsai_plugin.api import APIError, IncompleteResponseError
from tests.api.conftest import MB, make_client
from tests.api.fake_api import AUDIO, Reply
from tests.api.loopback import SubprocessFakeAPI


@pytest.fixture
def remote_api():
    server = SubprocessFakeAPI()
    yield server
    server.close()


def test_a_60_mb_upload_does_not_load_the_file_into_memory(remote_api, sleeps, big_file):
    client = make_client(remote_api.url + "v1/", sleeps)
    client.models()  # warm up connections and imports
    process = psutil.Process()
    peak_rss, stop = [process.memory_info().rss], threading.Event()

    def sample():
        while not stop.is_set():
            peak_rss.append(process.memory_info().rss)
            time.sleep(0.005)

    baseline = process.memory_info().rss
    sampler = threading.Thread(target=sample)
    sampler.start()
    tracemalloc.start()
    try:
        transcript = client.stt(big_file)
        _, peak_traced = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        stop.set()
        sampler.join()
    assert transcript.text == "hello world"
    assert transcript.segments[0].words[1].word == "world"
    assert remote_api.close()[-1]["file"][0] == 60 * MB
    assert peak_traced < 8 * MB, f"traced peak {peak_traced / MB:.1f} MB"
    assert max(peak_rss) - baseline < 20 * MB, f"RSS grew {(max(peak_rss) - baseline) / MB:.1f} MB"


def test_a_download_cut_short_leaves_nothing_at_out(api, sleeps, tmp_path):
    cut = Reply(200, AUDIO[:2000], {"Content-Type": "audio/mpeg"}, content_length=len(AUDIO))
    api.script("tts/", cut, cut, cut)
    out = tmp_path / "narration.mp3"
    with make_client(api.url + "v1/", sleeps, max_retries=2) as c:
        with pytest.raises(IncompleteResponseError) as info:
            c.tts("Hello", voice="af_bella", out=out)
    assert info.value.attempts == 3
    assert list(tmp_path.iterdir()) == []


def test_a_failed_download_keeps_the_previous_file(client, api, tmp_path):
    out = tmp_path / "dub.wav"
    out.write_bytes(b"the earlier take")
    api.cdn.files["dub.wav"] = Reply(200, b"RIFF", {"Content-Type": "audio/wav"},
                                     content_length=10_000)
    with pytest.raises(IncompleteResponseError):
        client.download(api.cdn.url + "files/dub.wav", out)
    assert out.read_bytes() == b"the earlier take"
    assert [p.name for p in tmp_path.iterdir()] == ["dub.wav"]


def test_an_error_answer_never_creates_out(client, api, tmp_path):
    api.script("audio/enhance/", Reply(400, {"error": {"code": "bad_request", "message": "no"}}))
    clip = tmp_path / "clip.wav"
    clip.write_bytes(b"RIFF" + bytes(64))
    with pytest.raises(Exception):
        client.enhance(clip, out=tmp_path / "clean.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.wav"]
    assert clip.read_bytes() == b"RIFF" + bytes(64)


def test_a_missing_file_on_the_cdn_says_the_link_may_have_expired(client, api, tmp_path):
    with pytest.raises(APIError, match="expired") as info:
        client.download(api.cdn.url + "files/gone.wav", tmp_path / "x.wav")
    assert info.value.status == 404 and type(info.value) is APIError
    assert list(tmp_path.iterdir()) == []


def test_a_long_upload_and_its_answer_show_their_bytes_moving(engine, tmp_path):
    """A 90-second studio WAV sent to the local engine over loopback: the watcher sees the
    upload climb to the file's size in many steps, then the download climb to its length."""
    import numpy as np
    import soundfile as sf

    from ttsai_plugin.api import TTSAIClient
    from ttsai_plugin.api.transfer import watching
    from ttsai_plugin.local import DEV_KEY

    src = tmp_path / "long-take.wav"
    t = np.arange(90 * 48_000) / 48_000
    tone = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    sf.write(src, np.stack([tone, tone], axis=1), 48_000, subtype="PCM_16")
    seen: dict[str, list[tuple[int, int | None]]] = {"upload": [], "download": []}
    with TTSAIClient(api_key=DEV_KEY, base_url=engine.url, plan="pro") as client, \
            watching(lambda direction, done, total: seen[direction].append((done, total))):
        result = client.convert(src, out=tmp_path / "copy.wav")
    size = src.stat().st_size
    ups = [d for d, _ in seen["upload"]]
    assert ups == sorted(ups) and ups[-1] == size and len(set(ups)) > 100
    assert {total for _, total in seen["upload"]} == {size}
    downs = [d for d, _ in seen["download"]]
    assert downs == sorted(downs) and len(set(downs)) > 100
    assert downs[-1] == result.path.stat().st_size == seen["download"][-1][1]
