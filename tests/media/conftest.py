"""Media made for the media tests: long recordings and multi-track containers."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests import media_factory


def looped_speech(media_dir: Path, seconds: float, name: str, sample_rate: int = 16000) -> Path:
    """``seconds`` of real speech (the espeak-ng sentence looped) as mono FLAC."""
    out = media_dir / name
    if not out.exists():
        subprocess.run([media_factory.ffmpeg(), "-y", "-v", "error", "-stream_loop", "-1",
                        "-i", str(media_factory.speech(media_dir)), "-t", str(seconds),
                        "-ar", str(sample_rate), "-ac", "1", "-c:a", "flac", str(out)], check=True)
    return out


@pytest.fixture(scope="session")
def twenty_minutes(media_dir) -> Path:
    return looped_speech(media_dir, 20 * 60, "twenty-minutes.flac")


@pytest.fixture(scope="session")
def two_track_mkv(media_dir) -> Path:
    """A movie with two audio tracks: English 300 Hz (stereo) and Spanish 700 Hz (mono)."""
    out = media_dir / "two-tracks.mkv"
    if not out.exists():
        subprocess.run([media_factory.ffmpeg(), "-y", "-v", "error",
                        "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25:duration=3",
                        "-f", "lavfi", "-i", "sine=f=300:sample_rate=44100:duration=3",
                        "-f", "lavfi", "-i", "sine=f=700:sample_rate=48000:duration=3",
                        "-map", "0", "-map", "1", "-map", "2", "-c:v", "libx264",
                        "-preset", "ultrafast", "-c:a", "flac", "-ac:a:0", "2",
                        "-metadata:s:a:0", "language=eng", "-metadata:s:a:0", "title=Host",
                        "-metadata:s:a:1", "language=spa", str(out)], check=True)
    return out
