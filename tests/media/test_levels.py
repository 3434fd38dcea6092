"""Levels streamed from a file: the same figures as the samples in memory, for just the range
asked, and an hour-scale recording analysed without its samples ever being held."""
from __future__ import annotations

import subprocess
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from tests import media_factory
from ttsai_plugin import media
from ttsai_plugin.clips import Clip
from ttsai_plugin.media.levels import file_levels, frame_levels
from ttsai_plugin.workflows import captions, dub_background
from ttsai_plugin.workflows.dub_sentences import find_lines, find_lines_in_file


@pytest.fixture(scope="module")
def speech(tmp_path_factory) -> Path:
    return media_factory.speech(tmp_path_factory.mktemp("levels"))


def test_levels_streamed_from_a_recording_match_its_samples(speech):
    samples, sr = media.decode(speech, sample_rate=16000, mono=True)
    whole = frame_levels(samples, sr, 0.02)
    streamed = file_levels(speech, sample_rate=16000, frame=0.02)
    assert len(streamed) == len(whole)
    heard = whole > -60
    assert np.abs(streamed[heard] - whole[heard]).max() < 0.5
    assert find_lines_in_file(speech) == find_lines(samples, sr)


def test_levels_of_a_range_are_that_stretch_of_the_whole(speech):
    whole = file_levels(speech, sample_rate=16000, frame=0.02)
    part = file_levels(speech, sample_rate=16000, frame=0.02, start=1.0, end=2.0)
    assert len(part) == 50
    heard = whole[50:100] > -60
    assert np.abs(part[heard] - whole[50:100][heard]).max() < 0.5


def _twenty_minutes_of_talk(folder: Path) -> Path:
    """Two seconds of tone, one of near silence, for 20 minutes (16 kHz mono, 38 MB)."""
    out = folder / "talk-20min.wav"
    subprocess.run([media_factory.ffmpeg(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    "sine=f=300:sample_rate=16000:duration=1200", "-af",
                    "volume='if(lt(mod(t,3),2),0.5,0.0005)':eval=frame", "-ac", "1", str(out)],
                   check=True, timeout=300)
    return out


def test_a_twenty_minute_talk_is_analysed_without_holding_its_samples(tmp_path):
    """Finding the lines to dub, whether there is a bed, and where captions can go: each
    holds the frame levels (under 1 MB), where the samples alone would be 77 MB."""
    talk = _twenty_minutes_of_talk(tmp_path)
    clip = Clip(talk, name="talk")
    tracemalloc.start()
    try:
        lines = find_lines_in_file(talk)
        spans = captions.speech_spans_in_file(talk)
        check = dub_background.detect(_NoCache(), clip)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(lines) == 400 and abs(lines[1].start - 3.0) < 0.03
    assert len(spans) == 400
    assert not check.has_bed
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.1f} MB"


class _NoCache:
    """The little of a workflow context that ``detect`` reads."""

    cache = None
    cancel = None
