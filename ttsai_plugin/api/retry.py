"""The ONE retry policy: which failures are retried, how long to wait, and when to give up.

Retried: 429 ``rate_limited``, 500 ``internal_error`` (and other 5xx), 503 ``model_loading``,
connection errors, timeouts and answers cut short. Never another 4xx. The wait is the server's
``Retry-After``, else (for 429) ``X-RateLimit-Reset``, else exponential backoff with full jitter;
no single wait exceeds ``max_wait`` (60 s); header values that are not finite, sane
numbers (``inf``, ``1e12``, more than a day) are ignored. Every wait wakes on cancel.

Giving up re-raises the LAST typed error (``RateLimitError``, ``APITimeoutError`` …) with
``.attempts`` set to the number of requests made, so callers catch the error they expect.
"""
from __future__ import annotations

import logging
import random as _random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, TypeVar

from ..errors import APIConnectionError, APIError, ModelLoadingError, RateLimitError
from .waits import MAX_HEADER_WAIT, raise_if_cancelled, reset_seconds, retry_after_seconds
from .waits import wait as cancellable_wait

log = logging.getLogger(__name__)
T = TypeVar("T")

def is_retryable(error: BaseException) -> bool:
    """True for the failures worth another try (see the module docstring)."""
    if isinstance(error, APIError):
        return error.retryable or error.status >= 500
    return isinstance(error, APIConnectionError)


@dataclass
class RetryPolicy:
    """Bounded retries: at most ``max_retries`` more requests after the first one."""

    max_retries: int = 4
    base_delay: float = 0.5
    max_backoff: float = 20.0
    max_wait: float = MAX_HEADER_WAIT
    model_loading_delay: float = 3.0
    sleep: Callable[[float], None] | None = None
    clock: Callable[[], float] = time.time
    jitter: Callable[[], float] = field(default=_random.random)

    def delay_for(self, error: BaseException, attempt: int) -> float | None:
        """Seconds to wait before the next request after ``attempt`` failed ones, or None."""
        if attempt > self.max_retries or not is_retryable(error):
            return None
        headers: Mapping[str, str] = getattr(error, "headers", None) or {}
        lower = {k.lower(): v for k, v in headers.items()}
        now = self.clock()
        wait = retry_after_seconds(lower.get("retry-after"), now=now)
        if wait is None and isinstance(error, RateLimitError):
            wait = reset_seconds(lower.get("x-ratelimit-reset"), now=now)
        if wait is None and isinstance(error, ModelLoadingError):
            wait = self.model_loading_delay
        if wait is None:
            ceiling = min(self.max_backoff, self.base_delay * 2 ** (attempt - 1))
            wait = ceiling * self.jitter()
        return min(wait, self.max_wait)

    def run(self, attempt_once: Callable[[], T], *, what: str = "request",
            cancel: Any = None) -> T:
        """Call ``attempt_once`` until it succeeds or the policy gives up (see module doc).

        ``cancel`` (a ``jobs.CancelToken``) ends any wait between attempts at once."""
        attempt = 0
        while True:
            attempt += 1
            raise_if_cancelled(cancel)
            try:
                return attempt_once()
            except (APIError, APIConnectionError) as error:
                delay = self.delay_for(error, attempt)
                if delay is None:
                    error.attempts = attempt  # type: ignore[attr-defined]
                    if attempt > 1 and error.args:
                        error.args = (f"{error.args[0]} (gave up after {attempt} attempts)",
                                      *error.args[1:])
                    raise
                log.info("%s failed (%s); retry %d of %d in %.1f s", what,
                         type(error).__name__, attempt, self.max_retries, delay)
                if self.sleep is not None:
                    self.sleep(delay)
                else:
                    cancellable_wait(delay, cancel)
