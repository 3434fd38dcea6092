"""Drive ``harness.c`` (real libobs + OBS's Python scripting host) from pytest.

The harness is compiled once per source hash with gcc against Debian's libobs-dev and runs
under ``xvfb-run`` so libobs-opengl gets a display and script timers tick as in OBS.
"""
from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).parent
SOURCE = HERE / "harness.c"
END = "<<<END>>>"
LIBOBS = Path("/usr/lib/x86_64-linux-gnu/libobs-scripting.so")
PYTHON_INCLUDE = Path("/usr/include/python3.11")


def missing_requirements() -> str | None:
    """Why the harness cannot run here, or None."""
    for tool in ("gcc", "xvfb-run"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    for path in (LIBOBS, Path("/usr/include/obs/obs.h"), PYTHON_INCLUDE / "Python.h"):
        if not path.exists():
            return f"{path} is missing (apt-get install obs-studio libobs-dev python3.11-dev)"
    return None


def build() -> Path:
    """The compiled harness, cached in the temp dir by the hash of its source."""
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / f"ttsai-obs-harness-{digest}" / "harness"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")  # parallel sessions never share a half-file
    subprocess.run(["gcc", "-O1", "-Wall", "-o", str(tmp), str(SOURCE), "-I/usr/include/obs",
                    f"-I{PYTHON_INCLUDE}", "-L/usr/lib/x86_64-linux-gnu", "-lobs",
                    "-lobs-scripting", "-lobs-frontend-api", "-lpython3.11", "-lX11"], check=True,
                   capture_output=True, text=True)
    tmp.replace(out)
    return out


class HarnessError(RuntimeError):
    pass


class ObsHarness:
    """One headless OBS process; each method is one command and returns its JSON reply."""

    def __init__(self, binary: Path, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log_file = open(log, "w")
        self._proc = subprocess.Popen(
            ["xvfb-run", "-a", "-s", "-screen 0 640x480x24", str(binary)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log_file,
            env=env, cwd=log.parent, text=True, bufsize=1, start_new_session=True)
        self._replies: queue.Queue[dict | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        ready = self._next(60)
        if not ready.get("ok") or not ready.get("python"):
            raise HarnessError(f"libobs or its Python did not start: {ready}; see {log}")

    def _read(self) -> None:
        buf: list[str] = []
        for line in self._proc.stdout:  # type: ignore[union-attr]
            if line.rstrip("\n") == END:
                self._replies.put(json.loads("".join(buf)))
                buf = []
            else:
                buf.append(line)
        self._replies.put(None)

    def _next(self, timeout: float) -> dict:
        try:
            reply = self._replies.get(timeout=timeout)
        except queue.Empty:
            raise HarnessError(f"no answer from OBS in {timeout}s; see {self.log}") from None
        if reply is None:
            raise HarnessError(f"OBS exited (code {self._proc.wait()}); see {self.log}:\n"
                               + self.log_text()[-3000:])
        return reply

    def call(self, cmd: str, timeout: float = 60, **args: Any) -> dict:
        self._proc.stdin.write(json.dumps({"cmd": cmd, **args}) + "\n")  # type: ignore[union-attr]
        self._proc.stdin.flush()  # type: ignore[union-attr]
        reply = self._next(timeout)
        if not reply.get("ok"):
            raise HarnessError(f"{cmd} failed: {reply.get('error')}; see {self.log}")
        return reply

    def log_text(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")

    # --- what a user does ------------------------------------------------------------

    def load(self, path: Path, settings: dict | None = None) -> dict:
        return self.call("load", path=str(path), settings=settings or {})

    def update(self, **settings: Any) -> None:
        self.call("update", settings=settings)

    def click(self, button: str) -> dict:
        return self.call("click", name=button)

    def props(self) -> list[dict]:
        return self.call("props")["props"]

    def page_open(self) -> list[dict]:
        """Open the Scripts window's page: the script's properties, built once."""
        return self.call("page_open")["props"]

    def page_click(self, button: str) -> list[dict]:
        """Press a button on the open page; the page as OBS 29 then redraws it (from the same
        properties, not new ones)."""
        return self.call("page_click", name=button)["props"]

    def saved_settings(self) -> dict:
        """What OBS writes into the scene collection for this script (script_save + settings)."""
        return self.call("save")["settings"]

    def status(self) -> str:
        """The script's whole last status message (Script Log, the status field's tooltip)."""
        return self.py("import sys; m = sys.modules.get('ttsai_obs'); "
                       "reply = m._state.status if m else ''") or ""

    def status_line(self) -> str:
        """The one line the status field shows (saved in the script's settings)."""
        return self.saved_settings().get("status", "")

    def sources(self) -> dict[str, dict]:
        return {s["name"]: s for s in self.call("dump")["sources"]}

    def py(self, code: str) -> str | None:
        """Run Python inside OBS's interpreter; the value of ``reply`` comes back as text."""
        return self.call("py", code=code).get("reply")

    def wait_for(self, what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; status: {self.status()!r}")
            time.sleep(0.1)

    def wait_status(self, *prefixes: str, timeout: float = 90) -> str:
        """Wait until the status line starts with one of ``prefixes``."""
        return self.wait_for(f"status {prefixes}",
                             lambda: (lambda s: s if s.startswith(prefixes) else None)(
                                 self.status()), timeout)

    def wait_exit(self, timeout: float = 60) -> int:
        """Wait for OBS to end on its own (a crash) and return its exit code."""
        return self._proc.wait(timeout)

    def close(self) -> int:
        """Quit OBS the way it quits: unload scripts, shut libobs down; return the exit code."""
        if self._proc.poll() is None:
            try:
                self.call("quit", timeout=30)
            except HarnessError:
                pass
            try:
                self._proc.wait(30)
            except subprocess.TimeoutExpired:  # a hung OBS: end it, its Xvfb and xvfb-run
                os.killpg(self._proc.pid, signal.SIGKILL)
        self._log_file.close()
        return self._proc.wait()

    def leaks(self) -> int | None:
        """libobs's count of allocations still alive after shutdown (a leaked reference
        keeps its object alive); None when OBS did not shut down cleanly."""
        found = re.findall(r"Number of memory leaks: (\d+)", self.log.read_text(errors="replace"))
        return int(found[-1]) if found else None
