"""Clips: the used range of some media, checked against the media before anything is paid for."""
from __future__ import annotations

import pytest
import soundfile as sf

from tests import media_factory
from ttsai_plugin.clips import Clip, Placement
from ttsai_plugin.errors import InputError


def test_a_trimmed_clip_knows_its_length_and_extracts_only_that(talk_mp4, tmp_path):
    clip = Clip(talk_mp4, source_in=2.0, source_out=5.0, timeline_start=10.0, track=3)
    assert clip.name == "talk" and clip.duration == 3.0 and clip.timeline_end == 13.0
    out = clip.extract(tmp_path / "used.wav")
    assert sf.info(str(out)).frames == 3 * 48000


def test_an_open_ended_clip_runs_to_the_end_of_its_media(talk_mp4):
    clip = Clip(talk_mp4, source_in=1.0)
    assert clip.duration == pytest.approx(clip.media_duration - 1.0)
    checked = clip.validate()
    assert checked.source_out == pytest.approx(clip.media_duration)


@pytest.mark.parametrize("kwargs, words", [
    ({"source_in": -1.0}, "before 0"),
    ({"source_in": 3.0, "source_out": 3.0}, "empty range"),
    ({"audio_stream": -1}, "audio_stream"),
])
def test_impossible_clips_are_refused_at_once(talk_mp4, kwargs, words):
    with pytest.raises(InputError, match=words):
        Clip(talk_mp4, **kwargs)


def test_validate_catches_ranges_and_streams_the_media_does_not_have(talk_mp4, tmp_path):
    with pytest.raises(InputError, match="only"):
        Clip(talk_mp4, source_in=1.0, source_out=60.0).validate()
    with pytest.raises(InputError, match="only"):
        Clip(talk_mp4, source_in=30.0).validate()
    with pytest.raises(InputError, match="stream 1 does not exist"):
        Clip(talk_mp4, audio_stream=1).validate()
    with pytest.raises(InputError, match="has no audio stream"):
        Clip(media_factory.video_without_audio(tmp_path)).validate()
    with pytest.raises(InputError, match="does not exist"):
        Clip(tmp_path / "moved-away.mp4").validate()


def test_placements_describe_audio_and_captions(tmp_path):
    audio = Placement(tmp_path / "dub.wav", start=10.0, duration=3.5, track_offset=1, name="dub")
    assert audio.kind == "audio" and audio.end == 13.5
    caption = Placement(tmp_path / "talk.srt", 1.0, 2.0, 2, "line 1", kind="caption", text="Hello")
    assert caption.text == "Hello"
    with pytest.raises(ValueError, match="needs text"):
        Placement(tmp_path / "x.srt", 0.0, 1.0, 1, "c", kind="caption")
    with pytest.raises(ValueError, match="kind"):
        Placement(tmp_path / "x.wav", 0.0, 1.0, 1, "c", kind="video")
