"""What the script holds between OBS's callbacks, and the main-thread plumbing around it.

``ttsai_obs.py`` makes one ``Session`` when OBS loads (or reloads) it, so each load starts
afresh: the core found, the job runner, the inbox its timer drains, the status line and the
Script Log. Workers only put into ``inbox`` and read ``stopping``; the rest is main thread.
"""
from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any, Callable

import obspython as obs

import ttsai_obs_core
import ttsai_obs_props as props
from ttsai_obs_log import ScriptLog

UNLOAD_GRACE_S = 3.0


class Session:
    """Everything the script holds between callbacks; a new one on each load."""

    def __init__(self, script_dir: Path) -> None:
        self.script_dir = script_dir
        self.settings: Any = None
        self.core = ttsai_obs_core.CoreStatus(False, "Not loaded yet.")
        self.core_setting: str | None = None
        self.runner: Any = None
        self.inbox: queue.Queue[Callable[[], None]] = queue.Queue()
        self.stopping = threading.Event()
        self.last_recording = ""
        self.status = ""
        self.frontend = False
        self.running: set[str] = set()   # journal ids of jobs this session will still show
        self.log = ScriptLog()

    def ensure_core(self, settings: Any) -> bool:
        """Look for the core when the 'Core folder' setting changed; start the job runner
        the first time it is found."""
        setting = obs.obs_data_get_string(settings, "core_path") if settings is not None else ""
        if self.core.ok or setting == self.core_setting:
            return self.core.ok
        self.core_setting = setting
        self.core = ttsai_obs_core.locate_core(setting, self.script_dir)
        if self.core.ok and settings is not None:
            props.defaults(settings, True)
            obs.obs_data_set_default_string(settings, "core_path", self.core.location)
        if self.core.ok and self.runner is None and not self.stopping.is_set():
            from ttsai_plugin.jobs import JobRunner
            self.runner = JobRunner(max_workers=2, on_main=self.inbox.put)
        return self.core.ok

    def get(self, key: str) -> str:
        """A text setting, without the spaces around it."""
        return obs.obs_data_get_string(self.settings, key).strip()

    def set_status(self, text: str, *, log: bool = True) -> None:
        """The full text goes to the Script Log and the status tooltip; the field gets one line."""
        if text == self.status:
            return
        self.status = text
        if self.settings is not None:
            obs.obs_data_set_string(self.settings, "status", props.short_status(text))
        if log:
            self.log.write(text)

    def drain(self) -> None:
        """Apply finished results, then show the running jobs' progress (the script's timer,
        on OBS's main loop)."""
        self.log.flush()
        while True:
            try:
                fn = self.inbox.get_nowait()
            except queue.Empty:
                break
            if self.stopping.is_set():
                continue
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - one bad result must not kill the timer
                self.set_status(f"Error: {exc}")
        runner = self.runner
        active = runner.active() if runner is not None else []
        if active:
            parts = [f"{j.label}: {j.progress[0]:.0%} {j.progress[1]}".strip() for j in active]
            self.set_status(" · ".join(parts), log=False)

    def stop_jobs(self) -> None:
        """Cancel every job and wait a moment for them: OBS does not stop Python threads when
        it unloads a script."""
        runner, self.runner = self.runner, None
        if runner is None:
            return
        jobs = runner.active()
        runner.shutdown(cancel=True, wait=False)
        deadline = time.monotonic() + UNLOAD_GRACE_S
        for job in jobs:
            try:
                job.wait(max(0.0, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - cancelled or still stopping: either is fine
                pass
