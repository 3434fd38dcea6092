"""Reading media and cutting out exactly the range a clip uses."""
from __future__ import annotations

import hashlib
import subprocess
import threading
import time

import numpy as np
import pytest
import soundfile as sf

from tests import media_factory
from ttsai_plugin import media
from ttsai_plugin.errors import Cancelled, ConfigError, InputError, MediaError
from ttsai_plugin.jobs import CancelToken

AAC_FRAME = 1024


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dominant_hz(samples: np.ndarray, sr: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / sr)[np.argmax(spectrum)])


def test_ffmpeg_is_found_without_a_system_install_and_can_be_overridden(monkeypatch, tmp_path):
    import imageio_ffmpeg
    assert media.ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()
    monkeypatch.setenv("TTSAI_FFMPEG", str(tmp_path / "no-such-ffmpeg"))
    with pytest.raises(ConfigError, match="TTSAI_FFMPEG"):
        media.ffmpeg_exe()
    monkeypatch.delenv("TTSAI_FFMPEG")
    media.configure(ffmpeg=imageio_ffmpeg.get_ffmpeg_exe())
    try:
        assert media.ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()
    finally:
        media.configure(ffmpeg=None)


def test_probe_describes_a_movie(talk_mp4, speech_wav):
    info = media.probe(talk_mp4)
    assert info.has_video
    assert [(s.codec, s.sample_rate, s.channels) for s in info.audio_streams] == [("aac", 48000, 1)]
    assert info.duration == pytest.approx(media.duration(speech_wav), abs=0.1)


def test_probe_lists_every_audio_track_with_language_and_title(two_track_mkv):
    info = media.probe(two_track_mkv)
    first, second = info.audio_streams
    assert (first.channels, first.sample_rate, first.language, first.title) == (
        2, 44100, "eng", "Host")
    assert (second.channels, second.sample_rate, second.language) == (1, 48000, "spa")
    assert info.duration == pytest.approx(3.0, abs=0.05)


def test_extract_cuts_a_range_of_a_movies_audio_to_the_sample(talk_mp4, tmp_path):
    before = sha256(talk_mp4)
    out = media.extract(talk_mp4, tmp_path / "range.wav", start=1.0, end=3.5)
    info = sf.info(str(out))
    assert info.samplerate == 48000
    assert abs(info.frames - 2.5 * 48000) <= AAC_FRAME
    whole, sr = media.decode(talk_mp4)
    cut, _ = media.decode(out)
    reference = whole[int(1.0 * sr): int(1.0 * sr) + len(cut)]
    assert np.max(np.abs(reference - cut)) < 1e-3, "the range starts exactly at 1.0 s"
    assert sha256(talk_mp4) == before, "the original is untouched"


def test_extract_picks_the_chosen_track_and_converts_it(two_track_mkv, tmp_path):
    out = media.extract(two_track_mkv, tmp_path / "spanish.flac", start=0.5, end=2.5, stream=1,
                        sample_rate=16000, channels=1)
    samples, sr = sf.read(str(out), dtype="float32")
    assert (sr, samples.ndim, len(samples)) == (16000, 1, 32000)
    assert dominant_hz(samples, sr) == pytest.approx(700, abs=5)
    host, sr = media.decode(media.extract(two_track_mkv, tmp_path / "host.wav", stream=0))
    assert host.shape[1] == 2 and dominant_hz(host[:, 0], sr) == pytest.approx(300, abs=5)


def test_extract_near_the_end_of_a_long_recording_is_fast(twenty_minutes, tmp_path):
    started = time.monotonic()
    out = media.extract(twenty_minutes, tmp_path / "tail.wav", start=1190.0, end=1195.0)
    assert time.monotonic() - started < 3.0, "input seeking, not decoding 20 minutes"
    assert sf.info(str(out)).frames == 5 * 16000


@pytest.mark.parametrize("make, error, words", [
    (media_factory.video_without_audio, InputError, "has no audio stream"),
    (media_factory.corrupt_file, MediaError, "corrupt"),
    (media_factory.empty_file, InputError, "empty"),
])
def test_unusable_input_gets_a_clear_error_and_no_output(tmp_path, make, error, words):
    src = make(tmp_path)
    with pytest.raises(error, match=words) as caught:
        media.extract(src, tmp_path / "out.wav")
    assert caught.value.hint
    assert not (tmp_path / "out.wav").exists()


