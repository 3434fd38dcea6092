"""Splitting scripts for narration and writing subtitles: the pure parts of the workflows."""
from __future__ import annotations

import numpy as np
import pytest
import srt

from ttsai_plugin.errors import InputError
from ttsai_plugin.workflows import captions
from ttsai_plugin.workflows.textsplit import PARAGRAPH_PAUSE, SENTENCE_PAUSE, split_text


def test_a_long_script_splits_at_sentence_ends_under_the_limit_and_keeps_every_word():
    sentences = [f"Sentence number {i} talks about topic {i * 7}." for i in range(600)]
    text = " ".join(sentences)
    chunks = split_text(text, 5000)
    assert len(chunks) >= len(text) // 5000
    assert all(len(c.text) <= 5000 for c in chunks)
    assert all(c.text.endswith(".") for c in chunks)
    assert " ".join(c.text for c in chunks) == text


def test_paragraph_breaks_get_a_longer_pause_than_sentences():
    chunks = split_text("First paragraph. Still first.\n\nSecond paragraph here.", 5000)
    assert [c.text for c in chunks] == ["First paragraph. Still first.", "Second paragraph here."]
    assert chunks[0].pause_after == PARAGRAPH_PAUSE > SENTENCE_PAUSE
    assert chunks[-1].pause_after == 0.0


def test_an_overlong_sentence_is_cut_at_a_clause_then_between_words():
    clause = "alpha beta gamma delta, " * 10 + "omega"
    chunks = split_text(clause, 60)
    assert all(len(c.text) <= 60 for c in chunks)
    assert all(c.text.endswith(",") for c in chunks[:-1])
    words = " ".join(["word"] * 100) + "."
    chunks = split_text(words, 50)
    assert all(len(c.text) <= 50 and not c.text.startswith(" ") for c in chunks)
    assert " ".join(c.text for c in chunks).split() == words.split()


def test_rtl_cjk_and_emoji_text_split_without_breaking_characters():
    arabic = "مرحبا بكم في العرض. " * 40 + "شكرا لكم؟"
    chunks = split_text(arabic, 100)
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(c.text.endswith((".", "؟")) for c in chunks)
    family = "👩\u200d👩\u200d👧"
    chunks = split_text(family * 30, 25)
    assert "".join(c.text for c in chunks) == family * 30
    assert all(not c.text.startswith("\u200d") and not c.text.endswith("\u200d") for c in chunks)
    cjk = "你好。世界！" * 20
    assert "".join(c.text for c in split_text(cjk, 30)) == cjk


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_an_input_error(text):
    with pytest.raises(InputError):
        split_text(text, 5000)


def test_srt_and_vtt_are_valid_ordered_and_clipped_to_the_range(tmp_path):
    cues = captions.clip_cues([captions.Cue(3.0, 5.5, "second"), captions.Cue(-1, 2.0, "first"),
                               captions.Cue(5.0, 9.0, "overlaps and runs past the end"),
                               captions.Cue(8.0, 8.1, "after the end")], duration=7.0)
    assert [(c.start, c.end) for c in cues] == [(0.0, 2.0), (3.0, 5.5), (5.5, 7.0)]
    path = captions.write_srt(cues, tmp_path / "a.srt")
    parsed = list(srt.parse(path.read_text("utf-8")))
    assert [s.content for s in parsed] == ["first", "second", "overlaps and runs past the end"]
    assert parsed[-1].end.total_seconds() == 7.0
    vtt = captions.write_vtt(cues, tmp_path / "a.vtt").read_text("utf-8")
    assert vtt.startswith("WEBVTT\n\n")
    assert "00:00:05.500 --> 00:00:07.000" in vtt


def test_text_without_timing_is_spread_over_the_audio_by_length():
    cues = captions.spread_text("Short one. A much longer second sentence follows here.", 10.0)
    assert len(cues) == 2 and cues[0].start == 0.0 and cues[-1].end == 10.0
    assert cues[0].end - cues[0].start < cues[1].end - cues[1].start


def test_untimed_captions_stay_on_the_speech_and_off_the_silences():
    sr = 16000
    t = np.arange(sr * 6) / sr
    audio = np.where(((t > 1) & (t < 2.5)) | ((t > 4) & (t < 5.5)), np.sin(2 * np.pi * 220 * t), 0)
    spans = captions.speech_spans(audio.astype(np.float32), sr)
    assert [(round(a, 2), round(b, 2)) for a, b in spans] == [(1.0, 2.5), (4.0, 5.5)]
    cues = captions.spread_text("First half here. Second half too.", 6.0, spans=spans)
    assert cues[0].start == pytest.approx(1.0, abs=0.03)
    assert cues[-1].end == pytest.approx(5.5, abs=0.03)


def test_many_short_paragraphs_are_packed_when_they_would_take_too_many_requests():
    text = "\n\n".join(f"Paragraph {i} is short." for i in range(100))
    assert len(split_text(text, 5000)) == 100
    packed = split_text(text, 5000, max_chunks=30)
    assert len(packed) == 1 and packed[0].text.count("\n\n") == 99
    assert packed[0].text.replace("\n\n", " ").split() == text.split()
