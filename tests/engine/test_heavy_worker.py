"""A client's parallel parts are processed one at a time on the engine's one heavy-work thread:
memory stays one part's (and one allocator arena's), whatever the number of request threads."""
from __future__ import annotations

import threading
import time

import httpx
import numpy as np
import pytest

from ttsai_plugin.api._inprocess import InProcessTransport
from ttsai_plugin.local import DEV_KEY, EngineConfig, create_app, worker
from ttsai_plugin.local.processing import blockwise, recognition, reverb
from tests.engine.test_long_uploads import talk_like, wav_bytes

PARTS = 3


class Seen:
    """Which threads ran the work, and how many ran at once at most."""

    def __init__(self, hold: float = 0.05) -> None:
        self.hold = hold  # long enough for parallel callers to overlap
        self.threads: set[int] = set()
        self.running = self.most = 0
        self.lock = threading.Lock()

    def wrap(self, fn):
        def watched(*args, **kwargs):
            with self.lock:
                self.threads.add(threading.get_ident())
                self.running += 1
                self.most = max(self.most, self.running)
            try:
                time.sleep(self.hold)
                return fn(*args, **kwargs)
            finally:
                with self.lock:
                    self.running -= 1
        return watched


def post_parallel(tmp_path, path: str, **form) -> set[int]:
    """``PARTS`` long uploads posted at once from their own threads (as a client's parts are);
    every answer is a 200; returns the posting threads' ids."""
    app = create_app(EngineConfig(blocks=blockwise.Blocks(seconds=4.0, dereverb_seconds=4.0),
                                  async_threshold_seconds=1e9, data_dir=tmp_path / "engine"))
    data = wav_bytes(talk_like(10.0))
    posters: set[int] = set()
    failures: list[str] = []
    start = threading.Barrier(PARTS)

    def one() -> None:
        posters.add(threading.get_ident())
        with httpx.Client(transport=InProcessTransport(app), base_url="http://engine.local/",
                          headers={"Authorization": f"Bearer {DEV_KEY}"}, timeout=120) as c:
            start.wait()
            r = c.post(path, files={"file": ("talk.wav", data, "audio/wav")}, data=form)
            r.read()
            if r.status_code != 200:
                failures.append(r.text)

    threads = [threading.Thread(target=one) for _ in range(PARTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    return posters


def test_parallel_long_uploads_run_their_blocks_on_one_thread_one_at_a_time(tmp_path,
                                                                            monkeypatch):
    seen = Seen()
    monkeypatch.setattr(reverb, "dereverb_channels", seen.wrap(reverb.dereverb_channels))
    posters = post_parallel(tmp_path, "v1/audio/dereverb/", type="reverb")
    assert len(seen.threads) == 1 and not seen.threads & posters
    assert seen.most == 1


def _no_words(speech, **_):
    return {"text": "", "language": "en", "duration": speech.duration, "segments": []}


def test_parallel_whisper_transcriptions_take_turns_on_the_same_thread(tmp_path, monkeypatch):
    seen = Seen()
    monkeypatch.setattr(recognition, "backend", lambda language=None: "whisper")
    monkeypatch.setattr(recognition, "recognize", seen.wrap(_no_words))
    posters = post_parallel(tmp_path, "v1/stt/")
    assert len(seen.threads) == 1 and not seen.threads & posters
    assert seen.most == 1


def test_classical_transcriptions_run_side_by_side_on_their_own_threads(tmp_path, monkeypatch):
    """pocketsphinx holds little and uses one core: queueing its parts would only halve the
    speed of a long transcription on a two-core machine."""
    seen = Seen(hold=0.5)
    monkeypatch.setattr(recognition, "backend", lambda language=None: "pocketsphinx")
    monkeypatch.setattr(recognition, "recognize", seen.wrap(_no_words))
    posters = post_parallel(tmp_path, "v1/stt/")
    assert seen.threads == posters
    assert seen.most > 1


def test_the_heavy_thread_hands_back_results_and_errors_and_runs_nested_jobs_at_once():
    assert worker.run(lambda a, b: a + b, 2, b=3) == 5
    assert worker.run(lambda: worker.run(threading.get_ident)) == worker.run(threading.get_ident)
    with pytest.raises(ZeroDivisionError):
        worker.run(lambda: 1 / 0)
    assert worker.run(lambda: np.arange(3).sum()) == 3
