"""Where a dubbed line is placed comes from where the source line starts: a note's attack left
in the speech stem just before a line must not pull the line (and so its dub) early, while a
word's short opening sound stays part of the line."""
from __future__ import annotations

import numpy as np
import pytest

from ttsai_plugin.workflows.dub_sentences import find_lines

RATE = 16000


def _tone(seconds: float, level: float, freq: float = 300.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _at(track: np.ndarray, start: float, piece: np.ndarray) -> None:
    i = int(start * RATE)
    track[i:i + len(piece)] += piece


def test_a_short_hit_before_a_line_does_not_start_it_early():
    track = np.zeros(int(4 * RATE), np.float32)
    hit = _tone(0.1, 0.1, 2000.0) * np.exp(-np.linspace(0, 3, int(0.1 * RATE)))
    _at(track, 1.0, hit.astype(np.float32))            # a note's attack, 0.25 s before
    _at(track, 1.35, _tone(1.2, 0.5))                  # the spoken line
    [line] = find_lines(track, RATE)
    assert abs(line.start - 1.35) <= 0.02, line


def test_a_line_opening_with_a_short_sound_keeps_it():
    track = np.zeros(int(4 * RATE), np.float32)
    _at(track, 1.0, _tone(0.1, 0.5))                   # "p" of "please", a closure after it
    _at(track, 1.14, _tone(1.0, 0.5))
    [line] = find_lines(track, RATE)
    assert abs(line.start - 1.0) <= 0.02, line


def test_a_line_is_sent_with_less_context_when_that_bills_a_second_less():
    from ttsai_plugin.workflows.dub_sentences import MIN_PAD, PAD, Span, line_pieces
    spans = [Span(1.0, 2.85), Span(5.0, 6.0)]
    (a, b), (c, d) = line_pieces(spans, 10.0)
    assert b - a < 2.0 and a <= 1.0 - MIN_PAD and b >= 2.85 + MIN_PAD   # 2 s billed, not 3
    assert (c, d) == (5.0 - PAD, 6.0 + PAD)     # 1.24 s costs 2 s however narrow: kept whole


def test_the_first_line_is_sent_before_every_line_is_cut(tmp_path):
    """An hour has ~650 lines: cutting them all before the first request held the dub (and
    its progress) still for minutes; each worker now cuts the line it sends."""
    import threading
    from types import SimpleNamespace

    from ttsai_plugin import media
    from ttsai_plugin.api.limiter import PLANS
    from ttsai_plugin.workflows import Context
    from ttsai_plugin.workflows.dub_sentences import dub_lines

    track = np.zeros(int(12 * RATE), np.float32)
    starts = [0.5 + 1.4 * k for k in range(8)]
    for start in starts:
        _at(track, start, _tone(0.8, 0.5))
    speech = media.write_wav(track, RATE, tmp_path / "talk.wav")
    work = tmp_path / "work"
    work.mkdir()
    cut_when_first_sent: list[int] = []
    lock = threading.Lock()

    def translate(piece, out):
        with lock:
            if not cut_when_first_sent:
                cut_when_first_sent.append(len(list(work.glob("line-[0-9][0-9][0-9].wav"))))
        media.write_wav(_tone(0.6, 0.3), RATE, out)
        return SimpleNamespace(path=out, original_text="a", translated_text="b")

    ctx = Context(SimpleNamespace(plan=PLANS["pro"]), tmp_path / "out")
    dubbed = dub_lines(ctx, speech, 12.0, work, translate)
    assert [round(x.source_start, 1) for x in dubbed.lines] == [round(s, 1) for s in starts]
    assert cut_when_first_sent[0] <= PLANS["pro"].concurrent < len(starts)


def test_each_line_is_fitted_while_the_next_ones_are_being_sent(tmp_path):
    """Fitting an hour's ~650 answers one after another took minutes after the last answer;
    each worker now fits the line it fetched, while the plan's window holds the next ones."""
    from types import SimpleNamespace

    from ttsai_plugin import media
    from ttsai_plugin.api.limiter import PlanLimits
    from ttsai_plugin.workflows import Context
    from ttsai_plugin.workflows.dub_sentences import dub_lines

    track = np.zeros(int(8 * RATE), np.float32)
    for k in range(4):
        _at(track, 0.5 + 1.8 * k, _tone(1.0, 0.5))
    speech = media.write_wav(track, RATE, tmp_path / "talk.wav")
    work = tmp_path / "work"
    work.mkdir()
    fitted_when_sent: list[int] = []

    def translate(piece, out):
        fitted_when_sent.append(len(list(work.glob("line-*.trimmed.wav"))))
        media.write_wav(_tone(1.3, 0.3), RATE, out)      # too long: each is sped up to fit
        return SimpleNamespace(path=out, original_text="a", translated_text="b")

    one_at_a_time = SimpleNamespace(plan=PlanLimits("one", 60, 1, 100))
    dubbed = dub_lines(Context(one_at_a_time, tmp_path / "out"), speech, 8.0, work, translate)
    assert fitted_when_sent == [0, 1, 2, 3]
    assert [x.tempo for x in dubbed.lines] == [pytest.approx(1.25, abs=0.06)] * 4
    assert all(x.dub_end - x.dub_start == pytest.approx(1.0, abs=0.05) for x in dubbed.lines)
