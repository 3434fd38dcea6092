"""Clip workflows on real media through the loopback engine: only the used range is processed,
results line up with the clip on the timeline, repeats are free and cancels leave nothing."""
from __future__ import annotations

import dataclasses

import pytest
import srt

from ttsai_plugin import media, workflows
from ttsai_plugin.clips import Clip
from ttsai_plugin.errors import Cancelled, InputError
from ttsai_plugin.jobs import CancelToken

from tests import media_factory
from tests.workflows.conftest import all_files, visible_files


def trimmed(path, start=1.0, end=4.0, at=10.0) -> Clip:
    return Clip(path, source_in=start, source_out=end, timeline_start=at, name="take")


@pytest.mark.parametrize("operation, options, suffix", [
    ("enhance", {"strength": 3}, ".enhanced.wav"),
    ("dereverb", {"type": "reverb", "intensity": 4}, ".dereverb.wav"),
])
def test_cleanup_result_is_aligned_with_the_used_range(ctx, noisy_wav, operation, options, suffix):
    clip = trimmed(noisy_wav)
    result = getattr(workflows, operation)(ctx, clip, **options)
    [p] = result.placements
    assert p.start == 10.0 and p.track_offset == 0 and p.kind == "audio"
    assert p.duration == pytest.approx(3.0, abs=1e-3)
    assert media.duration(p.path) == pytest.approx(3.0, abs=1e-3)
    assert p.path.name == f"noisy@1-4s{suffix}" and p.path.parent == ctx.out_dir
    assert result.mute_source and result.credits_used > 0
    assert visible_files(ctx.out_dir) == [p.path]
    assert noisy_wav.stat().st_size > 0  # the original is untouched


def test_stems_one_track_each_as_long_as_the_range(ctx, music_wav):
    result = workflows.split_stems(ctx, trimmed(music_wav, 2.0, 8.0, at=5.0), stems=2)
    names = [p.path.stem for p in result.placements]
    assert names == ["vocals", "accompaniment"]
    assert [p.track_offset for p in result.placements] == [0, 1]
    for p in result.placements:
        assert p.start == 5.0 and p.duration == pytest.approx(6.0, abs=1e-3)
        assert p.path.parent.name == "music@2-8s.stems"


def test_transcribe_writes_valid_srt_and_vtt_with_captions_inside_the_clip(ctx, talk_mp4):
    clip = Clip(talk_mp4, source_in=0.5, source_out=6.0, timeline_start=20.0)
    result = workflows.transcribe(ctx, clip)
    srt_file, vtt_file = result.files
    assert srt_file.suffix == ".srt" and vtt_file.suffix == ".vtt"
    subs = list(srt.parse(srt_file.read_text("utf-8")))
    assert subs, "no captions"
    starts = [s.start.total_seconds() for s in subs]
    assert starts == sorted(starts)
    assert all(0 <= s.start.total_seconds() < s.end.total_seconds() <= 5.5 for s in subs)
    assert vtt_file.read_text("utf-8").startswith("WEBVTT")
    caps = result.captions
    assert len(caps) == len(subs) and not result.mute_source
    assert all(20.0 <= c.start and c.end <= 25.5 + 1e-6 and c.text for c in caps)
    assert result.transcript.text.strip()


def test_dub_into_spanish_is_fitted_keeps_both_texts_and_says_it_is_mocked(ctx, talk_mp4):
    clip = Clip(talk_mp4, timeline_start=3.0)
    source_seconds = clip.validate().source_out
    result = workflows.dub(ctx, clip, target_language="es", subtitles=True)
    audio = result.audio[0]
    assert audio.path.name == "talk.dub-es.wav" and audio.start == 3.0
    if any("Kept the dub's natural length" in n for n in result.notes):
        pytest.fail(f"the engine's dub could not be fitted: {result.notes}")
    assert audio.duration == pytest.approx(source_seconds, abs=0.01)
    assert result.original_text.strip() and result.translated_text.strip()
    assert result.mock  # translation cannot be real offline: the label says so
    assert result.captions and all(c.track_offset == 1 for c in result.captions)
    assert {f.suffix for f in result.files} == {".wav", ".srt", ".vtt", ".json"}  # + transcript


def test_analyze_returns_key_and_tempo_and_places_nothing(ctx, music_wav):
    result = workflows.analyze(ctx, Clip(music_wav))
    assert result.placements == [] and not result.mute_source
    assert result.analysis.bpm == pytest.approx(120, abs=3)


