"""Background jobs: worker threads, progress, cancellation, and results handed to the host's
main thread. Host objects are never touched from a worker; ``on_main`` is the host's hook.
"""
from __future__ import annotations

import contextlib
import enum
import inspect
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator, Mapping, Sequence

from ttsai_plugin.errors import Cancelled, TTSAIError

Progress = Callable[[float, str], None]
"""``progress(fraction 0..1, message)``: how workflows report how far they are."""


@dataclass(frozen=True)
class ProgressState:
    """What every host shows of a running job: ``fraction`` (0..1, never going backwards),
    ``message``, ``eta`` (seconds left, None until it can be estimated), and monotonic clock
    times of the first and the latest report."""

    fraction: float = 0.0
    message: str = "Queued"
    eta: float | None = None
    updated_at: float = 0.0
    started_at: float = 0.0

    @property
    def elapsed(self) -> float:
        return max(0.0, self.updated_at - self.started_at)


ETA_AFTER = (0.03, 2.0)  # an ETA once this fraction is done and this many seconds have passed


class ProgressTracker:
    """The single source of truth for a job's progress: call it as ``progress(fraction,
    message)`` from any thread; ``state`` is the latest ``ProgressState`` (monotonic, with an
    ETA from the pace so far), and ``sink`` (a host's bar or status line) gets each update."""

    def __init__(self, sink: Progress | None = None, *, message: str = "Queued",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._sink, self._clock = sink, clock
        self._lock = threading.Lock()
        self._state = ProgressState(message=message)
        self._began: float | None = None

    @property
    def state(self) -> ProgressState:
        with self._lock:
            return self._state

    def __call__(self, fraction: float, message: str = "") -> None:
        now = self._clock()
        with self._lock:
            if self._began is None:
                self._began = now
            f = min(1.0, max(self._state.fraction, float(fraction)))
            elapsed = now - self._began
            eta = None
            if f >= 1.0:
                eta = 0.0
            elif f >= ETA_AFTER[0] and elapsed >= ETA_AFTER[1]:
                eta = elapsed * (1.0 - f) / f
            self._state = ProgressState(f, message or self._state.message, eta, now, self._began)
            state = self._state
        if self._sink is not None:
            self._sink(state.fraction, state.message)

    def set(self, fraction: float, message: str) -> None:
        """Overwrite the state (a job's final 'Done' / 'Cancelled'), keeping its clock."""
        with self._lock:
            self._state = replace(self._state, fraction=fraction, message=message,
                                  eta=0.0 if fraction >= 1.0 else self._state.eta)


HEARTBEAT_SECONDS = 1.0


@contextlib.contextmanager
def heartbeat(progress: Progress | None, fraction: float, message: str, *,
              until: float | None = None, every: float = HEARTBEAT_SECONDS,
              pace: float = 30.0) -> Iterator[Progress]:
    """While the block runs (a blocking request, an ffmpeg pass), report the message with the
    seconds elapsed every ``every`` s, the fraction creeping towards (never reaching)
    ``until``: half-way after ``pace`` s. Yields ``update(fraction, message)`` for the block's
    own milestones: reported at once, and the beat goes on from there, never backwards."""
    lock = threading.RLock()
    began = time.monotonic()
    top = fraction if until is None else until
    state = {"base": fraction, "message": message, "since": began, "shown": fraction}

    def send(f: float, text: str) -> None:
        with lock:  # held while reporting, so two threads never report out of order
            f = state["shown"] = max(state["shown"], f)
            if progress is not None:
                progress(f, text)

    def update(f: float, text: str = "") -> None:
        with lock:
            state["base"] = max(state["shown"], f)
            state["message"], state["since"] = text or state["message"], time.monotonic()
        send(f, state["message"])

    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            with lock:
                now = time.monotonic()
                waited = now - state["since"]
                base = state["base"]
                f = base + max(0.0, top - base) * waited / (waited + pace)
                text = f"{state['message']} {now - began:.0f} s"
            send(f, text)

    send(fraction, message)
    ticker = threading.Thread(target=beat, name="ttsai-heartbeat", daemon=True)
    if progress is not None:
        ticker.start()
    try:
        yield update
    finally:
        stop.set()
        if ticker.is_alive():
            ticker.join()


class CancelToken:
    """A flag a job checks between steps; ``raise_if_cancelled()`` stops it with ``Cancelled``."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("Cancelled by the user.")

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, waking early (True) when cancelled."""
        return self._event.wait(timeout)


class JobState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class _Step:
    start: float
    width: float


class StepProgress:
    """Split one progress callback into weighted sub-steps.

    ``steps = StepProgress(progress, {"extract": 1, "upload": 2, "process": 6})``;
    ``steps["upload"](0.5, "Uploading")`` reports 1/9 + 0.5·2/9 overall.
    """

    def __init__(self, progress: Progress | None,
                 weights: Mapping[str, float] | Sequence[tuple[str, float]]) -> None:
        items = list(weights.items() if isinstance(weights, Mapping) else weights)
        if not items or any(w < 0 for _, w in items) or sum(w for _, w in items) <= 0:
            raise ValueError("StepProgress needs at least one step with a positive weight")
        total = float(sum(w for _, w in items))
        self._progress = progress
        self._steps: dict[str, _Step] = {}
        at = 0.0
        for name, weight in items:
            self._steps[name] = _Step(at, weight / total)
            at += weight / total

    def __getitem__(self, name: str) -> Progress:
        step = self._steps[name]

        def report(fraction: float, message: str = "") -> None:
            if self._progress is not None:
                f = min(1.0, max(0.0, fraction))
                self._progress(min(1.0, step.start + f * step.width), message)
        return report


class Job:
    """One submitted piece of work: its state, progress, result or error."""

    def __init__(self, label: str) -> None:
        self.id = f"job-{uuid.uuid4().hex[:12]}"  # unique across host sessions (journal)
        self.label = label
        self.token = CancelToken()
        self._state = JobState.QUEUED
        self.tracker = ProgressTracker()
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._future: Future | None = None
        self.result: Any = None
        self.error: TTSAIError | None = None

    @property
    def state(self) -> JobState:
        return self._state

    @property
    def progress(self) -> tuple[float, str]:
        """``(fraction, message)`` as last reported."""
        state = self.tracker.state
        return state.fraction, state.message

    @property
    def progress_state(self) -> ProgressState:
        """The full picture: fraction, message, ETA and when it was last updated."""
        return self.tracker.state

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def report(self, fraction: float, message: str = "") -> None:
        """The ``progress`` callback handed to the job's function (never goes backwards)."""
        self.tracker(fraction, message)

    def cancel(self) -> None:
        """Ask the job to stop; a queued job never starts, a running one stops at its next check."""
        self.token.cancel()
        if self._future is not None and self._future.cancel():
            self._finish(JobState.CANCELLED, error=Cancelled(f"{self.label} was cancelled."))

    def wait(self, timeout: float | None = None) -> Any:
        """Block until finished; return the result, or raise the job's error (or TimeoutError)."""
        if not self._done.wait(timeout):
            raise TimeoutError(f"{self.label} is still {self._state.value} after {timeout}s")
        if self.error is not None:
            raise self.error
        return self.result

    def _finish(self, state: JobState, *, result: Any = None,
                error: TTSAIError | None = None) -> bool:
        with self._lock:
            if self._state.finished:
                return False
            self._state, self.result, self.error = state, result, error
            if state is JobState.DONE:
                self.tracker.set(1.0, "Done")
            elif state is JobState.CANCELLED:
                self.tracker.set(self.tracker.state.fraction, "Cancelled")
        self._done.set()
        return True

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.label!r} {self._state.value} {self.progress[0]:.0%}>"