def test_bad_ranges_and_streams_are_rejected(talk_mp4, tmp_path):
    with pytest.raises(InputError, match="only"):
        media.extract(talk_mp4, tmp_path / "a.wav", start=60.0)
    with pytest.raises(InputError, match="Invalid range"):
        media.extract(talk_mp4, tmp_path / "a.wav", start=2.0, end=1.0)
    with pytest.raises(InputError, match="stream 3 does not exist"):
        media.extract(talk_mp4, tmp_path / "a.wav", stream=3)
    with pytest.raises(InputError, match="does not exist"):
        media.probe(tmp_path / "missing.mp4")


def test_an_input_is_never_overwritten(speech_wav):
    before = sha256(speech_wav)
    with pytest.raises(InputError, match="overwrite"):
        media.extract(speech_wav, speech_wav, start=1.0)
    assert sha256(speech_wav) == before


def test_cancelled_extract_leaves_no_partial_file(twenty_minutes, tmp_path):
    token = CancelToken()
    threading.Timer(0.3, token.cancel).start()
    with pytest.raises(Cancelled):
        media.extract(twenty_minutes, tmp_path / "whole.mp3", cancel=token)
    assert list(tmp_path.iterdir()) == []


def test_decode_gives_float_samples_in_the_asked_shape(music_wav, talk_mp4):
    stereo, sr = media.decode(music_wav)
    assert (stereo.dtype, stereo.ndim, stereo.shape[1], sr) == (np.float32, 2, 2, 44100)
    mono, sr16 = media.decode(music_wav, sample_rate=16000, mono=True)
    assert mono.ndim == 1 and sr16 == 16000
    assert len(mono) == pytest.approx(len(stereo) * 16000 / 44100, abs=2)
    movie, sr = media.decode(talk_mp4)
    assert movie.ndim == 1 and sr == 48000


def test_write_wav_is_atomic_and_refuses_broken_samples(tmp_path):
    tone = np.sin(np.linspace(0, 2 * np.pi * 440, 48000)).astype(np.float32) * 0.5
    out = media.write_wav(tone, 48000, tmp_path / "tone.wav")
    assert sf.info(str(out)).frames == 48000
    with pytest.raises(InputError, match="NaN"):
        media.write_wav(np.full(10, np.nan, np.float32), 48000, tmp_path / "nan.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tone.wav"]


def test_the_same_range_extracts_to_the_same_bytes(talk_mp4, tmp_path):
    """Cache keys hash the extracted bytes: a repeat must match to the byte."""
    a = media.extract(talk_mp4, tmp_path / "a.wav", start=1.0, end=2.0)
    b = media.extract(talk_mp4, tmp_path / "b.wav", start=1.0, end=2.0)
    assert sha256(a) == sha256(b)
    assert b"Lavf" not in a.read_bytes(), "no encoder version tag to change the key"


def test_audio_that_starts_after_the_picture_keeps_its_place(speech_wav, tmp_path):
    """Recordings often start the sound a little after the picture; a range is in movie time."""
    movie = tmp_path / "late-audio.mp4"
    subprocess.run([media.ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=size=160x120:rate=25:duration=6", "-itsoffset", "0.5",
                    "-i", str(speech_wav), "-t", "6", "-c:v", "libx264", "-preset", "ultrafast",
                    "-c:a", "aac", str(movie)], check=True)
    speech, sr = media.decode(speech_wav)

    def onset(x):
        return np.argmax(np.abs(x) > 0.05) / sr

    for start in (0.0, 0.2):
        cut, _ = media.decode(media.extract(movie, tmp_path / f"from-{start}.wav", start=start,
                                            end=3.0))
        assert len(cut) == round((3.0 - start) * sr)
        assert onset(cut) == pytest.approx(onset(speech) + 0.5 - start, abs=0.03)


@pytest.mark.parametrize("rate", [44100, 22050])
@pytest.mark.parametrize("suffix", [".ogg", ".opus"])
def test_a_cd_rate_song_or_a_22khz_voice_saves_as_ogg_opus(tmp_path, rate, suffix):
    """Opus takes only 48/24/16/12/8 kHz; other rates are resampled instead of failing."""
    src = tmp_path / f"tone-{rate}.wav"
    t = np.arange(int(rate * 1.5)) / rate
    sf.write(src, 0.3 * np.sin(2 * np.pi * 440 * t), rate)
    out = media.extract(src, tmp_path / f"tone{suffix}")
    assert media.duration(out) == pytest.approx(1.5, abs=0.03)
    data, sr = sf.read(out)
    assert sr == 48000 and dominant_hz(data[4800:4800 + 8192], sr) == pytest.approx(440, abs=10)