def test_a_repeat_costs_no_request(ctx, transport, noisy_wav):
    first = workflows.enhance(ctx, trimmed(noisy_wav))
    kept = first.placements[0].path.read_bytes()
    requests = len(transport.requests)
    second = workflows.enhance(ctx, trimmed(noisy_wav))
    assert len(transport.requests) == requests
    assert second.cached and second.credits_used == 0
    assert second.placements[0].path == first.placements[0].path
    third = workflows.enhance(ctx, trimmed(noisy_wav), strength=1)  # other options: asked again
    assert len(transport.requests) > requests and not third.cached
    assert third.placements[0].path.read_bytes() != kept      # a gentler clean-up, another sound
    assert third.placements[0].path != first.placements[0].path  # never overwrites a result
    assert first.placements[0].path.read_bytes() == kept


def test_cancel_between_steps_leaves_no_partial_file(ctx, transport, speech_wav):
    token = CancelToken()
    ctx.cancel, ctx.progress = token, (lambda f, m: token.cancel() if "Enhanced" in m else None)
    with pytest.raises(Cancelled):
        workflows.enhance(ctx, trimmed(speech_wav))
    assert all_files(ctx.out_dir) == []


def test_stream_mic_cleanup_preset_ends_at_minus_16_lufs(ctx, noisy_wav):
    result = workflows.run_preset(ctx, "stream-mic-cleanup", clip=trimmed(noisy_wav, 0.0, None, 0.0))
    [p] = result.placements
    assert p.path.name == "noisy.stream-mic-cleanup.wav"
    assert p.duration == pytest.approx(media.duration(noisy_wav), abs=1e-3)
    assert media.loudness(p.path) == pytest.approx(-16.0, abs=0.5)
    assert visible_files(ctx.out_dir) == [p.path]


def test_bad_clips_are_input_errors_before_any_request(ctx, transport, media_dir):
    silent = media_factory.video_without_audio(media_dir)
    with pytest.raises(InputError, match="no audio"):
        workflows.enhance(ctx, Clip(silent))
    with pytest.raises(InputError):
        workflows.enhance(ctx, Clip(media_dir / "missing.wav"))
    assert transport.requests == []


def test_a_clip_over_the_upload_limit_is_sent_in_parts_and_comes_back_whole(ctx, transport,
                                                                           speech_wav, monkeypatch):
    from ttsai_plugin.api import paths
    small = dataclasses.replace(paths.ENDPOINTS["enhance"], upload_limit=16_000)
    monkeypatch.setitem(paths.ENDPOINTS, "enhance", small)
    clip = Clip(speech_wav, timeline_start=1.0)
    result = workflows.enhance(ctx, clip)
    assert transport.count("/audio/enhance/") >= 2, "the clip was not split"
    [p] = result.placements
    assert p.duration == pytest.approx(media.duration(speech_wav), abs=1e-3)
    samples, sr = media.decode(p.path, mono=True)
    assert float(abs(samples).max()) > 0.05  # speech came back, not silence


def test_voice_conversion_and_restyle_keep_the_clip_aligned(ctx, speech_wav):
    clip = trimmed(speech_wav, 0.5, 3.5, at=2.0)
    converted = workflows.voice_convert(ctx, clip, target_voice="af_bella")
    restyled = workflows.restyle(ctx, clip, voice="af_bella", emotion="happy")
    for result, name in ((converted, "speech@0.5-3.5s.voice-af_bella.wav"),
                         (restyled, "speech@0.5-3.5s.restyle-af_bella-happy.wav")):
        [p] = result.placements
        assert p.path.name == name and p.start == 2.0
        assert p.duration == pytest.approx(3.0, abs=1e-3)


def test_narration_in_a_cloned_voice_is_labelled_when_mocked(ctx, speech_wav):
    result = workflows.narrate(ctx, "This should sound like the reference speaker.",
                               reference=speech_wav)
    [p] = result.placements
    assert p.path.name.endswith(".narration-clone.wav") and p.duration > 0.5
    assert result.mock and "clon" in result.mock.lower()
    assert any("10–30 s" in n for n in result.notes)  # the reference is under 10 s


def test_work_folders_left_by_a_killed_process_are_swept_later(ctx, music_wav):
    import os
    import time
    old, young = ctx.out_dir / ".ttsai-work-crashed", ctx.out_dir / ".ttsai-work-running"
    for folder in (old, young):
        (folder / "chunk").mkdir(parents=True)
    day_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (day_ago, day_ago))
    workflows.analyze(ctx, Clip(music_wav))
    assert not old.exists() and young.exists()
