"""Finding ffmpeg and running it: one place that turns ffmpeg's complaints into MediaErrors.

imageio-ffmpeg's bundled binary is preferred so no host needs a system ffmpeg; an explicit
path (``configure(ffmpeg=...)`` or ``TTSAI_FFMPEG``) wins over it, the system one is last.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Protocol, Sequence

from ttsai_plugin.errors import Cancelled, ConfigError, MediaError

_lock = threading.Lock()
_configured: str | None = None
_found: str | None = None

# Phrases in ffmpeg's stderr and the hint a user can act on, most specific first.
_HINTS: tuple[tuple[str, str], ...] = (
    ("no such file or directory", "Check that the file exists and the path is right."),
    ("permission denied", "Check the file's permissions, or choose another output folder."),
    ("moov atom not found", "The movie was never finished (a crashed recording?); remux it "
                            "with a recovery tool or re-record it."),
    ("end of file", "The file is truncated; re-export it from the original."),
    ("unknown encoder", "This ffmpeg lacks the encoder; set TTSAI_FFMPEG to a fuller build."),
    ("no space left on device", "Free some disk space and try again."),
    ("does not contain any stream", "The file holds no audio or video streams."),
    ("invalid data found when processing input",
     "The file is corrupt or not a media file; re-export it from the original."),
)
_PREFIX = re.compile(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*")
# ffmpeg's progress and end-of-run statistics: they follow the real reason and say nothing
_STATS = re.compile(r"^(\[out#\d+/[^\]]*\]\s*)?(size=|frame=|video:|audio:|\S+=\s*\S+\s+time=)")


# No console window flashing up for every ffmpeg call when a Windows host runs us.
NO_WINDOW: dict = {"creationflags": getattr(subprocess, "CREATE_NO_WINDOW", 0)} \
    if os.name == "nt" else {}


class CancelCheck(Protocol):
    """Anything with a ``cancelled`` flag (``ttsai_plugin.jobs.CancelToken``)."""

    @property
    def cancelled(self) -> bool: ...


def configure(*, ffmpeg: str | os.PathLike[str] | None = None) -> None:
    """Use this ffmpeg binary from now on (``None`` goes back to automatic discovery)."""
    global _configured, _found
    with _lock:
        _configured = str(ffmpeg) if ffmpeg else None
        _found = None


def ffmpeg_exe() -> str:
    """The ffmpeg binary: configured → ``TTSAI_FFMPEG`` → imageio-ffmpeg's → system one."""
    global _found
    with _lock:
        explicit = _configured or os.environ.get("TTSAI_FFMPEG")
        if explicit:
            explicit = shutil.which(explicit) or explicit  # a bare name is looked up on PATH
            if not (Path(explicit).is_file() and os.access(explicit, os.X_OK)):
                raise ConfigError(f"ffmpeg not found at {explicit!r}.",
                                  hint="Point TTSAI_FFMPEG (or the settings) to an ffmpeg binary.")
            return explicit
        if _found is None:
            _found = _discover()
        return _found


def _discover() -> str:
    try:
        import imageio_ffmpeg
        exe = imageio_ffmpeg.get_ffmpeg_exe()
        if exe and Path(exe).is_file():
            return exe
    except Exception:  # noqa: BLE001 - any failure here means "not bundled"; try the system's
        pass
    exe = shutil.which("ffmpeg")
    if exe:
        return exe
    raise ConfigError("No ffmpeg available.",
                      hint="pip install imageio-ffmpeg, install ffmpeg, or set TTSAI_FFMPEG.")


def reason_and_hint(stderr: str) -> tuple[str, str | None]:
    """The line of ffmpeg's stderr that says what went wrong, and a hint for what to do."""
    lines = [_PREFIX.sub("", ln.strip()) for ln in stderr.splitlines() if ln.strip()]
    skip = ("At least one output file must be specified", "Conversion failed!",
            "Exiting normally")
    meaningful = [ln for ln in lines if not ln.startswith(skip) and not _STATS.match(ln)]
    for phrase, hint in _HINTS:
        for line in meaningful:
            if phrase in line.lower():
                return line.rstrip(".") + ".", hint
    reason = meaningful[-1] if meaningful else (lines[-1] if lines else "ffmpeg failed")
    return reason.rstrip(".") + ".", None


def run(args: Sequence[str], *, what: str, cancel: CancelCheck | None = None,
        stdout: int | None = None) -> str:
    """Run ffmpeg with ``args``; return its stderr. Failure → MediaError, cancel → Cancelled.

    ``what`` names the task for the error message ("extract audio from talk.mp4").
    """
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-y", *map(str, args)]
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                    stdout=stdout if stdout is not None else subprocess.DEVNULL,
                                    stderr=err, **NO_WINDOW)
        except OSError as exc:
            raise MediaError(f"Could not start ffmpeg to {what}: {exc}.",
                             hint="Set TTSAI_FFMPEG to a working ffmpeg binary.") from exc
        while True:
            try:
                rc = proc.wait(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.cancelled:
                    proc.kill()
                    proc.wait()
                    raise Cancelled(f"Cancelled: {what}.") from None
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    if rc != 0:
        reason, hint = reason_and_hint(text)
        raise MediaError(f"ffmpeg could not {what}: {reason}", hint=hint)
    return text


def probe_stderr(path: Path) -> str:
    """ffmpeg's description of ``path`` (``ffmpeg -i``; it always exits 1 without an output)."""
    proc = subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-i", str(path)],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False, **NO_WINDOW)
    return proc.stderr.decode("utf-8", "replace")
