"""The engine's one thread for heavy audio work (blockwise processing, transcription): a
client's parallel parts take turns, and their working sets share one allocator arena.

glibc's malloc gives every thread an arena and keeps what that thread freed for its next use,
so when each request thread processed its own part, RSS grew with the number of request
threads (a 20-min de-reverb in 4 parallel parts: 467 MB, one thread: 315 MB), and parallel
transcriptions each held a whole part decoded at once. Jobs queued here run one after another
on the same daemon thread (never joined at exit, like the requests it serves).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import queue
import sys
import threading
from concurrent.futures import Future
from typing import Any, Callable, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_jobs: "queue.SimpleQueue[tuple[Callable[[], Any], Future]]" = queue.SimpleQueue()
_thread: threading.Thread | None = None


def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` on the heavy-work thread, after the jobs queued before it; its
    result or exception is the caller's. Called from that thread, it runs at once."""
    if threading.current_thread() is _thread:
        return fn(*args, **kwargs)
    done: Future = Future()
    _jobs.put((lambda: fn(*args, **kwargs), done))
    _start()
    return done.result()


def _start() -> None:
    global _thread
    with _lock:
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_serve, name="ttsai-engine-heavy", daemon=True)
            _thread.start()


def _serve() -> None:
    while True:
        job, done = _jobs.get()
        if done.set_running_or_notify_cancel():
            try:
                done.set_result(job())
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting request
                done.set_exception(exc)
        del job, done
        trim()


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None elsewhere (other allocators return memory themselves)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def trim() -> None:
    """Hand the pages a finished job freed back to the system (every arena's), so a host such
    as Blender does not keep a long job's working set after it ends."""
    if _TRIM is not None:
        _TRIM(0)
