"""Getting audio out of media: a sample-accurate range of one stream, or decoded samples."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import numpy as np
import soundfile as sf

from ttsai_plugin.errors import Cancelled, InputError, MediaError
from ttsai_plugin.media import ffmpeg
from ttsai_plugin.media.ffmpeg import CancelCheck
from ttsai_plugin.media.files import atomic_output, source
from ttsai_plugin.media.probe import audio_stream, probe

# Formats soundfile writes natively; anything else goes through ffmpeg.
_SOUNDFILE = {".wav": "WAV", ".flac": "FLAC"}
_CODEC_ARGS = {".wav": ["-c:a", "pcm_s16le"], ".flac": ["-c:a", "flac"],
               ".mp3": ["-c:a", "libmp3lame", "-q:a", "2"],
               ".ogg": ["-c:a", "libopus", "-b:a", "96k"],
               ".opus": ["-c:a", "libopus", "-b:a", "96k"], ".m4a": ["-c:a", "aac", "-b:a", "192k"]}
_OPUS_RATES = (48000, 24000, 16000, 12000, 8000)


def codec_args(out: Path) -> list[str]:
    """Sensible encoder options for an output file by its suffix."""
    try:
        return list(_CODEC_ARGS[out.suffix.lower()])
    except KeyError:
        raise InputError(f"Cannot write audio as {out.suffix or 'a file without suffix'}.",
                         hint=f"Use one of {', '.join(sorted(_CODEC_ARGS))}.") from None


def _deep(codec: list[str], out: Path) -> list[str]:
    """A 24-bit source stays 24-bit in a lossless output: a format change loses no detail."""
    suffix = out.suffix.lower()
    if suffix == ".wav":
        return ["-c:a", "pcm_s24le"]
    return codec + ["-sample_fmt", "s32"] if suffix == ".flac" else codec


def extract(src: str | os.PathLike[str], out: str | os.PathLike[str], *, start: float = 0.0,
            end: float | None = None, stream: int = 0, sample_rate: int | None = None,
            channels: int | None = None, cancel: CancelCheck | None = None) -> Path:
    """Write ``[start, end)`` seconds of audio stream ``stream`` of any media to ``out``.

    Input seeking keeps long files fast; the exact cut is made by counting samples
    (``atrim``), so the result is accurate to the sample. The format follows ``out``'s suffix.
    """
    src_p, out_p = source(src), Path(out)
    info = probe(src_p)
    chosen = audio_stream(info, src_p, stream)
    if start < 0 or (end is not None and end <= start):
        raise InputError(f"Invalid range {start:.3f}–{end}s of {src_p.name}.",
                         hint="The start must be ≥ 0 and before the end.")
    if info.duration and start >= info.duration:
        raise InputError(f"The range starts at {start:.3f}s but {src_p.name} is only "
                         f"{info.duration:.3f}s long.", hint="Trim the clip inside its media.")
    codec = _deep(codec_args(out_p), out_p) if chosen.bits > 16 else codec_args(out_p)
    rate = sample_rate or chosen.sample_rate or 48000
    if "libopus" in codec and rate not in _OPUS_RATES:
        rate = 48000  # Opus encodes only these rates: a 44.1 kHz song or 22.05 kHz voice fails
    encode_range(src_p, out_p, start=start, end=end, stream=stream, sample_rate=rate,
                 channels=channels, codec=codec, cancel=cancel)
    return out_p


def encode_range(src: Path, out: Path, *, start: float, end: float | None, stream: int,
                 sample_rate: int, channels: int | None, codec: list[str],
                 cancel: CancelCheck | None = None) -> Path:
    """Encode ``[start, end)`` of one audio stream with ``codec`` options, atomically.

    No checks: callers (``extract``, ``encode_for_upload``) validate the range and stream."""
    args = [*_range_input(src, start, end, stream, sample_rate), "-sn", "-dn",
            "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact",
            "-ar", str(sample_rate)]  # bitexact: same audio, same bytes (cache keys)
    if channels:
        args += ["-ac", str(channels)]
    with atomic_output(out, src) as tmp:
        ffmpeg.run([*args, *codec, tmp], cancel=cancel, what=f"extract audio from {src.name}")
    return out


def _range_input(src: Path, start: float, end: float | None, stream: int,
                 sample_rate: int) -> list:
    """ffmpeg input and filter arguments for ``[start, end)`` seconds of one audio stream,
    exact to the sample (input seeking, then ``atrim`` by sample count)."""
    # first_pts=0: audio that starts after the picture (common in recordings) keeps its
    # place on the timeline, padded with silence, instead of sliding to the start.
    filters = [f"aresample={sample_rate}:async=1:first_pts=0"]
    if end is not None:
        filters.append(f"atrim=end_sample={round((end - start) * sample_rate)}")
    filters.append("asetpts=N/SR/TB")
    return [*(["-ss", f"{start:.6f}"] if start > 0 else []), "-i", src,
            "-map", f"0:a:{stream}", "-vn", "-af", ",".join(filters)]


def pcm_chunks(path: str | os.PathLike[str], *, sample_rate: int, channels: int,
               chunk_frames: int = 1 << 16, stream: int = 0, start: float | None = None,
               end: float | None = None,
               cancel: CancelCheck | None = None) -> Iterator[np.ndarray]:
    """Stream float32 frames ``(n, channels)`` of ``path``, resampled, through an ffmpeg pipe.

    With ``start`` (and optionally ``end``) seconds, just that range, cut as ``extract`` cuts
    it. With ``cancel``, each chunk checks it: a cancelled token stops ffmpeg and raises
    Cancelled.
    """
    p = source(path)
    picked = (["-i", p, "-map", f"0:a:{stream}", "-vn"] if start is None and end is None
              else _range_input(p, start or 0.0, end, stream, sample_rate))
    args, _ = ffmpeg.safe_args(["-v", "error", *picked, "-f", "f32le", "-acodec",
                                "pcm_f32le", "-ac", str(channels), "-ar", str(sample_rate), "-"])
    proc = ffmpeg.popen([ffmpeg.ffmpeg_exe(), "-nostdin", "-hide_banner", *args],
                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    frame_bytes = 4 * channels
    try:
        assert proc.stdout is not None
        while True:
            data = proc.stdout.read(chunk_frames * frame_bytes)
            if not data:
                break
            if cancel is not None and cancel.cancelled:
                raise Cancelled(f"Cancelled while reading {p.name}.")
            usable = len(data) - len(data) % frame_bytes
            yield np.frombuffer(data[:usable], dtype="<f4").reshape(-1, channels)
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.wait() != 0:
            reason, hint = ffmpeg.reason_and_hint(err)
            raise MediaError(f"ffmpeg could not decode {p.name}: {reason}", hint=hint)
    finally:
        ffmpeg.kill(proc)
        for pipe in (proc.stdout, proc.stderr):
            if pipe:
                pipe.close()


def decode(path: str | os.PathLike[str], *, sample_rate: int | None = None,
           mono: bool = False, stream: int = 0,
           cancel: CancelCheck | None = None) -> tuple[np.ndarray, int]:
    """All samples of ``path`` as float32: shape ``(frames,)`` if mono, else ``(frames, ch)``."""
    p = source(path)
    if p.suffix.lower() in (".wav", ".flac") and stream == 0:
        try:
            info = sf.info(str(p))
        except Exception:  # noqa: BLE001 - not readable by soundfile: ffmpeg decides below
            info = None
        if info is not None and (sample_rate is None or sample_rate == info.samplerate):
            data, sr = sf.read(str(p), dtype="float32", always_2d=True)
            return _shape(data, mono), sr
    info_ = probe(p)
    chosen = audio_stream(info_, p, stream)
    rate = sample_rate or chosen.sample_rate or 48000
    channels = 1 if mono else chosen.channels
    chunks = list(pcm_chunks(p, sample_rate=rate, channels=channels, stream=stream,
                             cancel=cancel))
    data = np.concatenate(chunks) if chunks else np.zeros((0, channels), np.float32)
    return _shape(data, mono), rate


def _shape(data: np.ndarray, mono: bool) -> np.ndarray:
    if mono and data.shape[1] > 1:
        data = data.mean(axis=1, keepdims=True)
    data = np.ascontiguousarray(data, dtype=np.float32)
    return data[:, 0] if data.shape[1] == 1 else data


def write_wav(samples: np.ndarray, sr: int, out: str | os.PathLike[str], *,
              subtype: str = "PCM_16") -> Path:
    """Write samples to a WAV atomically (16-bit by default; values are clipped to ±1)."""
    return write_audio(samples, sr, out, subtype=subtype)


def write_audio(samples: np.ndarray, sr: int, out: str | os.PathLike[str], *,
                subtype: str | None = None) -> Path:
    """Write samples atomically in the format of ``out``'s suffix (WAV/FLAC direct, else ffmpeg)."""
    out_p = Path(out)
    data = np.asarray(samples, dtype=np.float32)
    if data.ndim not in (1, 2) or sr <= 0:
        raise InputError(f"Cannot write audio of shape {data.shape} at {sr} Hz.")
    if not np.all(np.isfinite(data)):
        raise InputError("The samples contain NaN or infinity.")
    if subtype is None or subtype.startswith("PCM"):
        data = np.clip(data, -1.0, 1.0)
    fmt = _SOUNDFILE.get(out_p.suffix.lower())
    with atomic_output(out_p) as tmp:
        if fmt:
            sf.write(str(tmp), data, sr, format=fmt,
                     subtype=subtype or "PCM_16")
        else:
            wav = tmp.with_suffix(".wav")
            try:
                sf.write(str(wav), data, sr, format="WAV", subtype="FLOAT")
                ffmpeg.run(["-i", wav, *codec_args(out_p), tmp], what=f"encode {out_p.name}")
            finally:
                wav.unlink(missing_ok=True)
    return out_p
