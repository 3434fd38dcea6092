"""Dub like a studio: a talk over music is dubbed with the music kept under the new voice and
each sentence placed where it was said (espeak-ng sentences at known times over synthetic
music, made at test time, through the loopback engine)."""
from __future__ import annotations

import hashlib
import json

import pytest
import srt

from ttsai_plugin import media, workflows
from ttsai_plugin.api import TTSAIClient
from ttsai_plugin.cache import ResultCache
from ttsai_plugin.clips import Clip
from ttsai_plugin.errors import APIError
from ttsai_plugin.workflows import Context
from ttsai_plugin.workflows.dub_sentences import MAX_TEMPO, TEMPO_RANGE, fit_line

from tests import media_factory
from tests.studio_checks import correlation, mono, onset, onset_errors
from tests.workflows.conftest import CountingTransport, visible_files

AT = 2.0  # where the clip sits on the timeline


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def talk(media_dir):
    """(mix, true music bed, true sentence spans)."""
    return media_factory.talk_over_music(media_dir)


@pytest.fixture(scope="module")
def shared(engine, tmp_path_factory):
    """One client and one cache for the module: later stories reuse what the first paid for."""
    transport = CountingTransport()
    from ttsai_plugin.local import DEV_KEY
    client = TTSAIClient(api_key=DEV_KEY, base_url=engine.url, plan="pro", transport=transport)
    root = tmp_path_factory.mktemp("studio")
    yield client, transport, ResultCache(root / "cache"), root
    client.close()
    transport.close()


def _ctx(shared, name: str) -> Context:
    client, _t, cache, root = shared
    return Context(client, root / name, cache)


@pytest.fixture(scope="module")
def editor_dub(shared, talk):
    """Blender's call: the bed as its own placement, subtitles, stems copied out."""
    path, _bed, _spans = talk
    before = _sha(path)
    transport = shared[1]
    sent = len(transport.requests)
    ctx = _ctx(shared, "editor")
    result = workflows.dub(ctx, Clip(path, timeline_start=AT, name="talk"), target_language="es",
                           subtitles=True, mix=False, stems_out=ctx.out_dir / "stems")
    return result, transport.requests[sent:], before


def test_dub_a_talk_over_music_keeps_the_music_as_its_own_strip_under_the_dub(editor_dub, talk):
    result, requests, sha_before = editor_dub
    path, true_bed, spans = talk
    bed, voice = result.audio
    assert bed.path.name == "talk_music.bed.wav" and bed.track_offset == 0
    assert voice.path.name == "talk_music.dub-es.voice.wav" and voice.track_offset == 1
    assert bed.start == voice.start == AT and result.mute_source
    assert bed.duration == pytest.approx(media.duration(path), abs=1e-3)
    assert correlation(mono(bed.path), mono(true_bed)) > 0.8
    assert _sha(path) == sha_before                                  # the original is untouched
    assert sum("/separate" in r for r in requests) == 1
    assert sum("/speech-translate" in r for r in requests) == len(spans)   # one call per sentence
    assert any(n.startswith("Background kept") for n in result.notes)
    assert result.mock and result.credits_used > 0


def test_each_dubbed_sentence_starts_within_100_ms_of_the_original(editor_dub, talk):
    result, _r, _s = editor_dub
    path, _bed, spans = talk
    voice = result.audio[1]
    errors = onset_errors(voice.path, [a for a, _b in spans])
    assert all(e is not None and abs(e) <= 0.1 for e in errors), errors
    assert voice.duration == pytest.approx(media.duration(path), abs=0.01)  # the clip's length


def test_the_joined_dub_has_no_clicks_where_lines_start_and_end(editor_dub):
    result, _r, _s = editor_dub
    voice = result.audio[1]
    samples, sr = media.decode(voice.path, mono=True)
    peak = float(abs(samples).max())
    lines = json.loads(next(f for f in result.files if f.suffix == ".json").read_text())["lines"]
    for line in lines:
        for edge in (line["dub_start"], line["dub_end"]):
            i = int(round(edge * sr))
            around = abs(samples[max(0, i - int(0.001 * sr)): i + int(0.001 * sr)])
            assert float(around.max(initial=0.0)) < 0.03 * peak, (line["index"], edge)
        i = int(round(line["dub_start"] * sr))
        assert float(abs(samples[i: i + int(0.04 * sr)]).max()) > 0.03 * peak  # faded in


