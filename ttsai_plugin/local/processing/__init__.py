"""Offline processing behind the local engine: pure functions on float32 numpy arrays.

One module per job: ``speech`` (espeak-ng), ``denoise`` (RNNoise), ``reverb`` (WPE),
``separation`` (REPET / HPSS), ``recognition`` (pocketsphinx), ``analysis`` (key, BPM).
Heavy libraries are imported inside the functions that need them, so importing is cheap.
Bad input raises ``ttsai_plugin.errors.BadRequestError``, an unknown voice ``NotFoundError``.
"""
from . import analysis, denoise, recognition, reverb, separation, speech

__all__ = ["analysis", "denoise", "recognition", "reverb", "separation", "speech"]
