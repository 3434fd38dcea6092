"""The client against the real local engine on loopback: every endpoint with real speech,
files handed out through a stand-in CDN that must never see the key."""
from __future__ import annotations

import logging
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
import pytest
import soundfile as sf

from ttsai_plugin import local
from ttsai_plugin.api import (AuthenticationError, InsufficientCreditsError, PlanLimits,
                              RateLimiter, RateLimitError, RetryPolicy, TTSAIClient)
from tests.api.fake_api import Recorder, Seen
from tests.api.loopback import LoopbackServer
from tests import media_factory
from tests.media_factory import ffmpeg



class ProxyCDN:
    """Serves ``/cdn/<id>`` by fetching the engine's public ``/v1/files/<id>``; records headers."""

    def __init__(self) -> None:
        self.rec = Recorder()
        self.engine_url = ""

    def __call__(self, environ, start_response):
        headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items()
                   if k.startswith("HTTP_")}
        self.rec.enter(Seen(environ["REQUEST_METHOD"], environ["PATH_INFO"], headers, {}, None,
                            {}, 0.0))
        try:
            file_id = environ["PATH_INFO"].rsplit("/", 1)[-1]
            upstream = httpx.get(f"{self.engine_url}files/{file_id}")
            start_response(f"{upstream.status_code} X",
                           [("Content-Type", upstream.headers.get("content-type", "")),
                            ("Content-Length", str(len(upstream.content)))])
            return [upstream.content]
        finally:
            self.rec.leave()


@pytest.fixture(scope="module")
def cdn():
    app = ProxyCDN()
    server = LoopbackServer(app)
    app.url = server.url
    yield app
    server.close()


@pytest.fixture(scope="module")
def engine(cdn):
    pro = replace(local.PLANS["pro"], requests_per_minute=100_000)
    config = local.EngineConfig(keys={local.DEV_KEY: "pro", "sk-tts-poor-0000": "pro"},
                                plans={**local.PLANS, "pro": pro},
                                credits={local.DEV_KEY: 10_000_000, "sk-tts-poor-0000": 1},
                                public_base_url=cdn.url + "cdn/", async_threshold_seconds=0)
    server = local.serve(config, host="127.0.0.1", port=0)
    cdn.engine_url = server.url
    yield server
    server.close()


@pytest.fixture(scope="module")
def short_speech(tmp_path_factory):
    """Three seconds of real speech: enough for every endpoint, quick for the offline ASR."""
    return media_factory.speech(tmp_path_factory.mktemp("short"), name="short.wav",
                                text="Hello there, and thanks for watching.", sample_rate=16000)


@pytest.fixture(scope="module")
def short_music(tmp_path_factory):
    return media_factory.music_mix(tmp_path_factory.mktemp("music"), seconds=4.0)


@pytest.fixture
def client(engine):
    with TTSAIClient(api_key=local.DEV_KEY, base_url=engine.url, timeout=120,
                     retry=RetryPolicy(max_retries=2, sleep=lambda s: None)) as c:
        yield c


def duration(path) -> float:
    info = sf.info(str(path))
    return info.frames / info.samplerate


def assert_cdn_never_saw_the_key(cdn):
    for seen in cdn.rec.seen:
        assert "Authorization" not in seen.headers
        assert local.DEV_KEY not in str(seen.headers)


def test_narration_is_real_audio_and_billed(client, tmp_path):
    result = client.tts("Welcome back to the channel.", voice=client.voices().voices[0].id,
                        out=tmp_path / "welcome.wav")
    assert result.content_type.startswith("audio/wav")
    assert 0.8 < duration(result.path) < 6
    assert client.credits.used_last and client.credits.remaining is not None
    assert client.rate_limit.limit == 100_000


def test_streamed_narration(client, tmp_path):
    result = client.tts("Streaming works too.", voice=client.voices().voices[0].id,
                        out=tmp_path / "s.wav", stream=True)
    assert duration(result.path) > 0.5


def test_transcript_of_real_speech(client, short_speech):
    transcript = client.stt(short_speech, language="en")
    assert transcript.text.strip() and transcript.segments
    assert transcript.duration == pytest.approx(duration(short_speech), abs=0.5)


@pytest.mark.parametrize("method, kwargs", [
    ("enhance", {}), ("dereverb", {"type": "reverb"}),
    ("voice_convert", {"target_voice": "af_bella"}),
    ("speech_to_speech", {"voice": "af_bella"}),
])
def test_processing_gives_audio_of_about_the_same_length(client, short_speech, tmp_path,
                                                         method, kwargs):
    result = getattr(client, method)(short_speech, out=tmp_path / f"{method}.wav", **kwargs)
    assert duration(result.path) == pytest.approx(duration(short_speech), rel=0.35)


def test_convert_to_mp3(client, short_speech, tmp_path):
    result = client.convert(short_speech, out=tmp_path / "speech.mp3", bitrate=128)
    probe = subprocess.run([ffmpeg(), "-hide_banner", "-i", str(result.path)],
                           capture_output=True, text=True)
    assert "Audio: mp3" in probe.stderr


