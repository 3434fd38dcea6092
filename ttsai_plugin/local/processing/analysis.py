"""Musical key and tempo: profile key finding on harmonic chroma, librosa beat tracking.

The key is the major or minor profile best correlated with the mean constant-Q chroma of the
sustained (harmonic) part of the sound. The profiles are Albrecht & Shanahan's (2013, from a
corpus); Krumhansl & Kessler's (1982) read minor keys as their parallel major when the
instruments' fifth partial (the root's major third) is strong. The harmonic part is a soft
mask on the CQT (median across time vs. across pitch), so drums do not smear the chroma. The tempo is the slope of the tracked beat times (more precise than
the tracker's frame-quantised estimate). The time signature is not estimated: it is "4/4".
"""
from __future__ import annotations

import warnings

import numpy as np

from ttsai_plugin.errors import BadRequestError

from . import buffers

RATE = 22050
HOP = 512
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MAJOR_PROFILE = np.array([.238, .006, .111, .006, .137, .094, .016, .214, .009, .080, .008, .081])
MINOR_PROFILE = np.array([.220, .006, .104, .123, .019, .103, .012, .214, .062, .022, .061, .052])
KK_PROFILES = (np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]),
               np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]))
BINS_PER_OCTAVE = 36
# Camelot wheel number of each tonic (index into NAMES); major keys are "B", minor "A".
CAMELOT_MAJOR = (8, 3, 10, 5, 12, 7, 2, 9, 4, 11, 6, 1)
CAMELOT_MINOR = (5, 12, 7, 2, 9, 4, 11, 6, 1, 8, 3, 10)


def key_of(chroma: np.ndarray, profiles: tuple[np.ndarray, np.ndarray] | None = None
           ) -> tuple[int, str]:
    """``(tonic index, "Major" | "Minor")`` best matching a 12-bin pitch-class profile."""
    major, minor = profiles or (MAJOR_PROFILE, MINOR_PROFILE)
    best, answer = -np.inf, (0, "Major")
    for tonic in range(12):
        for scale, profile in (("Major", major), ("Minor", minor)):
            r = np.corrcoef(chroma, np.roll(profile, tonic))[0, 1]
            if r > best:
                best, answer = r, (tonic, scale)
    return answer


def camelot(tonic: int, scale: str) -> str:
    """The Camelot-wheel code: C major = 8B, A minor = 8A."""
    return (f"{CAMELOT_MAJOR[tonic]}B" if scale == "Major" else f"{CAMELOT_MINOR[tonic]}A")


def compatible_keys(tonic: int, scale: str) -> list[str]:
    """The key itself, its dominant, its subdominant and its relative (the mixable keys)."""
    relative = ((tonic + 9) % 12, "Minor") if scale == "Major" else ((tonic + 3) % 12, "Major")
    keys = [(tonic, scale), ((tonic + 7) % 12, scale), ((tonic + 5) % 12, scale), relative]
    return [f"{NAMES[t]} {s}" for t, s in keys]


def harmonic_chroma(y: np.ndarray, sr: int) -> np.ndarray:
    """Mean 12-bin chroma of the CQT's sustained part (percussive bins masked out)."""
    librosa = buffers.require("librosa", "Key and tempo analysis")
    from scipy.ndimage import median_filter

    cqt = np.abs(librosa.cqt(y, sr=sr, hop_length=HOP, n_bins=7 * BINS_PER_OCTAVE,
                             bins_per_octave=BINS_PER_OCTAVE))
    across_time = median_filter(cqt, size=(1, 17), mode="reflect")
    across_pitch = median_filter(cqt, size=(9, 1), mode="reflect")
    harmonic = cqt * (across_time ** 2 / (across_time ** 2 + across_pitch ** 2 + 1e-12))
    chroma = librosa.feature.chroma_cqt(C=harmonic, sr=sr, hop_length=HOP,
                                        bins_per_octave=BINS_PER_OCTAVE)
    return chroma.mean(axis=1)


def tempo_of(y: np.ndarray, sr: int) -> float:
    """Beats per minute from librosa's beat tracker, refined by a line through the beat times."""
    librosa = buffers.require("librosa", "Key and tempo analysis")

    tempo, beats = librosa.beat.beat_track(y=y, sr=sr, hop_length=HOP, units="time")
    estimate = float(np.atleast_1d(tempo)[0])
    if len(beats) >= 4:
        period = np.polyfit(np.arange(len(beats)), beats, 1)[0]
        if period > 0 and abs(60.0 / period - estimate) < 0.1 * estimate:
            return round(float(60.0 / period), 1)
    return round(estimate, 1)


def analyze(samples: np.ndarray, sr: int) -> dict:
    """``{key, scale, bpm, time_signature, camelot, compatible_keys}`` (the contract's shape)."""
    buffers.require("librosa", "Key and tempo analysis")  # a missing librosa is said first

    y = buffers.resample(buffers.mono(buffers.check(samples, sr)), sr, RATE)
    if float(np.max(np.abs(y))) < 1e-4:
        raise BadRequestError("file: the audio is silent, so it has no key or tempo.",
                              hint="Analyze a part of the track with music in it.")
    with warnings.catch_warnings():   # librosa warns about clips shorter than its windows
        warnings.simplefilter("ignore", UserWarning)
        tonic, scale = key_of(harmonic_chroma(y, RATE))
        bpm = tempo_of(y, RATE)
    return {"key": NAMES[tonic], "scale": scale, "bpm": bpm,
            "time_signature": "4/4", "camelot": camelot(tonic, scale),
            "compatible_keys": compatible_keys(tonic, scale)}
