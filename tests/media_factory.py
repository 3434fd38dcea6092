"""Real test media made by real tools: espeak-ng speech and ffmpeg-made video, noise and rooms.

Every function writes its file once into ``out_dir`` and returns the path; nothing is checked in.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

SPEECH_TEXT = ("Hello and welcome to the show. Today we clean up noisy audio and dub it into "
               "Spanish. Thank you for watching, and see you next time.")


def ffmpeg() -> str:
    """The ffmpeg the project itself uses (imageio-ffmpeg's), else the system's."""
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:
        exe = shutil.which("ffmpeg")
        if not exe:
            raise RuntimeError("no ffmpeg: pip install imageio-ffmpeg or apt-get install ffmpeg")
        return exe


def _run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def speech(out_dir: Path, name: str = "speech.wav", text: str = SPEECH_TEXT,
           voice: str = "en-us", rate: int = 160, sample_rate: int = 48000) -> Path:
    """espeak-ng speech, resampled to ``sample_rate`` mono 16-bit WAV."""
    out = Path(out_dir) / name
    if out.exists():
        return out
    raw = out.with_suffix(".espeak.wav")
    _run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(raw), text])
    _run([ffmpeg(), "-y", "-i", str(raw), "-ar", str(sample_rate), "-ac", "1",
          "-c:a", "pcm_s16le", str(out)])
    raw.unlink()
    return out


def noisy_speech(out_dir: Path, name: str = "noisy.wav", snr_db: float = 5.0) -> Path:
    """Speech with white and hum noise mixed in at ``snr_db``."""
    out = Path(out_dir) / name
    if out.exists():
        return out
    clean, sr = sf.read(speech(out_dir), dtype="float32")
    rng = np.random.default_rng(1)
    t = np.arange(len(clean)) / sr
    noise = rng.normal(0, 1, len(clean)).astype(np.float32) + 0.5 * np.sin(2 * np.pi * 50 * t)
    p_s, p_n = np.mean(clean ** 2), np.mean(noise ** 2)
    noise *= np.sqrt(p_s / (p_n * 10 ** (snr_db / 10)))
    sf.write(out, np.clip(clean + noise, -1, 1), sr, subtype="PCM_16")
    return out


def reverberant_speech(out_dir: Path, name: str = "reverb.wav", rt60: float = 0.8) -> Path:
    """Speech convolved with an exponentially decaying synthetic room response."""
    out = Path(out_dir) / name
    if out.exists():
        return out
    clean, sr = sf.read(speech(out_dir), dtype="float32")
    rng = np.random.default_rng(2)
    n = int(rt60 * sr)
    ir = rng.normal(0, 1, n) * np.exp(-6.9 * np.arange(n) / n)
    ir[0] = 1.0
    wet = np.convolve(clean, ir.astype(np.float32))[: len(clean)]
    wet /= np.max(np.abs(wet)) / 0.8
    sf.write(out, wet, sr, subtype="PCM_16")
    return out


def music_mix(out_dir: Path, name: str = "music.wav", seconds: float = 12.0, bpm: float = 120.0,
              sample_rate: int = 44100) -> Path:
    """A two-source mix: a sustained C-major chord pad plus a kick on every beat, stereo."""
    out = Path(out_dir) / name
    if out.exists():
        return out
    sr = sample_rate
    t = np.arange(int(seconds * sr)) / sr
    pad = sum(0.15 * np.sin(2 * np.pi * f * t) for f in (261.63, 329.63, 392.0, 523.25))
    kick = np.zeros_like(t)
    beat = 60.0 / bpm
    k = np.arange(int(0.15 * sr)) / sr
    shot = np.sin(2 * np.pi * 60 * k * np.exp(-k * 8)) * np.exp(-k * 25)
    for b in np.arange(0, seconds, beat):
        i = int(b * sr)
        kick[i:i + len(shot)] += shot[: len(kick) - i]
    mix = (pad + 0.8 * kick).astype(np.float32)
    sf.write(out, np.stack([mix, mix], axis=1) * 0.7, sr, subtype="PCM_16")
    return out


def video_with_speech(out_dir: Path, name: str = "talk.mp4", fps: str = "25",
                      size: str = "320x240") -> Path:
    """An H.264 + AAC movie whose audio track is the espeak-ng speech."""
    out = Path(out_dir) / name
    if out.exists():
        return out
    wav = speech(out_dir)
    _run([ffmpeg(), "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate={fps}",
          "-i", str(wav), "-shortest", "-c:v", "libx264", "-preset", "ultrafast",
          "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", str(out)])
    return out


def video_without_audio(out_dir: Path, name: str = "silent.mp4", seconds: float = 3.0) -> Path:
    """A movie with no audio stream at all."""
    out = Path(out_dir) / name
    if not out.exists():
        _run([ffmpeg(), "-y", "-f", "lavfi", "-i", f"testsrc=size=160x120:rate=25:duration={seconds}",
              "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out)])
    return out


def corrupt_file(out_dir: Path, name: str = "corrupt.wav") -> Path:
    """A file named like audio whose bytes are not media."""
    out = Path(out_dir) / name
    out.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 8)
    return out


def empty_file(out_dir: Path, name: str = "empty.wav") -> Path:
    out = Path(out_dir) / name
    out.write_bytes(b"")
    return out


TALK_SENTENCES = (("Hello and welcome to the show.", 0.8),
                  ("Today we dub this talk into Spanish.", 4.6),
                  ("Thank you for watching.", 9.4))


def _trimmed_speech(out_dir: Path, text: str, sr: int, voice: str = "en-us") -> np.ndarray:
    """espeak-ng speech of ``text`` at ``sr`` with its leading and trailing silence cut."""
    import hashlib
    name = f"sentence-{hashlib.sha1(f'{voice}|{text}'.encode()).hexdigest()[:10]}.wav"
    samples, _ = sf.read(speech(out_dir, name, text, voice=voice, sample_rate=sr),
                         dtype="float32")
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    return samples[loud[0]:loud[-1] + 1] if loud.size else samples


def talk_over_music(out_dir: Path, name: str = "talk_music.wav",
                    sentences: tuple[tuple[str, float], ...] = TALK_SENTENCES,
                    seconds: float = 13.0, bed_db: float | None = -14.0,
                    sample_rate: int = 44100) -> tuple[Path, Path, list[tuple[float, float]]]:
    """espeak-ng sentences starting at known times over the synthetic music, stereo
    (``bed_db=None``: the sentences alone, silence between them).

    Returns the mix, the music alone (``<name>.bed.wav``, the true accompaniment) and each
    sentence's true ``(start, end)`` in seconds (speech onsets exact: espeak's silence is cut).
    """
    out = Path(out_dir) / name
    bed_path = out.with_suffix(".bed.wav")
    sr = sample_rate
    music, _ = sf.read(music_mix(out_dir, f"{out.stem}.music-src.wav", seconds=seconds,
                                 sample_rate=sr), dtype="float32")
    level = 0.0 if bed_db is None else 10 ** (bed_db / 20)
    bed = music[:, 0] * level / max(1e-9, float(np.abs(music[:, 0]).max()))
    voice = np.zeros_like(bed)
    spans = []
    for text, start in sentences:
        s = _trimmed_speech(out_dir, text, sr)
        i = int(round(start * sr))
        voice[i:i + len(s)] += s[: len(voice) - i] * 0.5 / max(1e-9, float(np.abs(s).max()))
        spans.append((start, min(seconds, start + len(s) / sr)))
    if not out.exists():
        sf.write(bed_path, np.stack([bed, bed], axis=1), sr, subtype="PCM_16")
        mix = np.clip(voice + bed, -1, 1)
        sf.write(out, np.stack([mix, mix], axis=1), sr, subtype="PCM_16")
    return out, bed_path, spans
