"""Joining narration, levelling loudness, fitting durations and muxing recordings."""
from __future__ import annotations

import hashlib
import math
import subprocess

import numpy as np
import pytest
import soundfile as sf

from tests import media_factory
from ttsai_plugin import media
from ttsai_plugin.errors import InputError

SR = 48000


def tone(path, hz=440.0, seconds=1.0, amp=0.5, sr=SR, phase=0.0, channels=1):
    t = np.arange(int(seconds * sr)) / sr
    x = (amp * np.sin(2 * np.pi * hz * t + phase)).astype(np.float32)
    sf.write(str(path), np.stack([x] * channels, 1) if channels > 1 else x, sr, subtype="FLOAT")
    return path


def biggest_step(x: np.ndarray) -> float:
    return float(np.max(np.abs(np.diff(x, axis=0))))


def test_concat_puts_natural_pauses_between_chunks_without_clicks(tmp_path):
    # Each chunk ends at full swing and the next starts at the opposite one: a hard cut clicks.
    a = tone(tmp_path / "a.wav", hz=100, seconds=1.0025, amp=0.8)
    b = tone(tmp_path / "b.wav", hz=100, seconds=0.5, amp=0.8, phase=-np.pi / 2)
    c = tone(tmp_path / "c.wav", hz=100, seconds=0.5, amp=0.8, phase=np.pi / 2)
    out = media.concat([a, b, c], tmp_path / "narration.wav", gaps=[0.3, 0.0])
    x, sr = sf.read(str(out), dtype="float32")
    assert len(x) == int(1.0025 * SR) + int(0.3 * SR) + 2 * int(0.5 * SR)
    gap = x[int(1.0025 * SR) + 10: int(1.3025 * SR) - 10]
    assert np.max(np.abs(gap)) == 0.0, "the pause is silence"
    smooth = 2 * np.pi * 100 / SR * 0.8
    assert biggest_step(x) < 4 * smooth, "no click at any join"


def test_crossfade_overlaps_parts_at_constant_power(tmp_path):
    rng = np.random.default_rng(3)
    for name in ("x", "y"):
        sf.write(str(tmp_path / f"{name}.wav"), rng.normal(0, 0.1, SR).astype(np.float32), SR,
                 subtype="FLOAT")
    out = media.concat([tmp_path / "x.wav", tmp_path / "y.wav"], tmp_path / "xy.flac",
                       crossfade=0.2)
    x, _ = sf.read(str(out), dtype="float32")
    assert len(x) == 2 * SR - int(0.2 * SR)
    middle = x[int(0.8 * SR): int(1.0 * SR)]
    assert np.sqrt(np.mean(middle ** 2)) == pytest.approx(0.1, rel=0.15), "no dip, no bump"


def test_a_part_shorter_than_the_crossfade_is_not_swallowed(tmp_path):
    long_a = tone(tmp_path / "a.wav", seconds=1.0)
    short = tone(tmp_path / "short.wav", hz=880, seconds=0.1)
    long_b = tone(tmp_path / "b.wav", seconds=1.0)
    out = media.concat([long_a, short, long_b], tmp_path / "out.wav", crossfade=0.2)
    # each join may take at most half the short part (less 10 ms of safety): 40 ms
    assert sf.info(str(out)).frames == int(2.1 * SR) - 2 * int(0.04 * SR)
    x, _ = sf.read(str(out), dtype="float32")
    middle = x[int(1.0 * SR) - int(0.04 * SR): int(1.06 * SR) - int(0.04 * SR)]
    spectrum = np.abs(np.fft.rfft(middle))
    assert np.fft.rfftfreq(len(middle), 1 / SR)[np.argmax(spectrum)] == pytest.approx(880, abs=20)


def test_concat_mixes_rates_and_channels_and_writes_mp3(tmp_path, speech_wav, music_wav):
    out = media.concat([speech_wav, music_wav], tmp_path / "mix.mp3", gaps=0.5)
    info = media.probe(out)
    assert info.audio_streams[0].channels == 2 and info.audio_streams[0].sample_rate == 48000
    expected = media.duration(speech_wav) + 0.5 + media.duration(music_wav)
    assert info.duration == pytest.approx(expected, abs=0.06)


