"""Typed answers of the API. Each ``from_json`` takes the documented fields and ignores
any others, so a server that adds fields never breaks the client."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .waits import finite, reset_seconds


def _num(value: Any, default: float | None = None) -> float | None:
    """A finite number, else ``default``: ``inf``/``nan``/text from a server never leak in."""
    number = finite(value) if value is not None else None
    return default if number is None else number


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Word:
        return cls(_num(d.get("start"), 0.0), _num(d.get("end"), 0.0), str(d.get("word", "")))


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    speaker: str | None = None
    words: list[Word] = field(default_factory=list)

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Segment:
        return cls(_num(d.get("start"), 0.0), _num(d.get("end"), 0.0), str(d.get("text", "")),
                   _str(d.get("speaker")), [Word.from_json(w) for w in d.get("words") or []])


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None
    duration: float | None
    segments: list[Segment] = field(default_factory=list)
    mock: str | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any], *, mock: str | None = None) -> Transcript:
        return cls(str(d.get("text", "")), _str(d.get("language")), _num(d.get("duration")),
                   [Segment.from_json(s) for s in d.get("segments") or []],
                   mock or _str(d.get("mock")))


@dataclass(frozen=True)
class AudioResult:
    """An audio file the API made, already complete on disk at ``path``."""

    path: Path
    content_type: str | None
    credits_used: float | None = None
    mock: str | None = None


@dataclass(frozen=True)
class Translation:
    original_text: str
    translated_text: str
    source_language: str | None
    target_language: str | None
    audio_url: str | None
    credits_used: float | None = None
    path: Path | None = None
    mock: str | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any], *, path: Path | None = None,
                  mock: str | None = None) -> Translation:
        return cls(str(d.get("original_text", "")), str(d.get("translated_text", "")),
                   _str(d.get("source_language")), _str(d.get("target_language")),
                   _str(d.get("audio_url")), _num(d.get("credits_used")), path,
                   mock or _str(d.get("mock")))


@dataclass(frozen=True)
class Stems:
    """Separated stems: name → local file, plus the URLs they came from."""

    paths: dict[str, Path]
    urls: dict[str, str]
    credits_used: float | None = None
    task_id: str | None = None
    mock: str | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any], *, paths: dict[str, Path] | None = None,
                  mock: str | None = None) -> Stems:
        return cls(paths or {}, {str(k): str(v) for k, v in (d.get("stems") or {}).items()},
                   _num(d.get("credits_used")), _str(d.get("task_id")),
                   mock or _str(d.get("mock")))


@dataclass(frozen=True)
class Analysis:
    key: str | None
    scale: str | None
    bpm: float | None
    time_signature: str | None
    camelot: str | None
    compatible_keys: list[str] = field(default_factory=list)
    mock: str | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any], *, mock: str | None = None) -> Analysis:
        return cls(_str(d.get("key")), _str(d.get("scale")), _num(d.get("bpm")),
                   _str(d.get("time_signature")), _str(d.get("camelot")),
                   [str(k) for k in d.get("compatible_keys") or []], mock or _str(d.get("mock")))


@dataclass(frozen=True)
class ModelInfo:
    id: str
    name: str
    type: str | None = None
    tier: str | None = None
    languages: list[str] = field(default_factory=list)
    supports_cloning: bool = False
    supports_streaming: bool = False
    credits_per_1k_chars: float | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> ModelInfo:
        return cls(str(d.get("id", "")), str(d.get("name") or d.get("id", "")),
                   _str(d.get("type")), _str(d.get("tier")),
                   [str(x) for x in d.get("languages") or []], bool(d.get("supports_cloning")),
                   bool(d.get("supports_streaming")), _num(d.get("credits_per_1k_chars")))


@dataclass(frozen=True)
class VoiceInfo:
    id: str
    name: str
    model: str | None = None
    language: str | None = None
    gender: str | None = None
    preview_url: str | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> VoiceInfo:
        return cls(str(d.get("id", "")), str(d.get("name") or d.get("id", "")),
                   _str(d.get("model")), _str(d.get("language")), _str(d.get("gender")),
                   _str(d.get("preview_url")))


@dataclass(frozen=True)
class VoiceList:
    voices: list[VoiceInfo]
    total: int

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> VoiceList:
        voices = [VoiceInfo.from_json(v) for v in d.get("voices") or [] if isinstance(v, dict)]
        total = _num(d.get("total"))
        return cls(voices, int(total) if total is not None and 0 <= total <= 1e7
                   else len(voices))

    def __iter__(self):
        return iter(self.voices)

    def __len__(self) -> int:
        return len(self.voices)


@dataclass(frozen=True)
class ChatTurn:
    conversation_id: str | None
    user_text: str
    ai_text: str
    audio_url: str | None
    credits_used: float | None = None
    path: Path | None = None
    mock: str | None = None

    @classmethod
    def from_json(cls, d: Mapping[str, Any], *, path: Path | None = None,
                  mock: str | None = None) -> ChatTurn:
        return cls(_str(d.get("conversation_id")), str(d.get("user_text", "")),
                   str(d.get("ai_text", "")), _str(d.get("audio_url")),
                   _num(d.get("credits_used")), path, mock or _str(d.get("mock")))


TASK_SUCCEEDED = frozenset({"success", "succeeded", "completed", "complete", "done",
                            "finished"})
TASK_FAILED = frozenset({"failed", "failure", "error", "cancelled", "canceled", "expired"})


@dataclass(frozen=True)
class TaskResult:
    """A long task's state: ``queued``/``processing``, then a success (``success``,
    ``completed`` …) or a failure (``failed``, ``error`` …) — every spelling ends polling."""

    task_id: str | None
    status: str
    result_url: str | None = None
    stems: dict[str, str] = field(default_factory=dict)
    credits_used: float | None = None
    error: dict[str, Any] | None = None
    progress: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.status in TASK_SUCCEEDED

    @property
    def failed(self) -> bool:
        return self.status in TASK_FAILED

    @property
    def done(self) -> bool:
        return self.succeeded or self.failed

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> TaskResult:
        error = d.get("error")
        if isinstance(error, str):
            error = {"message": error}
        status = str(d.get("status") or ("success" if d.get("stems") else "processing"))
        status = status.strip().lower()
        return cls(_str(d.get("task_id")), status, _str(d.get("result_url")),
                   {str(k): str(v) for k, v in (d.get("stems") or {}).items()},
                   _num(d.get("credits_used")), dict(error) if isinstance(error, dict) else None,
                   _num(d.get("progress")))


@dataclass(frozen=True)
class CreditState:
    """Credits as the last billed answer reported them (``X-Credits-*``)."""

    used_last: float | None = None
    used_total: float = 0.0
    remaining: float | None = None

    def updated(self, headers: Mapping[str, str]) -> CreditState:
        """This state after an answer; unchanged when the answer carried no credit headers."""
        return self.billed(_num(headers.get("x-credits-used")),
                           _num(headers.get("x-credits-remaining")))

    def billed(self, used: float | None, remaining: float | None) -> CreditState:
        """This state after a billed answer of ``used`` credits leaving ``remaining``."""
        if used is None and remaining is None:
            return self
        return CreditState(used, self.used_total + (used or 0.0),
                           remaining if remaining is not None else self.remaining)

    def summary(self) -> str | None:
        """"Credits left: 1,234 (this session used 6)" for a host's status line, or None
        before any billed answer said how many are left."""
        if self.remaining is None:
            return None
        spent = f" (this session used {_amount(self.used_total)})" if self.used_total else ""
        return f"Credits left: {_amount(self.remaining)}{spent}"


def _amount(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class RateLimitState:
    """The server's rate-limit headers from the last answer; ``reset_at`` is a Unix time."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None

    @property
    def reset_in(self) -> float | None:
        return None if self.reset_at is None else max(0.0, self.reset_at - time.time())

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> RateLimitState | None:
        """The ``X-RateLimit-*`` headers (Reset in seconds or as a Unix time), or None."""
        limit = _count(headers.get("x-ratelimit-limit"))
        left = _count(headers.get("x-ratelimit-remaining"))
        reset_in = reset_seconds(headers.get("x-ratelimit-reset"))
        if limit is None and left is None and reset_in is None:
            return None
        return cls(limit, left, None if reset_in is None else time.time() + reset_in)


def _count(value: Any) -> int | None:
    """A header count (0 .. 10^9), else None."""
    number = _num(value)
    return int(number) if number is not None and 0 <= number <= 1e9 else None
