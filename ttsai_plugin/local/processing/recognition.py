"""Speech to text, fully offline: Whisper tiny.en when the ``neural`` extra is installed,
else pocketsphinx 5 and its bundled US-English model.

Whisper (``stt_whisper``) takes English and unspecified languages; pocketsphinx takes the rest
and every request when the extra is absent. With pocketsphinx the audio is cut at pauses into utterances, each decoded on its own; the decoder's word
alignment gives real start/end times. Noisy audio is cleaned with RNNoise first (it doubled
word recall on speech at 5 dB SNR; clean audio is left alone since it costs a little there). Only English is recognised: other languages are
decoded with the English model and the answer says ``"language": "en"``.
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np

from . import buffers, denoise, models_registry, stt_whisper

RATE = 16000
FRAME_RATE = 100                  # pocketsphinx frames per second
MIN_PAUSE = 0.3                   # seconds of quiet that end a segment
MAX_SEGMENT = 12.0                # seconds; longer speech is cut at its quietest frame
PAD = 0.15                        # seconds of context kept around each utterance
NOISY_DB = 30.0                   # speech-to-floor spread under which RNNoise cleans first
# DeepFilterNet3 at its gentlest before Whisper on noisy audio: WER on espeak speech fell from
# 64 to 54 % (pink, 10 dB) and from 55 to 33 % (babble, 10 dB); stronger settings cut words.
WHISPER_DENOISE = 1
NOISE_FLOOR = 1e-3                # the model chokes on digital silence (espeak, gated mics)
MIN_LEVEL_SPREAD = 1.5            # dB; steadier sound (hum, tones) is not speech: syllables pulse
# Pruning measured on espeak narration: ~3x less CPU than the defaults at the same word recall.
SEARCH_LIMITS = {"maxhmmpf": 3000, "maxwpf": 5, "pl_window": 5}
_FILLER = re.compile(r"^(<.*>|\[.*\]|\+\+.*\+\+)$")
_local = threading.local()


def _decoder():
    """One decoder per thread (pocketsphinx decoders are not thread-safe; loading takes ~1 s)."""
    if getattr(_local, "decoder", None) is None:
        Decoder = buffers.require("pocketsphinx", "Transcription").Decoder
        _local.decoder = Decoder(samprate=RATE, loglevel="FATAL", **SEARCH_LIMITS)
    return _local.decoder


def _frame_levels(x: np.ndarray) -> np.ndarray:
    hop = RATE // FRAME_RATE
    n = len(x) // hop
    frames = x[: n * hop].reshape(n, hop)
    return 10 * np.log10(np.mean(frames ** 2, axis=1) + 1e-12)


def speech_regions(x: np.ndarray) -> list[tuple[int, int]]:
    """``(start, end)`` frame ranges of speech, split at pauses and at most MAX_SEGMENT long."""
    levels = _frame_levels(x)
    if levels.size == 0:
        return []
    loud = np.percentile(levels, 95)
    if loud < -70:
        return []
    active = levels > max(loud - 35, -70)
    regions, start, quiet = [], None, 0
    min_pause = int(MIN_PAUSE * FRAME_RATE)
    for i, on in enumerate(active):
        if on:
            start = i if start is None else start
            quiet = 0
        elif start is not None:
            quiet += 1
            if quiet >= min_pause:
                regions.append((start, i - quiet + 1))
                start, quiet = None, 0
    if start is not None:
        regions.append((start, len(active) - quiet))
    return [piece for r in regions for piece in _cap(r, levels) if piece[1] - piece[0] >= 5]


def _cap(region: tuple[int, int], levels: np.ndarray) -> list[tuple[int, int]]:
    start, end = region
    limit = int(MAX_SEGMENT * FRAME_RATE)
    if end - start <= limit:
        return [region]
    lo, hi = start + limit // 3, start + limit
    cut = lo + int(np.argmin(levels[lo:hi]))
    return [(start, cut)] + _cap((cut, end), levels)


def is_noisy(x: np.ndarray) -> bool:
    """True when the quiet tenth of the frames is within NOISY_DB of the loud speech frames."""
    levels = _frame_levels(x)
    return levels.size > 0 and np.percentile(levels, 95) - np.percentile(levels, 10) < NOISY_DB


def _steady(region: tuple[int, int], raw_levels: np.ndarray) -> bool:
    """True when the input's level barely moves over ``region``: a hum or tone, not speech."""
    return float(np.std(raw_levels[region[0]:region[1]])) < MIN_LEVEL_SPREAD


