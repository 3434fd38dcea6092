"""Parts in flight as a user watches them: the share only grows while parts run, by their
weights, and the elapsed time counts on."""
from __future__ import annotations

from ttsai_plugin.progress import PartsMeter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_four_parts_show_a_share_that_only_grows_and_reaches_the_whole_at_the_end():
    clock = Clock()
    meter = PartsMeter([60, 60, 60, 60], first_guess=0.5, clock=clock)
    meter.started(0)
    meter.started(1)
    shown = []
    for _ in range(20):
        clock.now += 1
        shown.append(meter.reading().share)
    assert 0 < shown[0] < shown[-1] < 0.5  # running parts creep, never claimed done
    meter.finished(0)
    meter.finished(1)
    assert meter.reading().share == 0.5
    meter.started(2)
    meter.started(3)
    for _ in range(15):
        clock.now += 1
        reading = meter.reading()
        shown.append(reading.share)
    assert shown == sorted(shown) and 0.5 < shown[-1] < 1.0
    assert reading.elapsed == 35.0
    meter.finished(2)
    meter.finished(3)
    assert meter.reading().share == 1.0
