"""Make an upload fit the endpoint's size limit: lossless when it fits, else the best lossy
encoding that fits, else parts split at the quietest moments (rejoined later by ``stitch``).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ttsai_plugin.errors import LimitExceededError
from ttsai_plugin.media.audio import encode_range, pcm_chunks
from ttsai_plugin.media.ffmpeg import CancelCheck
from ttsai_plugin.media.files import source
from ttsai_plugin.media.levels import frame_powers
from ttsai_plugin.media.probe import audio_stream, probe

# What each endpoint accepts (shared/api-contract.md); unlisted endpoints get SAFE_FORMATS.
SAFE_FORMATS: tuple[str, ...] = ("wav", "mp3", "flac")
ACCEPTED_FORMATS: dict[str, tuple[str, ...]] = {
    "stt": ("wav", "mp3", "flac", "ogg", "m4a", "mp4", "webm"),
    "voice_convert": ("wav", "mp3", "flac"),
}
SPLIT_OVERLAP = 0.05
"""Seconds each split part overlaps its neighbour; ``stitch`` crossfades exactly this much."""

_MP3_RATES = {44100: (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
              22050: (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
              16000: (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)}


@dataclass(frozen=True)
class Encoding:
    """One way to encode an upload and how many bytes a second of it takes (an upper bound)."""

    format: str
    sample_rate: int
    channels: int
    kbps: int | None = None

    @property
    def bytes_per_second(self) -> float:
        if self.kbps is None:  # FLAC: a guess (speech packs to ~40-60%); checked after encoding
            return self.sample_rate * self.channels * 2 * (0.6 if self.format == "flac" else 1.0)
        overhead = 1.06 if self.format == "ogg" else 1.01  # ogg pages; mp3 frame padding
        return self.kbps * 1000 / 8 * overhead

    def size(self, seconds: float) -> int:
        return int(math.ceil(seconds * self.bytes_per_second)) + 4096

    def codec(self) -> list[str]:
        if self.format == "wav":
            return ["-c:a", "pcm_s16le"]
        if self.format == "flac":
            return ["-c:a", "flac"]
        if self.format == "mp3":  # level 7: faster search, same bitrate; fine for uploads
            return ["-c:a", "libmp3lame", "-b:a", f"{self.kbps}k", "-compression_level", "7"]
        return ["-c:a", "libopus", "-b:a", f"{self.kbps}k", "-vbr", "constrained",
                "-application", "voip" if (self.kbps or 0) <= 32 else "audio"]

    def describe(self) -> str:
        rate = f"{self.kbps} kbit/s" if self.kbps else "lossless"
        return f"{self.format} {self.sample_rate} Hz {self.channels} ch {rate}"


def _mp3(sample_rate: int, channels: int, kbps: int, source_rate: int) -> Encoding:
    """An MP3 tier, never above the source's rate (no point upsampling), at a legal bitrate."""
    rate = max((r for r in (16000, 22050, 44100) if r <= max(source_rate, 16000)
                and r <= sample_rate), default=16000)
    legal = [k for k in _MP3_RATES[rate] if k <= kbps] or [_MP3_RATES[rate][0]]
    return Encoding("mp3", rate, channels, legal[-1])


def ladder(formats: Sequence[str], *, sample_rate: int, channels: int) -> list[Encoding]:
    """Encodings the endpoint accepts, best first, down to the lowest that still serves speech."""
    ch = min(max(channels, 1), 2)
    src_rate = sample_rate or 48000
    lossless: list[Encoding] = []
    lossy: list[Encoding] = []
    for fmt in ("wav", "flac"):
        if fmt in formats:
            lossless.append(Encoding(fmt, min(src_rate, 48000), ch))
    if "mp3" in formats:
        tiers = [(44100, ch, k) for k in (192, 160, 128)] if ch == 2 else []
        tiers += [(44100, 1, k) for k in (128, 96, 80, 64)]
        tiers += [(22050, 1, k) for k in (56, 48, 40, 32)] + [(16000, 1, 24)]
        lossy += [_mp3(sr, c, k, src_rate) for sr, c, k in tiers]
    if "ogg" in formats:
        tiers = [(ch, k) for k in (128, 96)] if ch == 2 else []
        tiers += [(1, k) for k in (96, 64, 48, 40, 32, 24, 16)]
        lossy += [Encoding("ogg", 48000, c, k) for c, k in tiers]
    # Opus at 2/3 the bitrate matches MP3 below ~96 kbit/s: rank by what the ear gets.
    def quality(e: Encoding) -> float:
        k = float(e.kbps or 0)
        return k * 1.5 if e.format == "ogg" and k < 96 else k
    # On a tie MP3 wins: it encodes faster and every endpoint accepts it.
    lossy.sort(key=lambda e: (-quality(e), e.format != "mp3", -e.sample_rate))
    unique = list(dict.fromkeys(lossless + lossy))
    if not unique:
        raise ValueError(f"no encoder for any of the formats {formats}")
    return unique


@dataclass(frozen=True)
class UploadPlan:
    """How an upload will be encoded; when it must be split, how long a part may be."""

    encoding: Encoding
    parts: int = 1
    max_part_seconds: float | None = None

    @property
    def split(self) -> bool:
        return self.parts > 1


