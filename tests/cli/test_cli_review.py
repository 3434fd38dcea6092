"""Odd but plausible things users type, found in a hands-on review: each story here once went
wrong (a wrong figure, a misleading message) and now does what the user meant."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests import media_factory
from tests.cli.test_cli import env, one_line_error, ttsai  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.timeout(300)


@pytest.fixture
def two_tracks(talk_mp4, music_wav, tmp_path):
    """A video whose second audio track (4 s of music) is shorter than its speech track."""
    out = tmp_path / "two-tracks.mp4"
    subprocess.run([media_factory.ffmpeg(), "-v", "error", "-y", "-i", talk_mp4, "-t", "4", "-i", music_wav,
                    "-map", "0:v", "-map", "0:a", "-map", "1:a", "-c:v", "copy",
                    "-c:a", "aac", out], check=True)
    return out


def test_the_estimate_for_a_second_audio_track_bills_that_tracks_length(env, two_tracks):
    from ttsai_plugin import media
    assert media.duration(two_tracks) > 8
    est = json.loads(ttsai(env, "estimate", "enhance", two_tracks, "--stream", "1",
                           "--json").stdout)
    assert est["credits"] == 2 * 4  # 4 s at 2 credits a second, not the 9 s speech track
