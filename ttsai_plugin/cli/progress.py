"""Progress on stderr while files are processed: on a terminal one bar for the batch (files
done, elapsed, ETA) with the current file and its step; elsewhere plain lines (logs and CI
stay readable). Each file's reports go through the core's ``ProgressTracker`` (the same one
Blender and OBS show: never backwards), and the batch's ETA is a tracker's smoothed one."""
from __future__ import annotations

import sys
import threading
import time
from typing import Any, TextIO

from ttsai_plugin.progress import ProgressTracker
from ttsai_plugin.workflows.batch import BatchItem, ItemResult


def clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class BatchProgress:
    """The batch's events as a bar (terminal) or lines (not a terminal); thread-safe.

    Plain lines: one per new step for a single file; for a batch one per finished file, and
    every step too with -v."""

    def __init__(self, total: int, *, label: str, stream: TextIO | None = None,
                 enabled: bool = True, verbose: int = 0) -> None:
        self.stream = stream or sys.stderr
        self.total = max(1, total)
        self.label = label
        self.enabled = enabled
        self.verbose = verbose
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.monotonic()
        self._lock = threading.Lock()
        self._running: dict[int, ProgressTracker] = {}
        self._overall = ProgressTracker()
        self._last: dict[int, str] = {}
        self._finished = 0
        self._bar: Any = None
        self._current = ""

    # --- numbers ---------------------------------------------------------------------

    def fraction(self) -> float:
        running = sum(t.state.fraction for t in self._running.values())
        return min(1.0, (self._finished + running) / self.total)

    def eta(self) -> float | None:
        self._overall(self.fraction())
        return self._overall.state.eta

    def timing(self) -> str:
        eta = self.eta()
        return f"{clock(time.monotonic() - self.t0)} elapsed" + (
            f", ETA {clock(eta)}" if eta is not None else "")

    # --- events (BatchEvents) ----------------------------------------------------------

    def started(self, item: BatchItem) -> None:
        with self._lock:
            self._running[item.index] = ProgressTracker()

    def progress(self, item: BatchItem, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            tracker = self._running.setdefault(item.index, ProgressTracker())
            tracker(max(0.0, min(1.0, fraction)), message)
            fraction = tracker.state.fraction
            self._current = f"{item.label}: {message}"
            if self.tty:
                self._draw()
                return
            if self._last.get(item.index) == message:
                return
            self._last[item.index] = message
            if self.total == 1:
                print(f"[{fraction * 100:3.0f}%] {message} · {self.timing()}", file=self.stream,
                      flush=True)
            elif self.verbose:
                print(f"[{self._finished}/{self.total}] {item.label}: {message} "
                      f"({fraction * 100:.0f}%)", file=self.stream, flush=True)

    def finished(self, result: ItemResult) -> None:
        with self._lock:
            self._running.pop(result.item.index, None)
            self._last.pop(result.item.index, None)
            self._finished += 1
            if not self.enabled:
                return
            if self.tty:
                self._draw()
            elif self.total > 1 and result.status != "skipped":
                print(f"[{self._finished}/{self.total}] {result.status} {result.item.label} "
                      f"({result.seconds:.1f} s) · {self.timing()}", file=self.stream, flush=True)

    # --- terminal bar ----------------------------------------------------------------

    def _draw(self) -> None:
        if self._bar is None:
            self._bar = _make_bar(self.stream, self.total, self.label)
            if self._bar is None:
                self.tty = False
                return
        self._bar.n = round(self.fraction() * self.total, 2)
        if self.total > 1:  # files finished, not the bar's fractional count (0.96 read "1")
            self._bar.set_description_str(f"{self.label} {self._finished}/{self.total} files",
                                          refresh=False)
        eta = self.eta()
        self._bar.set_postfix_str((f"ETA {clock(eta)} · " if eta is not None else "")
                                  + self._current[:60], refresh=False)
        self._bar.refresh()

    def write(self, line: str, stream: TextIO) -> None:
        """Print a line without tearing the bar."""
        if self._bar is not None:
            self._bar.clear()
            print(line, file=stream, flush=True)
            self._bar.refresh()
        else:
            print(line, file=stream, flush=True)

    def close(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None


def _make_bar(stream: TextIO, total: int, label: str) -> Any:
    try:
        from tqdm import tqdm
    except ImportError:  # no tqdm: plain lines
        return None
    fmt = "{desc} {percentage:3.0f}%|{bar}| {elapsed} elapsed{postfix}"
    return tqdm(total=total, file=stream, leave=False, dynamic_ncols=True,
                desc=f"{label} 0/{total} files" if total > 1 else label, bar_format=fmt)
