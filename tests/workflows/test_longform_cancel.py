"""Ctrl-C during a long recording's parallel parts: by the time the job has raised, no part
is still running, so nothing is written into the work folder after it has been removed."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ttsai_plugin.errors import Cancelled
from ttsai_plugin.jobs import CancelToken
from ttsai_plugin.workflows import Context, longform


class _Plan:
    concurrent = 3


class _Client:
    plan = _Plan()


def test_cancel_waits_for_running_parts_before_raising(tmp_path: Path) -> None:
    token = CancelToken()
    ctx = Context(_Client(), tmp_path, cancel=token)
    parts = longform.parts_of([tmp_path / f"p{i}.wav" for i in range(3)], [10.0] * 3, 0.0)
    started = threading.Barrier(4)
    still_running: list[int] = []

    def call(part: longform.Part) -> Path:
        still_running.append(part.index)
        started.wait(timeout=5)
        time.sleep(0.6)  # an upload or a local-engine step that does not poll the token
        out = tmp_path / f"result-{part.index}.wav"
        out.write_bytes(b"x")
        still_running.remove(part.index)
        return out

    threading.Timer(0.1, lambda: (started.wait(timeout=5), token.cancel())).start()
    with pytest.raises(Cancelled):
        longform.run_parts(ctx, parts, call, label="Test")
    assert still_running == [], "a part was still writing after the job had raised"
