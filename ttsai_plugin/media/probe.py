"""What a media file holds, read from ``ffmpeg -i`` (imageio-ffmpeg ships no ffprobe)."""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ttsai_plugin.errors import InputError, MediaError
from ttsai_plugin.media import ffmpeg
from ttsai_plugin.media.files import source

_DURATION = re.compile(r"Duration:\s*(?:(\d+):(\d+):(\d+(?:\.\d+)?)|N/A)")
_STREAM = re.compile(r"^\s*Stream #\d+:(\d+)(?:\[[^\]]*\])?(?:\(([^)]*)\))?[^:]*:\s*(\w+):\s*(.*)$")
_RATE = re.compile(r"(\d+) Hz")
_CHANNELS = re.compile(r"(\d+) channels")
_TIME = re.compile(r"time=(\d+):(\d+):(\d+(?:\.\d+)?)")
_TITLE = re.compile(r"^\s*(?:title|name)\s*:\s*(.*)$", re.IGNORECASE)
_LAYOUTS = {"mono": 1, "stereo": 2, "2.1": 3, "3.0": 3, "3.0(back)": 3, "4.0": 4, "quad": 4,
            "quad(side)": 4, "3.1": 4, "5.0": 5, "5.0(side)": 5, "4.1": 5, "5.1": 6,
            "5.1(side)": 6, "6.0": 6, "6.0(front)": 6, "hexagonal": 6, "6.1": 7, "6.1(back)": 7,
            "6.1(front)": 7, "7.0": 7, "7.0(front)": 7, "7.1": 8, "7.1(wide)": 8,
            "7.1(wide-side)": 8, "octagonal": 8, "downmix": 2, "22.2": 24}


@dataclass(frozen=True)
class AudioStream:
    """One audio stream; ``index`` counts audio streams only (``extract(stream=index)``)."""

    index: int
    codec: str
    sample_rate: int
    channels: int
    language: str | None = None
    title: str | None = None
    bits: int = 16  # 24 for lossless audio deeper than 16 bits (a 24-bit master, float WAV)


