"""Client-side plan limits: requests per minute and concurrent requests, shared by threads.

The server's own limits are the truth; this keeps a burst of jobs from earning 429s in the
first place. It also obeys the server: when ``X-RateLimit-Remaining`` reaches 0, no request
leaves before ``X-RateLimit-Reset`` (never more than ``MAX_HEADER_WAIT``, 60 s, ahead), and an
``X-RateLimit-Limit`` below the plan's rate lowers the window's budget to the real plan.
Every wait wakes at once when the caller's cancel token is set.
"""
from __future__ import annotations

import collections
import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ..errors import ConfigError
from .waits import MAX_HEADER_WAIT, raise_if_cancelled

_TICK = 0.05


@dataclass(frozen=True)
class PlanLimits:
    """One plan of the contract: requests/min, concurrent requests, max text per request."""

    name: str
    requests_per_minute: int
    concurrent: int
    max_text_chars: int


PLANS: dict[str, PlanLimits] = {
    "pro": PlanLimits("pro", 60, 5, 5_000),
    "enterprise": PlanLimits("enterprise", 300, 20, 50_000),
}


def plan_limits(plan: str | PlanLimits) -> PlanLimits:
    """The limits of a plan by name (case-insensitive), or the PlanLimits given."""
    if isinstance(plan, PlanLimits):
        return plan
    try:
        return PLANS[plan.strip().lower()]
    except KeyError:
        raise ConfigError(f"Unknown plan {plan!r}.",
                          hint=f"Use one of: {', '.join(PLANS)} (TTSAI_PLAN).") from None


class RateLimiter:
    """A sliding-window request limit plus a concurrency semaphore, safe across threads.

    ``window`` is 60 s for a per-minute limit; tests shrink it to stay fast.
    """

    def __init__(self, limits: PlanLimits, *, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self.window = window
        self._clock = clock
        self._sent: collections.deque[float] = collections.deque()
        self._blocked_until = 0.0
        self._server_rpm: int | None = None
        self._cond = threading.Condition()
        self._slots = threading.BoundedSemaphore(limits.concurrent)

    def __repr__(self) -> str:
        l = self.limits
        return (f"RateLimiter({l.name}: {l.requests_per_minute}/{self.window:g}s, "
                f"{l.concurrent} concurrent)")

    @property
    def requests_per_window(self) -> int:
        """The plan's rate, or the server's ``X-RateLimit-Limit`` when that is lower."""
        plan = self.limits.requests_per_minute
        return min(plan, self._server_rpm) if self._server_rpm else plan

    @contextlib.contextmanager
    def slot(self, cancel: Any = None) -> Iterator[None]:
        """Hold one concurrent slot and one request of the window for a whole request."""
        while not self._slots.acquire(timeout=_TICK if cancel is not None else None):
            raise_if_cancelled(cancel)
        try:
            self._take_request(cancel)
            yield
        finally:
            self._slots.release()

    def _take_request(self, cancel: Any = None) -> None:
        with self._cond:
            while True:
                raise_if_cancelled(cancel)
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                wait = self._blocked_until - now
                if len(self._sent) >= self.requests_per_window:
                    wait = max(wait, self._sent[0] + self.window - now)
                if wait <= 0:
                    self._sent.append(now)
                    return
                self._cond.wait(min(wait, _TICK) if cancel is not None else wait)

    def observe(self, remaining: int | None, reset_in: float | None,
                limit: int | None = None) -> None:
        """Adapt to the server: its real per-minute limit, and with nothing remaining, hold
        requests until its reset (at most ``MAX_HEADER_WAIT`` ahead)."""
        with self._cond:
            if limit is not None and 0 < limit < self.limits.requests_per_minute:
                self._server_rpm = int(limit)
            if remaining is None or remaining > 0 or reset_in is None:
                return
            hold = min(max(0.0, reset_in), MAX_HEADER_WAIT)
            self._blocked_until = max(self._blocked_until, self._clock() + hold)
            self._blocked_until = min(self._blocked_until, self._clock() + MAX_HEADER_WAIT)

    def wait_time(self) -> float:
        """Seconds the next request would wait for the window (0 when it could go now)."""
        with self._cond:
            now = self._clock()
            live = [t for t in self._sent if t > now - self.window]
            wait = self._blocked_until - now
            if len(live) >= self.requests_per_window:
                wait = max(wait, live[0] + self.window - now)
            return max(0.0, wait)


_shared: dict[tuple[str, str, str], RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(limits: PlanLimits, origin: str, account: str = "") -> RateLimiter:
    """The one limiter per (API origin, plan, account) in this process, so clients share it."""
    key = (origin, limits.name, account)
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None or limiter.limits != limits:
            limiter = _shared[key] = RateLimiter(limits)
        return limiter
