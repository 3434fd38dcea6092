"""The voice catalogue (from ``processing.speech``) and picking a voice for a job.

Each voice's ``model`` says what speaks it: ``piper`` (the neural English voice, with the
``neural`` extra) or ``espeak-ng``; a job that picks a voice by language prefers a neural one.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .errors import bad_request
from .processing import speech

def catalog() -> list[dict[str, Any]]:
    """Every voice the engine speaks with now (``speech`` caches the list per engine switch)."""
    return speech.list_voices()


def find(voice_id: str) -> dict[str, Any]:
    """The listed voice with ``voice_id``; an unlisted spelling (``en-us+m3``) is passed on as is,
    and ``speech.synthesize`` answers 404 if it cannot speak it."""
    for v in catalog():
        if v["id"] == voice_id:
            return v
    return {"id": voice_id, "name": voice_id, "language": None, "gender": None}


PREVIEW_PREFIX = "preview_"


def preview_file_id(voice_id: str) -> str:
    """The file id of a voice's preview clip (espeak ids never contain ``--``)."""
    return f"{PREVIEW_PREFIX}{voice_id.replace('+', '--')}.mp3"


def make_preview(file_id: str) -> bytes | None:
    """An MP3 of a listed voice introducing itself, or None for an unknown voice."""
    from .audio import encode
    voice_id = file_id[len(PREVIEW_PREFIX):].removesuffix(".mp3").replace("--", "+")
    voice = next((v for v in catalog() if v["id"] == voice_id), None)
    if voice is None:
        return None
    samples, sr = speech.synthesize(f"Hello, this is {voice['name']}.", voice_id)
    return encode(samples, sr, "mp3")


def _lang(code: str | None) -> str:
    return (code or "").split("-")[0].split("_")[0].lower()


def same_language(a: str | None, b: str | None) -> bool:
    return bool(a) and _lang(a) == _lang(b)


def languages() -> list[str]:
    return sorted({_lang(v.get("language")) for v in catalog() if v.get("language")})


def for_language(language: str, *, gender: str | None = None, field: str = "language") -> dict:
    """A voice speaking ``language`` (of ``gender`` when one exists), or 400 naming the field."""
    lang = _lang(language)
    matches = [v for v in catalog() if _lang(v.get("language")) == lang]
    if not matches:
        raise bad_request(f"{field}: no local voice speaks {language!r}; available languages: "
                          f"{', '.join(languages())}.", field=field)
    pick = getattr(speech, "language_voice", None)
    if pick is not None:  # neural voices first, then the processing layer's preferred voice
        base = pick(lang)
        matches = sorted(matches, key=lambda v: (v.get("model") != "piper",
                                                 v["id"].split("+")[0] != base))
    same = [v for v in matches if gender and v.get("gender") == gender]
    return (same or matches)[0]


def median_pitch(samples: np.ndarray, sr: int) -> float | None:
    """Median fundamental frequency (Hz) of the voiced frames (autocorrelation), or None."""
    x = samples.mean(axis=1) if samples.ndim == 2 else samples
    k = max(1, sr // 8000)
    x = x[: min(len(x), sr * 20) // k * k].reshape(-1, k).mean(axis=1)
    sr = sr / k
    frame, hop = int(0.04 * sr), int(0.02 * sr)
    lo, hi = int(sr / 400), int(sr / 70)
    if len(x) < frame or frame <= hi:
        return None
    energy_floor = 0.1 * float(np.sqrt(np.mean(x ** 2)) or 0)
    pitches = []
    for start in range(0, len(x) - frame, hop):
        f = x[start:start + frame] - x[start:start + frame].mean()
        if np.sqrt(np.mean(f ** 2)) < energy_floor:
            continue
        ac = np.correlate(f, f, mode="full")[frame - 1:]
        if ac[0] <= 0:
            continue
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] / ac[0] > 0.4:
            pitches.append(sr / lag)
    return float(np.median(pitches)) if pitches else None


def gender_of(samples: np.ndarray, sr: int) -> str | None:
    """'male' or 'female' from the median pitch (165 Hz split), None when no voicing is found."""
    f0 = median_pitch(samples, sr)
    if f0 is None:
        return None
    return "male" if f0 < 165 else "female"
