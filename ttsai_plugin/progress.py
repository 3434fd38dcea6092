"""Progress every host shows: one tracker per job (monotone by construction, with an ETA from
the observed throughput, smoothed so it counts down instead of jumping), weighted steps, a
meter for parts whose weights are known up front, and a heartbeat for blocking steps."""
from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import Callable, Iterator, Mapping, Sequence

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
RATE_WINDOW = 30.0  # seconds of recent reports the throughput is measured over
ETA_SMOOTHING = 5.0  # seconds: how fast the shown ETA follows a changed throughput
OVERALL_FLOOR = 0.5  # the pace used is never under this share of the whole run's average


class _Eta:
    """Seconds left from the throughput over the last ``RATE_WINDOW`` s, but never slower than
    ``OVERALL_FLOOR`` of the whole run's average (a bar held still while the last part of a
    narration ran showed an ETA of half an hour for a job that took two minutes); between
    reports the shown value counts down and moves towards a new estimate with time constant
    ``ETA_SMOOTHING``, so one fast or slow part does not make it jump."""

    def __init__(self) -> None:
        self.samples: deque[tuple[float, float]] = deque()
        self.value: float | None = None
        self.at = 0.0

    def update(self, now: float, fraction: float, began: float) -> float | None:
        samples = self.samples
        if not samples or fraction > samples[-1][1]:
            samples.append((now, fraction))
        while len(samples) > 2 and samples[1][0] <= now - RATE_WINDOW:
            samples.popleft()
        if fraction >= 1.0:
            self.value = 0.0
            return 0.0
        if fraction < ETA_AFTER[0] or now - began < ETA_AFTER[1]:
            return self.value
        t0, f0 = samples[0]
        if now - t0 < RATE_WINDOW / 2:  # early on, the whole run so far is the best measure
            t0, f0 = began, 0.0
        rate = (fraction - f0) / (now - t0) if now > t0 else 0.0
        rate = max(rate, OVERALL_FLOOR * fraction / max(1e-6, now - began))
        raw = (1.0 - fraction) / rate if rate > 0 else None
        if self.value is None:
            self.value = raw
        elif raw is not None:
            counted = max(0.0, self.value - (now - self.at))
            self.value = counted + (raw - counted) * (1.0 - math.exp(-(now - self.at)
                                                                      / ETA_SMOOTHING))
        self.at = now
        return self.value


class ProgressTracker:
    """The single source of truth for a job's progress: call it as ``progress(fraction,
    message)`` from any thread; ``state`` is the latest ``ProgressState`` (the fraction never
    goes back, whatever is reported; a smoothed ETA), and ``sink`` (a host's bar or status
    line) gets each update as shown."""

    def __init__(self, sink: Progress | None = None, *, message: str = "Queued",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._sink, self._clock = sink, clock
        self._lock = threading.RLock()  # a sink may read ``state``
        self._state = ProgressState(message=message)
        self._began: float | None = None
        self._eta = _Eta()

    @property
    def state(self) -> ProgressState:
        with self._lock:
            return self._state

    def __call__(self, fraction: float, message: str = "") -> None:
        with self._lock:  # held while reporting: two threads never reach the sink out of order
            now = self._clock()
            if self._began is None:
                self._began = now
            f = min(1.0, max(self._state.fraction, float(fraction)))
            eta = self._eta.update(now, f, self._began)
            self._state = state = ProgressState(f, message or self._state.message, eta, now,
                                                self._began)
            if self._sink is not None:
                self._sink(state.fraction, state.message)

    def set(self, fraction: float, message: str) -> None:
        """Overwrite the state (a job's final 'Done' / 'Cancelled'), keeping its clock."""
        with self._lock:
            self._state = replace(self._state, fraction=fraction, message=message,
                                  eta=0.0 if fraction >= 1.0 else self._state.eta)


def eta_text(seconds: float | None) -> str:
    """``about 40 s left`` / ``about 3 min left``; empty while unknown."""
    if seconds is None:
        return ""
    if seconds < 90:
        return f"about {max(1.0, seconds):.0f} s left"
    return f"about {seconds / 60:.0f} min left"


@dataclass(frozen=True)
class MeterReading:
    """What a workflow shows of its parts: ``share`` done (0..1) and ``elapsed`` seconds since
    the meter began (the ETA is the job tracker's, which every host shows beside the message)."""

    share: float
    elapsed: float


class PartsMeter:
    """How far a set of parts is, by weights known up front (media seconds, characters):
    finished parts count whole, running ones by their elapsed time against the pace the
    finished ones showed (before any finished, against ``first_guess`` seconds per unit,
    creeping, never reaching their weight). Thread-safe."""

    def __init__(self, weights: Sequence[float], *, first_guess: float = 0.2,
                 min_guess: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.weights = [max(0.0, float(w)) for w in weights]
        self.total = sum(self.weights) or 1.0
        self.count = len(self.weights)
        self._guess, self._min_guess, self._clock = first_guess, min_guess, clock
        self._running: dict[int, float] = {}
        self._floor: dict[int, float] = {}
        self._lock = threading.Lock()
        self.done = 0
        self._done_weight = 0.0
        self._busy = 0.0  # wall seconds the finished parts took
        self._shown = 0.0
        self._began = clock()

    def started(self, index: int) -> None:
        with self._lock:
            self._running[index] = self._clock()

    def at_least(self, index: int, fraction: float) -> None:
        """A running part is known to be at least this far (its upload, measured in bytes)."""
        with self._lock:
            self._floor[index] = max(self._floor.get(index, 0.0), min(0.95, fraction))

    def finished(self, index: int) -> None:
        with self._lock:
            self._floor.pop(index, None)
            began = self._running.pop(index, self._clock())
            self._busy += self._clock() - began
            self._done_weight += self.weights[index]
            self.done += 1

    def share(self) -> float:
        """0..1 of the whole weight, estimated for the running parts; never less than before
        (a pace learnt from a slow part does not take back what was shown)."""
        now = self._clock()
        with self._lock:
            pace = self._busy / self._done_weight if self._done_weight else None
            guess = 0.0
            for index, began in self._running.items():
                weight, elapsed = self.weights[index], now - began
                if pace:
                    part = _overrun_creep(elapsed / max(1e-6, pace * weight))
                else:
                    expect = max(self._min_guess, self._guess * weight)
                    part = min(0.95, elapsed / (elapsed + expect))
                guess += weight * max(part, self._floor.get(index, 0.0))
            self._shown = max(self._shown, min(1.0, (self._done_weight + guess) / self.total))
            return self._shown

    def reading(self) -> MeterReading:
        """The share with the time so far (which keeps the message moving while parts run)."""
        return MeterReading(self.share(), self._clock() - self._began)


def _overrun_creep(x: float, knee: float = 0.8) -> float:
    """A running part's share from ``x``, its elapsed time over the time the finished parts'
    pace expects: ``x`` up to ``knee``, then on towards 1 ever slower (same slope at the knee)
    without reaching it. A part slower than its pace keeps moving the bar, and the ETA grows
    with the overrun instead of running off to hours as it did behind a fixed 0.95 cap."""
    if x <= knee:
        return max(0.0, x)
    rest = 1.0 - knee
    return 1.0 - rest * rest / (rest + (x - knee))


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
