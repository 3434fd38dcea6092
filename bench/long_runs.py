"""Long runs: an hour of speech through transcribe, enhance, dub (and dereverb, stems, narrate
with --ops) from the `ttsai` command, as a user runs it, against a service with added latency
and a server time proportional to the audio.

**Ours**: the CLI in a fresh process (`python -m ttsai_plugin.cli <op> … --no-cache`), its
stderr progress lines timestamped as they arrive; peak RSS is the kernel's figure for that
process (``wait4``). **Baseline**: the reference-style script (``baseline.upload``): the same
upload parts ours sent, one request after another, no progress while a request runs.
**Ideal**: the parallel bound for the parts ours sent: every wave of ``concurrent`` parts costs
its slowest part's server time (``Server-Timing``), plus bare ffmpeg's extraction of the hour.

The engine runs in its own process with ``EngineConfig(latency=…, realtime_factor=…)``. By
default its DSP/ASR is swapped for pass-throughs (``_engine_proc.fast_processing``), so the
server time is the knob's, not this shared machine's pocketsphinx; ``--real-processing`` keeps
the real engine (use fewer ``--minutes``).
"""
from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import _common
from _common import DEV_KEY, NAIVE_KEYS, ROOT

ENDPOINTS = {"transcribe": "stt/", "enhance": "audio/enhance/", "dub": "speech-translate/",
             "dereverb": "audio/dereverb/", "stems": "audio/separate/"}
GAP_GOAL = 2.0
RSS_GOAL = 400.0
IDEAL_GOAL = 0.9


@dataclass
class Run:
    wall: float
    rss_mb: float          # the CLI process's own high-water mark (VmHWM)
    child_rss_mb: float    # the largest of its ffmpeg children's
    code: int
    lines: list[tuple[float, str]] = field(default_factory=list)
    stderr: str = ""

    @property
    def longest_gap(self) -> float:
        stamps = [t for t, line in self.lines if line.startswith("[")]
        return max((b - a for a, b in zip(stamps, stamps[1:])), default=float("inf"))


