"""Offline processing behind the local engine: pure functions on float32 numpy arrays.

One module per job: ``speech`` (Piper / espeak-ng), ``denoise`` (DeepFilterNet3 / RNNoise),
``reverb`` (WPE), ``separation`` (REPET / HPSS), ``recognition`` (Whisper / pocketsphinx),
``analysis`` (key, BPM). The neural backends (``tts_piper``, ``stt_whisper``, ``denoise_dfn``,
their files found and checked by ``models_registry``) need the optional ``neural`` extra.
Heavy libraries are imported inside the functions that need them, so importing is cheap.
Bad input raises ``ttsai_plugin.errors.BadRequestError``, an unknown voice ``NotFoundError``.
"""
from . import analysis, denoise, recognition, reverb, separation, speech

__all__ = ["analysis", "denoise", "recognition", "reverb", "separation", "speech"]
