"""Credits billed within one piece of work (one file of a batch), apart from the client's
running state, which every concurrent job shares: what this work used and the balance the
service reported after its own last billed answer."""
from __future__ import annotations

import contextlib
import contextvars
import threading
from dataclasses import dataclass, field
from typing import Iterator

_SCOPE: contextvars.ContextVar["CreditTally | None"] = contextvars.ContextVar(
    "ttsai_credit_scope", default=None)


@dataclass
class CreditTally:
    """Billed answers seen inside one :func:`credit_scope` (safe across worker threads)."""

    used: float = 0.0
    used_last: float | None = None
    remaining: float | None = None
    answers: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def billed(self, used: float | None, remaining: float | None) -> None:
        if used is None and remaining is None:
            return
        with self._lock:
            self.answers += 1
            if used is not None:
                self.used += used
                self.used_last = used
            if remaining is not None:
                self.remaining = remaining


@contextlib.contextmanager
def credit_scope() -> Iterator[CreditTally]:
    """Count the billed answers of the code run inside (and of threads it starts with
    :func:`carry`) into a fresh tally."""
    tally = CreditTally()
    token = _SCOPE.set(tally)
    try:
        yield tally
    finally:
        _SCOPE.reset(token)


def current() -> CreditTally | None:
    return _SCOPE.get()


def note_billed(used: float | None, remaining: float | None) -> None:
    """Called by the client for every billed answer; a no-op outside any scope."""
    tally = _SCOPE.get()
    if tally is not None:
        tally.billed(used, remaining)


def carry(fn):
    """``fn`` bound to the caller's scope, for a worker thread (threads start without it)."""
    ctx = contextvars.copy_context()
    return lambda *a, **k: ctx.run(fn, *a, **k)
