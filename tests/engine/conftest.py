"""Helpers for the engine's HTTP tests: short real speech, own engines, audio checks."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Callable

import httpx
import numpy as np
import pytest
import soundfile as sf

from tests import media_factory
from ttsai_plugin.local import DEV_KEY, EngineConfig, Server, serve

SHORT_TEXT = "Hello world. This is a short test of the local engine."


@pytest.fixture(scope="session")
def short_speech(media_dir) -> Path:
    """About three seconds of espeak-ng speech, 16 kHz mono WAV."""
    return media_factory.speech(media_dir, name="short.wav", text=SHORT_TEXT, sample_rate=16000)


@pytest.fixture(scope="session")
def short_speech_mp3(media_dir, short_speech) -> Path:
    out = media_dir / "short.mp3"
    if not out.exists():
        subprocess.run([media_factory.ffmpeg(), "-y", "-v", "error", "-i", str(short_speech),
                        str(out)], check=True)
    return out


@pytest.fixture
def start_engine(tmp_path) -> Callable[..., Server]:
    """Start an engine of one's own (``start_engine(plans=…, faults=…)``); closed after the test."""
    servers: list[Server] = []

    def start(**config) -> Server:
        config.setdefault("data_dir", tmp_path / f"engine{len(servers)}")
        server = serve(EngineConfig(**config))
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.close()


def client(server: Server, key: str | None = DEV_KEY, timeout: float = 60) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=timeout, trust_env=False)


def decode(data: bytes, suffix: str, tmp_path: Path) -> tuple[np.ndarray, int]:
    """Decode audio bytes with ffmpeg (any format) into float32 samples."""
    src = tmp_path / f"answer{suffix}"
    src.write_bytes(data)
    wav = tmp_path / f"decoded{suffix}.wav"
    subprocess.run([media_factory.ffmpeg(), "-y", "-v", "error", "-i", str(src), "-c:a",
                    "pcm_s16le", str(wav)], check=True, capture_output=True)
    samples, sr = sf.read(wav, dtype="float32")
    return samples, sr


def audio_seconds(data: bytes, suffix: str, tmp_path: Path) -> float:
    samples, sr = decode(data, suffix, tmp_path)
    return len(samples) / sr


def error_of(response: httpx.Response) -> dict:
    """The contract's error object of an answer, checked for shape."""
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]
