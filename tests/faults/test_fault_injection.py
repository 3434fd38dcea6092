"""200 mixed jobs against an engine that fails on purpose: 429/500/503, dropped connections,
truncated bodies and slow answers. Every job finishes or fails with a clear TTSAIError; no
truncated or corrupt file is ever left where a result belongs; retries stay within the bound
(counted on the server); the originals are never touched."""
from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from ttsai_plugin import media, workflows
from ttsai_plugin.api import PlanLimits, RetryPolicy, TTSAIClient
from ttsai_plugin.clips import Clip
from ttsai_plugin.errors import TTSAIError
from ttsai_plugin.jobs import JobRunner, JobState
from ttsai_plugin.local import DEV_KEY, EngineConfig, FaultConfig, Plan
from ttsai_plugin.local.config import PLANS
from ttsai_plugin.workflows.context import Context
from tests import media_factory
from tests.faults.wire import LoopbackEngine, TaggingTransport, start_engine

JOBS = 200
MAX_RETRIES = 4
SHARE = 0.07  # of each fault kind: 42 % of requests are faulted, 35 % fail outright
# A plan wide enough that the only 429s are the injected ones (the limiter is tested elsewhere).
SOAK = Plan("soak", requests_per_minute=100_000, concurrent=8, max_text_chars=5_000)
SOAK_LIMITS = PlanLimits("soak", 100_000, 8, 5_000)
TEXTS = ("Short line one.", "A second, slightly longer line of speech.",
         "Three: the last line in the rotation.")

pytestmark = [pytest.mark.timeout(300), pytest.mark.slow]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Job:
    """One user job: what it runs, where its results belong, what a whole result looks like."""

    tag: str
    kind: str
    out_dir: Path
    run: Callable[[TTSAIClient, Path], list[Path]]
    expected_seconds: float | None   # None: a transcript, checked by parsing
    requests: int = 1                # requests the job needs when nothing fails


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("originals")
    # short inputs keep 200 jobs fast; the room is made from this same short speech
    speech = media_factory.speech(d, name="speech.wav", text="Hello, this is a test clip.",
                                  sample_rate=16000)
    return {"speech": speech, "reverb": media_factory.reverberant_speech(d, name="room.wav")}


@pytest.fixture(scope="module")
def tts_seconds(tmp_path_factory) -> dict[str, float]:
    """How long each text lasts when nothing fails (same engine, no faults)."""
    d = tmp_path_factory.mktemp("reference")
    with start_engine(EngineConfig()) as eng, \
            TTSAIClient(api_key=DEV_KEY, base_url=eng.url, plan="pro") as client:
        return {t: media.duration(client.tts(t, voice="af_bella", out=d / f"{i}.wav").path)
                for i, t in enumerate(TEXTS)}


def make_jobs(root: Path, sources: dict[str, Path], tts_seconds: dict[str, float]) -> list[Job]:
    speech, reverb = sources["speech"], sources["reverb"]
    d_speech, d_reverb = media.duration(speech), media.duration(reverb)

    def flow(fn: Callable[..., Any], src: Path, **kw: Any):
        def run(client: TTSAIClient, out: Path) -> list[Path]:
            return fn(Context(client, out), Clip(media=src, name=src.stem), **kw).files
        return run

    def narrate(text: str):
        def run(client: TTSAIClient, out: Path) -> list[Path]:
            return workflows.narrate(Context(client, out), text).files
        return run

    def convert(client: TTSAIClient, out: Path) -> list[Path]:
        return [client.convert(speech, out=out / "speech.flac", format="flac").path]

    kinds = itertools.cycle(["tts", "enhance", "dereverb", "stt", "convert"])
    jobs = []
    for i, kind in zip(range(JOBS), kinds):
        tag, out = f"job-{i:03d}", root / f"job-{i:03d}"
        if kind == "tts":
            text = TEXTS[i % len(TEXTS)]
            jobs.append(Job(tag, kind, out, narrate(text), tts_seconds[text]))
        elif kind == "enhance":
            jobs.append(Job(tag, kind, out, flow(workflows.enhance, speech), d_speech))
        elif kind == "dereverb":
            jobs.append(Job(tag, kind, out, flow(workflows.dereverb, reverb), d_reverb))
        elif kind == "stt":
            jobs.append(Job(tag, kind, out, flow(workflows.transcribe, speech), None))
        else:
            jobs.append(Job(tag, kind, out, convert, d_speech))
    return jobs


@pytest.fixture(scope="module")
def faulty_engine() -> LoopbackEngine:
    faults = FaultConfig(rate_limited=SHARE, internal_error=SHARE, model_loading=SHARE,
                         drop=SHARE, truncate=SHARE, slow=SHARE, slow_seconds=0.3,
                         retry_after=1, seed=20261126)
    config = EngineConfig(keys={DEV_KEY: "soak"}, plans={**PLANS, "soak": SOAK},
                          credits={DEV_KEY: 1e9}, faults=faults)
    with start_engine(config) as eng:
        yield eng


Outcome = tuple[JobState, Any, TaggingTransport]   # state, result files or error, the wire


