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


def test_parts_slower_than_the_first_keep_the_bar_moving_and_the_eta_sane():
    """A narration's first part came back in 10 s; the other two are on a busier service
    and take 60 s. The bar still moves while they run, and the ETA shown grows with the
    overrun: it said 472 s for a job that took 141 s when the running parts stopped at a
    fixed 95 % of the pace's guess."""
    from ttsai_plugin.progress import ProgressTracker
    clock = Clock()
    meter = PartsMeter([100, 100, 100], clock=clock)
    tracker = ProgressTracker(clock=clock)
    for i in range(3):
        meter.started(i)
    shown, etas = [], []
    for second in range(1, 61):
        clock.now += 1
        if second == 10:
            meter.finished(0)
        tracker(meter.share(), "Narrating")
        shown.append(tracker.state.fraction)
        etas.append(tracker.state.eta)
    assert all(b > a for a, b in zip(shown[20::10], shown[30::10])), shown
    assert max(e for e in etas[10:] if e is not None) < 60.0, etas


def test_a_bar_held_still_does_not_send_the_eta_to_hours():
    """The last part of a narration ran long after the others, the bar stood at 88 % (it
    never goes back once a slower pace is learnt), and the ETA shown climbed to 2,000 s
    for a job that took under two minutes."""
    from ttsai_plugin.progress import ProgressTracker
    clock = Clock()
    tracker = ProgressTracker(clock=clock)
    for second in range(1, 121):
        clock.now += 1
        tracker(min(0.88, second / 60), "Narrated 2/3 parts")
    assert tracker.state.eta is not None and tracker.state.eta < 60.0, tracker.state.eta