def _wants(fn: Callable, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


class JobRunner:
    """Runs jobs on worker threads; ``on_done`` callbacks go through ``on_main(fn)``.

    A submitted function receives ``progress=`` and ``cancel=`` keywords when its signature
    names them (or takes ``**kwargs``). Any exception becomes a ``TTSAIError`` on the job.
    """

    def __init__(self, max_workers: int = 2,
                 on_main: Callable[[Callable[[], None]], Any] | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ttsai-job")
        self._on_main = on_main or (lambda fn: fn())
        self._jobs: list[Job] = []
        self._lock = threading.Lock()

    @property
    def jobs(self) -> list[Job]:
        with self._lock:
            return list(self._jobs)

    def active(self) -> list[Job]:
        return [j for j in self.jobs if not j.state.finished]

    def submit(self, fn: Callable[..., Any], *args: Any, label: str = "",
               on_done: Callable[[Job], None] | None = None, **kwargs: Any) -> Job:
        job = Job(label or getattr(fn, "__name__", "job"))
        if _wants(fn, "progress"):
            kwargs.setdefault("progress", job.report)
        if _wants(fn, "cancel"):
            kwargs.setdefault("cancel", job.token)
        with self._lock:
            self._jobs.append(job)

        def work() -> None:
            if job.token.cancelled:
                job._finish(JobState.CANCELLED, error=Cancelled(f"{job.label} was cancelled."))
                return
            job._state = JobState.RUNNING
            try:
                result = fn(*args, **kwargs)
            except Cancelled as exc:
                job._finish(JobState.CANCELLED, error=exc)
            except TTSAIError as exc:
                job._finish(JobState.FAILED, error=exc)
            except Exception as exc:  # noqa: BLE001 - every failure is reported on the job
                err = TTSAIError(f"{job.label} failed: {type(exc).__name__}: {exc}")
                err.__cause__ = exc
                job._finish(JobState.FAILED, error=err)
            else:  # finished work is kept even if cancel came too late: it may be paid for
                job._finish(JobState.DONE, result=result)

        future = self._pool.submit(work)
        job._future = future
        future.add_done_callback(lambda _f: self._deliver(job, on_done))
        return job

    def _deliver(self, job: Job, on_done: Callable[[Job], None] | None) -> None:
        if not job.done:  # only a future cancelled before it started gets here unfinished
            job._finish(JobState.CANCELLED, error=Cancelled(f"{job.label} was cancelled."))
        if on_done is not None:
            self._on_main(lambda: on_done(job))

    def cancel_all(self) -> None:
        for job in self.active():
            job.cancel()

    def shutdown(self, *, cancel: bool = True, wait: bool = True) -> None:
        """Stop taking jobs; by default cancel the running ones and wait for them to stop."""
        if cancel:
            self.cancel_all()
        self._pool.shutdown(wait=wait, cancel_futures=cancel)

    def __enter__(self) -> "JobRunner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
