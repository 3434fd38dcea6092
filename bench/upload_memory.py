"""Upload memory: peak RSS growth while sending a 100 MB file and saving the answer.

Ours (``TTSAIClient.convert``: the upload streamed in 64 KB parts, the answer streamed to a
temp file) against the reference-style script (``open().read()`` then ``response.content``),
each in its own fresh process, against the local engine running in a third process.
Goal: under 30 MB growth for ours.

    python bench/upload_memory.py [--mb 100]
"""
from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

import _common
import baseline
from ttsai_plugin.api import TTSAIClient  # imported before the measured call, like httpx

GOAL_MB = 30.0
OPTIONS = {"format": "wav", "sample_rate": 22050, "channels": "mono"}


def make_wav(path: Path, size_bytes: int) -> Path:
    """A stereo 48 kHz 16-bit WAV of noise, ``size_bytes`` long, written in blocks."""
    import soundfile as sf
    frames = (size_bytes - 44) // 4
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", samplerate=48000, channels=2, subtype="PCM_16") as f:
        block = 1 << 18
        for start in range(0, frames, block):
            n = min(block, frames - start)
            f.write((rng.standard_normal((n, 2)) * 0.1).astype(np.float32))
    return path


def ours(url: str, key: str, src: str, out: str) -> None:
    with TTSAIClient(api_key=key, base_url=url, plan="pro") as client:
        client.convert(Path(src), out=Path(out), format=OPTIONS["format"],
                       sample_rate=OPTIONS["sample_rate"], channels=OPTIONS["channels"])


def naive(url: str, key: str, src: str, out: str) -> None:
    status = baseline.upload(url, key, src, out, endpoint="audio/convert/", data=OPTIONS)
    if status != 200:
        raise RuntimeError(f"the baseline upload got HTTP {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=100.0, help="upload size in MB (10^6 bytes)")
    args = parser.parse_args()
    _common.banner(f"upload memory: a {args.mb:g} MB WAV through audio/convert/")
    with tempfile.TemporaryDirectory() as tmp, _common.engine() as eng:
        src = make_wav(Path(tmp) / "big.wav", int(args.mb * 1e6))
        size_mb = os.path.getsize(src) / 1e6
        runs = {}
        for name in ("naive", "ours"):
            out = Path(tmp) / f"{name}.wav"
            runs[name] = _common.rss_of_call(f"upload_memory:{name}", eng.url, _common.DEV_KEY,
                                             str(src), str(out))
            got = os.path.getsize(out) / 1e6
            print(f"{name:>6}: peak RSS growth {runs[name]['growth_mb']:7.1f} MB "
                  f"(RSS before {runs[name]['before_mb']:.0f} MB), {runs[name]['seconds']:.2f} s, "
                  f"sent {size_mb:.1f} MB, got {got:.1f} MB back", flush=True)
            out.unlink()
    o, b = runs["ours"]["growth_mb"], runs["naive"]["growth_mb"]
    _common.result("upload_memory", ours=o, baseline=b, unit="MB", goal=f"<{GOAL_MB:g}MB",
                   met=o < GOAL_MB)


if __name__ == "__main__":
    main()
