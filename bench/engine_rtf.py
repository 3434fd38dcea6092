"""Local engine: real-time factor of its offline processing on one minute of audio.

tts (espeak-ng), enhance (RNNoise), dereverb (WPE), separate (2 stems) and stt (offline
recogniser), called as the engine calls them (``ttsai_plugin.local.processing``), on one
minute of real espeak-ng speech (reverberant for dereverb, a music mix for separation).
RTF here = seconds of audio / seconds of processing (higher is faster; 1x = real time).
There is no baseline script for this figure: the reference has no offline engine. Goal: every
operation at least real time, so a user never waits longer than the audio lasts.

    python bench/engine_rtf.py [--seconds 60] [--only tts,stt]
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import _common

GOAL = 1.0
SCRIPT = ("Hello and welcome to the show. Today we clean up noisy audio and dub it into "
          "Spanish. Thank you for watching, and see you next time. ")


def load(path: Path) -> tuple[np.ndarray, int]:
    from ttsai_plugin import media
    return media.decode(path, mono=True)


def rtf(seconds_of_audio: float, fn, *args, **kwargs) -> tuple[float, float]:
    start = time.perf_counter()
    fn(*args, **kwargs)
    spent = time.perf_counter() - start
    return seconds_of_audio / spent, spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--only", default="tts,enhance,dereverb,separate,stt")
    args = parser.parse_args()
    from ttsai_plugin.local.processing import denoise, recognition, reverb, separation, speech
    from tests import media_factory

    _common.banner(f"local engine real-time factors on {args.seconds:g} s of audio")
    secs = args.seconds
    ops = args.only.split(",")
    clip = _common.speech_clip(secs)
    samples, sr = load(clip)
    results: dict[str, tuple[float, float]] = {}
    if "tts" in ops:
        text = SCRIPT * 3
        samples_tts, sr_tts = speech.synthesize(text, "af_bella")
        per_char = len(samples_tts) / sr_tts / len(text)
        text = (SCRIPT * int(secs / (per_char * len(SCRIPT)) + 1))
        start = time.perf_counter()
        out, out_sr = speech.synthesize(text, "af_bella")
        spent = time.perf_counter() - start
        results["tts"] = (len(out) / out_sr / spent, spent)
    if "enhance" in ops:
        results["enhance"] = rtf(secs, denoise.enhance, samples, sr)
    if "dereverb" in ops:
        wet, wsr = load(media_factory.reverberant_speech(_common.cache_dir(), name="reverb.wav"))
        reps = int(np.ceil(secs * wsr / len(wet)))
        wet = np.tile(wet, reps)[: int(secs * wsr)]
        results["dereverb"] = rtf(secs, reverb.dereverb, wet, wsr)
    if "separate" in ops:
        mix_path = media_factory.music_mix(_common.cache_dir(), name=f"music_{secs:g}s.wav",
                                           seconds=secs)
        from ttsai_plugin import media
        mix, msr = media.decode(mix_path)
        results["separate"] = rtf(secs, separation.separate, mix, msr, stems=2)
    if "stt" in ops:
        results["stt"] = rtf(secs, recognition.transcribe, samples, sr, timestamps=True)
    for op, (factor, spent) in results.items():
        print(f"{op:>9}: {spent:6.2f} s for {secs:g} s of audio -> {factor:6.1f}x real time")
    for op, (factor, _) in results.items():
        _common.result(f"engine_rtf_{op}", ours=factor, baseline=None, unit="x",
                       goal=f">={GOAL:g}x", met=factor >= GOAL)


if __name__ == "__main__":
    main()