def run_all(engine: LoopbackEngine, jobs: list[Job]) -> dict[str, Outcome]:
    """Every job on a JobRunner, each with its own client (tagged requests), as a host runs them."""
    def work(job: Job, wire: TaggingTransport) -> list[Path]:
        retry = RetryPolicy(max_retries=MAX_RETRIES, base_delay=0.05, max_backoff=0.4)
        with TTSAIClient(api_key=DEV_KEY, base_url=engine.url, plan=SOAK_LIMITS, transport=wire,
                         timeout=30.0, retry=retry) as client:
            return job.run(client, job.out_dir)

    runner = JobRunner(max_workers=6)
    handles = {}
    for job in jobs:
        wire = TaggingTransport(job.tag)
        handles[job.tag] = (runner.submit(work, job, wire, label=f"{job.kind} {job.tag}"), wire)
    outcomes = {}
    for tag, (handle, wire) in handles.items():
        try:
            handle.wait(240)
        except TTSAIError:
            pass
        outcomes[tag] = (handle.state, handle.result if handle.state is JobState.DONE
                         else handle.error, wire)
    runner.shutdown()
    return outcomes


def check_whole(job: Job, path: Path) -> None:
    """A result decodes to the end and lasts as long as it should (or parses, for captions)."""
    if job.expected_seconds is None:
        text = path.read_text("utf-8")
        assert path.suffix in (".srt", ".vtt") and text.strip(), path
        if path.suffix == ".vtt":
            assert text.startswith("WEBVTT")
        return
    samples, sr = media.decode(path)
    # Piper (the neural extra) draws its phoneme durations at random: the same line comes
    # back within a few percent of the length it had; a cut answer is far shorter.
    slack = 0.1 * job.expected_seconds if job.kind == "tts" else 0.05
    assert abs(len(samples) / sr - job.expected_seconds) < slack, (path, len(samples) / sr,
                                                                   job.expected_seconds)


def test_two_hundred_jobs_under_faults_lose_nothing(faulty_engine, sources, tts_seconds,
                                                    tmp_path):
    originals = {name: sha(p) for name, p in sources.items()}
    jobs = make_jobs(tmp_path / "results", sources, tts_seconds)
    outcomes = run_all(faulty_engine, jobs)

    states = Counter(state for state, _, _ in outcomes.values())
    assert states[JobState.DONE] + states[JobState.FAILED] == JOBS, states
    assert states[JobState.DONE] >= JOBS * 0.9, states

    faulted = Counter()
    for job in jobs:
        state, value, wire = outcomes[job.tag]
        seen = faulty_engine.app.per_job[job.tag]
        assert 1 <= seen <= job.requests * (1 + MAX_RETRIES), (job.tag, seen)
        faulted.update(s for s in wire.statuses if s >= 400)
        faulted.update(wire.errors)
        if state is JobState.DONE:
            assert value, job.tag
            for path in value:
                check_whole(job, path)
            present = sorted(p.name for p in job.out_dir.rglob("*"))
            assert present == sorted(p.name for p in value), (job.tag, present)
        else:
            assert isinstance(value, TTSAIError) and value.message.strip(), (job.tag, value)
            assert "Traceback" not in str(value) and DEV_KEY not in str(value)
            leftovers = list(job.out_dir.rglob("*")) if job.out_dir.exists() else []
            assert leftovers == [], (job.tag, leftovers)

    # every kind of fault really happened, and the run recovered from them
    assert {429, 500, 503} <= set(faulted), faulted
    assert sum(faulted[k] for k in faulted if isinstance(k, str)) > 0, \
        f"no dropped or truncated answer was seen: {faulted}"
    assert {name: sha(p) for name, p in sources.items()} == originals
    failures = [f"{tag}: {value}" for tag, (state, value, _) in outcomes.items()
                if state is JobState.FAILED]
    print(f"\n{dict(states)}; faults seen by clients: {dict(faulted)}; "
          f"server saw {faulty_engine.app.total} requests for {JOBS} jobs; failures: {failures}")


@pytest.mark.parametrize("faults", [
    {"internal_error": 0.5, "model_loading": 0.5},
    {"drop": 0.5, "truncate": 0.5},
], ids=["server-errors", "broken-connections"])
def test_jobs_that_never_get_an_answer_fail_clearly_after_exactly_the_bound(
        sources, tts_seconds, tmp_path, faults):
    originals = {name: sha(p) for name, p in sources.items()}
    config = EngineConfig(keys={DEV_KEY: "soak"}, plans={**PLANS, "soak": SOAK},
                          credits={DEV_KEY: 1e9},
                          faults=FaultConfig(**faults, retry_after=0, seed=7))
    jobs = make_jobs(tmp_path / "results", sources, tts_seconds)[:10]
    with start_engine(config) as eng:
        outcomes = run_all(eng, jobs)
        for job in jobs:
            state, error, _ = outcomes[job.tag]
            assert state is JobState.FAILED, job.tag
            assert isinstance(error, TTSAIError) and error.message.strip(), job.tag
            assert getattr(error, "attempts", None) == 1 + MAX_RETRIES, (job.tag, error)
            assert eng.app.per_job[job.tag] == 1 + MAX_RETRIES, job.tag
            assert not job.out_dir.exists() or list(job.out_dir.rglob("*")) == [], job.tag
    assert {name: sha(p) for name, p in sources.items()} == originals
