"""Per-key credit balances and what each request costs, per the contract's credits table.

A request reserves its cost before the work starts (402 ``insufficient_credits`` with
``credits_required`` and ``credits_available`` when the balance is short) and the
reservation is refunded if the work fails, so a failed request is never billed.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from .errors import EngineError

PER_SECOND: dict[str, float] = {
    "stt": 2, "voice_convert": 3, "speech_to_speech": 3, "enhance": 2, "dereverb": 3,
    "separate": 4, "speech_translate": 5,
}
"""Credits per started second of input audio."""

PER_1K_CHARS: dict[str, float] = {"clone": 4}
"""Credits per started 1,000 characters for services without a model-specific rate."""

PER_TURN: dict[str, float] = {"voice_chat": 3}


def per_second(service: str, seconds: float) -> float:
    """Cost of ``seconds`` of audio: every started second counts."""
    return PER_SECOND[service] * max(1, math.ceil(seconds - 1e-9))


def per_chars(rate_per_1k: float, chars: int) -> float:
    """Cost of ``chars`` characters: every started 1,000 counts (the reference's example
    bills a 34-character kokoro request 2 credits)."""
    return rate_per_1k * max(1, math.ceil(chars / 1000))


@dataclass(frozen=True)
class Charge:
    """A reservation against one key's balance; ``after``: the balance it left, which its
    answer reports (not the balance when the answer is sent, which requests reserved
    meanwhile have lowered)."""

    key: str
    amount: float
    after: float = 0.0


class Ledger:
    """Thread-safe balances per key."""

    def __init__(self, balances: dict[str, float], default: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._balances = dict(balances)
        self._default = default

    def balance(self, key: str) -> float:
        with self._lock:
            return self._balances.get(key, self._default)

    def reserve(self, key: str, amount: float) -> Charge:
        """Take ``amount`` from the key's balance, or raise 402 leaving it untouched."""
        with self._lock:
            available = self._balances.get(key, self._default)
            if amount > available + 1e-9:
                raise EngineError(
                    "insufficient_credits",
                    "You do not have enough credits for this request.",
                    credits_required=as_number(amount), credits_available=as_number(available))
            self._balances[key] = available - amount
            return Charge(key, amount, available - amount)

    def refund(self, charge: Charge) -> None:
        with self._lock:
            balance = self._balances.get(charge.key, self._default)
            self._balances[charge.key] = balance + charge.amount

    def headers(self, charge: Charge) -> dict[str, str]:
        """``X-Credits-Used`` / ``X-Credits-Remaining`` for a billed answer."""
        return {"X-Credits-Used": _text(charge.amount),
                "X-Credits-Remaining": _text(charge.after)}


def as_number(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 3)


def _text(x: float) -> str:
    return str(as_number(x))