def test_subtitles_follow_the_sentences_and_both_transcripts_are_kept(editor_dub, talk):
    result, _r, _s = editor_dub
    _path, _bed, spans = talk
    files = {f.name: f for f in result.files}
    transcript = json.loads(files["talk_music.dub-es.transcript.json"].read_text("utf-8"))
    lines = transcript["lines"]
    assert len(lines) == len(spans)
    for line, (start, end) in zip(lines, spans):
        assert line["source_start"] == pytest.approx(start, abs=0.1)
        assert line["original_text"] and line["translated_text"].startswith("[es]")
    assert all(c.track_offset == 2 for c in result.captions)   # over the dub, over the bed
    firsts = [min(c.start for c in result.captions if c.start >= AT + ln["dub_start"] - 1e-6)
              for ln in lines]
    assert firsts == pytest.approx([AT + ln["dub_start"] for ln in lines], abs=0.01)
    original = list(srt.parse(files["talk_music.dub-es.original.srt"].read_text("utf-8")))
    assert [c.start.total_seconds() for c in original][:1] == pytest.approx([spans[0][0]], abs=0.1)
    assert {"talk_music.dub-es.srt", "talk_music.dub-es.vtt"} <= set(files)


def test_stems_out_gets_the_dubbed_voice_the_bed_and_the_original_speech(editor_dub, shared):
    folder = shared[3] / "editor" / "stems"
    assert sorted(p.name for p in folder.iterdir()) == [
        "talk_music.bed.wav", "talk_music.dub-es.voice.wav", "talk_music.vocals.wav"]


def test_for_the_cli_and_obs_the_bed_is_mixed_under_the_dub_in_one_file(editor_dub, shared, talk):
    path, true_bed, spans = talk
    transport = shared[1]
    sent = len(transport.requests)
    result = workflows.dub(_ctx(shared, "cli"), Clip(path, name="talk"), target_language="es")
    assert transport.requests[sent:] == [] and result.cached and result.credits_used == 0
    [mixed] = result.placements
    assert mixed.path.name == "talk_music.dub-es.wav" and mixed.track_offset == 0
    x, bed = mono(mixed.path), mono(true_bed)
    pause = slice(int(spans[0][1] * 16000) + 4000, int(spans[1][0] * 16000) - 2000)
    assert correlation(x[pause], bed[pause]) > 0.8          # the music plays on between lines
    speech = slice(int(spans[1][0] * 16000), int(spans[1][1] * 16000))
    over_bed = (x[speech] ** 2).mean() / (bed[speech] ** 2).mean()
    original = (mono(path)[speech] ** 2).mean() / (bed[speech] ** 2).mean()
    assert over_bed > 1.5 and 0.5 < over_bed / original < 2   # the dub at the original's level


def test_under_the_dub_the_music_is_the_source_s_so_each_line_starts_where_it_was_said(
        editor_dub, shared, talk):
    """What the separation took for voice between the lines (a drum hit REPET did not see
    repeat) is music: it plays in the mix and on the bed strip, never a hole before a line."""
    path, true_bed, spans = talk
    rate = 16000
    mixed = workflows.dub(_ctx(shared, "cli"), Clip(path, name="talk"), target_language="es")
    bed, voice = editor_dub[0].audio
    heard = {"mixed": mono(mixed.placements[0].path), "strips": mono(bed.path) + mono(voice.path)}
    music = mono(true_bed)
    pause = slice(int(spans[0][1] * rate) + 4000, int(spans[1][0] * rate) - 2000)
    for name, x in heard.items():
        new = x - music[: len(x)] * (x[pause] @ music[pause]) / (music[pause] @ music[pause])
        found = [onset(new, rate, start) for start, _end in spans]
        assert all(f is not None and abs(f - s) <= 0.1 for f, (s, _e) in zip(found, spans)), (
            name, found)


def test_one_strip_per_sentence_lets_the_editor_nudge_a_line(editor_dub, shared, talk):
    path, _bed, spans = talk
    transport = shared[1]
    sent = len(transport.requests)
    result = workflows.dub(_ctx(shared, "lines"), Clip(path, timeline_start=AT, name="talk"),
                           target_language="es", mix=False, per_sentence_strips=True)
    assert transport.requests[sent:] == []                    # the same dub, cut differently
    bed, *lines = result.audio
    assert bed.track_offset == 0 and len(lines) == len(spans)
    assert all(x.track_offset == 1 for x in lines)
    for line, (start, _end) in zip(lines, spans):
        assert line.start == pytest.approx(AT + start, abs=0.1)
        assert media.duration(line.path) == pytest.approx(line.duration, abs=1e-3)


def test_speech_alone_is_not_separated_and_is_dubbed_at_its_sentences(shared, media_dir):
    path, _none, spans = media_factory.talk_over_music(media_dir, "talk_dry.wav", bed_db=None)
    transport = shared[1]
    ctx = _ctx(shared, "dry")
    estimate = workflows.estimate(ctx, "dub", clip=Clip(path))
    sent = len(transport.requests)
    result = workflows.dub(ctx, Clip(path), target_language="es")
    requests = transport.requests[sent:]
    assert not any("/separate" in r for r in requests)
    [voice] = result.audio
    assert voice.path.name == "talk_dry.dub-es.wav" and voice.track_offset == 0
    errors = onset_errors(voice.path, [a for a, _b in spans])
    assert all(e is not None and abs(e) <= 0.1 for e in errors), errors
    [said] = [n for n in result.notes if "background" in n.lower()]
    assert said.startswith("No background: the pauses") and said.count(":") == 1, said
    assert estimate.credits == result.credits_used and not estimate.upper_bound


