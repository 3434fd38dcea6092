"""workflows.batch: many items, N at a time, failures kept apart, cancel, and resume."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from ttsai_plugin.errors import Cancelled, MediaError
from ttsai_plugin.jobs import CancelToken
from ttsai_plugin.workflows.batch import BatchItem, BatchLedger, Finished, item_key, run_batch


def _items(tmp_path: Path, n: int) -> list[BatchItem]:
    items = []
    for i in range(n):
        src = tmp_path / f"in{i}.wav"
        src.write_bytes(b"x" * (i + 1))
        out = tmp_path / f"out{i}.wav"
        items.append(BatchItem(i + 1, src.name, item_key("enhance", {"s": 2}, [src], [out]),
                               out))
    return items


def _writer(active: list[int], peak: list[int], lock: threading.Lock, fail: set[int] = set()):
    def work(item, progress, cancel):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            progress(0.5, "half")
            time.sleep(0.05)
            if item.index in fail:
                raise MediaError(f"{item.label} is broken")
            item.payload.write_bytes(b"done")
            return Finished(outputs=[item.payload], credits=2.0)
        finally:
            with lock:
                active[0] -= 1
    return work


def test_runs_n_at_a_time_and_one_failure_does_not_stop_the_rest(tmp_path):
    active, peak, lock = [0], [0], threading.Lock()
    report = run_batch(_items(tmp_path, 9), _writer(active, peak, lock, fail={4}), jobs=3)
    assert peak[0] == 3
    assert [r.status for r in report.results] == ["done"] * 3 + ["failed"] + ["done"] * 5
    assert "in3.wav is broken" in str(report.failed[0].error)
    assert report.credits == 16.0 and report.count("done") == 8


def test_a_rerun_skips_finished_items_whose_outputs_are_unchanged(tmp_path):
    ledger = BatchLedger(tmp_path / "ledger.jsonl")
    items = _items(tmp_path, 4)
    active, peak, lock = [0], [0], threading.Lock()
    run_batch(items, _writer(active, peak, lock, fail={2}), jobs=2, ledger=ledger)
    (tmp_path / "out3.wav").write_bytes(b"changed by hand")  # a changed output is redone

    calls = []
    again = run_batch(items, lambda item, p, c: calls.append(item.index) or Finished(
        outputs=[item.payload]), ledger=BatchLedger(tmp_path / "ledger.jsonl"))
    assert sorted(calls) == [2, 4]
    assert [r.status for r in again.results] == ["skipped", "done", "skipped", "done"]
    assert BatchLedger(tmp_path / "ledger.jsonl").intended(items[1].key)


def test_cancel_stops_new_items_and_reports_cancelled(tmp_path):
    token = CancelToken()

    def work(item, progress, cancel):
        if item.index == 2:
            token.cancel()
            raise Cancelled("stop")
        return Finished()
    report = run_batch(_items(tmp_path, 5), work, jobs=1, cancel=token)
    assert report.cancelled
    assert [r.status for r in report.results] == ["done"] + ["cancelled"] * 4
