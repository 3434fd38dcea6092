"""How long to wait for an answer: the read timeout follows the work a request carries (upload
bytes to send, seconds of media the service must process), never a fixed 60 s for an hour."""
from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

import httpx

_expected: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "ttsai_expected_media_seconds", default=None)


@dataclass(frozen=True)
class TimeoutPolicy:
    """``read = base + upload_bytes / slowest_upload + media_seconds * server_factor``.

    ``slowest_upload`` (bytes/s) is the slowest link we still want to work on; ``server_factor``
    the most service time one second of media may take (1.0: as long as the audio lasts).
    """

    base: float = 60.0
    connect: float = 15.0
    slowest_upload: float = 128 * 1024
    server_factor: float = 1.0
    fallback_bytes_per_second: float = 3000.0  # 24 kbit/s: the lowest tier we ever upload

    def read_timeout(self, upload_bytes: int = 0, media_seconds: float = 0.0) -> float:
        return (self.base + max(0, upload_bytes) / self.slowest_upload
                + max(0.0, media_seconds) * self.server_factor)

    def for_upload(self, files: Mapping[str, Path] | None, base: float | None = None
                   ) -> httpx.Timeout | None:
        """The timeout for a request carrying ``files`` (None: the client's default applies)."""
        if not files:
            return None
        policy = self if base is None else TimeoutPolicy(
            base, min(self.connect, base), self.slowest_upload, self.server_factor,
            self.fallback_bytes_per_second)
        size = sum(_size(p) for p in files.values())
        seconds = _expected.get()
        if seconds is None:
            seconds = sum(media_seconds(p, self.fallback_bytes_per_second) for p in files.values())
        read = policy.read_timeout(size, seconds)
        return httpx.Timeout(read, connect=policy.connect)


DEFAULT_POLICY = TimeoutPolicy()


def _size(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def media_seconds(path: Path, fallback_bytes_per_second: float = 3000.0) -> float:
    """Seconds of audio in ``path`` from its header (no decoding), else an upper bound from its
    size at the lowest bitrate we upload."""
    try:
        import soundfile

        return float(soundfile.info(str(path)).duration)
    except Exception:  # noqa: BLE001 - not a format libsndfile reads: bound it by size
        return _size(path) / fallback_bytes_per_second


@contextlib.contextmanager
def expecting(seconds: float | None) -> Iterator[None]:
    """Requests sent inside this block (this thread) carry ``seconds`` of media to process:
    their read timeout is sized for it, whatever the upload's container says."""
    token = _expected.set(seconds)
    try:
        yield
    finally:
        _expected.reset(token)


CHARACTERS_PER_SECOND = 14.0   # a calm narrator's pace


def speech_seconds(text: str, speed: float = 1.0) -> float:
    """About how long ``text`` lasts when spoken at ``speed`` (the work a TTS request asks
    for), at ``CHARACTERS_PER_SECOND``."""
    return len(text) / CHARACTERS_PER_SECOND / max(speed, 0.1)


def request_timeout(files: Mapping[str, Path] | None, default: httpx.Timeout) -> httpx.Timeout | None:
    """The client's hook: a per-request timeout for uploads, or for a request ``expecting``
    media to be made (speech from text), at least the client's own."""
    base = default.read if default.read is not None else DEFAULT_POLICY.base
    if not files:
        seconds = _expected.get()
        if not seconds:
            return None
        return httpx.Timeout(base + seconds * DEFAULT_POLICY.server_factor,
                             connect=min(DEFAULT_POLICY.connect, base))
    return DEFAULT_POLICY.for_upload(files, base)