def plan_upload(duration: float, *, limit_bytes: int, sample_rate: int = 48000,
                channels: int = 1, formats: Sequence[str] = SAFE_FORMATS,
                margin: float = 0.97) -> UploadPlan:
    """The best single encoding of ``duration`` seconds that fits ``limit_bytes``; failing
    that, the speech-grade encoding for parts and the longest a part may be."""
    budget = limit_bytes * margin
    options = ladder(formats, sample_rate=sample_rate, channels=channels)
    for enc in options:
        if enc.size(duration) <= budget:
            return UploadPlan(enc)
    enc = split_encoding(options)  # lossy: its size is known before encoding
    longest = (budget - 4096) / enc.bytes_per_second - SPLIT_OVERLAP
    if longest < 1.0:
        raise LimitExceededError(
            f"The upload limit of {limit_bytes} bytes cannot hold even one second of audio.",
            hint="Choose an endpoint with a larger limit.")
    return UploadPlan(enc, math.ceil(duration / longest), longest)


def split_encoding(options: list[Encoding]) -> Encoding:
    """The encoding for split parts: speech-grade, so splitting does not cost much quality."""
    lossy = [e for e in options if e.kbps is not None]
    if not lossy:
        return options[-1]
    good = [e for e in lossy if (e.kbps or 0) <= 64]
    return good[0] if good else lossy[-1]


def encode_for_upload(src: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
                      limit_bytes: int | None = None, endpoint: str | None = None,
                      formats: Sequence[str] | None = None, stream: int = 0,
                      cancel: CancelCheck | None = None) -> list[Path]:
    """Encode ``src`` (audio stream ``stream``) so each returned file fits the upload limit.

    ``limit_bytes`` defaults to the endpoint's (``api/paths.py``); ``formats`` to what the
    endpoint accepts. One file when it fits, else parts split at silences that overlap by
    ``SPLIT_OVERLAP`` seconds so ``stitch`` rebuilds the exact duration.
    """
    src_p, folder = source(src), Path(out_dir)
    if endpoint is not None:
        formats = formats or ACCEPTED_FORMATS.get(endpoint, SAFE_FORMATS)
        if limit_bytes is None:
            from ttsai_plugin.api.paths import endpoint as lookup
            limit_bytes = lookup(endpoint).upload_limit
    if limit_bytes is None:
        raise ValueError("encode_for_upload needs limit_bytes or an endpoint with a limit")
    formats = tuple(formats or SAFE_FORMATS)
    info = probe(src_p)
    chosen = audio_stream(info, src_p, stream)
    plan = plan_upload(info.duration, limit_bytes=limit_bytes, sample_rate=chosen.sample_rate,
                       channels=chosen.channels, formats=formats)
    folder.mkdir(parents=True, exist_ok=True)
    if not plan.split:
        options = ladder(formats, sample_rate=chosen.sample_rate, channels=chosen.channels)
        fitting = [e for e in options[options.index(plan.encoding):]
                   if e.size(info.duration) <= limit_bytes * 0.97]
        for enc in fitting:  # only FLAC's size is a guess; a miss falls to the next tier
            out = folder / f"{src_p.stem}.upload.{enc.format}"
            _encode(src_p, out, enc, 0.0, None, stream, cancel)
            if out.stat().st_size <= limit_bytes:
                return [out]
            out.unlink()
        raise LimitExceededError(f"{src_p.name} does not fit in {limit_bytes} bytes.",
                                 hint="Use a shorter range of the clip.")
    assert plan.max_part_seconds is not None
    cuts = quiet_cuts(src_p, info.duration, plan.max_part_seconds, stream=stream)
    edges = [0.0, *cuts, info.duration]
    half = SPLIT_OVERLAP / 2
    paths = []
    for i in range(len(edges) - 1):
        start = max(0.0, edges[i] - half) if i else 0.0
        end = min(info.duration, edges[i + 1] + half) if i < len(edges) - 2 else None
        out = folder / f"{src_p.stem}.part{i + 1:02d}.{plan.encoding.format}"
        _encode(src_p, out, plan.encoding, start, end, stream, cancel)
        if out.stat().st_size > limit_bytes:
            raise LimitExceededError(f"Part {i + 1} of {src_p.name} came out over the limit.")
        paths.append(out)
    return paths


def _encode(src: Path, out: Path, enc: Encoding, start: float, end: float | None,
            stream: int, cancel: CancelCheck | None) -> None:
    encode_range(src, out, start=start, end=end, stream=stream, sample_rate=enc.sample_rate,
                 channels=enc.channels, codec=enc.codec(), cancel=cancel)


def quiet_cuts(src: Path, duration: float, longest: float, *, stream: int = 0,
               frame: float = 0.02, smooth: float = 0.1) -> list[float]:
    """Cut times no more than ``longest`` apart, each at the quietest moment (smoothed over
    ``smooth`` seconds, so a pause wins over a dip inside a word) of the last 70% of its span."""
    rate = 8000
    energy = frame_powers(pcm_chunks(src, sample_rate=rate, channels=1, stream=stream),
                          int(frame * rate))
    if energy.size == 0:
        energy = np.zeros(1)
    width = max(1, int(smooth / frame))
    smoothed = np.convolve(energy, np.ones(width) / width, mode="same")
    cuts: list[float] = []
    at = 0.0
    while duration - at > longest:
        lo = int((at + 0.3 * longest) / frame)
        hi = max(lo + 1, int((at + longest - SPLIT_OVERLAP) / frame))
        window = smoothed[lo:hi]
        best = lo + int(np.argmin(window)) if len(window) else hi
        cut = (best + 0.5) * frame
        cut = min(max(cut, at + 1.0), at + longest - SPLIT_OVERLAP)
        cuts.append(cut)
        at = cut
    return cuts
