"""Per-key plan limits: requests per window and concurrent requests, thread-safe.

Every answer carries ``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (whole seconds until the window resets); a refused request is a real
429 ``rate_limited`` with ``Retry-After``.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable

from .config import Plan
from .errors import EngineError


@dataclass
class _Bucket:
    window_start: float
    used: int = 0
    active: int = 0


@dataclass(frozen=True)
class Ticket:
    """One admitted request; ``release()`` it when its answer is finished."""

    bucket: str
    headers: dict[str, str]
    release: Callable[[], None]


class RateLimiter:
    """Fixed windows of ``plan.window_seconds`` per bucket (a key, or an anonymous address)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def _bucket(self, name: str, plan: Plan, now: float) -> _Bucket:
        b = self._buckets.get(name)
        if b is None:
            b = self._buckets[name] = _Bucket(now)
        elif now - b.window_start >= plan.window_seconds:
            b.window_start, b.used = now, 0
        return b

    @staticmethod
    def _headers(b: _Bucket, plan: Plan, now: float) -> dict[str, str]:
        reset = max(0.0, plan.window_seconds - (now - b.window_start))
        return {
            "X-RateLimit-Limit": str(plan.requests_per_minute),
            "X-RateLimit-Remaining": str(max(0, plan.requests_per_minute - b.used)),
            "X-RateLimit-Reset": str(max(1, math.ceil(reset))),
        }

    def peek(self, bucket: str, plan: Plan) -> dict[str, str]:
        """The headers for an answer that does not count (file downloads, refused keys)."""
        with self._lock:
            now = self._clock()
            return self._headers(self._bucket(bucket, plan, now), plan, now)

    def acquire(self, bucket: str, plan: Plan) -> Ticket:
        """Admit one request or raise 429: concurrency first, then the window's quota."""
        with self._lock:
            now = self._clock()
            b = self._bucket(bucket, plan, now)
            if b.active >= plan.concurrent:
                headers = self._headers(b, plan, now)
                headers["Retry-After"] = "1"
                raise EngineError(
                    "rate_limited",
                    f"Too many concurrent requests: the {plan.name} plan allows {plan.concurrent}.",
                    headers=headers, limit=plan.concurrent, kind="concurrent")
            if b.used >= plan.requests_per_minute:
                headers = self._headers(b, plan, now)
                headers["Retry-After"] = headers["X-RateLimit-Reset"]
                raise EngineError(
                    "rate_limited",
                    f"Rate limit reached: the {plan.name} plan allows "
                    f"{plan.requests_per_minute} requests per {plan.window_seconds:g} s.",
                    headers=headers, limit=plan.requests_per_minute, kind="requests")
            b.used += 1
            b.active += 1
            headers = self._headers(b, plan, now)
        done = [False]

        def release() -> None:
            with self._lock:
                if not done[0]:
                    done[0] = True
                    b.active -= 1

        return Ticket(bucket, headers, release)