@dataclass(frozen=True)
class MediaInfo:
    """Duration in seconds (0.0 if unknown), the audio streams, and whether there is video."""

    duration: float
    audio_streams: list[AudioStream] = field(default_factory=list)
    has_video: bool = False
    video_codec: str | None = None  # the picture's codec, e.g. "h264" (None without video)

    @property
    def has_audio(self) -> bool:
        return bool(self.audio_streams)


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Describe ``path``; a missing, empty or unreadable file raises with a hint.

    Answers are remembered per (file, size, mtime, inode, ffmpeg), so the many
    ``duration()`` calls of a workflow spawn ffmpeg once per file.
    """
    p = source(path)
    st = p.stat()
    info = _probe(str(p.resolve()), st.st_size, st.st_mtime_ns, st.st_ino, ffmpeg.ffmpeg_exe())
    return replace(info, audio_streams=list(info.audio_streams))  # callers may not alter the cache


@functools.lru_cache(maxsize=256)
def _probe(path: str, size: int, mtime_ns: int, inode: int, exe: str) -> MediaInfo:
    p = Path(path)
    text = ffmpeg.probe_stderr(p)
    if "Input #0" not in text:
        reason, hint = ffmpeg.reason_and_hint(text)
        raise MediaError(f"ffmpeg cannot read {p.name}: {reason}", hint=hint or
                         "The file may be corrupt or in a format ffmpeg does not know.")
    info = parse(text)
    if info.duration <= 0.0 and info.audio_streams:
        info = replace(info, duration=_decoded_duration(p))
    return info


def parse(text: str) -> MediaInfo:
    """Parse the stderr of ``ffmpeg -i`` for the first input."""
    body = text.split("Input #1", 1)[0]
    duration = 0.0
    m = _DURATION.search(body)
    if m and m.group(1):
        duration = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3))
    audio: list[AudioStream] = []
    has_video = False
    video_codec: str | None = None
    current: dict | None = None
    for line in body.splitlines():
        sm = _STREAM.match(line)
        if sm:
            kind, desc = sm.group(3), sm.group(4)
            current = None
            if kind == "Video" and "attached pic" not in desc:
                if not has_video:
                    video_codec = desc.split(" ", 1)[0].strip(",") or None
                has_video = True
            elif kind == "Audio":
                current = _audio_fields(desc, sm.group(2))
                audio.append(AudioStream(index=len(audio), **current))
            continue
        tm = _TITLE.match(line)
        if tm and current is not None and audio:
            audio[-1] = AudioStream(**{**audio[-1].__dict__, "title": tm.group(1).strip()})
    return MediaInfo(duration=duration, audio_streams=audio, has_video=has_video,
                     video_codec=video_codec)


_DEEP = re.compile(r"\((?:1[7-9]|2\d|3[0-2]) bit\)")


def _audio_fields(desc: str, language: str | None) -> dict:
    parts = [p.strip() for p in desc.split(",")]
    codec = parts[0].split(" ", 1)[0] if parts else "unknown"
    rate = _RATE.search(desc)
    channels = 0
    cm = _CHANNELS.search(desc)
    if cm:
        channels = int(cm.group(1))
    else:
        for part in parts[1:]:
            if part in _LAYOUTS:
                channels = _LAYOUTS[part]
                break
    lang = language if language and language != "und" else None
    deep = bool(_DEEP.search(desc)) or codec.startswith(("pcm_s24", "pcm_s32", "pcm_f"))
    return {"codec": codec, "sample_rate": int(rate.group(1)) if rate else 0,
            "channels": channels or 2, "language": lang, "title": None,
            "bits": 24 if deep else 16}


def stream_duration(path: str | os.PathLike[str], stream: int = 0) -> float:
    """Seconds of audio stream ``stream``: the file's duration when it holds one audio stream,
    else measured by decoding that stream (a second track is often shorter than the file)."""
    info = probe(path)
    if len(info.audio_streams) <= 1:
        return info.duration
    p = source(path).resolve()
    st = p.stat()
    return _stream_seconds(str(p), st.st_size, st.st_mtime_ns, st.st_ino, stream) or info.duration


@functools.lru_cache(maxsize=64)
def _stream_seconds(path: str, size: int, mtime_ns: int, inode: int, stream: int) -> float:
    return _decoded_duration(Path(path), stream)


def _decoded_duration(path: Path, stream: int = 0) -> float:
    """Duration by decoding one audio stream (for files whose header does not say)."""
    text = ffmpeg.run(["-i", path, "-map", f"0:a:{stream}", "-f", "null", "-"],
                      what=f"measure the duration of {path.name}")
    times = _TIME.findall(text)
    if not times:
        return 0.0
    h, m, s = times[-1]
    return int(h) * 3600 + int(m) * 60 + float(s)


def audio_stream(info: MediaInfo, path: Path, stream: int) -> AudioStream:
    """The chosen audio stream, or an InputError saying what the file holds instead."""
    if not info.audio_streams:
        what = "a video with no sound" if info.has_video else "not audio"
        raise InputError(f"{Path(path).name} has no audio stream ({what}).",
                         hint="Pick a clip that has sound, or add an audio track to it.")
    if not 0 <= stream < len(info.audio_streams):
        raise InputError(f"{Path(path).name} has {len(info.audio_streams)} audio stream(s); "
                         f"stream {stream} does not exist.",
                         hint=f"Choose a stream from 0 to {len(info.audio_streams) - 1}.")
    return info.audio_streams[stream]


def duration(path: str | os.PathLike[str]) -> float:
    """Duration in seconds: exact to the sample for files soundfile reads (WAV, FLAC, Ogg,
    MP3 — what uploads and results are), else ffmpeg's figure (10 ms resolution)."""
    p = source(path)
    if p.suffix.lower() in (".wav", ".flac", ".ogg", ".opus", ".mp3", ".aiff"):
        try:
            import soundfile as sf
            info = sf.info(str(p))
            if info.frames > 0 and info.samplerate > 0:
                return info.frames / info.samplerate
        except Exception:  # noqa: BLE001 - soundfile cannot read it: ask ffmpeg
            pass
    return probe(p).duration
