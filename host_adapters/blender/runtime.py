"""Background jobs in Blender: the core's JobRunner on worker threads, and one main-thread
queue that a persistent ``bpy.app.timers`` function drains (bpy is not thread-safe).

In background/module mode timers never fire, so ``run_blocking`` drains the queue itself:
scripts and headless runs block until the result is on the timeline.
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import bpy

from ttsai_plugin.jobs import Job, JobRunner

_main: "queue.Queue[Callable[[], None]]" = queue.Queue()
_runner: JobRunner | None = None
_lock = threading.Lock()


@dataclass
class Task:
    """A job as the UI shows it: label, the core job, and what the main thread made of it."""

    label: str
    job: Job
    finished: bool = False          # the main-thread finish step has run
    ok: bool = False
    message: str = ""
    warnings: list[str] = field(default_factory=list)


tasks: list[Task] = []


@dataclass(frozen=True)
class Credits:
    """The last billed job's credits as the server reported them (``X-Credits-*``)."""

    label: str
    used: float
    remaining: float | None


last_credits: Credits | None = None


def note_credits(label: str, state: Any) -> None:
    """Keep a finished job's credit state for the sidebar; unbilled jobs leave it as it was."""
    global last_credits
    if state is None or (state.used_last is None and state.remaining is None):
        return
    last_credits = Credits(label, float(state.used_total), state.remaining)


def post(fn: Callable[[], None]) -> None:
    """Run ``fn`` on Blender's main thread at the next drain (safe from any thread)."""
    _main.put(fn)


def runner() -> JobRunner:
    global _runner
    with _lock:
        if _runner is None:
            _runner = JobRunner(max_workers=2, on_main=post)
        return _runner


def drain(budget: float = 0.05) -> int:
    """Run queued main-thread callables for up to ``budget`` seconds; return how many ran.
    Only those queued before this drain began run: what they post waits for the next one,
    so a finish step in slices gives Blender its events back between slices."""
    ran = 0
    deadline = time.perf_counter() + budget
    for _ in range(_main.qsize()):
        try:
            fn = _main.get_nowait()
        except queue.Empty:
            return ran
        fn()
        ran += 1
        if time.perf_counter() > deadline:
            break
    return ran


def active() -> list[Task]:
    return [t for t in tasks if not t.finished]


def submit(label: str, work: Callable[..., Any],
           finish: Callable[[Task], Iterator[None] | None]) -> Task:
    """Run ``work(progress=, cancel=)`` on a worker; ``finish(task)`` runs on the main thread.
    A ``finish`` that returns an iterator runs one step of it per drain (a long insertion
    in slices); the task is finished after its last step."""
    holder: dict[str, Task] = {}

    def on_done(_job: Job) -> None:
        task = holder["task"]
        try:
            steps = finish(task)
        except BaseException:
            _end(task)
            raise
        if steps is None:
            _end(task)
        else:
            _step(task, steps)

    job = runner().submit(work, label=label, on_done=on_done)
    task = Task(label, job)
    holder["task"] = task
    tasks[:] = [t for t in tasks if not t.finished][-20:] + [task]
    return task


def _step(task: Task, steps: Iterator[None]) -> None:
    """One main-thread step of ``task``'s finish; the next is queued for the next drain."""
    try:
        next(steps)
    except StopIteration:
        _end(task)
    except BaseException:
        _end(task)
        raise
    else:
        post(lambda: _step(task, steps))


def _end(task: Task) -> None:
    task.finished = True
    _redraw()


def run_blocking(task: Task, timeout: float | None = None) -> None:
    """Wait on the calling (main) thread until ``task`` is finished and its result inserted."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while not task.finished:
        if deadline is not None and time.monotonic() > deadline:
            task.job.cancel()
            deadline = None
        if drain() == 0:
            time.sleep(0.01)


def cancel_all() -> int:
    running = active()
    for t in running:
        t.job.cancel()
    return len(running)


def timers_fire() -> bool:
    """True in the interactive app; False headless, where timers and modal handlers never run."""
    return not bpy.app.background


def _redraw() -> None:
    wm = getattr(bpy.context, "window_manager", None)
    for window in getattr(wm, "windows", ()):
        for area in window.screen.areas:
            if area.type in ("SEQUENCE_EDITOR", "STATUSBAR"):
                area.tag_redraw()


def _tick() -> float:
    """The persistent timer: drain the main-thread queue; poll fast only while jobs run, and
    faster while a finish step waits for its next slice."""
    drain()
    if active():
        _redraw()
        return 0.02 if not _main.empty() else 0.1
    return 0.5


def start() -> None:
    if not bpy.app.timers.is_registered(_tick):
        bpy.app.timers.register(_tick, first_interval=0.1, persistent=True)


def stop() -> None:
    global _runner, last_credits
    if bpy.app.timers.is_registered(_tick):
        bpy.app.timers.unregister(_tick)
    with _lock:
        if _runner is not None:
            _runner.shutdown(cancel=True, wait=False)
            _runner = None
    deadline = time.perf_counter() + 1.0
    while drain(budget=1.0) and time.perf_counter() < deadline:
        pass
    tasks.clear()
    last_credits = None


# --- responsiveness measurement (for the benchmark) --------------------------------------

def measure_main_thread_gaps(work: Callable[..., Any], *, tick: float = 0.01,
                             timeout: float = 120.0) -> dict[str, float]:
    """Run ``work(progress=, cancel=)`` as a real job while this thread plays Blender's main
    loop: sleep ``tick``, drain the queue (what the persistent timer does), repeat.

    Returns the longest and mean interval between ticks (seconds; ``tick`` is the floor),
    the tick count and the job's
    wall time. In the app the timer is called by Blender's event loop; headless it never
    fires, so this simulated loop is how a benchmark measures what the add-on costs the main
    thread (GIL contention from workers + time spent in drained callbacks)."""
    finished = threading.Event()
    task = submit("responsiveness probe", work, lambda _t: finished.set())
    gaps: list[float] = []
    started = last = time.perf_counter()
    while not finished.is_set() and time.perf_counter() - started < timeout:
        time.sleep(tick)
        drain()
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    if not finished.is_set():
        task.job.cancel()
    return {"max_gap": max(gaps, default=0.0), "mean_gap": sum(gaps) / max(1, len(gaps)),
            "ticks": float(len(gaps)), "wall": time.perf_counter() - started}
