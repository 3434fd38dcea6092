"""Real-time factors of every processing function on 45 s of audio (printed for the benchmark)."""
from __future__ import annotations

import time

import numpy as np
import pytest
import soundfile as sf

from tests.media_factory import SPEECH_TEXT
from ttsai_plugin.local.processing import analysis, denoise, recognition, reverb, separation, speech

MINUTE = 45.0


def minute_of(path) -> tuple[np.ndarray, int]:
    x, sr = sf.read(path, dtype="float32")
    reps = int(np.ceil(MINUTE * sr / len(x)))
    return np.concatenate([x] * reps)[: int(MINUTE * sr)], sr


@pytest.mark.slow
def test_every_function_runs_well_faster_than_real_time(speech_wav, noisy_wav, reverb_wav,
                                                         music_wav):
    speech_min, noisy_min = minute_of(speech_wav), minute_of(noisy_wav)
    reverb_min, music_min = minute_of(reverb_wav), minute_of(music_wav)
    jobs = {
        "synthesize": (lambda: speech.synthesize(" ".join([SPEECH_TEXT] * 7), "en-us"), None),
        "enhance": (lambda: denoise.enhance(*noisy_min), noisy_min),
        "dereverb": (lambda: reverb.dereverb(*reverb_min), reverb_min),
        "separate": (lambda: separation.separate(*music_min), music_min),
        "transcribe": (lambda: recognition.transcribe(*speech_min), speech_min),
        "analyze": (lambda: analysis.analyze(*music_min), music_min),
    }
    factors = {}
    for name, (run, source) in jobs.items():
        start = time.perf_counter()
        out = run()
        elapsed = time.perf_counter() - start
        seconds = len(out[0]) / out[1] if source is None else len(source[0]) / source[1]
        factors[name] = elapsed / seconds
        print(f"{name:>10}: {seconds:5.1f} s of audio in {elapsed:5.2f} s  RTF {factors[name]:.3f}")
    assert all(rtf < 1.0 for rtf in factors.values()), factors