def test_the_estimate_counts_the_separation_and_every_sentence_call(editor_dub, shared, talk):
    path = talk[0]
    ctx = _ctx(shared, "estimate")
    studio = workflows.estimate(ctx, "dub", clip=Clip(path))
    plain = workflows.estimate(ctx, "dub", clip=Clip(path), timing="clip", keep_background=False)
    seconds = media.duration(path)
    assert plain.credits == 5 * 13 and "13 s billed" in plain.detail
    assert "separation" in studio.detail and studio.upper_bound
    assert studio.credits >= 4 * 13 + 5 * 13                  # separation + at least the speech
    assert studio.credits >= editor_dub[0].credits_used       # never less than it then costs
    assert seconds == pytest.approx(13.0)


def test_clip_timing_without_background_is_the_whole_clip_dub_of_before(shared, talk):
    path = talk[0]
    transport = shared[1]
    sent = len(transport.requests)
    ctx = _ctx(shared, "clip")
    workflows.dub(ctx, Clip(path), target_language="es", timing="clip", keep_background=False)
    assert [r for r in transport.requests[sent:] if "/v1/files/" not in r] == [
        "/v1/speech-translate/"]
    assert visible_files(ctx.out_dir) == [ctx.out_dir / "talk_music.dub-es.wav"]


def test_a_language_the_service_refuses_stops_the_dub_with_nothing_left_behind(shared,
                                                                               media_dir):
    path, _none, spans = media_factory.talk_over_music(media_dir, "talk_dry.wav", bed_db=None)
    transport = shared[1]
    sent = len(transport.requests)
    ctx = _ctx(shared, "refused")
    with pytest.raises(APIError, match="language"):
        workflows.dub(ctx, Clip(path), target_language="tlh")
    assert sum("/speech-translate" in r for r in transport.requests[sent:]) <= len(spans)
    assert visible_files(ctx.out_dir) == []


def test_the_lines_are_dubbed_at_once_within_the_plan_and_placed_in_order(engine, media_dir,
                                                                           tmp_path):
    from ttsai_plugin.local import DEV_KEY
    path, _none, spans = media_factory.talk_over_music(media_dir, "talk_dry.wav", bed_db=None)
    transport = CountingTransport()
    seen: list[str] = []
    with TTSAIClient(api_key=DEV_KEY, base_url=engine.url, plan="pro",
                     transport=transport) as client:
        result = workflows.dub(Context(client, tmp_path / "out", progress=lambda f, m:
                                       seen.append(m)), Clip(path), target_language="de")
    assert 1 < transport.peak <= client.plan.concurrent      # in parallel, never past the plan
    lines = json.loads(next(f for f in result.files if f.suffix == ".json").read_text())["lines"]
    assert [ln["index"] for ln in lines] == list(range(1, len(spans) + 1))
    assert [ln["source_start"] for ln in lines] == pytest.approx([a for a, _b in spans], abs=0.1)
    assert any(f"{len(spans)}/{len(spans)}" in m for m in seen), seen


@pytest.mark.parametrize("natural, span, room, tempo, length, reported", [
    (2.2, 2.0, 3.0, 1.1, 2.0, False),              # a natural tempo change fits the span
    (1.0, 2.0, 3.0, TEMPO_RANGE[0], 1.25, False),  # too short: slowed only as far as natural
    (3.0, 2.0, 3.0, TEMPO_RANGE[1], 2.4, False),   # too long: runs into the following pause
    (4.5, 2.0, 3.0, 1.5, 3.0, True),               # no room: the smallest speed-up, reported
    (9.0, 2.0, 3.0, MAX_TEMPO, 3.0, True),         # hopeless: fastest, cut at the next line
])
def test_a_translated_line_is_fitted_by_the_smallest_change(natural, span, room, tempo, length,
                                                            reported):
    fit = fit_line(natural, span, room)
    assert fit.tempo == pytest.approx(tempo) and fit.length == pytest.approx(length)
    assert bool(fit.note) is reported


def test_cancel_between_sentences_leaves_nothing_that_looks_finished(editor_dub, shared, talk):
    from ttsai_plugin.errors import Cancelled
    from ttsai_plugin.jobs import CancelToken
    path = talk[0]
    ctx = _ctx(shared, "cancelled")
    token = CancelToken()
    ctx.cancel, ctx.progress = token, (lambda f, m: token.cancel() if "Dubbing" in m else None)
    with pytest.raises(Cancelled):
        workflows.dub(ctx, Clip(path), target_language="fr")
    assert visible_files(ctx.out_dir) == []
    assert not any(p.name.startswith(".ttsai-work") for p in ctx.out_dir.iterdir())
