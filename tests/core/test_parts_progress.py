"""Parts in flight as a user watches them: the share only grows, and an ETA appears once the
first part has shown the pace, then counts towards the end."""
from __future__ import annotations

from ttsai_plugin.progress import PartsMeter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_four_parts_show_growing_share_and_an_eta_only_after_the_first_finishes():
    clock = Clock()
    meter = PartsMeter([60, 60, 60, 60], first_guess=0.5, clock=clock)
    meter.started(0)
    meter.started(1)
    shown = []
    for _ in range(20):
        clock.now += 1
        reading = meter.reading()
        shown.append(reading.share)
        assert reading.left == ""  # nothing finished: the pace is a guess, no ETA claimed
    meter.finished(0)
    meter.finished(1)
    meter.started(2)
    meter.started(3)
    lefts = []
    for _ in range(15):
        clock.now += 1
        reading = meter.reading()
        shown.append(reading.share)
        lefts.append(reading.left)
    assert shown == sorted(shown) and 0.4 < shown[-1] < 1.0
    assert all(text.endswith(" left") for text in lefts[2:]), lefts
    assert reading.elapsed == 35.0
    meter.finished(2)
    meter.finished(3)
    assert meter.reading().share == 1.0
