"""Hostile service: mixed jobs against the local engine behind a front that answers wrongly
on purpose (tests/faults/hostile_wire.py: absurd X-RateLimit-Reset, 200s with a cut or HTML
body, mp3 where wav was asked, POSTs moved with 301, 429 with Retry-After: inf).

Ours: the workflows on JobRunner with a shared ResultCache (tests/faults/hostile_soak.py);
every output and cache entry is decoded afterwards. Baseline: the reference-style script
(``baseline.tts`` — writes ``response.content`` whatever it is) for the same number of TTS
jobs against the same front. Figure: bad result files kept. Goal: 0, no job past the 60 s cap.

    python bench/hostile_faults.py [--jobs 200] [--share 0.3]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import _common
import baseline

from tests.faults.hostile_soak import SOAK, run_soak, whole
from tests.faults.hostile_wire import start_hostile


def baseline_bad_files(root: Path, jobs: int, share: float) -> tuple[int, int]:
    """(bad files kept, jobs) for the reference-style script against the same front."""
    from ttsai_plugin.local import DEV_KEY, EngineConfig
    from ttsai_plugin.local.config import PLANS
    config = EngineConfig(keys={DEV_KEY: "soak"}, plans={**PLANS, "soak": SOAK},
                          credits={DEV_KEY: 1e9})
    engine, _ = start_hostile(config, share, seed=11)
    bad = 0
    try:
        for i in range(jobs):
            out = root / f"line-{i:03d}.wav"
            baseline.tts(engine.url, DEV_KEY, f"Line number {i} of the hostile run.", out)
            bad += whole(out) is not None
    finally:
        engine.close()
    return bad, jobs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--share", type=float, default=0.3)
    args = parser.parse_args()
    _common.banner(f"hostile service: {args.jobs} jobs, {args.share:.0%} of answers hostile")
    with tempfile.TemporaryDirectory(prefix="ttsai-bench-hostile-") as d:
        started = time.monotonic()
        figures = run_soak(Path(d) / "ours", jobs=args.jobs, share=args.share)
        print("ours:", figures.line())
        (Path(d) / "base").mkdir()
        bad, n = baseline_bad_files(Path(d) / "base", max(1, args.jobs * 2 // 5), args.share)
        print(f"baseline: {bad} of {n} TTS files it wrote are not whole audio of their name "
              f"({time.monotonic() - started:.0f} s in all)")
        ours_bad = len(figures.bad_outputs) + len(figures.bad_cache_entries)
        _common.result("hostile_bad_files", ours=float(ours_bad), baseline=float(bad),
                       ratio=None if not bad else ours_bad / bad,
                       goal="0_bad_files_0_hangs",
                       met=ours_bad == 0 and figures.hangs == 0 and figures.originals_unchanged)


if __name__ == "__main__":
    main()
