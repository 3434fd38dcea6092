"""Script Log lines written where OBS attributes them to this script.

OBS's Python host names the script of a line from one global that every callback sets and
restores, on whichever thread it runs; OBS saving the scene collection on its UI thread
(after a source is added, say) resets it under a running timer, and the line then reads
'[Unknown Script]'. So while the script's timer runs, lines wait for the start of its next
tick, where the global was just set for this script and nothing of OBS's has run yet.
"""
from __future__ import annotations

import queue

import obspython as obs

PREFIX = "[TTS.ai] "


class ScriptLog:
    """``write`` a line; ``flush`` at the start of each timer tick and when the timer stops."""

    def __init__(self) -> None:
        self.ticking = False
        self._lines: queue.Queue[str] = queue.Queue()

    def write(self, text: str) -> None:
        if self.ticking:
            self._lines.put(text)
        else:
            obs.script_log(obs.LOG_INFO, PREFIX + text)

    def flush(self) -> None:
        while True:
            try:
                obs.script_log(obs.LOG_INFO, PREFIX + self._lines.get_nowait())
            except queue.Empty:
                return