def _prepare(samples: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """Mono 16 kHz, RNNoise-cleaned when noisy, at a steady speech level (about -17 dBFS);
    also the frame levels of the input before cleaning (RNNoise makes a hum pulse)."""
    x = buffers.resample(buffers.mono(samples), sr, RATE)
    raw_levels = _frame_levels(x)
    if is_noisy(x):
        x = denoise.denoise_channel(x, RATE, 2)
    levels = _frame_levels(x)
    if levels.size and np.percentile(levels, 95) > -70:
        gain = 10 ** ((-17 - np.percentile(levels, 95)) / 20)
        x = np.clip(x * gain, -1, 1)
    return x.astype(np.float32), raw_levels


def _decode(x: np.ndarray, offset: float) -> list[dict]:
    """Words of one utterance with absolute times."""
    rng = np.random.default_rng(len(x))
    noisy = x + NOISE_FLOOR * rng.standard_normal(len(x)).astype(np.float32)
    pcm = (np.clip(noisy, -1, 1) * 32767).astype("<i2").tobytes()
    d = _decoder()
    d.start_utt()
    d.process_raw(pcm, full_utt=True)
    d.end_utt()
    if d.hyp() is None:
        return []
    words = []
    for seg in d.seg():
        if _FILLER.match(seg.word):
            continue
        words.append({"start": round(offset + seg.start_frame / FRAME_RATE, 2),
                      "end": round(offset + (seg.end_frame + 1) / FRAME_RATE, 2),
                      "word": re.sub(r"\(\d+\)$", "", seg.word)})
    return words


def backend(language: str | None = None) -> str:
    """``"whisper"`` or ``"pocketsphinx"``: what ``transcribe`` uses for ``language``."""
    english = (language or "auto").strip().lower().split("-")[0].split("_")[0] in ("auto", "en")
    return "whisper" if english and models_registry.use(models_registry.WHISPER) else "pocketsphinx"


@dataclass
class Prepared:
    """Audio ready for the backend that hears it: 16 kHz mono for Whisper (the caller's samples
    are then no longer needed: a long part's are 3x that copy), the samples as given for
    pocketsphinx."""

    backend: str
    samples: np.ndarray
    sr: int
    duration: float


def prepare(samples: np.ndarray, sr: int, *, language: str | None = None) -> Prepared:
    """``samples`` checked and, for Whisper, resampled and cleaned when noisy."""
    x = buffers.check(samples, sr)
    duration = round(buffers.mono(x).shape[0] / sr, 3)
    which = backend(language)
    if which == "whisper":
        x16 = buffers.resample(buffers.mono(x), sr, RATE)
        if is_noisy(x16) and denoise.backend() == "deepfilternet3":
            x16 = denoise.denoise_channel(x16, RATE, WHISPER_DENOISE)
        return Prepared(which, x16, RATE, duration)
    return Prepared(which, x, sr, duration)


def recognize(speech: Prepared, *, timestamps: bool = False) -> dict:
    """``{text, language, duration, segments:[{start, end, text, speaker, words?}]}``.

    ``speaker`` is None: there is no offline diarization. ``words`` only with ``timestamps``.
    """
    if speech.backend == "whisper":
        segments = stt_whisper.transcribe16k(speech.samples, timestamps=timestamps)
    else:
        segments = transcribe_sphinx(speech.samples, speech.sr, speech.duration,
                                     timestamps=timestamps)
    return {"text": " ".join(s["text"] for s in segments), "language": "en",
            "duration": speech.duration, "segments": segments}


def transcribe(samples: np.ndarray, sr: int, *, language: str | None = None,
               timestamps: bool = False) -> dict:
    """``recognize(prepare(samples, sr))``: the transcript of ``samples``."""
    return recognize(prepare(samples, sr, language=language), timestamps=timestamps)


def transcribe_sphinx(samples: np.ndarray, sr: int, duration: float, *,
                      timestamps: bool = False) -> list[dict]:
    """Contract-shaped segments from pocketsphinx (the classical backend)."""
    x, raw_levels = _prepare(samples, sr)
    pad = int(PAD * RATE)
    hop = RATE // FRAME_RATE
    segments = []
    for start, end in speech_regions(x):
        if _steady((start, end), raw_levels):
            continue
        a, b = max(0, start * hop - pad), min(len(x), end * hop + pad)
        words = _decode(x[a:b], a / RATE)
        if not words:
            continue
        text = " ".join(w["word"] for w in words)
        seg = {"start": words[0]["start"], "end": min(words[-1]["end"], duration),
               "text": text[:1].upper() + text[1:], "speaker": None}
        if timestamps:
            seg["words"] = words
        segments.append(seg)
    return segments
