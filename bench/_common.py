"""Shared helpers for the benchmarks: timing, peak RSS in a child process, the local engine in
its own process on loopback, a transport that counts what went over the wire, and the one
``RESULT`` line every benchmark ends with.

Run a benchmark as ``python bench/NAME.py``; this folder is then ``sys.path[0]``.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEV_KEY = "sk-tts-local-dev"
ENTERPRISE_KEY = "sk-tts-local-enterprise"
# The baseline gets keys of its own, so its requests never count against ours (per-key windows).
NAIVE_KEYS = {"pro": "sk-tts-local-naive-pro", "enterprise": "sk-tts-local-naive-enterprise"}
IDEAL_KEYS = {"pro": "sk-tts-local-ideal-pro", "enterprise": "sk-tts-local-ideal-enterprise"}
KEYS = {DEV_KEY: "pro", ENTERPRISE_KEY: "enterprise",
        **{k: p for p, k in NAIVE_KEYS.items()}, **{k: p for p, k in IDEAL_KEYS.items()}}


# --- the machine and the result line ---------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, str]:
    """Where a figure came from: core count, CPU model, date (UTC), Python."""
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu_model(),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
    }


def banner(title: str) -> None:
    m = machine()
    load = ", load %.1f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    print(f"== {title}  [{m['nproc']} cores, {m['cpu']}, {m['date']}{load}]", flush=True)


def fmt(value: float | str, unit: str = "") -> str:
    if isinstance(value, str):
        return value
    if abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
    return text + unit


def result(figure: str, *, ours: float, baseline: float | None, goal: str, met: bool,
           unit: str = "", ratio: float | None = None) -> str:
    """Print and return ``RESULT <figure> ours=<x> baseline=<y> ratio=<r> goal=<g> met=<yes|no>``.

    ``ratio`` defaults to ours / baseline; ``goal`` must hold no spaces.
    """
    if ratio is None and baseline:
        ratio = ours / baseline
    line = (f"RESULT {figure} ours={fmt(ours, unit)} "
            f"baseline={fmt(baseline, unit) if baseline is not None else 'n/a'} "
            f"ratio={fmt(ratio) if ratio is not None else 'n/a'} goal={goal.replace(' ', '_')} "
            f"met={'yes' if met else 'no'}")
    print(line, flush=True)
    return line


# --- timing ----------------------------------------------------------------------------------

@dataclass
class Timed:
    seconds: float
    value: Any = None
    error: BaseException | None = None


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Timed:
    """Wall time of one call; an exception is kept, not raised (a baseline may fail)."""
    start = time.perf_counter()
    try:
        value = fn(*args, **kwargs)
    except Exception as error:  # noqa: BLE001 - reported by the caller
        return Timed(time.perf_counter() - start, error=error)
    return Timed(time.perf_counter() - start, value)


def best_of(n: int, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Timed:
    """The fastest of ``n`` runs (the least disturbed by the machine's other work)."""
    runs = [timed(fn, *args, **kwargs) for _ in range(n)]
    for r in runs:
        if r.error is not None:
            raise r.error
    return min(runs, key=lambda r: r.seconds)


# --- what went over the wire -----------------------------------------------------------------

@dataclass
class WireStats:
    """Requests and answers seen by a :class:`CountingTransport`, thread-safe."""

    statuses: Counter = field(default_factory=Counter)
    paths: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    server_seconds: float = 0.0
    server_times: list = field(default_factory=list)
    refusals: list = field(default_factory=list)
    texts: list = field(default_factory=list)   # the text of every tts request, in order sent
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(self.paths.values())


def server_timing(headers: httpx.Headers) -> float | None:
    """Seconds the server says it spent (``Server-Timing: ...;dur=<ms>``, summed), if it says."""
    raw = headers.get("server-timing")
    if not raw:
        return None
    total = 0.0
    for metric in raw.split(","):
        for param in metric.split(";")[1:]:
            name, _, value = param.strip().partition("=")
            if name == "dur":
                with contextlib.suppress(ValueError):
                    total += float(value) / 1000.0
    return total


class CountingTransport(httpx.HTTPTransport):
    """An ordinary HTTP transport that counts requests per path and answers per status."""

    def __init__(self, stats: WireStats | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stats = stats or WireStats()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.stats.lock:
            self.stats.paths[request.url.path] += 1
            if request.url.path.endswith("/tts/") and request.method == "POST":
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    self.stats.texts.append(json.loads(request.content)["text"])
        try:
            response = super().handle_request(request)
        except Exception as error:
            with self.stats.lock:
                self.stats.errors[type(error).__name__] += 1
            raise
        spent = server_timing(response.headers)
        if response.status_code == 429:
            response.read()
            with self.stats.lock:
                self.stats.refusals.append(response.text[:300])
        with self.stats.lock:
            self.stats.statuses[response.status_code] += 1
            if spent is not None:
                self.stats.server_seconds += spent
                self.stats.server_times.append(spent)
        return response


# --- the local engine in its own process -----------------------------------------------------

@dataclass
class Engine:
    url: str
    process: subprocess.Popen


@contextlib.contextmanager
def engine(*, latency: float = 0.0, keys: dict[str, str] | None = None,
           faults: dict[str, Any] | None = None, data_dir: str | None = None,
           realtime_factor: float = 0.0, fast: bool = False,
           timing_log: str | None = None) -> Iterator[Engine]:
    """Run ``ttsai_plugin.local.serve`` in a child process (so its CPU and memory are not ours);
    ``realtime_factor``: server seconds per second of uploaded audio; ``fast``: pass-through
    processing (see ``_engine_proc.fast_processing``)."""
    config = {"latency": latency, "keys": keys or KEYS, "faults": faults or {},
              "data_dir": data_dir, "realtime_factor": realtime_factor, "fast": fast,
              "timing_log": timing_log}
    proc = subprocess.Popen([sys.executable, str(BENCH / "_engine_proc.py"), json.dumps(config)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("http"):
            raise RuntimeError(f"the local engine did not start (said {line!r})")
        yield Engine(line, proc)
    finally:
        with contextlib.suppress(Exception):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- peak memory of one call, in a fresh process ---------------------------------------------

def rss_of_call(target: str, *args: Any, env: dict[str, str] | None = None) -> dict[str, float]:
    """Run ``module:function(*args)`` in a fresh interpreter; return its peak RSS growth.

    The child imports everything first, resets the kernel's high-water mark
    (``/proc/self/clear_refs``), then calls the function: ``growth_mb`` is the peak RSS
    during the call minus the RSS before it, ``seconds`` its wall time.
    """
    out = subprocess.run([sys.executable, str(BENCH / "_rss_child.py"), target, json.dumps(args)],
                         capture_output=True, text=True, env={**os.environ, **(env or {})})
    if out.returncode != 0:
        raise RuntimeError(f"{target} failed in its child process:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- media made once and kept between runs ---------------------------------------------------

def cache_dir() -> Path:
    """Where generated bench media is kept between runs (``TTSAI_BENCH_CACHE`` overrides)."""
    d = Path(os.environ.get("TTSAI_BENCH_CACHE", Path.home() / ".cache" / "ttsai-bench"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def ffmpeg() -> str:
    from ttsai_plugin import media
    return media.ffmpeg_exe()


def long_video(seconds: int) -> Path:
    """An H.264 + AAC movie of ``seconds``, made once: a 5-minute piece, then stream-copied."""
    out = cache_dir() / f"video_{seconds}s.mp4"
    if out.exists():
        return out
    piece = min(seconds, 300)
    part = cache_dir() / f"video_piece_{piece}s.mp4"
    if not part.exists():
        tmp = part.with_suffix(".part.mp4")
        subprocess.run([ffmpeg(), "-y", "-v", "error",
                        "-f", "lavfi", "-i", f"testsrc=size=320x240:rate=25:duration={piece}",
                        "-f", "lavfi", "-i", f"sine=frequency=220:sample_rate=48000:duration={piece}",
                        "-c:v", "libx264", "-preset", "ultrafast", "-g", "250",
                        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ac", "2",
                        str(tmp)], check=True)
        tmp.rename(part)
    if piece == seconds:
        return part
    listing = cache_dir() / f"video_{seconds}s.txt"
    listing.write_text("".join(f"file '{part}'\n" for _ in range(-(-seconds // piece))))
    tmp = out.with_suffix(".part.mp4")
    subprocess.run([ffmpeg(), "-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-t", str(seconds), "-c", "copy", str(tmp)], check=True)
    tmp.rename(out)
    listing.unlink()
    return out


def speech_clip(seconds: float, name: str | None = None) -> Path:
    """Real espeak-ng speech looped with ffmpeg to ``seconds`` of 48 kHz mono WAV."""
    from tests import media_factory
    out = cache_dir() / (name or f"speech_{seconds:g}s.wav")
    if not out.exists():
        one = media_factory.speech(cache_dir())
        tmp = out.with_suffix(".part.wav")
        subprocess.run([ffmpeg(), "-y", "-v", "error", "-stream_loop", "-1", "-i", str(one),
                        "-t", f"{seconds}", "-c:a", "pcm_s16le", str(tmp)], check=True)
        tmp.rename(out)
    return out


# --- the server's own time -------------------------------------------------------------------

class ServerTiming:
    """WSGI middleware: adds ``Server-Timing: app;dur=<ms>`` (time until the answer's headers,
    i.e. the processing) to every answer and keeps the total, so a benchmark can subtract it."""

    def __init__(self, app: Callable[..., Any], log: str | None = None) -> None:
        self.app = app
        self.log = log  # when set, one line per answer: "<unix start> <seconds> <path>"
        self.total = 0.0
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start = time.perf_counter()
        wall = time.time()

        def timed_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            spent = time.perf_counter() - start
            with self._lock:
                self.total += spent
                self.count += 1
                if self.log:
                    with open(self.log, "a", encoding="utf-8") as f:
                        f.write(f"{wall:.6f} {spent:.6f} {environ.get('PATH_INFO', '')}\n")
            return start_response(status, [*headers, ("Server-Timing", f"app;dur={spent * 1000:.3f}")],
                                  exc_info)

        return self.app(environ, timed_start)

    def reset(self) -> None:
        with self._lock:
            self.total, self.count = 0.0, 0


def screen_recording(seconds: int) -> Path:
    """An H.264 + AAC screen recording with a voice over it (``long_video``'s picture, the
    podcast's speech as stereo AAC), made once: captions need pauses to fall between."""
    out = cache_dir() / f"screen_speech_{seconds}s.mp4"
    if not out.exists():
        video = long_video(seconds)
        speech = speech_clip(seconds, f"podcast_{seconds}s.wav")
        tmp = out.with_suffix(".part.mp4")
        subprocess.run([ffmpeg(), "-y", "-v", "error", "-i", str(video), "-i", str(speech),
                        "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-b:a",
                        "128k", "-ac", "2", "-t", str(seconds), str(tmp)], check=True)
        tmp.rename(out)
    return out
