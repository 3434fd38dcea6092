"""Audio answers are checked before anyone sees them: the body must decode completely, last
as long as its own header says, and fit the request; a file whose container is not what its
name says (mp3 bytes for ``out.wav``) is re-encoded so the name tells the truth.
"""
from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadAudioError, MediaError
from ..media import ffmpeg
from ..sentences import clause

_INPUT = re.compile(r"Input #0, (.+?), from ")
_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_TIME = re.compile(r"time=(\d+):(\d+):(\d+(?:\.\d+)?)")
# The demuxer names ffmpeg reports for each suffix we may be asked to write.
CONTAINERS: dict[str, tuple[str, ...]] = {
    ".wav": ("wav",), ".mp3": ("mp3",), ".flac": ("flac",), ".ogg": ("ogg",),
    ".opus": ("ogg",), ".m4a": ("mov", "mp4", "m4a"), ".aac": ("aac",),
}
_MUXERS = {".wav": "wav", ".mp3": "mp3", ".flac": "flac", ".ogg": "ogg", ".opus": "ogg",
           ".m4a": "ipod", ".aac": "adts"}
_CODECS = {".opus": ["-c:a", "libopus"], ".ogg": ["-c:a", "libvorbis", "-q:a", "4"],
           ".m4a": ["-c:a", "aac"], ".aac": ["-c:a", "aac"], ".mp3": ["-c:a", "libmp3lame"]}
MIN_SECONDS = 0.02
"""Less decoded audio than this is no answer at all (an empty or header-only body)."""


@dataclass(frozen=True)
class Expect:
    """What an answer must be: ``seconds`` ± ``tolerance`` (same-length operations), else
    anywhere within ``low``..``high`` seconds."""

    seconds: float | None = None
    tolerance: float = 0.05
    low: float = MIN_SECONDS
    high: float | None = None

    def problem(self, got: float) -> str | None:
        """Why ``got`` seconds do not fit, or None when they do."""
        if got < max(self.low, MIN_SECONDS):
            return f"it holds {got:.2f} s of audio"
        if self.seconds is not None:
            slack = max(0.25, self.seconds * self.tolerance)
            if abs(got - self.seconds) > slack:
                return f"it lasts {got:.2f} s where {self.seconds:.2f} s were sent"
        if self.high is not None and got > self.high:
            return f"it lasts {got:.1f} s, more than the {self.high:.0f} s this request can give"
        return None


def same_length(seconds: float | None, tolerance: float = 0.05) -> Expect:
    return Expect(seconds=seconds, tolerance=tolerance)


def speech(text: str, speed: float = 1.0) -> Expect:
    """Spoken text lasts at least a blink and at most ~1.2 s per character (very slow speech
    of very short text, plus a pause) — anything beyond is not this text."""
    return Expect(low=MIN_SECONDS, high=10.0 + 1.2 * len(text) / max(speed, 0.1))


@dataclass(frozen=True)
class Checked:
    """What the decode found: the container, seconds decoded, seconds the header claims."""

    container: str
    seconds: float
    claimed: float | None


def inspect(path: Path, *, what: str) -> Checked:
    """Decode all of ``path`` (in process for WAV/FLAC/Ogg, else with ffmpeg); a body
    neither can read is a BadAudioError."""
    found = _inspect_in_process(path)
    if found is not None:
        return found
    try:
        text = ffmpeg.run(["-i", path, "-map", "0:a:0", "-f", "null", "-"],
                          what=f"check the {what} answer")
    except MediaError as e:
        raise BadAudioError(f"The {what} answer is not audio that can be decoded "
                            f"({clause(e.message)}).", hint="It was not kept; try again.") from None
    container = _INPUT.search(text)
    times = _TIME.findall(text)
    seconds = _hms(times[-1]) if times else 0.0
    claimed = _DURATION.search(text.split("Output #0", 1)[0])
    estimated = "Estimating duration from bitrate" in text
    return Checked(container.group(1) if container else "", seconds,
                   None if claimed is None or estimated else _hms(claimed.groups()))


_SF_CONTAINERS = {"WAV": "wav", "WAVEX": "wav", "FLAC": "flac", "OGG": "ogg"}
# (not MP3: libmpg123 trusts a Xing header and reports a cut file at full length)


def _inspect_in_process(path: Path) -> Checked | None:
    """libsndfile's full decode (no subprocess: a check costs microseconds), or None when it
    cannot read the file — then ffmpeg decides."""
    try:
        import numpy as np
        import soundfile as sf
        with sf.SoundFile(str(path)) as f:
            container = _SF_CONTAINERS.get(f.format)
            if container is None or f.samplerate <= 0:
                return None
            header = f.frames / f.samplerate if container == "flac" else None
            buf = np.empty((1 << 16, f.channels), np.float32)  # reused: no copy per block
            frames = 0
            while n := len(f.read(out=buf)):
                frames += n
            rate = f.samplerate
    except Exception:  # noqa: BLE001 - anything libsndfile cannot do, ffmpeg is asked
        return None
    if container == "wav":
        header = _wav_declared_seconds(path)
    return Checked(container, frames / rate, header)


def _wav_declared_seconds(path: Path) -> float | None:
    """Seconds a WAV's header declares for its data chunk (libsndfile trims a cut file to
    what is there, hiding the cut), or None for a streamed header of unknown length."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, rate, align = 12, 0, 0
    while pos + 8 <= len(head):
        cid, size = head[pos:pos + 4], int.from_bytes(head[pos + 4:pos + 8], "little")
        if cid == b"fmt " and pos + 24 <= len(head):
            rate = int.from_bytes(head[pos + 12:pos + 16], "little")
            align = int.from_bytes(head[pos + 20:pos + 22], "little")
        if cid == b"data":
            if size in (0, 0xFFFFFFFF) or not rate or not align:
                return None
            return size / align / rate
        pos += 8 + size + (size & 1)
    return None


def check(path: Path, expect: Expect, *, what: str) -> Checked:
    """Raise BadAudioError unless ``path`` decodes completely and fits ``expect``."""
    found = inspect(path, what=what)
    if found.claimed is not None and found.seconds + max(0.1, 0.02 * found.claimed) \
            < found.claimed:
        raise BadAudioError(f"The {what} answer was cut short: {found.seconds:.2f} s of the "
                            f"{found.claimed:.2f} s its header announces.",
                            hint="It was not kept; try again.")
    problem = expect.problem(found.seconds)
    if problem:
        raise BadAudioError(f"The {what} answer does not fit the request: {problem}.",
                            hint="It was not kept; try again.")
    return found


def conform(path: Path, found: Checked, suffix: str, *, what: str) -> None:
    """Re-encode ``path`` in place when its container is not the one ``suffix`` names."""
    suffix = suffix.lower()
    wanted = CONTAINERS.get(suffix)
    names = {n.strip() for n in found.container.split(",")}
    if not wanted or names & set(wanted):
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part")
    try:
        ffmpeg.run(["-i", path, "-map", "0:a:0", "-vn", *_CODECS.get(suffix, []),
                    "-f", _MUXERS[suffix], tmp], what=f"re-encode the {what} answer as "
                                                      f"{suffix.lstrip('.')}")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _hms(parts) -> float:
    h, m, s = parts
    return int(h) * 3600 + int(m) * 60 + float(s)
