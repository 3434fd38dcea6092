"""Background jobs: worker threads, progress, cancellation, and results handed to the host's
main thread. Host objects are never touched from a worker; ``on_main`` is the host's hook.
"""
from __future__ import annotations

import enum
import inspect
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from ttsai_plugin.errors import Cancelled, TTSAIError
from ttsai_plugin.progress import (HEARTBEAT_SECONDS, Progress, ProgressState, ProgressTracker,
                                   StepProgress, heartbeat)

__all__ = ["CancelToken", "JobState", "Job", "JobRunner",
           # from ttsai_plugin.progress: jobs is where hosts look for them
           "HEARTBEAT_SECONDS", "Progress", "ProgressState", "ProgressTracker", "StepProgress",
           "heartbeat"]


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
