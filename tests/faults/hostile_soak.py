"""Many mixed jobs against the hostile engine front (``hostile_wire``), as a host runs them
(JobRunner, a client per job, one shared result cache); then every output and every cache
entry is decoded and checked. Shared by tests/faults/test_hostile_faults.py and
bench/hostile_faults.py."""
from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ttsai_plugin import media, workflows
from ttsai_plugin.api import PlanLimits, RetryPolicy, TTSAIClient
from ttsai_plugin.api import accept
from ttsai_plugin.api.waits import MAX_HEADER_WAIT
from ttsai_plugin.cache import ResultCache
from ttsai_plugin.clips import Clip
from ttsai_plugin.errors import TTSAIError
from ttsai_plugin.jobs import JobRunner, JobState
from ttsai_plugin.local import DEV_KEY, EngineConfig, Plan
from ttsai_plugin.local.config import PLANS
from ttsai_plugin.workflows.context import Context
from tests import media_factory
from tests.faults.hostile_wire import start_hostile

SOAK = Plan("soak", requests_per_minute=100_000, concurrent=8, max_text_chars=5_000)
SOAK_LIMITS = PlanLimits("soak", 100_000, 8, 5_000)
KINDS = ("tts", "convert", "tts", "enhance", "stt")


@dataclass
class Figures:
    """What a soak run measured."""

    jobs: int
    states: Counter = field(default_factory=Counter)
    bad_outputs: list[str] = field(default_factory=list)
    bad_cache_entries: list[str] = field(default_factory=list)
    cache_entries: int = 0
    longest_job: float = 0.0
    hangs: int = 0
    hostile: Counter = field(default_factory=Counter)
    requests: int = 0
    originals_unchanged: bool = False
    wall: float = 0.0
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"{self.jobs} jobs: {dict(self.states)}; hostile answers {dict(self.hostile)} "
                f"in {self.requests} requests; bad outputs {len(self.bad_outputs)}, cache "
                f"entries {self.cache_entries} (bad {len(self.bad_cache_entries)}), longest job "
                f"{self.longest_job:.1f} s (hangs past {MAX_HEADER_WAIT:.0f} s: {self.hangs}), "
                f"originals unchanged: {self.originals_unchanged}; {self.wall:.1f} s")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def whole(path: Path, seconds: float | None = None) -> str | None:
    """Why ``path`` is not a whole, honest audio file (or None when it is)."""
    try:
        found = accept.check(path, accept.same_length(seconds) if seconds else accept.Expect(
            low=0.2), what=path.name)
    except TTSAIError as e:
        return e.message
    wanted = accept.CONTAINERS.get(path.suffix.lower())
    if wanted and not set(found.container.split(",")) & set(wanted):
        return f"{path.name} holds {found.container}"
    return None


def run_soak(root: Path, jobs: int = 200, share: float = 0.3, workers: int = 6,
             seed: int = 9) -> Figures:
    """Run ``jobs`` mixed jobs with ``share`` of the answers hostile; measure everything."""
    (root / "originals").mkdir(parents=True, exist_ok=True)
    src = media_factory.speech(root / "originals", name="speech.wav",
                               text="Hello, this is a test clip.", sample_rate=16000)
    src_seconds = media.duration(src)
    originals = {src: _sha(src)}
    cache = ResultCache(root / "cache")
    config = EngineConfig(keys={DEV_KEY: "soak"}, plans={**PLANS, "soak": SOAK},
                          credits={DEV_KEY: 1e9})
    figures = Figures(jobs)
    engine, hostile = start_hostile(config, share, seed)
    started = time.monotonic()
    try:
        runner = JobRunner(max_workers=workers)
        handles = []
        for i in range(jobs):
            kind = KINDS[i % len(KINDS)]
            out = root / "results" / f"job-{i:03d}"
            handles.append((kind, out, runner.submit(_work, engine.url, kind, i, src, out, cache,
                                                     label=f"{kind} {i}")))
        for kind, out, handle in handles:
            try:
                handle.wait(300)
            except TTSAIError:
                pass
            figures.states[handle.state.value] += 1
            if handle.state is JobState.DONE:
                files, took = handle.result
                figures.longest_job = max(figures.longest_job, took)
                figures.hangs += took > MAX_HEADER_WAIT
                for path in files:
                    if path.suffix in (".srt", ".vtt"):
                        ok = path.read_text("utf-8").strip()
                        problem = None if ok else f"{path.name} is empty"
                    else:
                        problem = whole(path, src_seconds if kind in ("convert", "enhance")
                                        else None)
                    if problem:
                        figures.bad_outputs.append(f"{kind} {out.name}: {problem}")
            else:
                figures.failures.append(f"{kind} {out.name}: {handle.error}")
        runner.shutdown()
    finally:
        figures.wall = time.monotonic() - started
        figures.requests = engine.app.total
        figures.hostile = hostile.seen
        engine.close()
    for manifest in cache.root.glob("??/*/manifest.json"):
        figures.cache_entries += 1
        for f in manifest.parent.iterdir():
            if f.name != "manifest.json" and f.suffix not in (".json", ".srt", ".vtt"):
                problem = whole(f)
                if problem:
                    figures.bad_cache_entries.append(f"{manifest.parent.name[:12]}: {problem}")
    figures.originals_unchanged = all(_sha(p) == h for p, h in originals.items())
    return figures


def _work(url: str, kind: str, i: int, src: Path, out: Path, cache: ResultCache,
          cancel: Any = None) -> tuple[list[Path], float]:
    started = time.monotonic()
    retry = RetryPolicy(max_retries=4, base_delay=0.05, max_backoff=0.4)
    with TTSAIClient(api_key=DEV_KEY, base_url=url, plan=SOAK_LIMITS, timeout=30.0,
                     retry=retry) as client:
        ctx = Context(client, out, cache=cache, cancel=cancel)
        clip = Clip(media=src, name=src.stem)
        if kind == "tts":
            files = workflows.narrate(ctx, f"Line number {i} of the hostile run.").files
        elif kind == "enhance":
            files = workflows.enhance(ctx, clip, strength=1 + i % 3).files
        elif kind == "stt":
            files = workflows.transcribe(ctx, clip).files
        else:
            out.mkdir(parents=True, exist_ok=True)
            files = [client.convert(src, out=out / "speech.wav", sample_rate=22050).path]
    return list(files), time.monotonic() - started
