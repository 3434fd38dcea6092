"""Background jobs as a host sees them: progress, cancel, errors, and results on the main thread."""
from __future__ import annotations

import queue
import subprocess
import threading
import time

import pytest

from tests import media_factory
from ttsai_plugin import media
from ttsai_plugin.errors import Cancelled, InputError, TTSAIError
from ttsai_plugin.jobs import CancelToken, Job, JobRunner, JobState, StepProgress


class FakeHost:
    """A host main loop: ``on_main`` queues callables, ``drain`` runs them on this thread."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.get_ident()

    def on_main(self, fn) -> None:
        self.queue.put(fn)

    def drain(self, timeout: float = 5.0) -> None:
        self.queue.get(timeout=timeout)()


def test_a_job_reports_progress_and_hands_its_result_to_the_main_thread():
    host = FakeHost()
    seen = []
    started, release = threading.Event(), threading.Event()

    def work(n, progress, cancel):
        progress(0.5, "Halfway")
        started.set()
        release.wait(5)
        return n * 2

    with JobRunner(max_workers=1, on_main=host.on_main) as runner:
        job = runner.submit(work, 21, label="Dub",
                            on_done=lambda j: seen.append((j.result, threading.get_ident())))
        assert started.wait(5)
        assert job.state is JobState.RUNNING and job.progress == (0.5, "Halfway")
        release.set()
        assert job.wait(5) == 42 and job.state is JobState.DONE and job.progress[0] == 1.0
        assert seen == [], "nothing reaches the host until its main loop runs"
        host.drain()
        assert seen == [(42, host.thread)]


def test_errors_become_ttsai_errors_on_the_job():
    with JobRunner() as runner:
        bad_input = runner.submit(lambda: (_ for _ in ()).throw(InputError("no text")))
        bug = runner.submit(lambda: 1 / 0, label="Narrate")
        with pytest.raises(InputError, match="no text"):
            bad_input.wait(5)
        with pytest.raises(TTSAIError, match="Narrate failed: ZeroDivisionError") as caught:
            bug.wait(5)
        assert isinstance(caught.value.__cause__, ZeroDivisionError)
        assert bug.state is JobState.FAILED


def long_recording(folder, minutes=10):
    out = folder / "long.flac"
    subprocess.run([media_factory.ffmpeg(), "-y", "-v", "error", "-f", "lavfi", "-i",
                    f"anoisesrc=d={minutes * 60}:c=pink:r=16000:a=0.1", "-c:a", "flac", str(out)],
                   check=True)
    return out


def test_cancelling_a_running_job_stops_ffmpeg_and_leaves_no_partial_file(tmp_path):
    src = long_recording(tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    done = []

    def encode(progress, cancel):
        progress(0.1, "Encoding")
        return media.extract(src, out_dir / "long.mp3", cancel=cancel)

    with JobRunner() as runner:
        job = runner.submit(encode, label="Encode", on_done=done.append)
        while job.progress[0] < 0.1:
            time.sleep(0.01)
        time.sleep(0.3)
        job.cancel()
        with pytest.raises(Cancelled):
            job.wait(10)
    assert job.state is JobState.CANCELLED and done == [job]
    assert list(out_dir.iterdir()) == []


def test_a_cancel_that_comes_after_the_last_step_keeps_the_paid_result():
    def work(cancel):
        cancel.raise_if_cancelled()
        result = "dub.wav"  # downloaded and paid for
        cancel.cancel()     # the user clicks Cancel a moment too late
        return result

    with JobRunner() as runner:
        job = runner.submit(work)
        assert job.wait(5) == "dub.wav" and job.state is JobState.DONE


def test_a_queued_job_cancelled_before_it_starts_never_runs():
    ran = []
    gate = threading.Event()
    with JobRunner(max_workers=1) as runner:
        blocker = runner.submit(lambda: gate.wait(5))
        queued = runner.submit(lambda: ran.append(1), label="Later")
        queued.cancel()
        gate.set()
        blocker.wait(5)
        with pytest.raises(Cancelled):
            queued.wait(5)
    assert ran == [] and queued.state is JobState.CANCELLED


def test_wait_times_out_while_the_job_is_busy():
    gate = threading.Event()
    with JobRunner() as runner:
        job = runner.submit(lambda: gate.wait(5))
        with pytest.raises(TimeoutError):
            job.wait(0.05)
        gate.set()
        assert job.wait(5) is True


def test_cancel_token_stops_a_workflow_between_steps():
    token = CancelToken()
    steps = []
    for name in ("extract", "upload", "download"):
        if name == "download":
            token.cancel()
        try:
            token.raise_if_cancelled()
        except Cancelled:
            break
        steps.append(name)
    assert steps == ["extract", "upload"] and token.cancelled


def test_weighted_steps_add_up_to_one_progress_bar():
    reports = []
    steps = StepProgress(lambda f, m: reports.append((round(f, 3), m)),
                         {"extract": 1, "upload": 3, "process": 6})
    steps["extract"](1.0, "Extracted")
    steps["upload"](0.5, "Uploading")
    steps["process"](1.0, "Done")
    assert reports == [(0.1, "Extracted"), (0.25, "Uploading"), (1.0, "Done")]
    with pytest.raises(ValueError):
        StepProgress(None, {})


def test_progress_never_goes_backwards_but_the_message_follows():
    job = Job("Upload")
    job.report(0.6, "Uploading")
    job.report(0.2, "Retrying")
    assert job.progress == (0.6, "Retrying")
