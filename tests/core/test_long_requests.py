"""A request that takes a while: the read timeout grows with the work it carries, and the
progress a host shows keeps moving (never backwards) while the service thinks."""
from __future__ import annotations

import threading
import time

import pytest

from tests import media_factory
from ttsai_plugin.api import TTSAIClient
from ttsai_plugin.api.timeouts import (TimeoutPolicy, expecting, request_timeout,
                                       speech_seconds)
from ttsai_plugin.clips import Clip
from ttsai_plugin.jobs import JobRunner, ProgressTracker, heartbeat
from ttsai_plugin.local import DEV_KEY, EngineConfig, serve
from ttsai_plugin.workflows import Context, enhance


@pytest.fixture
def speech(tmp_path):
    return media_factory.speech(tmp_path, sample_rate=16000)


def _engine(**config):
    return serve(EngineConfig(keys={DEV_KEY: "pro"}, **config))


def test_a_service_slower_than_the_client_default_still_answers(tmp_path, speech):
    """The Blender story: a fixed read timeout gave up on a long strip after 5 attempts.
    Here the default is 1 s, the service needs 0.4 s per second of audio (~3 s)."""
    server = _engine(realtime_factor=0.4)
    try:
        with TTSAIClient(api_key=DEV_KEY, base_url=server.url, timeout=1.0,
                         max_retries=0) as client:
            ctx = Context(client, tmp_path / "out")
            result = enhance(ctx, Clip(speech, name="strip"))
        assert result.audio and result.audio[0].path.exists()
    finally:
        server.close()


def test_a_long_narration_part_is_waited_for_as_long_as_its_speech_takes(tmp_path):
    """A 5,000-character part of a long script is minutes of speech: on a busy service it
    outlasted the client's fixed read timeout, and the retries met 429s from the service
    still speaking the first try. Here the default is 1 s and the service needs 0.5 s per
    second of speech it makes (~5 s for this text)."""
    text = ("The river runs quietly past the old mill, and the garden waits for rain. "
            "Every morning the baker opens early, and the street smells of fresh bread.")
    server = _engine(realtime_factor=0.5)
    try:
        with TTSAIClient(api_key=DEV_KEY, base_url=server.url, timeout=1.0,
                         max_retries=0) as client:
            started = time.monotonic()
            result = client.tts(text, voice="af_bella", out=tmp_path / "part.wav")
        assert result.path.exists() and time.monotonic() - started > 1.0
    finally:
        server.close()


def test_the_timeout_follows_upload_size_and_media_length(tmp_path, speech):
    policy = TimeoutPolicy(base=60.0)
    assert policy.read_timeout(0, 0) == 60.0
    assert policy.read_timeout(100 * 1024 * 1024, 3600) > policy.read_timeout(1024, 10) + 3600
    import httpx
    small = request_timeout({"file": speech}, httpx.Timeout(60.0))
    assert small is not None and 60.0 < small.read < 80.0
    with expecting(3600.0):
        long = request_timeout({"file": speech}, httpx.Timeout(60.0))
    assert long.read >= 3600.0
    assert request_timeout(None, httpx.Timeout(60.0)) is None
    with expecting(speech_seconds("x" * 5000)):
        spoken = request_timeout(None, httpx.Timeout(60.0))
    assert spoken is not None and spoken.read >= 60.0 + 5000 / 14.0


def test_progress_keeps_moving_while_the_service_thinks(tmp_path, speech):
    server = _engine(latency=3.5)
    seen: list[tuple[float, float, str]] = []
    try:
        with TTSAIClient(api_key=DEV_KEY, base_url=server.url) as client:
            ctx = Context(client, tmp_path / "out",
                          progress=lambda f, m: seen.append((time.monotonic(), f, m)))
            enhance(ctx, Clip(speech, name="talk"))
    finally:
        server.close()
    changes = [seen[0]] + [b for a, b in zip(seen, seen[1:]) if (a[1], a[2]) != (b[1], b[2])]
    gaps = [b[0] - a[0] for a, b in zip(changes, changes[1:])]
    assert max(gaps) < 2.0, f"progress stood still for {max(gaps):.1f} s"
    fractions = [f for _, f, _ in seen]
    assert fractions == sorted(fractions)
    assert any("on the service" in m for _, _, m in seen)


def test_without_a_key_progress_names_the_built_in_engine_not_the_service(
        tmp_path, speech, monkeypatch):
    from ttsai_plugin.clients import make_client
    for name in ("TTSAI_API_KEY", "TTSAI_BASE_URL", "TTSAI_PLAN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TTSAI_CONFIG", str(tmp_path / "no-config.toml"))
    seen: list[str] = []
    with make_client() as client:
        assert client.is_local
        enhance(Context(client, tmp_path / "out", progress=lambda f, m: seen.append(m)),
                Clip(speech, name="talk"))
    waiting = [m for m in seen if "(on " in m]
    assert waiting and all("(on the built-in engine" in m for m in waiting)


def test_a_job_reports_an_eta_that_shrinks_and_never_goes_back():
    now = [0.0]
    tracker = ProgressTracker(clock=lambda: now[0])
    tracker(0.0, "start")
    now[0] = 10.0
    tracker(0.25, "a quarter")
    first = tracker.state
    assert first.eta == pytest.approx(30.0) and first.updated_at == 10.0
    now[0] = 20.0
    tracker(0.2, "late report")
    assert tracker.state.fraction == 0.25 and tracker.state.message == "late report"
    stalled = tracker.state.eta
    assert 30.0 < stalled < 60.0, "a stall makes the ETA grow, but not all at once"
    now[0] = 30.0
    tracker(0.75, "three quarters")
    assert 10.0 <= tracker.state.eta < 20.0 and tracker.state.eta < stalled


def test_an_eta_counts_down_smoothly_when_one_part_is_much_faster():
    now = [0.0]
    tracker = ProgressTracker(clock=lambda: now[0])
    shown = []
    for step in range(1, 20):  # steady: 1 % a second, one burst of 20 % at 10 s
        now[0] = float(step)
        tracker(step / 100 + (0.2 if step >= 10 else 0.0))
        shown.append(tracker.state.eta)
    raw_before, raw_after = 91.0, (1 - 0.30) / (0.30 / 10)
    assert 60 < shown[8] < 100, shown[8]
    jump = shown[8] - shown[9]
    assert 0 < jump < 0.5 * (raw_before - raw_after), "the burst moved the ETA only part way"


def test_a_heartbeat_moves_a_blocking_step_without_going_back():
    seen: list[tuple[float, str]] = []
    with heartbeat(lambda f, m: seen.append((f, m)), 0.2, "Encoding", until=0.4,
                   every=0.05, pace=0.2) as update:
        time.sleep(0.3)
        update(0.25, "Encoding part 2")
        time.sleep(0.2)
    fractions = [f for f, _ in seen]
    assert len({m for _, m in seen}) >= 4
    assert fractions == sorted(fractions) and 0.2 <= fractions[-1] < 0.4


def test_the_job_runner_exposes_the_same_progress_state():
    runner = JobRunner(max_workers=1)
    release = threading.Event()

    def work(progress):
        progress(0.5, "half")
        release.wait(5)
        return 1

    job = runner.submit(work, label="Half")
    for _ in range(100):
        if job.progress_state.fraction == 0.5:
            break
        time.sleep(0.01)
    assert job.progress == (0.5, "half") and job.progress_state.message == "half"
    release.set()
    job.wait(5)
    assert job.progress_state.fraction == 1.0 and job.progress_state.eta == 0.0
    runner.shutdown()
