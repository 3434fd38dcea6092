"""The vendor reference's own curl examples, run with the real curl binary against the local
engine: only the base URL and the key are swapped, the input files are real speech."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import media_factory

from .conftest import audio_seconds

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")

VENDOR_BASE, VENDOR_KEY = "https://api.tts.ai/v1/", "sk-tts-your-key"

# Verbatim from shared/ttsai-api-reference.txt ("Дархости мисол" and "Намунаҳои рамз").
EXAMPLES = {
    "tts": """curl -X POST https://api.tts.ai/v1/tts/ \\
-H "Authorization: Bearer sk-tts-your-key" \\
-H "Content-Type: application/json" \\
-d '{
"model": "kokoro",
"text": "Hello from TTS.ai! This is a test.",
"voice": "af_bella",
"format": "mp3"
}' \\
--output output.mp3""",
    "tts_short": """curl -X POST https://api.tts.ai/v1/tts/ \\
-H "Authorization: Bearer sk-tts-your-key" \\
-H "Content-Type: application/json" \\
-d '{"model":"kokoro","text":"Hello!","voice":"af_bella","format":"mp3"}' \\
-o output.mp3""",
    "stt": """curl -X POST https://api.tts.ai/v1/stt/ \\
-H "Authorization: Bearer sk-tts-your-key" \\
-F "file=@recording.mp3" \\
-F "model=faster-whisper" \\
-F "timestamps=true\"""",
    "clone": """curl -X POST https://api.tts.ai/v1/tts/clone/ \\
-H "Authorization: Bearer sk-tts-your-key" \\
-F "reference_audio=@reference.wav" \\
-F "text=This uses a cloned voice." \\
-F "model=chatterbox" \\
-o cloned.mp3""",
    "enhance": """curl -X POST https://api.tts.ai/v1/audio/enhance/ \\
-H "Authorization: Bearer sk-tts-your-key" \\
-F "file=@noisy_audio.mp3" \\
-F "denoise=true" \\
-F "enhance_clarity=true" \\
-o enhanced.mp3""",
    "voice_convert": """curl -X POST https://api.tts.ai/v1/voice-convert/ \\
-H "Authorization: Bearer sk-tts-your-key" \\
-F "file=@source_audio.mp3" \\
-F "target_voice=af_bella" \\
-F "model=openvoice" \\
-o converted.wav""",
}

# What each example writes, and the Content-Type and magic bytes of valid audio in it.
OUTPUTS = {"tts": "output.mp3", "tts_short": "output.mp3", "clone": "cloned.mp3",
           "enhance": "enhanced.mp3", "voice_convert": "converted.wav"}
MAGIC = {".mp3": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"), ".wav": (b"RIFF",)}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, media_dir, short_speech, short_speech_mp3) -> Path:
    """The files the examples upload, made from real espeak-ng speech."""
    d = tmp_path_factory.mktemp("curl")
    mp3 = media_factory.ffmpeg()
    shutil.copy(short_speech_mp3, d / "recording.mp3")
    shutil.copy(short_speech_mp3, d / "source_audio.mp3")
    shutil.copy(short_speech, d / "reference.wav")
    subprocess.run([mp3, "-y", "-v", "error", "-i", str(media_factory.noisy_speech(media_dir)),
                    str(d / "noisy_audio.mp3")], check=True)
    return d


def run_example(name: str, engine, cwd: Path) -> tuple[int, str, str]:
    """Run one example with the base URL and key swapped; returns (status, content type, stdout)."""
    command = EXAMPLES[name].replace(VENDOR_BASE, engine.url).replace(VENDOR_KEY, engine.key)
    assert command != EXAMPLES[name]
    command += ' --silent --show-error --write-out "\\n%{http_code} %{content_type}"'
    proc = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    body, _, trailer = proc.stdout.rpartition("\n")
    status, _, ctype = trailer.partition(" ")
    return int(status), ctype, body


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_the_vendor_example_produces_valid_audio(name, engine, workdir, tmp_path):
    out = workdir / OUTPUTS[name]
    out.unlink(missing_ok=True)
    status, ctype, _ = run_example(name, engine, workdir)
    assert status == 200
    data = out.read_bytes()
    assert ctype == {".mp3": "audio/mpeg", ".wav": "audio/wav"}[out.suffix]
    assert data.startswith(MAGIC[out.suffix]), data[:16]
    assert audio_seconds(data, out.suffix, tmp_path) > 0.5


def test_the_vendor_stt_example_returns_a_timestamped_transcript(engine, workdir):
    status, ctype, body = run_example("stt", engine, workdir)
    assert (status, ctype) == (200, "application/json")
    result = json.loads(body)
    assert result["text"].strip() and result["language"]
    assert result["duration"] == pytest.approx(3.0, abs=1.5)
    assert result["segments"] and all(s["end"] >= s["start"] for s in result["segments"])
