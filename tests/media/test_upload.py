"""Uploads that fit the endpoint's limit, however long the recording."""
from __future__ import annotations

import numpy as np
import pytest

from tests.media.conftest import looped_speech
from ttsai_plugin import media
from ttsai_plugin.api.paths import MB, endpoint
from ttsai_plugin.errors import LimitExceededError
from ttsai_plugin.media.upload import ACCEPTED_FORMATS, plan_upload

TWO_HOURS = 2 * 3600.0


def test_a_short_clip_goes_up_lossless(speech_wav, tmp_path):
    [out] = media.encode_for_upload(speech_wav, tmp_path, limit_bytes=20 * MB)
    assert out.suffix == ".wav"
    assert media.duration(out) == pytest.approx(media.duration(speech_wav), abs=1e-4)


def test_when_wav_is_too_big_flac_keeps_it_lossless(twenty_minutes, tmp_path):
    [out] = media.encode_for_upload(twenty_minutes, tmp_path, limit_bytes=30 * MB)
    assert out.suffix == ".flac" and out.stat().st_size <= 30 * MB
    original, _ = media.decode(twenty_minutes)
    uploaded, _ = media.decode(out)
    assert np.array_equal(np.round(original * 32768), np.round(uploaded * 32768)), "bit for bit"


@pytest.mark.parametrize("name", ["stt", "speech_translate", "enhance", "separate"])
def test_two_hours_fit_the_100_mb_endpoints(name):
    limit = endpoint(name).upload_limit
    for channels in (1, 2):
        plan = plan_upload(TWO_HOURS, limit_bytes=limit, sample_rate=48000, channels=channels,
                           formats=ACCEPTED_FORMATS.get(name, ("wav", "mp3", "flac")))
        assert not plan.split
        assert plan.encoding.size(TWO_HOURS) <= limit
        assert plan.encoding.kbps is not None and plan.encoding.kbps >= 64, "speech stays clear"


def test_twenty_minutes_at_the_two_hour_rate_come_in_under_a_sixth_of_the_limit(twenty_minutes,
                                                                             tmp_path):
    """The same bytes per second as two hours in 100 MB: a real encode, six times shorter."""
    plan = plan_upload(TWO_HOURS, limit_bytes=100 * MB, sample_rate=16000, channels=1)
    [out] = media.encode_for_upload(twenty_minutes, tmp_path, limit_bytes=100 * MB // 6)
    assert out.suffix == "." + plan.encoding.format
    assert out.stat().st_size <= 100 * MB // 6
    assert media.probe(out).duration == pytest.approx(1200, abs=0.1)


@pytest.mark.slow
def test_a_real_two_hour_recording_encodes_under_100_mb(media_dir, tmp_path):
    src = looped_speech(media_dir, TWO_HOURS, "two-hours.flac")
    [out] = media.encode_for_upload(src, tmp_path, endpoint="stt")
    assert out.stat().st_size <= 100 * MB
    assert media.probe(out).duration == pytest.approx(TWO_HOURS, abs=0.5)


def test_a_tiny_limit_splits_at_pauses_and_stitches_back_to_the_same_length(speech_wav, tmp_path):
    limit = 20_000
    parts = media.encode_for_upload(speech_wav, tmp_path / "up", limit_bytes=limit,
                                    endpoint="voice_convert")
    assert len(parts) >= 3
    assert all(p.stat().st_size <= limit and p.suffix == ".mp3" for p in parts)
    whole, sr = media.decode(speech_wav)
    level = np.sqrt(np.mean(whole ** 2))
    t = 0.0
    for p in parts[:-1]:
        t += media.duration(p) - media.SPLIT_OVERLAP
        around = whole[int((t - 0.01) * sr): int((t + 0.01) * sr)]
        assert np.sqrt(np.mean(around ** 2)) < 0.5 * level, f"cut at {t:.2f}s is in a quiet spot"
    joined = media.stitch(parts, tmp_path / "joined.wav")
    assert media.duration(joined) == pytest.approx(media.duration(speech_wav), abs=0.002)
    back, sr2 = media.decode(joined, sample_rate=sr)
    n = min(len(back), len(whole))
    corr = np.corrcoef(back[:n], whole[:n])[0, 1]
    assert corr > 0.9, "the stitched audio lines up with the original"


def test_an_impossible_limit_says_so(speech_wav, tmp_path):
    with pytest.raises(LimitExceededError, match="cannot hold even one second"):
        media.encode_for_upload(speech_wav, tmp_path, limit_bytes=2_000)
    assert not any(tmp_path.iterdir())


def test_formats_follow_the_endpoint(speech_wav, tmp_path):
    for name in ("voice_convert", "stt"):
        parts = media.encode_for_upload(speech_wav, tmp_path / name, endpoint=name,
                                        limit_bytes=30_000)
        allowed = {"." + f for f in ACCEPTED_FORMATS[name]}
        assert {p.suffix for p in parts} <= allowed


def test_part_durations_are_exact_so_offsets_do_not_drift(speech_wav, tmp_path):
    parts = media.encode_for_upload(speech_wav, tmp_path, limit_bytes=20_000)
    for p in parts:
        samples, sr = media.decode(p)
        assert media.duration(p) == len(samples) / sr
