"""Which code holds the GIL while a long job runs: a load-independent way to find what stalls
a host's main thread.

A core workflow runs on a ``JobRunner`` worker in this plain Python process (no host needed)
against the local engine in its own process, as ``blender_long_runs`` does. A profile hook on
every worker thread records each call (Python or C) that lasts over ``--min-ms``; the main
thread ticks (sleep 10 ms) and records its intervals. For every interval over ``--gap-ms``
the innermost call in progress across it in another thread is named: a call that releases
the GIL there (sleep, recv, select, a lock or a process wait) means the machine did not
schedule us; a call that holds it is a culprit. Also listed: the longest C calls that hold
the GIL, wherever they fall.

    python bench/gil_holds.py [--minutes 10] [--ops enhance,transcribe] [--source podcast]
"""
from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

import _common
from _gil_probe import TICK, Recorder, summary


def ticker(done: threading.Event) -> list[tuple[float, float]]:
    """The host's main loop: sleep 10 ms, note each interval (start, end)."""
    gaps = []
    last = time.perf_counter()
    while not done.is_set():
        time.sleep(TICK)
        now = time.perf_counter()
        gaps.append((last, now))
        last = now
    return gaps


def workflow(op: str) -> Callable[..., Any]:
    from ttsai_plugin import workflows
    return {"enhance": workflows.enhance, "dereverb": workflows.dereverb,
            "stems": lambda ctx, clip: workflows.split_stems(ctx, clip, stems=2),
            "transcribe": workflows.transcribe,
            "dub": lambda ctx, clip: workflows.dub(ctx, clip, target_language="es", mix=False)}[op]


def run_op(op: str, clip: Any, url: str, work: Path, min_s: float) -> tuple[list, list, float]:
    from ttsai_plugin import clients
    from ttsai_plugin.cache import ResultCache
    from ttsai_plugin.jobs import JobRunner
    from ttsai_plugin.workflows import Context

    rec = Recorder(min_s)
    if min_s > 0:
        rec.start()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    done = threading.Event()

    def job(progress: Any = None, cancel: Any = None) -> Any:
        client = clients.make_client(api_key=_common.DEV_KEY, base_url=url, plan="pro")
        ctx = Context(client, work / op, ResultCache(work / f"cache-{op}"), progress, cancel)
        return workflow(op)(ctx, clip)

    started = time.perf_counter()
    with JobRunner(max_workers=2) as runner:
        j = runner.submit(job, label=op, on_done=lambda _j: done.set())
        gaps = ticker(done)
        j.wait()
    rec.stop()
    used = resource.getrusage(resource.RUSAGE_SELF)
    print(f" {op}: this process used {used.ru_utime - cpu.ru_utime:.1f} s user + "
          f"{used.ru_stime - cpu.ru_stime:.1f} s system CPU", flush=True)
    return gaps, rec.calls, time.perf_counter() - started


def report(op: str, gaps: list, calls: list, wall: float, gap_s: float) -> None:
    widths = sorted(b - a for a, b in gaps)
    p99 = widths[int(0.99 * (len(widths) - 1))] if widths else 0.0
    print(f" {op}: {wall:.1f} s, {len(gaps)} ticks, longest {widths[-1] * 1000:.0f} ms, p99 "
          f"{p99 * 1000:.0f} ms, {sum(w > gap_s for w in widths)} over {gap_s * 1000:.0f} ms; "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    for line in summary(gaps, calls, gap_s):
        print("   " + line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--ops", default="enhance,dereverb,stems,transcribe")
    parser.add_argument("--source", default="podcast", choices=("podcast", "screen"))
    parser.add_argument("--min-ms", type=float, default=15.0, help="0: no hook (CPU figures)")
    parser.add_argument("--gap-ms", type=float, default=40.0)
    args = parser.parse_args()
    seconds = int(args.minutes * 60)
    _common.banner(f"gil_holds {args.minutes:g} min {args.source}: calls > {args.min_ms:g} ms, "
                   f"gaps > {args.gap_ms:g} ms")
    from blender_long_runs import screen_recording
    from ttsai_plugin.clips import Clip
    src = (_common.speech_clip(seconds, f"podcast_{seconds}s.wav") if args.source == "podcast"
           else screen_recording(seconds))
    clip = Clip(src, source_in=10.0, source_out=seconds - 10.0, timeline_start=10.0)
    with tempfile.TemporaryDirectory(dir=_common.cache_dir()) as tmp, \
            _common.engine(latency=0.3, realtime_factor=0.02, fast=True) as eng:
        for op in [o.strip() for o in args.ops.split(",") if o.strip()]:
            gaps, calls, wall = run_op(op, clip, eng.url, Path(tmp), args.min_ms / 1000)
            report(op, gaps, calls, wall, args.gap_ms / 1000)


if __name__ == "__main__":
    main()
