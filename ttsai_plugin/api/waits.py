"""Waits the server can ask for, made safe: header values are parsed only when they are finite,
sane numbers, every wait is capped, and every wait wakes at once when the job is cancelled."""
from __future__ import annotations

import email.utils
import math
import threading
import time
from typing import Any

from ..errors import Cancelled

MAX_HEADER_WAIT = 60.0
"""No wait a header asks for (Retry-After, X-RateLimit-Reset) lasts longer than this."""
INSANE_WAIT = 86_400.0
"""A header asking for more than a day is not a rate limit but a broken server: ignored."""
UNIX_TIME_THRESHOLD = 1e9
_never = threading.Event()


def finite(value: Any) -> float | None:
    """``value`` as a finite float, else None (``inf``, ``nan``, ``1e999``, text)."""
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def sane_seconds(seconds: float | None) -> float | None:
    """A wait of 0..1 day, or None for anything else."""
    if seconds is None or not math.isfinite(seconds) or seconds > INSANE_WAIT:
        return None
    return max(0.0, seconds)


def reset_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds until ``X-RateLimit-Reset``: seconds, or a Unix time when > 1e9; None if insane."""
    number = finite(value) if value is not None else None
    if number is None or number < 0:
        return None
    if number > UNIX_TIME_THRESHOLD:
        number -= time.time() if now is None else now
    return sane_seconds(number)


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait per ``Retry-After``: delta-seconds or an HTTP date; None if insane."""
    if value is None:
        return None
    value = value.strip()
    number = finite(value)
    if number is not None:
        return sane_seconds(number) if number >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when is None:
        return None
    return sane_seconds(when.timestamp() - (time.time() if now is None else now))


def is_cancelled(cancel: Any) -> bool:
    """True when ``cancel`` (a ``jobs.CancelToken``, an Event, or None) says stop."""
    if cancel is None:
        return False
    flag = getattr(cancel, "cancelled", None)
    if flag is None:
        flag = getattr(cancel, "is_set", None)
    return bool(flag() if callable(flag) else flag)


def raise_if_cancelled(cancel: Any) -> None:
    if is_cancelled(cancel):
        raise Cancelled("Cancelled by the user.", hint="Nothing was left half-written.")


def wait(seconds: float, cancel: Any = None) -> None:
    """Sleep ``seconds`` (capped at ``MAX_HEADER_WAIT``), or raise Cancelled the moment the
    token is cancelled. Event-based: no sleep ever outlasts a cancel by more than a tick."""
    seconds = min(max(0.0, seconds), MAX_HEADER_WAIT)
    raise_if_cancelled(cancel)
    waiter = getattr(cancel, "wait", None)
    if callable(waiter):
        if waiter(seconds):
            raise_if_cancelled(cancel)
        return
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        _never.wait(min(left, 0.05))
        raise_if_cancelled(cancel)