def test_dub_clone_and_chat_are_labelled_mocks_fetched_from_the_cdn(client, cdn, short_speech,
                                                                    tmp_path):
    translation = client.speech_translate(short_speech, target_language="es",
                                          out=tmp_path / "dub.wav")
    assert translation.mock and translation.translated_text
    assert duration(translation.path) > 0.5
    assert translation.audio_url.startswith(cdn.url)
    cloned = client.clone(short_speech, text="Cloned voice.", out=tmp_path / "clone.wav")
    assert cloned.mock and duration(cloned.path) > 0.3
    turn = client.voice_chat(text="Hello?", out=tmp_path / "reply.wav")
    assert turn.ai_text and turn.path.exists()
    assert len(cdn.rec.seen) >= 2
    assert_cdn_never_saw_the_key(cdn)


def test_stems_through_a_202_task(client, cdn, short_music, tmp_path):
    progress = []
    stems = client.separate(short_music, out_dir=tmp_path / "stems", poll_interval=0.1,
                            timeout=120, on_progress=lambda f, m: progress.append(m))
    assert set(stems.paths) == {"vocals", "accompaniment"}
    for path in stems.paths.values():
        assert duration(path) == pytest.approx(duration(short_music), abs=0.3)
    assert stems.task_id and progress[-1] == "Stems downloaded"
    assert_cdn_never_saw_the_key(cdn)


def test_analysis_models_voices(client, short_music):
    analysis = client.analyze(short_music)
    assert analysis.bpm and analysis.bpm > 0 and analysis.key
    assert any(m.id == "kokoro" for m in client.models())
    voices = client.voices()
    assert voices.total >= len(voices.voices) > 0


def test_engine_errors_arrive_typed(engine, tmp_path):
    with TTSAIClient(api_key="sk-tts-wrong-key", base_url=engine.url) as c:
        with pytest.raises(AuthenticationError):
            c.models()
    with TTSAIClient(api_key="sk-tts-poor-0000", base_url=engine.url) as c:
        with pytest.raises(InsufficientCreditsError) as info:
            c.tts("This costs more than one credit. " * 40, voice="af_bella",
                  out=tmp_path / "x.wav", model="chatterbox")
        assert info.value.credits_required > info.value.credits_available
    assert not (tmp_path / "x.wav").exists()


def test_engine_429s_are_retried_then_given_up_on(tmp_path):
    faults = local.FaultConfig(rate_limited=1.0, retry_after=0)
    with local.serve(local.EngineConfig(faults=faults)) as server:
        sleeps = []
        with TTSAIClient(api_key=local.DEV_KEY, base_url=server.url,
                         retry=RetryPolicy(max_retries=3, sleep=sleeps.append)) as c:
            with pytest.raises(RateLimitError) as info:
                c.models()
    assert info.value.attempts == 4 and len(sleeps) == 3


def test_no_key_anywhere_uses_the_in_process_engine(caplog, tmp_path):
    from ttsai_plugin import clients
    clients._notice_shown = False
    caplog.set_level(logging.INFO, logger="ttsai_plugin.api")
    with clients.make_client() as first, clients.make_client() as second:
        assert first.is_local and second.is_local
        result = first.tts("Offline and fine.", voice=first.voices().voices[0].id,
                           out=tmp_path / "offline.wav")
        assert duration(result.path) > 0.5
        turn = first.voice_chat(text="Still there?")
        second.download(turn.audio_url, tmp_path / "reply.mp3")   # one engine per process
        assert (tmp_path / "reply.mp3").stat().st_size > 0
    notices = [r for r in caplog.records if "No TTS.ai API key configured" in r.getMessage()]
    assert len(notices) == 1
    assert "local engine" in repr(first)


def test_a_threaded_burst_never_trips_the_engines_own_plan_limits():
    """30 requests from 10 threads on a plan of 10 per second, 3 at a time: the engine
    enforces both with real 429s, and the client (with no retries) must earn none."""
    tiny = local.Plan("tiny", requests_per_minute=10, concurrent=3, max_text_chars=1000,
                      window_seconds=1.0)
    config = local.EngineConfig(keys={local.DEV_KEY: "tiny"}, plans={**local.PLANS, "tiny": tiny},
                                latency=0.05)
    limits = PlanLimits("tiny", 10, 3, 1000)
    limiter = RateLimiter(limits, window=1.0)
    with local.serve(config) as server:
        clients = [TTSAIClient(api_key=local.DEV_KEY, base_url=server.url, plan=limits,
                               limiter=limiter, retry=RetryPolicy(max_retries=0))
                   for _ in range(2)]
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(lambda i: clients[i % 2].models(), range(30)))
    assert len(answers) == 30 and all(answers)
    assert time.monotonic() - start >= 2.0
