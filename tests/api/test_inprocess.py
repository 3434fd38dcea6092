"""The in-process transport (how the built-in engine is reached): same answers as a socket,
uploads streamed into the app rather than read whole first, CDN links still fetched keyless."""
from __future__ import annotations

import tracemalloc

from ttsai_plugin.api import RetryPolicy, TTSAIClient
from ttsai_plugin.api._inprocess import InProcessTransport
from tests.api.conftest import KEY
from tests.api.fake_api import AUDIO, STEMS, FakeAPI
from tests.api.conftest import MB

BASE = "http://local.ttsai/v1/"


def in_process_client(app) -> TTSAIClient:
    return TTSAIClient(api_key=KEY, base_url=BASE, transport=InProcessTransport(app),
                       retry=RetryPolicy(max_retries=1, sleep=lambda s: None))


def test_endpoints_answer_in_process_and_cdn_links_leave_without_the_key(cdn, tmp_path):
    app = FakeAPI(cdn)
    app.url = "http://local.ttsai/"
    with in_process_client(app) as client:
        assert client.tts("Hi", voice="af_bella", out=tmp_path / "a.wav").path.read_bytes() == AUDIO
        clip = tmp_path / "clip.wav"
        clip.write_bytes(b"RIFF" + bytes(3000))
        assert client.stt(clip).text == "hello world"
        assert app.rec.seen[-1].uploads["file"][0] == 3004
        assert client.speech_translate(clip, target_language="es",
                                       out=tmp_path / "dub.wav").path.read_bytes() == AUDIO
        app.separate_async = True
        stems = client.separate(clip, out_dir=tmp_path / "stems", poll_interval=0.01)
        assert stems.paths["vocals"].read_bytes() == STEMS["vocals"]
    assert app.rec.seen[0].headers["Authorization"] == f"Bearer {KEY}"
    assert cdn.rec.seen and all("Authorization" not in s.headers for s in cdn.rec.seen)


def test_a_60_mb_upload_is_streamed_into_the_app(cdn, big_file):
    app = FakeAPI(cdn)
    with in_process_client(app) as client:
        client.models()
        tracemalloc.start()
        try:
            client.stt(big_file)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert app.rec.seen[-1].uploads["file"][0] == 60 * MB
    assert peak < 8 * MB, f"traced peak {peak / MB:.1f} MB"
