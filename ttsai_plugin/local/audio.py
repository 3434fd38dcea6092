"""Audio in and out of the engine: decode uploads to float32 arrays, encode answers.

Decoding and the ffmpeg binary come from ``ttsai_plugin.media``; this module adds only what
an HTTP answer needs: encoding in the requested format with its Content-Type.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from werkzeug.datastructures import FileStorage

from ttsai_plugin import media
from ttsai_plugin.errors import TTSAIError
from ttsai_plugin.media import ffmpeg

from .errors import bad_request

CONTENT_TYPES: dict[str, str] = {
    "mp3": "audio/mpeg", "wav": "audio/wav", "flac": "audio/flac", "ogg": "audio/ogg",
    "m4a": "audio/mp4", "aac": "audio/aac",
}
_CODEC_ARGS: dict[str, list[str]] = {
    "mp3": ["-c:a", "libmp3lame", "-f", "mp3"],
    "wav": ["-c:a", "pcm_s16le", "-f", "wav"],
    "flac": ["-c:a", "flac", "-f", "flac"],
    "ogg": ["-c:a", "libvorbis", "-f", "ogg"],
    "m4a": ["-c:a", "aac", "-f", "ipod"],
    "aac": ["-c:a", "aac", "-f", "adts"],
}
_DEFAULT_BITRATE = {"mp3": 128, "m4a": 128, "aac": 128}
_LOSSY = ("mp3", "ogg", "m4a", "aac")


def decode_upload(upload: FileStorage, field: str = "file") -> tuple[np.ndarray, int]:
    """The samples of an uploaded file (any format ffmpeg reads); 400 when it has no audio."""
    suffix = Path(upload.filename or "upload").suffix[:8] or ".bin"
    with tempfile.TemporaryDirectory(prefix="ttsai-up-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        upload.stream.seek(0)
        with open(path, "wb") as out:
            shutil.copyfileobj(upload.stream, out, 1024 * 1024)
        try:
            samples, sr = media.decode(path)
        except TTSAIError as e:  # MediaError / InputError from the media layer
            raise bad_request(f"{field}: could not read audio from {upload.filename!r} "
                              f"({_short(e.message)}); send mp3, wav, flac, ogg, m4a, mp4 or webm.",
                              field=field) from None
    if samples.size == 0:
        raise bad_request(f"{field}: {upload.filename!r} contains no audio samples.", field=field)
    return np.asarray(samples, dtype=np.float32), int(sr)


def duration(samples: np.ndarray, sr: int) -> float:
    return len(samples) / float(sr)


def encode(samples: np.ndarray, sr: int, fmt: str, *, bitrate: int | None = None,
           sample_rate: int | None = None, channels: int | None = None) -> bytes:
    """``samples`` encoded as ``fmt`` (a key of CONTENT_TYPES), optionally resampled/remixed."""
    data = np.clip(np.nan_to_num(np.asarray(samples, dtype=np.float32)), -1.0, 1.0)
    with tempfile.TemporaryDirectory(prefix="ttsai-enc-") as tmp:
        src = Path(tmp) / "in.wav"
        sf.write(src, data, sr, subtype="FLOAT")
        if fmt == "wav" and sample_rate in (None, sr) and channels in (None, _channels(data)):
            out = Path(tmp) / "out.wav"
            sf.write(out, data, sr, subtype="PCM_16")
            return out.read_bytes()
        out = Path(tmp) / f"out.{fmt}"
        encode_file(src, sr, fmt, out, bitrate=bitrate, sample_rate=sample_rate,
                    channels=channels)
        return out.read_bytes()


def encode_file(src: Path, sr: int, fmt: str, out: Path, *, bitrate: int | None = None,
                sample_rate: int | None = None, channels: int | None = None) -> Path:
    """The WAV ``src`` (at ``sr``) encoded as ``fmt`` into ``out`` by ffmpeg, file to file."""
    cmd: list[str] = ["-i", str(src)]
    if sample_rate:
        cmd += ["-ar", str(sample_rate)]
    elif fmt in _LOSSY and sr not in (22050, 24000, 32000, 44100, 48000, 16000, 11025, 8000):
        cmd += ["-ar", "44100"]
    if channels:
        cmd += ["-ac", str(channels)]
    cmd += _CODEC_ARGS[fmt]
    rate = (bitrate or _DEFAULT_BITRATE.get(fmt)) if fmt in _LOSSY else None
    if rate:
        cmd += ["-b:a", f"{rate}k"]
    elif fmt == "ogg":  # vorbis by quality: a fixed bitrate is invalid at low rates in mono
        cmd += ["-q:a", "4"]
    cmd.append(str(out))
    ffmpeg.run(cmd, what=f"encode the answer as {fmt}")
    return out


def _channels(data: np.ndarray) -> int:
    return 1 if data.ndim == 1 else data.shape[1]


def _short(message: str) -> str:
    lines = message.strip().splitlines()
    return (lines[-1] if lines else "unknown error")[:200]