def test_concat_checks_its_arguments(tmp_path, speech_wav):
    with pytest.raises(InputError, match="Nothing to join"):
        media.concat([], tmp_path / "x.wav")
    with pytest.raises(InputError, match="2 gaps given for 1 joins"):
        media.concat([speech_wav, speech_wav], tmp_path / "x.wav", gaps=[0.1, 0.2])


def test_loudness_matches_bs1770_for_a_reference_tone(tmp_path):
    # A 997 Hz sine at -20 dBFS peak measures -23.0 LUFS (mono, per BS.1770).
    path = tone(tmp_path / "ref.wav", hz=997, seconds=3.0, amp=0.1)
    assert media.loudness(path) == pytest.approx(-23.0, abs=0.2)


def test_streamed_loudness_agrees_with_pyloudnorm(speech_wav, music_wav, talk_mp4):
    import pyloudnorm
    for path in (speech_wav, music_wav, talk_mp4):
        samples, sr = media.decode(path)
        expected = pyloudnorm.Meter(sr).integrated_loudness(samples)
        assert media.loudness(path) == pytest.approx(expected, abs=1e-3)


def test_a_long_recording_is_measured_without_loading_it(twenty_minutes, speech_wav):
    import tracemalloc
    media.loudness(speech_wav)  # imports done outside the measurement
    tracemalloc.start()
    try:
        level = media.loudness(twenty_minutes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert level == pytest.approx(media.loudness(speech_wav), abs=0.5)
    assert peak < 16 * 1024 * 1024, "20 minutes of float samples would be 77 MB"


def test_normalize_brings_speech_to_minus_16_lufs_with_peaks_under_the_ceiling(speech_wav,
                                                                              tmp_path):
    before = hashlib.sha256(speech_wav.read_bytes()).digest()
    out = media.normalize(speech_wav, tmp_path / "level.wav", target_lufs=-16.0)
    assert media.loudness(out) == pytest.approx(-16.0, abs=0.5)
    peak_db = 20 * math.log10(media.true_peak(media.decode(out)[0]))
    assert peak_db <= -1.0 + 0.1
    assert hashlib.sha256(speech_wav.read_bytes()).digest() == before


def test_normalize_limits_peaks_that_the_gain_would_push_over(tmp_path):
    t = np.arange(4 * SR) / SR
    quiet = 0.02 * np.sin(2 * np.pi * 220 * t)
    quiet[::SR // 2] = 0.5  # sparse spikes far above the body of the sound
    sf.write(str(tmp_path / "spiky.wav"), quiet.astype(np.float32), SR, subtype="FLOAT")
    out = media.normalize(tmp_path / "spiky.wav", tmp_path / "loud.wav", target_lufs=-14.0)
    assert media.loudness(out) == pytest.approx(-14.0, abs=0.5)
    assert 20 * math.log10(media.true_peak(media.decode(out)[0])) <= -0.9


def test_normalize_lands_on_target_when_the_limiter_works_hard(tmp_path):
    """Loud syllables over a quiet body (what a crisp TTS voice is like): each decibel of
    gain gives well under a decibel of loudness once the limiter holds the peaks, so adding
    the remaining error each pass stopped 2 LU short of YouTube's -14."""
    t = np.arange(4 * SR) / SR
    x = 0.03 * np.sin(2 * np.pi * 220 * t)
    n = int(0.03 * SR)
    for i in range(0, len(x) - n, SR // 4):
        x[i:i + n] += 0.9 * np.hanning(n) * np.sin(2 * np.pi * 900 * t[:n])
    sf.write(str(tmp_path / "crisp.wav"), x.astype(np.float32), SR, subtype="FLOAT")
    out = media.normalize(tmp_path / "crisp.wav", tmp_path / "loud.wav", target_lufs=-14.0)
    assert media.loudness(out) == pytest.approx(-14.0, abs=0.2)
    assert 20 * math.log10(media.true_peak(media.decode(out)[0])) <= -0.9


def test_normalize_refuses_silence(tmp_path):
    sf.write(str(tmp_path / "silence.wav"), np.zeros(SR, np.float32), SR)
    with pytest.raises(InputError, match="silent"):
        media.normalize(tmp_path / "silence.wav", tmp_path / "out.wav")
    assert not (tmp_path / "out.wav").exists()


@pytest.mark.parametrize("ratio", [1.25, 0.8, 3.0, 0.3])
def test_time_stretch_hits_the_duration_and_keeps_the_pitch(tmp_path, ratio):
    src = tone(tmp_path / "a440.wav", hz=440, seconds=2.0)
    out = media.time_stretch(src, tmp_path / "stretched.wav", ratio=ratio)
    x, sr = media.decode(out)
    assert len(x) / sr == pytest.approx(2.0 / ratio, abs=1 / sr)
    body = x[len(x) // 4: 3 * len(x) // 4]
    spectrum = np.abs(np.fft.rfft(body * np.hanning(len(body))))
    assert np.fft.rfftfreq(len(body), 1 / sr)[np.argmax(spectrum)] == pytest.approx(440, abs=5)


def test_time_stretch_rejects_absurd_ratios(speech_wav, tmp_path):
    with pytest.raises(InputError, match="out of range"):
        media.time_stretch(speech_wav, tmp_path / "x.wav", ratio=0.0)


def video_hashes(path) -> list[str]:
    out = subprocess.run([media.ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v",
                          "-c", "copy", "-f", "framemd5", "-"], capture_output=True, check=True)
    return [ln.rsplit(",", 1)[1].strip() for ln in out.stdout.decode().splitlines()
            if ln and not ln.startswith("#")]


def test_mux_keeps_the_picture_bit_for_bit_and_orders_the_tracks(talk_mp4, speech_wav, tmp_path):
    cleaned = media.normalize(speech_wav, tmp_path / "clean.wav", target_lufs=-16.0)
    original = media.extract(talk_mp4, tmp_path / "original.wav")
    before = hashlib.sha256(talk_mp4.read_bytes()).digest()
    out = media.mux_audio(talk_mp4, [cleaned, original], tmp_path / "talk.cleaned.mp4",
                          titles=["Cleaned", "Original"], languages=["spa", "eng"])
    assert video_hashes(out) == video_hashes(talk_mp4)
    info = media.probe(out)
    assert info.has_video
    assert [(s.title, s.language) for s in info.audio_streams] == [("Cleaned", "spa"),
                                                                   ("Original", "eng")]
    first_track = media.extract(out, tmp_path / "t0.wav", stream=0)
    assert media.loudness(first_track) == pytest.approx(-16.0, abs=1.0), "the cleaned take leads"
    assert hashlib.sha256(talk_mp4.read_bytes()).digest() == before


def test_mux_needs_a_picture(speech_wav, tmp_path):
    with pytest.raises(InputError, match="no video stream"):
        media.mux_audio(speech_wav, [speech_wav], tmp_path / "x.mp4")
    silent = media_factory.video_without_audio(tmp_path)
    with pytest.raises(InputError, match="no audio stream"):
        media.mux_audio(silent, [silent], tmp_path / "y.mp4")


@pytest.mark.parametrize("operation", ["normalize", "concat"])
def test_cancelling_a_long_operation_leaves_nothing_behind(twenty_minutes, tmp_path, operation):
    import threading

    from ttsai_plugin.errors import Cancelled
    from ttsai_plugin.jobs import CancelToken
    token = CancelToken()
    threading.Timer(0.4, token.cancel).start()
    with pytest.raises(Cancelled):
        if operation == "normalize":
            media.normalize(twenty_minutes, tmp_path / "level.wav", cancel=token)
        else:
            media.concat([twenty_minutes, twenty_minutes], tmp_path / "twice.mp3", cancel=token)
    assert list(tmp_path.iterdir()) == []
