"""Client-side plan limits: requests per minute and concurrent requests, shared by threads.

The server's own limits are the truth; this keeps a burst of jobs from earning 429s in the
first place. It also obeys the server: when ``X-RateLimit-Remaining`` reaches 0, no request
leaves before ``X-RateLimit-Reset``.
"""
from __future__ import annotations

import collections
import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from ..errors import ConfigError


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
        self._cond = threading.Condition()
        self._slots = threading.BoundedSemaphore(limits.concurrent)

    def __repr__(self) -> str:
        l = self.limits
        return (f"RateLimiter({l.name}: {l.requests_per_minute}/{self.window:g}s, "
                f"{l.concurrent} concurrent)")

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one concurrent slot and one request of the window for a whole request."""
        self._slots.acquire()
        try:
            self._take_request()
            yield
        finally:
            self._slots.release()

    def _take_request(self) -> None:
        with self._cond:
            while True:
                now = self._clock()
                while self._sent and self._sent[0] <= now - self.window:
                    self._sent.popleft()
                wait = self._blocked_until - now
                if len(self._sent) >= self.limits.requests_per_minute:
                    wait = max(wait, self._sent[0] + self.window - now)
                if wait <= 0:
                    self._sent.append(now)
                    return
                self._cond.wait(wait)

    def observe(self, remaining: int | None, reset_in: float | None) -> None:
        """Adapt to the server: with nothing remaining, hold requests until its reset."""
        if remaining is None or remaining > 0 or reset_in is None:
            return
        with self._cond:
            self._blocked_until = max(self._blocked_until, self._clock() + reset_in)

    def wait_time(self) -> float:
        """Seconds the next request would wait for the window (0 when it could go now)."""
        with self._cond:
            now = self._clock()
            live = [t for t in self._sent if t > now - self.window]
            wait = self._blocked_until - now
            if len(live) >= self.limits.requests_per_minute:
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
