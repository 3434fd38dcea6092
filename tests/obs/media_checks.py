"""What the OBS tests measure in files: video frames' hashes, audio tracks, file hashes."""
from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import numpy as np

from tests import media_factory


def video_frames_md5(path: Path) -> list[str]:
    """One md5 per video packet (ffmpeg framemd5 of the stream copied, not decoded)."""
    out = subprocess.run([media_factory.ffmpeg(), "-v", "error", "-i", str(path), "-map", "0:v",
                          "-c", "copy", "-f", "framemd5", "-"], check=True, capture_output=True,
                         text=True).stdout
    return [line.rsplit(",", 1)[-1].strip() for line in out.splitlines()
            if line and not line.startswith("#")]


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def audio_track(path: Path, index: int, tmp: Path) -> np.ndarray:
    """Audio track ``index`` of ``path`` as mono float32 at 16 kHz."""
    from ttsai_plugin import media
    wav = media.extract(path, tmp / f"{Path(path).stem}.track{index}.wav", stream=index,
                        sample_rate=16000, channels=1)
    samples, _ = media.decode(wav, mono=True)
    return samples


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Correlation of two signals over their common length (1.0 = same waveform)."""
    n = min(len(a), len(b))
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def track_loudness(path: Path, index: int, tmp: Path) -> float:
    """Integrated loudness (LUFS, BS.1770) of audio track ``index``."""
    from ttsai_plugin import media
    wav = media.extract(path, tmp / f"{Path(path).stem}.loud{index}.wav", stream=index)
    return media.loudness(wav)