def run_cli(args: list[str], url: str | None) -> Run:
    """One `ttsai` command in a fresh interpreter: wall time, peak RSS, progress lines.
    ``url`` None: keyless (no key anywhere), so the CLI runs the local engine in-process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TTSAI_CACHE_DIR": tempfile.mkdtemp()}
    if url is None:
        for name in ("TTSAI_API_KEY", "TTSAI_BASE_URL", "TTSAI_PLAN"):
            env.pop(name, None)
        env["TTSAI_CONFIG"] = str(Path(tempfile.mkdtemp()) / "none.toml")
    where = ["--base-url", url, "--api-key", DEV_KEY] if url is not None else []
    cmd = [sys.executable, "-m", "ttsai_plugin.cli", *args, *where, "--no-cache"]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env=env)
    lines: list[tuple[float, str]] = []
    out: list[str] = []

    def read_err() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append((time.monotonic() - start, line.rstrip()))

    def read_out() -> None:
        assert proc.stdout is not None
        out.extend(proc.stdout)

    peaks = {"own": 0, "child": 0}
    done = threading.Event()

    def watch() -> None:  # VmHWM is the kernel's exact high-water mark: polling misses nothing
        while not done.wait(0.05):
            peaks["own"] = max(peaks["own"], _hwm_kb(proc.pid))
            for child in _children(proc.pid):
                peaks["child"] = max(peaks["child"], _hwm_kb(child))

    readers = [threading.Thread(target=read_err), threading.Thread(target=read_out),
               threading.Thread(target=watch)]
    for r in readers:
        r.start()
    code = proc.wait()
    wall = time.monotonic() - start
    done.set()
    for r in readers:
        r.join()
    return Run(wall, peaks["own"] / 1024, peaks["child"] / 1024, code, lines,
               "".join(out) + "\n".join(line for _, line in lines[-5:]))


def _hwm_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(c) for c in text.split()]


def parts_like_ours(src: Path, operation: str, work: Path, concurrent: int) -> list[Path]:
    """The upload parts ours sends for ``operation`` (the same splitter, outside the timing)."""
    from ttsai_plugin import media
    from ttsai_plugin.api.paths import endpoint
    from ttsai_plugin.workflows import longform

    longest = longform.longest_part(operation, src)
    pieces = [src]
    if longest is not None and media.duration(src) > longest:
        count = longform.part_count(media.duration(src), longest, concurrent)
        pieces = [p.path for p in longform.split_at_pauses(
            src, work / "split", max_seconds=longest, count=count,
            overlap=longform.overlap_for(operation))]
    uploads: list[Path] = []
    for i, piece in enumerate(pieces):
        if piece.stat().st_size <= (endpoint(operation).upload_limit or 1 << 62):
            uploads.append(piece)
        else:
            uploads += media.encode_for_upload(piece, work / f"up{i}", endpoint=operation)
    return uploads


def baseline(url: str, op: str, uploads: list[Path], work: Path) -> tuple[float, list[float]]:
    """The reference-style script: each part posted after the previous answered."""
    import baseline as naive

    stats = _common.WireStats()
    data = {"dub": {"target_language": "es"}, "transcribe": {"timestamps": "true"}}.get(op, {})
    start = time.monotonic()
    times = []
    for i, part in enumerate(uploads):
        t0 = time.monotonic()
        naive.upload(url, NAIVE_KEYS["pro"], part, work / f"naive-{i}.out",
                     endpoint=ENDPOINTS[op], data=data, stats=stats)
        times.append(time.monotonic() - t0)
    return time.monotonic() - start, stats.server_times


def bare_extraction(src: Path, work: Path) -> tuple[float, Path]:
    """Bare ``ffmpeg -i src out.wav``: its time (part of the ideal) and the WAV (the baseline's
    input: a reference-style script starts from the audio)."""
    start = time.monotonic()
    out = work / "bare.wav"
    subprocess.run([_common.ffmpeg(), "-y", "-v", "error", "-i", str(src), str(out)], check=True)
    return time.monotonic() - start, out


def busy_span(log: Path, since: float, until: float) -> float:
    """Seconds in ``[since, until]`` (unix time) during which the server was answering at
    least one request: the part of a run no client could have saved."""
    spans = []
    if log.exists():
        for line in log.read_text().splitlines():
            start, spent, _ = line.split(" ", 2)
            a, b = float(start), float(start) + float(spent)
            if b >= since and a <= until:
                spans.append((max(a, since), min(b, until)))
    total, end = 0.0, -1.0
    for a, b in sorted(spans):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def extraction_figure(src: Path, work: Path, label: str, repeat: int = 3) -> None:
    """``media.extract`` of the whole source (what every clip workflow starts with, probe
    included) vs bare ``ffmpeg -i src out.wav``, best of ``repeat``, alternating."""
    from ttsai_plugin import media
    ours, bare = [], []
    for _ in range(repeat):
        start = time.monotonic()
        media.extract(src, work / "ours.wav")
        ours.append(time.monotonic() - start)
        (work / "ours.wav").unlink()
        bare.append(bare_extraction(src, work)[0])
    seconds = media.duration(src)
    o, b = seconds / min(ours), seconds / min(bare)
    print(f"extraction of {seconds:.0f} s ({label}): ours {min(ours):.2f} s ({o:.0f}x real time), "
          f"bare ffmpeg {min(bare):.2f} s ({b:.0f}x)")
    _common.result(f"long_extraction_{label}_{seconds:.0f}s", ours=o, baseline=b, unit="x",
                   goal=">=0.9_of_bare_ffmpeg", met=o / b >= 0.9)


def ideal(server_times: list[float], concurrent: int, extraction: float) -> float:
    waves = [sorted(server_times, reverse=True)[i:i + concurrent]
             for i in range(0, len(server_times), concurrent)]
    return extraction + sum(max(w) for w in waves)


def cli_args(op: str, src: Path, out: Path, script: Path) -> list[str]:
    return {
        "transcribe": ["transcribe", str(src), "-o", str(out / "podcast.srt")],
        "enhance": ["enhance", str(src), "-o", str(out / "podcast.enhanced.wav")],
        "dereverb": ["dereverb", str(src), "-o", str(out / "podcast.dereverb.wav")],
        "stems": ["stems", str(src), "-o", str(out / "stems")],
        "dub": ["dub", str(src), "--to", "es", "-o", str(out / "podcast.es.wav")],
        "narrate": ["narrate", "--file", str(script), "-o", str(out / "script.wav")],
    }[op]


def check(op: str, src: Path, out: Path) -> str:
    """What a user would check: the output's length, and captions where the speech is."""
    from ttsai_plugin import media
    if op == "transcribe":
        srt = (out / "podcast.srt").read_text("utf-8")
        cues = srt.count("-->")
        return f"{cues} captions"
    if op == "narrate":
        return f"{media.duration(out / 'script.wav'):.1f} s of narration"
    if op == "stems":
        return ", ".join(f"{p.stem} {media.duration(p):.2f} s" for p in sorted((out / "stems").iterdir()))
    path = next(out.glob("podcast.*.wav"))  # the -o name, whatever the source
    return f"{path.name} {media.duration(path):.2f} s (source {media.duration(src):.2f} s)"


