"""Key and BPM: a C-major pad with a kick on every beat at 120 BPM reads as such."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from ttsai_plugin.errors import BadRequestError
from ttsai_plugin.local.processing import analysis


@pytest.fixture(scope="module")
def result(music_wav):
    samples, sr = sf.read(music_wav, dtype="float32")
    return analysis.analyze(samples, sr)


def test_the_music_bed_is_c_major_or_its_relative_minor(result):
    assert (result["key"], result["scale"]) in {("C", "Major"), ("A", "Minor")}
    assert result["camelot"] in {"8B", "8A"}


def test_the_tempo_is_120_bpm(result):
    assert result["bpm"] == pytest.approx(120.0, abs=1.5)
    assert isinstance(result["bpm"], float)


def test_the_answer_has_exactly_the_contracts_shape(result):
    assert set(result) == {"key", "scale", "bpm", "time_signature", "camelot", "compatible_keys"}
    assert result["time_signature"] == "4/4"
    if result["scale"] == "Major":
        assert result["compatible_keys"] == ["C Major", "G Major", "F Major", "A Minor"]


@pytest.mark.parametrize("tonic,scale,code,keys", [
    (9, "Minor", "8A", ["A Minor", "E Minor", "D Minor", "C Major"]),
    (7, "Major", "9B", ["G Major", "D Major", "C Major", "E Minor"]),
    (6, "Major", "2B", ["F# Major", "C# Major", "B Major", "Eb Minor"]),
])
def test_camelot_codes_and_mixable_keys_follow_the_wheel(tonic, scale, code, keys):
    assert analysis.camelot(tonic, scale) == code
    assert analysis.compatible_keys(tonic, scale) == keys


def test_an_a_minor_chord_is_found_as_a_minor():
    sr = 22050
    t = np.arange(sr * 4) / sr
    chord = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 261.63, 329.63, 440.0))
    out = analysis.analyze((0.2 * chord).astype(np.float32), sr)
    assert (out["key"], out["scale"]) == ("A", "Minor")


def test_silence_cannot_be_analyzed():
    with pytest.raises(BadRequestError):
        analysis.analyze(np.zeros(22050, np.float32), 22050)


def _progression(tonic: int, minor: bool, sr: int = 22050, bar: float = 2.0) -> np.ndarray:
    """i-iv-V-i (harmonic minor) or I-IV-V-I: chords of tones with eight 1/h partials, a bass
    on every beat and a kick, the way a simple backing track sounds."""
    third = 3 if minor else 4
    chords = [(0, third, 7), (5, 5 + third, 12), (7, 11, 14), (0, third, 7)]
    t = np.arange(int(bar * sr)) / sr
    beat = t[: len(t) // 4]

    def tone(midi: float, tt: np.ndarray, partials: int) -> np.ndarray:
        f = 440.0 * 2 ** ((midi - 69) / 12)
        return sum(np.sin(2 * np.pi * f * h * tt) / h for h in range(1, partials + 1))

    bars = []
    for chord in chords:
        x = 0.12 * sum(tone(60 + tonic + n, t, 8) for n in chord) * np.exp(-0.6 * t)
        bass = 0.3 * tone(36 + tonic + chord[0], beat, 4) * np.exp(-3 * beat)
        kick = np.sin(2 * np.pi * 55 * beat * np.exp(-8 * beat)) * np.exp(-25 * beat)
        bars.append(x + np.tile(bass + kick, 4)[: len(x)])
    y = np.concatenate(bars * 2)
    return (0.8 * y / np.max(np.abs(y))).astype(np.float32)


@pytest.mark.parametrize("tonic,name", [(0, "C"), (7, "G"), (9, "A")])
def test_minor_progressions_with_rich_partials_are_minor_not_their_parallel_major(tonic, name):
    # Krumhansl-Kessler profiles on plain chroma read all three as their parallel major
    out = analysis.analyze(_progression(tonic, minor=True), 22050)
    assert (out["key"], out["scale"]) == (name, "Minor")
    major = analysis.analyze(_progression(tonic, minor=False), 22050)
    assert (major["key"], major["scale"]) == (name, "Major")
