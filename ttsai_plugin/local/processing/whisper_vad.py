"""faster-whisper's Silero VAD run ``BATCH`` windows at a time: the same speech probabilities.

faster-whisper (1.2.1) hands the ONNX session up to 10,000 windows of 32 ms (320 s) in one
run, and the model's activations for them cost ~115 MB on a 5-minute part, the largest
transient of a long keyless transcription after the encoder's. Its recurrent state already
crosses from one run to the next, so smaller runs give the same numbers (the tests compare
bit for bit) with a working set of a few MB.
"""
from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

import numpy as np

BATCH = 250  # windows per ONNX run: 8 s of 16 kHz audio


class SlicedVAD:
    """Stands in for faster-whisper's ``SileroVADModel`` (same session, same call)."""

    def __init__(self, inner: Any, batch: int = BATCH) -> None:
        self.session = inner.session
        self.batch = batch

    def __call__(self, audio: np.ndarray, num_samples: int = 512,
                 context_size_samples: int = 64) -> np.ndarray:
        """``SileroVADModel.__call__`` with ``self.batch`` windows per run."""
        if audio.ndim != 1 or audio.shape[0] % num_samples:
            raise ValueError("expected 1-D audio, a whole number of windows long")
        h = np.zeros((1, 1, 128), dtype="float32")
        c = np.zeros((1, 1, 128), dtype="float32")
        windows = audio.reshape(-1, num_samples)
        context = windows[..., -context_size_samples:]
        context[-1] = 0  # as faster-whisper does: also zeroes the end of its padded copy
        context = np.roll(context, 1, 0)
        outputs = []
        for a in range(0, windows.shape[0], self.batch):
            batch = np.concatenate([context[a:a + self.batch], windows[a:a + self.batch]], 1)
            output, h, c = self.session.run(None, {"input": batch, "h": h, "c": c})
            outputs.append(output)
        return np.concatenate(outputs, axis=0)


def install(vad: ModuleType) -> None:
    """Make ``faster_whisper.vad`` hand out the sliced model (once; its session is shared)."""
    original = vad.get_vad_model
    if getattr(original, "sliced", False):
        return

    @functools.lru_cache(maxsize=None)
    def get_vad_model() -> SlicedVAD:
        return SlicedVAD(original())

    get_vad_model.sliced = True  # type: ignore[attr-defined]
    vad.get_vad_model = get_vad_model
