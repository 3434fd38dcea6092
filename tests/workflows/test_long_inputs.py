"""Long recordings: a podcast too long for one answer is split at its pauses, the parts go to
the service in parallel within the plan, and the results come back joined to the sample, with
captions in source time that never straddle a cut."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests import media_factory
from ttsai_plugin import media
from ttsai_plugin.clips import Clip
from ttsai_plugin.workflows import (dub, longform, pipeline, transcribe,  # noqa: F401
                                    voice_convert)

SENTENCES = ["Hello and welcome to the show.", "Today we talk about long recordings.",
             "Editors bring whole interviews.", "Streamers bring their entire broadcasts.",
             "Every part must land in the right place.", "Thank you for listening today."]


def podcast(folder: Path, *, pause: float = 1.2, sr: int = 48000) -> tuple[Path, list[tuple[float, float]]]:
    """Espeak sentences separated by digital silence: the file and where speech is."""
    pieces, spans, t = [], [], 0.5
    pieces.append(np.zeros(int(0.5 * sr), np.int16))
    for i, text in enumerate(SENTENCES):
        wav = media_factory.speech(folder, f"s{i}.wav", text=text, sample_rate=sr)
        data, _ = sf.read(str(wav), dtype="int16")
        loud = np.flatnonzero(np.abs(data) > 300)  # espeak pads each sentence with silence
        pieces += [data, np.zeros(int(pause * sr), np.int16)]
        spans.append((t + loud[0] / sr, t + loud[-1] / sr))
        t += (len(data) + int(pause * sr)) / sr
    out = folder / "podcast.wav"
    sf.write(str(out), np.concatenate(pieces), sr, subtype="PCM_16")
    return out, spans


@pytest.fixture
def long_podcast(tmp_path):
    return podcast(_mkdir(tmp_path / "media"))


def _mkdir(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def test_splitting_at_pauses_cuts_in_silence_and_rejoins_to_the_sample(tmp_path, long_podcast):
    path, spans = long_podcast
    parts = longform.split_at_pauses(path, tmp_path / "parts", max_seconds=9.0)
    assert len(parts) >= 3
    for left, right in zip(parts, parts[1:]):
        cut = left.own_end
        assert right.own_start == cut
        assert not any(a < cut < b for a, b in spans), f"cut at {cut:.2f} s is inside speech"
        assert left.seconds <= 9.0 + 1e-6
    source, sr = sf.read(str(path), dtype="int16")
    joined = media.stitch([p.path for p in parts], tmp_path / "joined.wav")
    back, sr2 = sf.read(str(joined), dtype="int16")
    assert sr2 == sr and len(back) == len(source)
    assert np.array_equal(back, source)  # the cuts are in silence: the crossfades add zeros


def test_a_long_interview_is_transcribed_in_parallel_parts_with_captions_in_source_time(
        ctx, transport, long_podcast, monkeypatch):
    path, spans = long_podcast
    monkeypatch.setitem(longform.MAX_PART_SECONDS, "stt", 9.0)
    seen: list[tuple[float, str]] = []
    ctx.progress = lambda f, m: seen.append((f, m))
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    result = transcribe(ctx, Clip(path, timeline_start=100.0, name="interview"))
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before, "the original is untouched"
    total = media.duration(path)
    parts = transport.count("/stt/")
    assert parts >= 3, "a long input goes in parts"
    assert transport.peak > 1, "parts run in parallel"
    cues = result.captions
    assert cues and result.transcript.text
    starts = [c.start for c in cues]
    assert starts == sorted(starts)
    for a, b in zip(cues, cues[1:]):
        assert a.start + a.duration <= b.start + 1e-6, "captions never overlap"
    for c in cues:  # re-timed to the source: every caption begins where someone speaks
        begin = c.start - 100.0
        assert 0.0 <= begin and begin + c.duration <= total + 1e-6
        assert any(a - 0.6 <= begin <= b for a, b in spans), f"caption at {begin:.2f} s is in a pause"
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions), "progress never goes back"
    assert Path(result.files[0]).read_text("utf-8").count("-->") == len(cues)


def test_voice_conversion_of_a_long_take_is_split_and_lines_up_with_the_original(
        ctx, transport, long_podcast, monkeypatch):
    path, _ = long_podcast
    monkeypatch.setitem(longform.MAX_PART_SECONDS, "voice_convert", 4.0)
    clip = Clip(path, source_in=1.0, source_out=11.0, timeline_start=2.0, name="take")
    result = voice_convert(ctx, clip, target_voice="en-us")
    assert transport.count("/voice-convert/") >= 3
    out = result.audio[0]
    info = sf.info(str(out.path))
    assert info.frames == round(10.0 * info.samplerate), "exactly as long as the used range"
    assert out.start == 2.0


def test_dubbing_a_long_talk_sends_back_to_back_parts_and_places_one_dub(
        ctx, transport, long_podcast, monkeypatch):
    path, _ = long_podcast
    monkeypatch.setitem(longform.MAX_PART_SECONDS, "speech_translate", 4.0)
    clip = Clip(path, source_in=0.0, source_out=10.0, timeline_start=5.0, name="talk")
    result = dub(ctx, clip, target_language="es")
    assert transport.count("/speech-translate/") >= 3
    assert len(result.audio) == 1 and result.audio[0].start == 5.0
    assert result.original_text.strip()


def test_pieces_have_no_overlap_when_answers_change_length(tmp_path, long_podcast):
    path, _ = long_podcast
    parts = longform.split_at_pauses(path, tmp_path / "p", max_seconds=9.0,
                                     overlap=longform.overlap_for("speech_translate"))
    frames = sum(sf.info(str(p.path)).frames for p in parts)
    assert frames == sf.info(str(path)).frames


def test_retime_keeps_each_segment_once_and_inside_its_part():
    from ttsai_plugin.api.types import Segment
    parts = longform.parts_of([Path("a"), Path("b")], [10.0, 8.0], 0.05)
    assert parts[1].start == pytest.approx(9.95)
    segs = longform.retime(parts, [[Segment(1.0, 3.0, "one"), Segment(9.96, 9.99, "edge")],
                                   [Segment(0.01, 0.04, "edge"), Segment(2.0, 4.0, "two")]])
    assert [s["text"] for s in segs] == ["one", "edge", "two"]
    assert segs[2]["start"] == pytest.approx(11.95)


def test_fit_length_streams_a_result_to_the_exact_sample(tmp_path):
    sr = 16000
    src = tmp_path / "r.wav"
    sf.write(str(src), np.full(sr * 3, 1000, np.int16), sr, subtype="PCM_16")
    out = pipeline.fit_length(src, 3.5, tmp_path / "fitted.wav")
    data, _ = sf.read(str(out), dtype="int16")
    assert len(data) == int(3.5 * sr) and data[:sr * 3].min() == 1000 and not data[sr * 3:].any()
    short = pipeline.fit_length(src, 1.25, tmp_path / "short.wav")
    assert sf.info(str(short)).frames == int(1.25 * sr)


def test_parts_fill_whole_waves_of_the_plan_concurrency():
    assert longform.part_count(100, 300, 5) == 1
    assert longform.part_count(720, 300, 5) == 5      # one wave instead of 3 uneven parts
    assert longform.part_count(3600, 300, 5) == 15    # three full waves of 240 s
    assert longform.part_count(45, 30, 5) == 2        # never finer than MIN_PART_SECONDS


def test_an_enhance_over_the_upload_limit_goes_in_lossless_parts_and_lines_up(
        ctx, long_podcast, monkeypatch):
    import dataclasses

    from ttsai_plugin.api import paths
    from ttsai_plugin.workflows import enhance
    path, _ = long_podcast
    monkeypatch.setattr(longform, "LOSSLESS_MIN_SECONDS", 3.0)
    limit = 48000 * 2 * 8  # 8 s of the 48 kHz 16-bit mono podcast
    monkeypatch.setitem(paths.ENDPOINTS, "enhance",
                        dataclasses.replace(paths.ENDPOINTS["enhance"], upload_limit=limit))
    sent: list[tuple[Path, float]] = []
    real = ctx.client.enhance

    def spy(file, **kw):
        sent.append((Path(file), sf.info(str(file)).duration))
        return real(file, **kw)
    monkeypatch.setattr(ctx.client, "enhance", spy)
    result = enhance(ctx, Clip(path, timeline_start=0.0, name="pod"))
    assert len(sent) >= 3 and all(p.suffix == ".wav" for p, _ in sent), "lossless parts"
    lengths = [d for _, d in sent]
    assert max(lengths) - min(lengths) < 0.3 * max(lengths), "parts of about equal length"
    out = result.audio[0].path
    assert sf.info(str(out)).frames == sf.info(str(path)).frames