def script_text(minutes: float) -> str:
    """About ``minutes`` of narration (~150 words a minute)."""
    sentence = ("Welcome back to the long show, where every minute counts and every pause "
                "lands where it should. ")
    return sentence * int(math.ceil(minutes * 150 / 18))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--ops", default="transcribe,enhance,dub")
    parser.add_argument("--latency", type=float, default=0.3)
    parser.add_argument("--realtime-factor", type=float, default=0.02,
                        help="server seconds per second of audio")
    parser.add_argument("--real-processing", action="store_true")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--keyless", action="store_true",
                        help="no key: the CLI picks its in-process local engine (real DSP); "
                             "peak RSS is then the engine's and the client's together")
    parser.add_argument("--show-progress", action="store_true", help="print the CLI's lines")
    parser.add_argument("--source", choices=("podcast", "screen"), default="podcast",
                        help="looped espeak speech (WAV) or an H.264/AAC screen recording of that speech")
    args = parser.parse_args()
    _common.banner(f"long_runs {args.source} {args.minutes:g} min, latency {args.latency} s, "
                   f"server {args.realtime_factor}x audio"
                   + (", real processing" if args.real_processing else ", pass-through DSP"))
    seconds = int(args.minutes * 60)
    src = (_common.speech_clip(seconds, f"podcast_{seconds}s.wav") if args.source == "podcast"
           else _common.screen_recording(seconds))
    from ttsai_plugin.api.limiter import plan_limits
    concurrent = plan_limits("pro").concurrent
    with tempfile.TemporaryDirectory(dir=_common.cache_dir()) as tmp, \
            _common.engine(latency=args.latency, realtime_factor=args.realtime_factor,
                           fast=not args.real_processing,
                           timing_log=str(Path(tmp) / "timing.log")) as eng:
        work = Path(tmp)
        log = work / "timing.log"
        script = work / "script.txt"
        script.write_text(script_text(args.minutes), "utf-8")
        extraction, audio = bare_extraction(src, work)
        for op in [o.strip() for o in args.ops.split(",") if o.strip()]:
            if op == "extract":
                extraction_figure(src, work, args.source)
                continue
            out = work / f"out-{op}"
            out.mkdir()
            began = time.time()
            run = run_cli(cli_args(op, src, out, script), None if args.keyless else eng.url)
            busy = busy_span(log, began, time.time())
            if run.code != 0:
                print(f"{op}: the CLI failed ({run.code}): {run.stderr[-800:]}")
                _common.result(f"long_{op}_{args.source}_{seconds}s", ours=run.wall, baseline=None,
                               goal="completes", met=False, unit="s")
                continue
            if args.show_progress:
                print("\n".join(f"  {t:6.1f} s  {line}" for t, line in run.lines))
            what = check(op, src, out)
            gap = run.longest_gap
            child = f" (largest child {run.child_rss_mb:.0f} MB)" if run.child_rss_mb else ""
            print(f"{op}: the server was busy with ours for {busy:.1f} s of it "
                  f"(client-only time {run.wall - busy:.1f} s)")
            print(f"{op}: ours {run.wall:.1f} s, peak RSS {run.rss_mb:.0f} MB{child}, longest gap "
                  f"between progress updates {gap:.2f} s, first after "
                  f"{run.lines[0][0] if run.lines else float('nan'):.1f} s; {what}")
            if op == "narrate" or args.no_baseline or args.keyless or op not in ENDPOINTS:
                _common.result(f"long_{op}_{args.source}_{seconds}s", ours=run.wall, baseline=None, unit="s",
                               goal=f"completes,<{RSS_GOAL:g}MB,gap<{GAP_GOAL:g}s",
                               met=run.rss_mb < RSS_GOAL and gap < GAP_GOAL)
                continue
            uploads = parts_like_ours(audio, {"transcribe": "stt", "dub": "speech_translate",
                                            "stems": "separate"}.get(op, op), work / f"p-{op}",
                                      concurrent)
            naive_wall, server_times = baseline(eng.url, op, uploads, work)
            bound = ideal(server_times, concurrent, extraction)
            print(f"{op}: {len(uploads)} part(s); baseline (one after another) {naive_wall:.1f} s "
                  f"(+ extraction not counted); ideal parallel bound {bound:.1f} s; "
                  f"ours reaches {bound / run.wall:.2f} of it")
            _common.result(f"long_{op}_{args.source}_{seconds}s", ours=run.wall, baseline=naive_wall, unit="s",
                           goal=f">={IDEAL_GOAL}_of_ideal({bound:.0f}s),<{RSS_GOAL:g}MB,"
                                f"gap<{GAP_GOAL:g}s(got_{bound / run.wall:.2f},"
                                f"{run.rss_mb:.0f}MB,{gap:.2f}s)",
                           met=bound / run.wall >= IDEAL_GOAL and run.rss_mb < RSS_GOAL
                           and gap < GAP_GOAL)


if __name__ == "__main__":
    main()
